// Proximal gradient / FISTA: least squares against the normal equations, the O(1/k) and O(1/k²) objective
// bounds, monotonicity of the plain method, non-negativity (KKT of NNLS), identity + TV against the TV prox,
// the simple proxes (box, zero, scaled), stopping, and bad inputs.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/image_operators.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

/// A dense matrix M (m × d) acting on batches N × 1 × 1 × d → N × 1 × 1 × m: a LinearOperator whose least-squares
/// solution can be computed independently by Eigen.
template <class T>
class DenseOperator {
 public:
  using backend = Cpu<T>;
  using tensor_type = xt::xtensor<T, 4>;
  explicit DenseOperator(Eigen::MatrixXd m) : m_(std::move(m)) {}
  eqr::Shape4 domain_shape(std::size_t n) const { return {n, 1, 1, std::size_t(m_.cols())}; }
  eqr::Shape4 range_shape(std::size_t n) const { return {n, 1, 1, std::size_t(m_.rows())}; }
  tensor_type apply(const tensor_type& x) const {
    eqr::expect_batch<backend>(x, [this](std::size_t n) { return domain_shape(n); }, "DenseOperator::apply");
    tensor_type y = backend::empty(range_shape(x.shape()[0]));
    for (std::size_t n = 0; n < x.shape()[0]; ++n)
      for (Eigen::Index i = 0; i < m_.rows(); ++i) {
        double s = 0;
        for (Eigen::Index j = 0; j < m_.cols(); ++j) s += m_(i, j) * double(x(n, 0, 0, std::size_t(j)));
        y(n, 0, 0, std::size_t(i)) = T(s);
      }
    return y;
  }
  tensor_type adjoint(const tensor_type& y) const {
    eqr::expect_batch<backend>(y, [this](std::size_t n) { return range_shape(n); }, "DenseOperator::adjoint");
    tensor_type x = backend::empty(domain_shape(y.shape()[0]));
    for (std::size_t n = 0; n < y.shape()[0]; ++n)
      for (Eigen::Index j = 0; j < m_.cols(); ++j) {
        double s = 0;
        for (Eigen::Index i = 0; i < m_.rows(); ++i) s += m_(i, j) * double(y(n, 0, 0, std::size_t(i)));
        x(n, 0, 0, std::size_t(j)) = T(s);
      }
    return x;
  }
  const Eigen::MatrixXd& matrix() const { return m_; }

 private:
  Eigen::MatrixXd m_;
};
static_assert(eqr::LinearOperator<DenseOperator<double>>);

/// A well-conditioned 12 × 6 matrix: orthonormal columns scaled to singular values in [1, 2].
Eigen::MatrixXd well_conditioned() {
  eqr::Random rng(42);
  Eigen::MatrixXd g(12, 6);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = rng.normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(12, 6);
  Eigen::VectorXd s(6);
  s << 2.0, 1.8, 1.5, 1.3, 1.1, 1.0;
  return q * s.asDiagonal();
}

xt::xtensor<double, 4> as_batch(const Eigen::VectorXd& v) {
  xt::xtensor<double, 4> x = xt::xtensor<double, 4>::from_shape({1, 1, 1, std::size_t(v.size())});
  for (Eigen::Index i = 0; i < v.size(); ++i) x(0, 0, 0, std::size_t(i)) = v(i);
  return x;
}

Eigen::VectorXd measurement() {
  Eigen::VectorXd y(12);
  for (int i = 0; i < 12; ++i) y(i) = std::sin(1.0 + 0.7 * i) + 0.3 * (i % 3) - 0.4;
  return y;
}

/// A proximal operator without a value function (like a learned prox).
struct ValuelessProx {
  template <class T>
  xt::xtensor<T, 4> prox(const xt::xtensor<T, 4>& x, T) const {
    return x;
  }
};

}  // namespace

static_assert(eqr::ProximableFunction<eqr::ZeroFunction, float>);
static_assert(eqr::ProximableFunction<eqr::Box, double>);
static_assert(eqr::ProximableFunction<eqr::TvProx<float>, float>);
static_assert(eqr::ProximalOperator<ValuelessProx, double> && !eqr::ProximableFunction<ValuelessProx, double>);
static_assert(!eqr::ProximalOperator<int, float>);

TEST_CASE("box, non-negativity, zero and scaled functions: projections and values") {
  xt::xtensor<double, 4> x = xt::xtensor<double, 4>::from_shape({1, 1, 1, 4});
  x(0, 0, 0, 0) = -2;
  x(0, 0, 0, 1) = 0.5;
  x(0, 0, 0, 2) = 3;
  x(0, 0, 0, 3) = -0.0;
  eqr::Box box(-1.0, 1.0);
  const auto p = eqr::prox(box, x, 0.7);
  CHECK(p(0, 0, 0, 0) == -1.0);
  CHECK(p(0, 0, 0, 1) == 0.5);
  CHECK(p(0, 0, 0, 2) == 1.0);
  CHECK(std::isinf(box.value(x)));
  CHECK(box.value(p) == 0.0);
  auto nonneg = eqr::Box::non_negative();
  const auto q = eqr::prox(nonneg, x, 1.0);
  CHECK(q(0, 0, 0, 0) == 0.0);
  CHECK(q(0, 0, 0, 2) == 3.0);
  const auto both = eqr::intersect(box, nonneg);
  CHECK(both.lower() == 0.0);
  CHECK(both.upper() == 1.0);
  CHECK_THROWS_AS((void)eqr::intersect(eqr::Box(0, 1), eqr::Box(2, 3)), eqr::value_error);
  CHECK_THROWS_AS(eqr::Box(1.0, 0.0), eqr::value_error);
  CHECK_THROWS_AS(eqr::Box(std::nan(""), 0.0), eqr::value_error);
  eqr::ZeroFunction zero;
  CHECK(eqr::prox(zero, x, 3.0) == x);
  // Float bounds beyond float's range act as no bound.
  eqr::Box wide(-1e300, 1e300);
  CHECK(wide.clamp(3.0e38f) == 3.0e38f);
  // prox of w·TV with step τ is the TV prox with step τw.
  eqr::Random rng(1);
  const auto v = eqr::random_normal<Cpu<double>>({1, 1, 8, 8}, rng);
  auto scaled = eqr::scaled_function(0.5, eqr::TvProx<double>(1.0, eqr::TvProxOptions{}.iterations(500)));
  eqr::TvProx<double> direct(0.25, eqr::TvProxOptions{}.iterations(500));
  const auto a = eqr::prox(scaled, v, 0.5), b = eqr::prox(direct, v, 1.0);
  for (std::size_t k = 0; k < a.size(); ++k) CHECK(a.data()[k] == doctest::Approx(b.data()[k]).epsilon(1e-12));
  CHECK(scaled.value(v) == doctest::Approx(0.5 * eqr::total_variation(v)));
  CHECK_THROWS_AS((void)eqr::scaled_function(-1.0, eqr::ZeroFunction{}), eqr::value_error);
}

TEST_CASE("proximal gradient with g = 0 solves least squares (normal equations by Eigen)") {
  const DenseOperator<double> a(well_conditioned());
  const Eigen::VectorXd y = measurement();
  const Eigen::VectorXd exact = a.matrix().colPivHouseholderQr().solve(y);
  for (const bool accelerated : {false, true}) {
    const auto r = eqr::proximal_gradient(a, as_batch(y), eqr::ZeroFunction{},
                                          eqr::ProximalGradientOptions{}.iterations(400).accelerated(accelerated));
    for (Eigen::Index i = 0; i < exact.size(); ++i)
      CHECK(r.solution(0, 0, 0, std::size_t(i)) == doctest::Approx(exact(i)).epsilon(1e-9));
    CHECK(r.history.iterations == 400);
    CHECK(r.history.relative_change.size() == 400);
  }
}

TEST_CASE("objective: plain method monotone within L|u0-u*|^2/(2k); FISTA within 2L|u0-u*|^2/(k+1)^2") {
  const DenseOperator<double> a(well_conditioned());
  const Eigen::VectorXd y = measurement();
  const Eigen::VectorXd exact = a.matrix().colPivHouseholderQr().solve(y);
  const double f_star = 0.5 * (a.matrix() * exact - y).squaredNorm();
  const double lipschitz = 4.0;  // σ_max² = 2² exactly
  const double dist2 = exact.squaredNorm();  // u0 = 0
  auto options = eqr::ProximalGradientOptions{}.iterations(60).lipschitz(lipschitz).record_objective(true);
  const auto plain = eqr::proximal_gradient(a, as_batch(y), eqr::ZeroFunction{}, options.accelerated(false));
  const auto fast = eqr::proximal_gradient(a, as_batch(y), eqr::ZeroFunction{}, options.accelerated(true));
  REQUIRE(plain.history.objective.size() == 60);
  REQUIRE(fast.history.objective.size() == 60);
  for (std::size_t k = 0; k < 60; ++k) {
    const double kk = double(k + 1);
    if (k > 0) CHECK(plain.history.objective[k] <= plain.history.objective[k - 1] + 1e-15);
    CHECK(plain.history.objective[k] - f_star <= lipschitz * dist2 / (2 * kk) + 1e-12);
    CHECK(fast.history.objective[k] - f_star <= 2 * lipschitz * dist2 / ((kk + 1) * (kk + 1)) + 1e-12);
    CHECK(fast.history.objective[k] >= f_star - 1e-12);
  }
  // The estimated L (power method) is within the 1% margin above σ_max² = 4.
  const double estimated = eqr::data_term_lipschitz(a);
  CHECK(estimated >= 4.0);
  CHECK(estimated <= 4.0 * 1.0101);
}

TEST_CASE("non-negativity: the iterates stay >= 0 and the result satisfies the NNLS optimality conditions") {
  const DenseOperator<double> a(well_conditioned());
  Eigen::VectorXd y = measurement();
  const Eigen::VectorXd unconstrained = a.matrix().colPivHouseholderQr().solve(y);
  REQUIRE(unconstrained.minCoeff() < -0.05);  // the constraint is active
  for (const bool restart : {false, true}) {
    const auto r = eqr::proximal_gradient(a, as_batch(y), eqr::Box::non_negative(),
                                          eqr::ProximalGradientOptions{}.iterations(2000).restart(restart));
    Eigen::VectorXd x(6);
    for (int i = 0; i < 6; ++i) x(i) = r.solution(0, 0, 0, std::size_t(i));
    CHECK(x.minCoeff() >= 0.0);
    // KKT: gradient Mᵀ(Mx − y) is ≥ 0 where x = 0 and 0 where x > 0.
    const Eigen::VectorXd grad = a.matrix().transpose() * (a.matrix() * x - y);
    int active = 0;
    for (int i = 0; i < 6; ++i) {
      if (x(i) == 0.0) {
        ++active;
        CHECK(grad(i) >= -1e-8);
      } else {
        CHECK(std::abs(grad(i)) <= 1e-8);
      }
    }
    CHECK(active >= 1);
  }
}

TEST_CASE("identity + TV: proximal gradient converges to the TV prox of the data, with warm-started inner prox") {
  eqr::Random rng(3);
  const auto y = eqr::random_normal<Cpu<double>>({1, 1, 12, 12}, rng);
  const eqr::Identity<Cpu<double>> id(12, 12);
  const double lambda = 0.3;
  const auto reference = eqr::tv_denoise(y, lambda, eqr::TvProxOptions{}.iterations(4000));
  // With L = 1 the first step is exactly u1 = prox_{λTV}(y).
  eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(4000));
  const auto one = eqr::proximal_gradient(id, y, g, eqr::ProximalGradientOptions{}.iterations(1).lipschitz(1.0));
  for (std::size_t k = 0; k < y.size(); ++k)
    CHECK(one.solution.data()[k] == doctest::Approx(reference.data()[k]).epsilon(1e-6));
  // With the estimated L (1.01) and 10 inner iterations per step, FISTA gets there too.
  eqr::TvProx<double> inner(lambda, eqr::TvProxOptions{}.iterations(10));
  const auto many = eqr::proximal_gradient(id, y, inner, eqr::ProximalGradientOptions{}.iterations(300));
  double err = 0, ref = 0;
  for (std::size_t k = 0; k < y.size(); ++k) {
    err += std::pow(many.solution.data()[k] - reference.data()[k], 2);
    ref += std::pow(reference.data()[k], 2);
  }
  CHECK(std::sqrt(err / ref) < 1e-3);
}

TEST_CASE("plain proximal gradient with an (almost) exact TV prox decreases the objective monotonically") {
  // Inpainting: A = pixel mask (‖A‖ = 1), g = λ TV with the FGP run to a tight tolerance, step 1/L with L = 1.
  xt::xtensor<double, 2> mask = xt::xtensor<double, 2>::from_shape({12, 12});
  for (std::size_t k = 0; k < mask.size(); ++k) mask.data()[k] = (k * 7) % 3 == 0 ? 0.0 : 1.0;
  const eqr::PixelMask<Cpu<double>> a(mask.shape(0), mask.shape(1), mask);
  eqr::Random rng(8);
  const auto y = a.apply(eqr::random_normal<Cpu<double>>({1, 1, 12, 12}, rng));
  eqr::TvProx<double> g(0.2, eqr::TvProxOptions{}.iterations(20000).tolerance(1e-12));
  const auto r = eqr::proximal_gradient(
      a, y, g, eqr::ProximalGradientOptions{}.iterations(40).lipschitz(1.0).accelerated(false).record_objective(true));
  REQUIRE(r.history.objective.size() == 40);
  for (std::size_t k = 1; k < 40; ++k)
    CHECK(r.history.objective[k] <= r.history.objective[k - 1] * (1 + 1e-9));
  CHECK(r.history.objective.back() < r.history.objective.front());
}

TEST_CASE("float and double FISTA agree on a TV problem to float accuracy") {
  eqr::Random rng(4);
  const auto yd = eqr::random_normal<Cpu<double>>({1, 2, 10, 10}, rng);
  const xt::xtensor<float, 4> yf = xt::cast<float>(yd);
  eqr::TvProx<double> gd(0.3, eqr::TvProxOptions{}.iterations(10));
  eqr::TvProx<float> gf(0.3, eqr::TvProxOptions{}.iterations(10));
  const auto rd = eqr::proximal_gradient(eqr::Identity<Cpu<double>>(10, 10, 2), yd, gd,
                                         eqr::ProximalGradientOptions{}.iterations(100).lipschitz(1.5));
  const auto rf = eqr::proximal_gradient(eqr::Identity<Cpu<float>>(10, 10, 2), yf, gf,
                                         eqr::ProximalGradientOptions{}.iterations(100).lipschitz(1.5));
  for (std::size_t k = 0; k < rd.solution.size(); ++k)
    CHECK(double(rf.solution.data()[k]) == doctest::Approx(rd.solution.data()[k]).epsilon(1e-4));
}

TEST_CASE("stopping by relative change") {
  const DenseOperator<double> a(well_conditioned());
  const auto y = as_batch(measurement());
  const auto r = eqr::proximal_gradient(a, y, eqr::ZeroFunction{},
                                        eqr::ProximalGradientOptions{}.iterations(10000).tolerance(1e-8).accelerated(false));
  CHECK(r.history.converged);
  CHECK(r.history.iterations < 10000);
  CHECK(r.history.relative_change.back() < 1e-8);
  for (std::size_t k = 0; k + 1 < r.history.relative_change.size(); ++k) CHECK(r.history.relative_change[k] >= 1e-8);
}

TEST_CASE("proximal gradient rejects bad inputs") {
  const DenseOperator<double> a(well_conditioned());
  auto y = as_batch(measurement());
  const xt::xtensor<double, 4> wrong = xt::xtensor<double, 4>::from_shape({1, 1, 1, 11});
  CHECK_THROWS_WITH_AS((void)eqr::proximal_gradient(a, wrong, eqr::ZeroFunction{}), doctest::Contains("expected"),
                       eqr::shape_error);
  auto bad = y;
  bad(0, 0, 0, 3) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS((void)eqr::proximal_gradient(a, bad, eqr::ZeroFunction{}), doctest::Contains("finite"),
                       eqr::value_error);
  xt::xtensor<double, 4> x0 = xt::xtensor<double, 4>::from_shape({1, 1, 1, 5});
  CHECK_THROWS_AS((void)eqr::proximal_gradient(a, y, eqr::ZeroFunction{}, {}, x0), eqr::shape_error);
  CHECK_THROWS_AS((void)eqr::proximal_gradient(a, y, ValuelessProx{}, eqr::ProximalGradientOptions{}.record_objective(true)),
                  eqr::value_error);
  CHECK_NOTHROW((void)eqr::proximal_gradient(a, y, ValuelessProx{}, eqr::ProximalGradientOptions{}.iterations(2)));
  CHECK_THROWS_AS(eqr::ProximalGradientOptions{}.iterations(0), eqr::value_error);
  CHECK_THROWS_AS(eqr::ProximalGradientOptions{}.tolerance(-1), eqr::value_error);
  CHECK_THROWS_AS(eqr::ProximalGradientOptions{}.lipschitz(-1), eqr::value_error);
  const DenseOperator<double> zero(Eigen::MatrixXd::Zero(12, 6));
  CHECK_THROWS_AS((void)eqr::proximal_gradient(zero, y, eqr::ZeroFunction{}), eqr::value_error);
}
