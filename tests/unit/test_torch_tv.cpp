// TV reconstruction on LibTorch's CPU device (algorithms/tv_backend.hpp, pdhg_backend.hpp,
// prox_gradient_backend.hpp): the backend's gradient and divergence against the host's loops (tv.hpp) and
// their adjointness, the pointwise ball and box projections against direct host formulas, the FGP TV prox
// against the host's `TvProx` (solutions, duals, warm starts, early stops), and PDHG and FISTA on the device
// against the host solvers — iterates, relative changes and objectives in double — for CT, complex MRI and
// denoising, with and without the box, the adaptive step balance and the restart; plus their errors for bad
// input.
#include "../support/torch_doctest.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "eqr/algorithms/tv.hpp"
#include "eqr/algorithms/prox_gradient_backend.hpp"
#include "eqr/algorithms/tv_backend.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch.hpp"
#include "eqr/core/random.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/solver_agreement.hpp"

namespace {

using Host = eqr::cpu::CpuBackend<double>;
using TorchD = eqr::libtorch::TorchBackend<double>;
using HostBatch = xt::xtensor<double, 4>;

/// A batch of uniform values in [lo, hi) from a fixed seed.
HostBatch random_batch(const eqr::Shape4& s, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
  eqr::Random rng(seed);
  HostBatch x = HostBatch::from_shape({s.n, s.c, s.h, s.w});
  for (auto& v : x) v = lo + (hi - lo) * rng.uniform();
  return x;
}

torch::Tensor on_torch(const HostBatch& x) { return eqr::testing::to_backend<TorchD>(x); }

std::vector<double> host_values(const torch::Tensor& t) { return TorchD::to_host(t); }

/// max |a − b| over all entries.
template <class A>
double max_difference(const std::vector<double>& a, const A& b) {
  REQUIRE(a.size() == static_cast<std::size_t>(b.size()));
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b.data()[k]));
  return m;
}

/// One problem posed on the host and on the device: the same operator on both backends, and the data.
template <template <class> class Op>
struct TwinProblem {
  Op<Host> host;
  Op<TorchD> device;
  HostBatch y;
};

/// Sparse-angle CT (9 angles) of a random 2 × 12 × 12 batch with uniform noise of ±0.2.
TwinProblem<eqr::Radon> ct_problem() {
  const auto geometry = eqr::parallel_beam(12, 9);
  eqr::Radon<Host> host(geometry);
  HostBatch y = host.apply(random_batch({2, 1, 12, 12}, 3, 0.0, 1.0));
  y += random_batch(Host::shape(y), 5, -0.2, 0.2);
  return {std::move(host), eqr::Radon<TorchD>(geometry), std::move(y)};
}

/// Single-coil MRI of a random complex 10 × 10 image with half of the k-space columns (equispaced).
TwinProblem<eqr::MaskedFourier> mri_problem() {
  const std::size_t n = 10;
  const auto mask = eqr::equispaced_line_mask<double>(n, 2.0, 0.2, 1);
  eqr::MaskedFourier<Host> host(n, mask);
  HostBatch y = host.apply(random_batch({1, 2, n, n}, 13));
  return {std::move(host), eqr::MaskedFourier<TorchD>(n, mask), std::move(y)};
}

}  // namespace

TEST_CASE("the backend gradient and divergence are the host's, and div = -grad^T") {
  for (const std::size_t channels : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    CAPTURE(channels);
    const eqr::Shape4 s{2, channels, 7, 5};
    const HostBatch u = random_batch(s, 11 + channels);
    const eqr::BackendGradient<TorchD> nabla(channels);
    const torch::Tensor g = nabla.gradient(on_torch(u));
    CHECK(TorchD::shape(g) == nabla.field_shape(s));
    // The field N × 2C × H × W has the host's N × C × 2 × H × W layout.
    CHECK(max_difference(host_values(g), eqr::discrete_gradient(u)) < 1e-15);
    const HostBatch p4 = random_batch(nabla.field_shape(s), 29 + channels);
    eqr::GradientField<double> p = eqr::GradientField<double>::from_shape({s.n, channels, 2, s.h, s.w});
    std::copy(p4.begin(), p4.end(), p.begin());
    const torch::Tensor div = nabla.divergence(on_torch(p4));
    CHECK(max_difference(host_values(div), eqr::discrete_divergence(p)) < 1e-14);
    // ⟨∇u, p⟩ = −⟨u, div p⟩.
    const double lhs = TorchD::dot(g, on_torch(p4));
    const double rhs = -TorchD::dot(on_torch(u), div);
    CHECK(lhs == doctest::Approx(rhs).epsilon(1e-13));
  }
  CHECK_THROWS_AS((void)eqr::BackendGradient<TorchD>(0), eqr::value_error);
  const eqr::BackendGradient<TorchD> nabla(2);
  CHECK_THROWS_AS((void)nabla.gradient(TorchD::zeros({1, 3, 4, 4})), eqr::shape_error);
  CHECK_THROWS_AS((void)nabla.divergence(TorchD::zeros({1, 2, 4, 4})), eqr::shape_error);
}

TEST_CASE("the ball projection scales each pixel's field onto |z| <= r; the box projection clamps") {
  const eqr::Shape4 s{2, 4, 6, 5};
  const HostBatch z = random_batch(s, 7, -2.0, 2.0);
  for (const double r : {0.0, 0.5, 1.5, 100.0}) {
    CAPTURE(r);
    const auto projected = host_values(eqr::project_to_balls<TorchD>(on_torch(z), r));
    HostBatch want = z;
    for (std::size_t n = 0; n < s.n; ++n)
      for (std::size_t k = 0; k < s.h * s.w; ++k) {
        double m2 = 0;
        for (std::size_t c = 0; c < s.c; ++c) m2 += std::pow(z.data()[(n * s.c + c) * s.h * s.w + k], 2);
        const double factor = std::sqrt(m2) > r ? r / std::sqrt(m2) : 1.0;
        for (std::size_t c = 0; c < s.c; ++c) want.data()[(n * s.c + c) * s.h * s.w + k] *= factor;
      }
    CHECK(max_difference(projected, want) < 1e-14);
  }
  CHECK_THROWS_AS((void)eqr::project_to_balls<TorchD>(on_torch(z), -1.0), eqr::value_error);

  const double inf = std::numeric_limits<double>::infinity();
  const auto boxes = {eqr::Box::non_negative(), eqr::Box(0.25, 0.75), eqr::Box(-inf, -0.5), eqr::Box::unbounded()};
  for (const auto& box : boxes) {
    CAPTURE(box.lower());
    CAPTURE(box.upper());
    const auto clamped = host_values(eqr::project_to_box<TorchD>(on_torch(z), box));
    HostBatch want = z;
    for (auto& v : want) v = std::clamp(v, box.lower(), box.upper());
    CHECK(max_difference(clamped, want) < 1e-15);
  }
}

TEST_CASE("PDHG on the device follows the host solver: CT with u >= 0, adaptive steps") {
  const auto ct = ct_problem();
  const auto options = eqr::PdhgOptions{}.iterations(60).bounds(eqr::Box::non_negative()).record_objective(true);
  eqr::testing::check_pdhg_agrees(ct.host, ct.device, ct.y, 0.3, options);
}

TEST_CASE("PDHG on the device follows the host solver: complex MRI, fixed steps, stopped by tolerance") {
  const auto mri = mri_problem();
  const auto options =
      eqr::PdhgOptions{}.iterations(1000).tolerance(1e-4).adaptive(false).operator_norm(1.0).record_objective(true);
  eqr::testing::check_pdhg_agrees(mri.host, mri.device, mri.y, 0.05, options);
  CHECK(eqr::pdhg_tv(mri.device, on_torch(mri.y), 0.05, options).history.converged);
}

TEST_CASE("PDHG on the device follows the host solver: denoising with a box and a warm start") {
  const eqr::Identity<Host> host_id(9, 11);
  const eqr::Identity<TorchD> torch_id(9, 11);
  const HostBatch y = random_batch({3, 1, 9, 11}, 17, 0.0, 1.0);
  const auto options = eqr::PdhgOptions{}.iterations(50).bounds(eqr::Box(0.2, 0.8)).gradient_scale(2.0).step_ratio(0.2);
  eqr::testing::check_pdhg_agrees(host_id, torch_id, y, 0.1, options);
  // λ = 0 with the identity: the solution is the projection of y onto the box.
  const auto box_only = eqr::PdhgOptions{}.iterations(200).operator_norm(1.0).bounds(eqr::Box(0.2, 0.8));
  const auto r = eqr::pdhg_tv(torch_id, on_torch(y), 0.0, box_only);
  HostBatch want = y;
  for (auto& v : want) v = std::clamp(v, 0.2, 0.8);
  CHECK(max_difference(host_values(r.solution), want) < 1e-6);
}

TEST_CASE("PDHG on the device rejects bad input with the host solver's errors") {
  const eqr::Identity<TorchD> id(4, 4);
  const auto y = TorchD::zeros({1, 1, 4, 4});
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, TorchD::zeros({1, 1, 4, 5}), 0.1), eqr::shape_error);
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, y, -1.0), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, y, 0.1, {}, TorchD::zeros({1, 2, 4, 4})), eqr::shape_error);
  auto bad = TorchD::zeros({1, 1, 4, 4});
  TorchD::fill(bad, std::numeric_limits<double>::quiet_NaN());
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, bad, 0.1), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::pdhg_tv(id, y, 0.1, {}, bad), eqr::value_error);
}

TEST_CASE("the FGP TV prox on the device is the host's TvProx: solution, dual, warm start, early stop") {
  const HostBatch v = random_batch({2, 2, 9, 8}, 21, 0.0, 1.0);
  for (const auto& box : {eqr::Box::unbounded(), eqr::Box::non_negative(), eqr::Box(0.3, 0.7)}) {
    for (const double tolerance : {0.0, 1e-4}) {
      CAPTURE(box.lower());
      CAPTURE(tolerance);
      const auto options = eqr::TvProxOptions{}.iterations(80).tolerance(tolerance).bounds(box);
      eqr::TvProx<double> host(0.4, options);
      eqr::BackendTvProx<TorchD> device(0.4, options);
      for (const double tau : {0.5, 0.25}) {  // the second call starts from the first call's dual
        const auto want = host.prox(v, tau);
        const auto got = device.prox(on_torch(v), tau);
        CHECK(max_difference(host_values(got), want) < 1e-12);
        CHECK(device.last_iterations() == host.last_iterations());
        REQUIRE(device.dual().has_value());
        CHECK(max_difference(host_values(*device.dual()), host.dual()) < 1e-12);
        CHECK(device.value(got) == doctest::Approx(host.value(want)).epsilon(1e-12));
      }
      if (tolerance > 0) CHECK(device.last_iterations() < 80);
    }
  }
  eqr::BackendTvProx<TorchD> g(0.0);
  const auto box_only = host_values(g.prox(on_torch(v), 1.0));
  CHECK(max_difference(box_only, v) == 0.0);
  CHECK_THROWS_AS((void)eqr::BackendTvProx<TorchD>(-1.0), eqr::value_error);
  CHECK_THROWS_AS((void)g.prox(on_torch(v), 0.0), eqr::value_error);
}

TEST_CASE("FISTA with the TV prox on the device follows the host solver: CT with u >= 0, and restart") {
  const auto ct = ct_problem();
  for (const bool restart : {false, true}) {
    CAPTURE(restart);
    const auto prox_options = eqr::TvProxOptions{}.iterations(10).bounds(eqr::Box::non_negative());
    const auto options = eqr::ProximalGradientOptions{}.iterations(40).restart(restart).record_objective(true);
    eqr::TvProx<double> host_g(0.3, prox_options);
    eqr::BackendTvProx<TorchD> device_g(0.3, prox_options);
    eqr::testing::check_results_agree<TorchD>(eqr::proximal_gradient(ct.host, ct.y, host_g, options),
                                              eqr::proximal_gradient(ct.device, on_torch(ct.y), device_g, options));
  }
}

TEST_CASE("FISTA on the device follows the host solver: complex MRI, plain gradient steps, stopped by tolerance") {
  const auto mri = mri_problem();
  const auto options = eqr::ProximalGradientOptions{}.iterations(500).tolerance(1e-4).accelerated(false).lipschitz(1.0);
  eqr::TvProx<double> host_g(0.05, eqr::TvProxOptions{}.iterations(20));
  eqr::BackendTvProx<TorchD> device_g(0.05, eqr::TvProxOptions{}.iterations(20));
  const auto on_device = eqr::proximal_gradient(mri.device, on_torch(mri.y), device_g, options);
  eqr::testing::check_results_agree<TorchD>(eqr::proximal_gradient(mri.host, mri.y, host_g, options), on_device);
  CHECK(on_device.history.converged);
}

TEST_CASE("FISTA on the device rejects bad input with the host solver's errors") {
  const eqr::Identity<TorchD> id(4, 4);
  eqr::BackendTvProx<TorchD> g(0.1);
  const auto y = TorchD::zeros({1, 1, 4, 4});
  CHECK_THROWS_AS((void)eqr::proximal_gradient(id, TorchD::zeros({1, 1, 5, 4}), g), eqr::shape_error);
  CHECK_THROWS_AS((void)eqr::proximal_gradient(id, y, g, {}, TorchD::zeros({2, 1, 4, 3})), eqr::shape_error);
  auto bad = TorchD::zeros({1, 1, 4, 4});
  TorchD::fill(bad, std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS((void)eqr::proximal_gradient(id, bad, g), eqr::value_error);
  // A proximal operator without a value: the objective cannot be recorded.
  struct Shrink {
    torch::Tensor prox(const torch::Tensor& x, double tau) { return x / (1.0 + tau); }
  } shrink;
  CHECK_THROWS_AS((void)eqr::proximal_gradient(id, y, shrink, eqr::ProximalGradientOptions{}.record_objective(true)),
                  eqr::value_error);
  CHECK(eqr::proximal_gradient(id, y, shrink, eqr::ProximalGradientOptions{}.iterations(3)).history.iterations == 3);
}
