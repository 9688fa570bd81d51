/// @file tests/support/device_agreement.hpp
/// Agreement checks between the CPU library and its LibTorch twins, shared by the torch and CUDA tests of the
/// device operators and learned methods: the tolerances of the adjoint and agreement tests, the relative
/// difference of two value arrays, the worst difference of apply and adjoint between a CPU operator and its
/// device operator on the same seeded batches, and the agreement of a learned method on two backends. Include after tests/support/torch_doctest.hpp.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/backends/torch/xtensor_interop.hpp"
#include "eqr/core/random.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::testing {

/// Tolerance of the dot-product (adjoint) test ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ relative to its terms: 1e-6 for float,
/// 1e-12 for double.
template <class T>
constexpr double adjoint_tolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

/// Tolerance of a device result against the CPU reference (relative_difference): 1e-5 for float, 1e-12 for
/// double.
template <class T>
constexpr double agreement_tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// max |a − b| / max |b| over all entries, in double (b the CPU reference); max |a − b| when b is all zero.
template <class T>
double relative_difference(std::span<const T> a, std::span<const T> b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return scale == 0.0 ? worst : worst / scale;
}

/// relative_difference of two host vectors.
template <class T>
double relative_difference(const std::vector<T>& a, const std::vector<T>& b) {
  return relative_difference<T>(std::span<const T>(a), std::span<const T>(b));
}

/// relative_difference of two batches of the same shape.
template <class T>
double relative_difference(const xt::xtensor<T, 4>& a, const xt::xtensor<T, 4>& b) {
  REQUIRE(a.shape() == b.shape());
  return relative_difference<T>(std::span<const T>(a.data(), a.size()), std::span<const T>(b.data(), b.size()));
}

/// The worst relative difference of apply and adjoint between a CPU operator and its device twin on the
/// same seeded N(0, 1) batches (the CPU operator's results are the reference).
template <class T, class CpuOp, class DeviceOp>
double cpu_device_difference(const CpuOp& cpu, const DeviceOp& dev, std::uint64_t seed, std::size_t batch = 3) {
  REQUIRE(cpu.domain_shape(batch) == dev.domain_shape(batch));
  REQUIRE(cpu.range_shape(batch) == dev.range_shape(batch));
  Random rng(seed);
  const auto x = random_normal<T>(cpu.domain_shape(batch), rng);
  const auto y = random_normal<T>(cpu.range_shape(batch), rng);
  const auto ax = libtorch::to_xtensor<T>(dev.apply(libtorch::to_torch(x, dev.device())));
  const auto aty = libtorch::to_xtensor<T>(dev.adjoint(libtorch::to_torch(y, dev.device())));
  return std::max(relative_difference(ax, cpu.apply(x)), relative_difference(aty, cpu.adjoint(y)));
}

/// Checks that a learned method on backend R (the reference, e.g. the CPU) and its twin on backend D (the same
/// parameters) agree on measurements y of shape ys: the training forward pass, ȳ for the cotangent du of
/// shape us, and every parameter gradient (same names, same order), each to `tol` by relative_difference.
/// Returns the twin's reconstruction (host values) for further checks.
template <class R, class D, class RefMethod, class DevMethod>
std::vector<typename R::scalar_type> check_method_agreement(RefMethod& ref, DevMethod& dev, Shape4 ys,
                                                            const std::vector<typename R::scalar_type>& y, Shape4 us,
                                                            const std::vector<typename R::scalar_type>& du, double tol) {
  using T = typename R::scalar_type;
  typename RefMethod::context ref_ctx;
  typename DevMethod::context dev_ctx;
  const auto u_ref = R::to_host(ref.forward(R::from_host(ys, std::span<const T>(y)), ref_ctx));
  const auto u_dev = D::to_host(dev.forward(D::from_host(ys, std::span<const T>(y)), dev_ctx));
  CHECK(relative_difference(u_dev, u_ref) <= tol);
  const auto dy_ref = R::to_host(ref.backward(ref_ctx, R::from_host(us, std::span<const T>(du))));
  const auto dy_dev = D::to_host(dev.backward(dev_ctx, D::from_host(us, std::span<const T>(du))));
  CHECK(relative_difference(dy_dev, dy_ref) <= tol);
  std::vector<std::pair<std::string, std::vector<T>>> grads;
  ref.visit_parameters("", [&](const std::string& name, nn::Parameter<R>& p) { grads.emplace_back(name, R::to_host(p.grad)); });
  std::size_t k = 0;
  dev.visit_parameters("", [&](const std::string& name, nn::Parameter<D>& p) {
    REQUIRE(k < grads.size());
    CAPTURE(name);
    CHECK(name == grads[k].first);
    CHECK(relative_difference(D::to_host(p.grad), grads[k].second) <= tol);
    ++k;
  });
  CHECK(k == grads.size());
  return u_dev;
}

}  // namespace eqr::testing
