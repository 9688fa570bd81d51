/// @file tests/support/solver_agreement.hpp
/// The classical solvers on a device backend against the host solvers (pdhg.hpp vs pdhg_backend.hpp,
/// prox_gradient.hpp vs prox_gradient_backend.hpp): the same problem solved on `CpuBackend<double>` and on a
/// LibTorch double backend must give the same iterate (1e-9 relative), the same per-iteration relative
/// changes and objectives, and stop at the same iteration. Include after tests/support/torch_doctest.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/pdhg_backend.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/backends/concepts.hpp"

namespace eqr::testing {

/// A host batch copied to backend B.
template <TensorBackend B>
typename B::tensor_type to_backend(const xt::xtensor<double, 4>& x) {
  const auto& s = x.shape();
  return B::from_host({s[0], s[1], s[2], s[3]}, std::span<const double>(x.data(), x.size()));
}

/// max_k |a_k − b_k| / max_k |b_k|.
inline double relative_max_difference(const std::vector<double>& a, const xt::xtensor<double, 4>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0, scale = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    diff = std::max(diff, std::abs(a[k] - b.data()[k]));
    scale = std::max(scale, std::abs(b.data()[k]));
  }
  return diff / scale;
}

/// Checks that a run on the host and the same run on backend B agree (see the file comment).
template <TensorBackend B>
void check_results_agree(const SolverResult<double>& on_host, const BackendSolverResult<B>& on_device) {
  CHECK(relative_max_difference(B::to_host(on_device.solution), on_host.solution) < 1e-9);
  REQUIRE(on_device.history.iterations == on_host.history.iterations);
  CHECK(on_device.history.converged == on_host.history.converged);
  REQUIRE(on_device.history.relative_change.size() == on_host.history.relative_change.size());
  for (std::size_t k = 0; k < on_host.history.relative_change.size(); ++k)
    CHECK(on_device.history.relative_change[k] == doctest::Approx(on_host.history.relative_change[k]).epsilon(1e-7));
  REQUIRE(on_device.history.objective.size() == on_host.history.objective.size());
  for (std::size_t k = 0; k < on_host.history.objective.size(); ++k)
    CHECK(on_device.history.objective[k] == doctest::Approx(on_host.history.objective[k]).epsilon(1e-9));
}

/// Solves ½‖Au − y‖² + λ TV(u) by PDHG with the host operator and with the device operator (the same A) and
/// checks that the two runs agree.
template <class HostOp, class DeviceOp>
void check_pdhg_agrees(const HostOp& host_op, const DeviceOp& device_op, const xt::xtensor<double, 4>& y,
                       double lambda, const PdhgOptions& options) {
  using B = typename DeviceOp::backend;
  check_results_agree<B>(pdhg_tv(host_op, y, lambda, options), pdhg_tv(device_op, to_backend<B>(y), lambda, options));
}

}  // namespace eqr::testing
