// PDHG (Chambolle–Pock) for ½‖Au − y‖² + λ TV(u): agreement with FISTA + TV prox on denoising, inpainting and
// a channel-mixing complex operator, least squares for λ = 0, non-negativity, batch independence, bad inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <xtensor/xview.hpp>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/image_operators.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

/// A complex image (two channels: real, imaginary) multiplied pixelwise by m(i, j)·e^{iφ(i, j)}: a
/// channel-mixing operator like single-coil MRI in miniature, with adjoint multiplication by m·e^{−iφ}.
class PhaseMask {
 public:
  using backend = Cpu<double>;
  using tensor_type = xt::xtensor<double, 4>;
  PhaseMask(std::size_t h, std::size_t w) : h_(h), w_(w), m_(h * w), phi_(h * w) {
    for (std::size_t k = 0; k < h * w; ++k) {
      m_[k] = (k * 7) % 5 == 0 ? 0.0 : 1.0;  // 20% of the pixels unobserved
      phi_[k] = 0.37 * double(k % 11);
    }
  }
  eqr::Shape4 domain_shape(std::size_t n) const { return {n, 2, h_, w_}; }
  eqr::Shape4 range_shape(std::size_t n) const { return {n, 2, h_, w_}; }
  tensor_type apply(const tensor_type& x) const { return rotate(x, +1.0); }
  tensor_type adjoint(const tensor_type& y) const { return rotate(y, -1.0); }

 private:
  xt::xtensor<double, 4> rotate(const xt::xtensor<double, 4>& x, double sign) const {
    eqr::expect_batch<backend>(x, [this](std::size_t n) { return domain_shape(n); }, "PhaseMask");
    xt::xtensor<double, 4> y = x;
    for (std::size_t n = 0; n < x.shape()[0]; ++n)
      for (std::size_t k = 0; k < h_ * w_; ++k) {
        const double re = x.data()[(2 * n) * h_ * w_ + k], im = x.data()[(2 * n + 1) * h_ * w_ + k];
        const double c = m_[k] * std::cos(phi_[k]), s = sign * m_[k] * std::sin(phi_[k]);
        y.data()[(2 * n) * h_ * w_ + k] = c * re - s * im;
        y.data()[(2 * n + 1) * h_ * w_ + k] = s * re + c * im;
      }
    return y;
  }
  std::size_t h_, w_;
  std::vector<double> m_, phi_;
};
static_assert(eqr::LinearOperator<PhaseMask>);

/// A piecewise-constant test image (a bright square and a darker bar) with seeded Gaussian noise.
xt::xtensor<double, 4> noisy_image(std::size_t c, std::size_t h, std::size_t w, double noise, std::uint64_t seed) {
  eqr::Random rng(seed);
  xt::xtensor<double, 4> u = xt::xtensor<double, 4>::from_shape({1, c, h, w});
  for (std::size_t ch = 0; ch < c; ++ch)
    for (std::size_t i = 0; i < h; ++i)
      for (std::size_t j = 0; j < w; ++j) {
        double v = (i > h / 4 && i < h / 2 && j > w / 4 && j < 3 * w / 4) ? 1.0 : 0.1;
        if (j > 2 * w / 3 && i > h / 2) v = ch == 0 ? 0.5 : -0.3;
        u(0, ch, i, j) = v + noise * rng.normal();
      }
  return u;
}

double objective(const auto& a, const xt::xtensor<double, 4>& y, const xt::xtensor<double, 4>& u, double lambda) {
  auto r = a.apply(u);
  r -= y;
  return 0.5 * Cpu<double>::squared_norm(r) + lambda * eqr::total_variation(u);
}

double relative_distance(const xt::xtensor<double, 4>& a, const xt::xtensor<double, 4>& b) {
  double d = 0, s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    d += std::pow(a.data()[k] - b.data()[k], 2);
    s += std::pow(b.data()[k], 2);
  }
  return std::sqrt(d / s);
}

}  // namespace

TEST_CASE("PDHG on denoising converges to the TV prox (certified by the FGP duality gap)") {
  const auto y = noisy_image(1, 16, 16, 0.1, 1);
  const double lambda = 0.15;
  eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(5000));
  const auto reference = g.prox(y, 1.0);
  const double gap = eqr::tv_duality_gap(reference, g.dual(), lambda);
  REQUIRE(gap < 1e-7 * objective(eqr::Identity<Cpu<double>>(16, 16), y, reference, lambda));
  const eqr::Identity<Cpu<double>> id(16, 16);
  const auto r = eqr::pdhg_tv(
      id, y, lambda,
      eqr::PdhgOptions{}.iterations(3000).gradient_scale(2.0).step_ratio(0.2).adaptive(false).record_objective(true));
  CHECK(relative_distance(r.solution, reference) < 1e-4);
  const double best = objective(id, y, reference, lambda);
  CHECK(r.history.objective.back() == doctest::Approx(best).epsilon(1e-6));
  // Not monotone in general, but the late objective is far below the early one and never below the optimum.
  CHECK(r.history.objective[2999] < r.history.objective[9]);
  for (const double f : r.history.objective) CHECK(f >= best - gap - 1e-12);  // min P ≥ P(reference) − gap
}

TEST_CASE("PDHG and FISTA agree on TV inpainting and on a complex channel-mixing operator") {
  // A larger gradient block scale and a smaller primal step converge faster on these small problems.
  const auto tuned = eqr::PdhgOptions{}.iterations(3000).gradient_scale(2.0).step_ratio(0.2);
  SUBCASE("inpainting (pixel mask)") {
    xt::xtensor<double, 2> mask = xt::xtensor<double, 2>::from_shape({14, 14});
    for (std::size_t k = 0; k < mask.size(); ++k) mask.data()[k] = (k * 13) % 4 == 0 ? 0.0 : 1.0;
    const eqr::PixelMask<Cpu<double>> a(mask.shape(0), mask.shape(1), mask);
    const auto y = a.apply(noisy_image(1, 14, 14, 0.05, 2));
    const double lambda = 0.1;
    const auto pd = eqr::pdhg_tv(a, y, lambda, tuned);
    eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(50));
    const auto fi = eqr::proximal_gradient(a, y, g, eqr::ProximalGradientOptions{}.iterations(1500).restart(true));
    CHECK(relative_distance(pd.solution, fi.solution) < 1e-3);
    CHECK(objective(a, y, pd.solution, lambda) == doctest::Approx(objective(a, y, fi.solution, lambda)).epsilon(1e-6));
  }
  SUBCASE("complex image, two channels mixed by the operator") {
    const PhaseMask a(12, 12);
    CHECK(eqr::adjoint_mismatch(a) < 1e-14);
    const auto y = a.apply(noisy_image(2, 12, 12, 0.05, 3));
    const double lambda = 0.08;
    const auto pd = eqr::pdhg_tv(a, y, lambda, tuned);
    eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(50));
    const auto fi = eqr::proximal_gradient(a, y, g, eqr::ProximalGradientOptions{}.iterations(1500).restart(true));
    CHECK(relative_distance(pd.solution, fi.solution) < 1e-3);
    CHECK(objective(a, y, pd.solution, lambda) == doctest::Approx(objective(a, y, fi.solution, lambda)).epsilon(1e-6));
  }
}

TEST_CASE("adaptive step balancing beats the fixed default ratio and keeps convergence") {
  xt::xtensor<double, 2> mask = xt::xtensor<double, 2>::from_shape({14, 14});
  for (std::size_t k = 0; k < mask.size(); ++k) mask.data()[k] = (k * 13) % 4 == 0 ? 0.0 : 1.0;
  const eqr::PixelMask<Cpu<double>> a(mask.shape(0), mask.shape(1), mask);
  const auto y = a.apply(noisy_image(1, 14, 14, 0.05, 2));
  const double lambda = 0.1;
  eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(50));
  const auto fi = eqr::proximal_gradient(a, y, g, eqr::ProximalGradientOptions{}.iterations(3000).restart(true));
  const double best = objective(a, y, fi.solution, lambda);
  const auto fixed = eqr::pdhg_tv(a, y, lambda, eqr::PdhgOptions{}.iterations(1000).adaptive(false));
  const auto adapted = eqr::pdhg_tv(a, y, lambda, eqr::PdhgOptions{}.iterations(1000).adaptive(true));
  const double e_fixed = objective(a, y, fixed.solution, lambda) - best;
  const double e_adapted = objective(a, y, adapted.solution, lambda) - best;
  MESSAGE("objective error after 1000 iterations: fixed ", e_fixed, ", adaptive ", e_adapted);
  CHECK(e_adapted >= -1e-9);
  CHECK(e_adapted < e_fixed / 3);
  const auto longer = eqr::pdhg_tv(a, y, lambda, eqr::PdhgOptions{}.iterations(5000));
  CHECK(objective(a, y, longer.solution, lambda) == doctest::Approx(best).epsilon(1e-6));
}

TEST_CASE("PDHG with non-negativity: iterates stay >= 0 and agree with the constrained TV prox") {
  auto truth = noisy_image(1, 12, 12, 0.0, 4);
  for (auto& v : truth) v -= 0.1;  // background 0, so the constraint is active on the noise
  eqr::Random rng(9);
  auto y = truth;
  for (auto& v : y) v += 0.3 * rng.normal();
  const eqr::Identity<Cpu<double>> id(12, 12);
  const double lambda = 0.05;
  const auto free = eqr::tv_denoise(y, lambda, eqr::TvProxOptions{}.iterations(3000));
  REQUIRE(*std::min_element(free.begin(), free.end()) < -0.1);  // the constraint matters
  const auto pd = eqr::pdhg_tv(id, y, lambda, eqr::PdhgOptions{}.iterations(2000).bounds(eqr::Box::non_negative()));
  for (const double v : pd.solution) CHECK(v >= 0.0);
  const auto reference =
      eqr::tv_denoise(y, lambda, eqr::TvProxOptions{}.iterations(3000).bounds(eqr::Box::non_negative()));
  CHECK(relative_distance(pd.solution, reference) < 1e-6);
  std::size_t zeros = 0;
  for (const double v : pd.solution) zeros += v == 0.0;
  CHECK(zeros > 0);
}

TEST_CASE("PDHG with lambda = 0 is least squares; batch items are solved independently") {
  // λ = 0 on an inpainting operator: the solution on observed pixels is y, unobserved pixels stay at 0.
  xt::xtensor<double, 2> mask = xt::xtensor<double, 2>::from_shape({6, 7});
  for (std::size_t k = 0; k < mask.size(); ++k) mask.data()[k] = 0.5 + double(k % 3) * 0.5;  // weights 0.5, 1, 1.5
  const eqr::PixelMask<Cpu<double>> a(mask.shape(0), mask.shape(1), mask);
  eqr::Random rng(2);
  const auto y = eqr::random_normal<Cpu<double>>({2, 1, 6, 7}, rng);
  const auto r = eqr::pdhg_tv(a, y, 0.0, eqr::PdhgOptions{}.iterations(3000));
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t k = 0; k < 42; ++k)
      CHECK(r.solution.data()[n * 42 + k] == doctest::Approx(y.data()[n * 42 + k] / mask.data()[k]).epsilon(1e-6));
  // A batch of two equals the two problems solved one by one (same fixed steps: ‖A‖ given, no adaptation,
  // which would balance residuals summed over the batch).
  const auto fixed = eqr::PdhgOptions{}.iterations(50).operator_norm(1.5).adaptive(false);
  const auto both = eqr::pdhg_tv(a, y, 0.2, fixed);
  for (std::size_t n = 0; n < 2; ++n) {
    xt::xtensor<double, 4> yn = xt::view(y, xt::range(n, n + 1), xt::all(), xt::all(), xt::all());
    const auto one = eqr::pdhg_tv(a, yn, 0.2, fixed);
    for (std::size_t k = 0; k < 42; ++k) CHECK(both.solution.data()[n * 42 + k] == doctest::Approx(one.solution.data()[k]).epsilon(1e-12));
  }
}

TEST_CASE("PDHG stops by relative change and rejects bad inputs") {
  const eqr::Identity<Cpu<double>> id(8, 8);
  const auto y = noisy_image(1, 8, 8, 0.1, 5);
  const auto r = eqr::pdhg_tv(id, y, 0.1, eqr::PdhgOptions{}.iterations(100000).tolerance(1e-6));
  CHECK(r.history.converged);
  CHECK(r.history.iterations < 100000);
  CHECK(r.history.relative_change.back() < 1e-6);
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, y, -1.0), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, y, std::nan("")), eqr::value_error);
  const xt::xtensor<double, 4> wrong = xt::xtensor<double, 4>::from_shape({1, 1, 8, 9});
  CHECK_THROWS_WITH_AS((void)eqr::pdhg_tv(id, wrong, 0.1), doctest::Contains("expected a batch of shape 1×1×8×8"), eqr::shape_error);
  auto bad = y;
  bad(0, 0, 1, 1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS((void)eqr::pdhg_tv(id, bad, 0.1), doctest::Contains("finite"), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, y, 0.1, {}, wrong), eqr::shape_error);
  CHECK_THROWS_AS(eqr::PdhgOptions{}.iterations(0), eqr::value_error);
  CHECK_THROWS_AS(eqr::PdhgOptions{}.step_ratio(0.0), eqr::value_error);
  CHECK_THROWS_AS(eqr::PdhgOptions{}.gradient_scale(-1.0), eqr::value_error);
  CHECK_THROWS_AS(eqr::PdhgOptions{}.operator_norm(std::nan("")), eqr::value_error);
  xt::xtensor<double, 2> zero = xt::zeros<double>({8, 8});
  CHECK_THROWS_AS((void)eqr::pdhg_tv(eqr::PixelMask<Cpu<double>>(8, 8, zero), y, 0.1), eqr::value_error);
}
