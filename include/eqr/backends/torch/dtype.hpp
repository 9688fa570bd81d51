/// @file backends/torch/dtype.hpp
/// The one map between the library's vocabulary and LibTorch's: the dtype of a scalar type and the
/// LibTorch device of a `DeviceKind`.
#pragma once

#include <torch/torch.h>

#include <concepts>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/scalar.hpp"

namespace eqr::libtorch {

/// The LibTorch dtype of the scalar type T: torch::kFloat32 or torch::kFloat64.
template <Real T>
[[nodiscard]] constexpr torch::ScalarType dtype_of() noexcept {
  return std::same_as<T, float> ? torch::kFloat32 : torch::kFloat64;
}

/// The LibTorch device of a device kind: the CPU, or CUDA device 0.
[[nodiscard]] inline torch::Device torch_device_of(DeviceKind kind) {
  return kind == DeviceKind::cpu ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, 0);
}

}  // namespace eqr::libtorch
