// TV reconstruction on LibTorch's CPU device (algorithms/tv_backend.hpp, algorithms/pdhg_backend.hpp): the
// backend's gradient and divergence against the host's loops (tv.hpp) and their adjointness, the pointwise
// ball and box projections against direct host formulas, and PDHG on the device against the host solver —
// iterates, relative changes and objectives in double — for CT, complex MRI and denoising, with and without
// the box and the adaptive step balance; plus its errors for bad input.
#include "../support/torch_doctest.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/pdhg_backend.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/algorithms/tv_backend.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch.hpp"
#include "eqr/core/random.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/radon.hpp"

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

torch::Tensor on_torch(const HostBatch& x) {
  const auto& s = x.shape();
  return TorchD::from_host({s[0], s[1], s[2], s[3]}, std::span<const double>(x.data(), x.size()));
}

std::vector<double> host_values(const torch::Tensor& t) { return TorchD::to_host(t); }

/// max |a − b| over all entries.
template <class A>
double max_difference(const std::vector<double>& a, const A& b) {
  REQUIRE(a.size() == static_cast<std::size_t>(b.size()));
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b.data()[k]));
  return m;
}

/// max_k |a_k − b_k| / max_k |b_k|.
double relative_difference(const std::vector<double>& a, const HostBatch& b) {
  double scale = 0;
  for (const double v : b) scale = std::max(scale, std::abs(v));
  return max_difference(a, b) / scale;
}

/// The host solution and the device solution of one problem, and their histories.
template <class HostOp, class TorchOp>
void check_pdhg_agrees(const HostOp& host_op, const TorchOp& torch_op, const HostBatch& y, double lambda,
                       const eqr::PdhgOptions& options) {
  const auto on_host = eqr::pdhg_tv(host_op, y, lambda, options);
  const auto on_device = eqr::pdhg_tv(torch_op, on_torch(y), lambda, options);
  CHECK(on_device.solution.device().is_cpu());
  CHECK(relative_difference(host_values(on_device.solution), on_host.solution) < 1e-9);
  REQUIRE(on_device.history.iterations == on_host.history.iterations);
  CHECK(on_device.history.converged == on_host.history.converged);
  REQUIRE(on_device.history.relative_change.size() == on_host.history.relative_change.size());
  for (std::size_t k = 0; k < on_host.history.relative_change.size(); ++k)
    CHECK(on_device.history.relative_change[k] == doctest::Approx(on_host.history.relative_change[k]).epsilon(1e-7));
  REQUIRE(on_device.history.objective.size() == on_host.history.objective.size());
  for (std::size_t k = 0; k < on_host.history.objective.size(); ++k)
    CHECK(on_device.history.objective[k] == doctest::Approx(on_host.history.objective[k]).epsilon(1e-9));
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
        for (std::size_t c = 0; c < s.c; ++c) m2 += z.data()[(n * s.c + c) * s.h * s.w + k] * z.data()[(n * s.c + c) * s.h * s.w + k];
        const double factor = std::sqrt(m2) > r ? r / std::sqrt(m2) : 1.0;
        for (std::size_t c = 0; c < s.c; ++c) want.data()[(n * s.c + c) * s.h * s.w + k] *= factor;
      }
    CHECK(max_difference(projected, want) < 1e-14);
  }
  CHECK_THROWS_AS((void)eqr::project_to_balls<TorchD>(on_torch(z), -1.0), eqr::value_error);

  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& box : {eqr::Box::non_negative(), eqr::Box(0.25, 0.75), eqr::Box(-inf, -0.5), eqr::Box::unbounded()}) {
    CAPTURE(box.lower());
    CAPTURE(box.upper());
    const auto clamped = host_values(eqr::project_to_box<TorchD>(on_torch(z), box));
    HostBatch want = z;
    for (auto& v : want) v = std::clamp(v, box.lower(), box.upper());
    CHECK(max_difference(clamped, want) < 1e-15);
  }
}

TEST_CASE("PDHG on the device follows the host solver: CT with u >= 0, adaptive steps") {
  const auto geometry = eqr::parallel_beam(12, 9);
  const eqr::Radon<Host> host_radon(geometry);
  const eqr::Radon<TorchD> torch_radon(geometry);
  const HostBatch truth = random_batch({2, 1, 12, 12}, 3, 0.0, 1.0);
  HostBatch y = host_radon.apply(truth);
  const HostBatch noise = random_batch(Host::shape(y), 5, -0.2, 0.2);
  y += noise;
  check_pdhg_agrees(host_radon, torch_radon, y, 0.3,
                    eqr::PdhgOptions{}.iterations(60).bounds(eqr::Box::non_negative()).record_objective(true));
}

TEST_CASE("PDHG on the device follows the host solver: complex MRI, fixed steps, stopped by tolerance") {
  const std::size_t n = 10;
  const auto mask = eqr::equispaced_line_mask<double>(n, 2.0, 0.2, 1);
  const eqr::MaskedFourier<Host> host_mri(n, mask);
  const eqr::MaskedFourier<TorchD> torch_mri(n, mask);
  const HostBatch y = host_mri.apply(random_batch({1, 2, n, n}, 13));
  const auto options = eqr::PdhgOptions{}.iterations(1000).tolerance(1e-4).adaptive(false).operator_norm(1.0).record_objective(true);
  check_pdhg_agrees(host_mri, torch_mri, y, 0.05, options);
  CHECK(eqr::pdhg_tv(torch_mri, on_torch(y), 0.05, options).history.converged);
}

TEST_CASE("PDHG on the device follows the host solver: denoising with a box and a warm start") {
  const eqr::Identity<Host> host_id(9, 11);
  const eqr::Identity<TorchD> torch_id(9, 11);
  const HostBatch y = random_batch({3, 1, 9, 11}, 17, 0.0, 1.0);
  const auto options = eqr::PdhgOptions{}.iterations(50).bounds(eqr::Box(0.2, 0.8)).gradient_scale(2.0).step_ratio(0.2);
  check_pdhg_agrees(host_id, torch_id, y, 0.1, options);
  // λ = 0 with the identity: the solution is the projection of y onto the box.
  const auto r = eqr::pdhg_tv(torch_id, on_torch(y), 0.0, eqr::PdhgOptions{}.iterations(200).operator_norm(1.0).bounds(eqr::Box(0.2, 0.8)));
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
