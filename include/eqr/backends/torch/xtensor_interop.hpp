/// @file backends/torch/xtensor_interop.hpp
/// Copies between the CPU library's `xt::xtensor<T, 4>` batches and `torch::Tensor`s on any LibTorch device,
/// both row-major N×C×H×W, so a CPU operator and its device twin can be fed the same numbers.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include <xtensor/xtensor.hpp>

#include "eqr/backends/torch/operators/detail/tensor_checks.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::libtorch {

/// A copy of the 4-d CPU batch `x` as a contiguous tensor of scalar T on `device`.
template <RealScalar T>
torch::Tensor to_torch(const xt::xtensor<T, 4>& x, torch::Device device = torch::kCPU) {
  const auto& s = x.shape();
  const std::array<std::int64_t, 4> sizes = {static_cast<std::int64_t>(s[0]), static_cast<std::int64_t>(s[1]),
                                             static_cast<std::int64_t>(s[2]), static_cast<std::int64_t>(s[3])};
  return torch::from_blob(const_cast<T*>(x.data()), sizes, torch::TensorOptions().dtype(detail::operator_dtype<T>()))
      .to(device, /*non_blocking=*/false, /*copy=*/true);
}

/// A copy of the 4-d tensor `t` (scalar T, any device, any strides) as a CPU `xt::xtensor<T, 4>`; throws
/// shape_error for another rank and value_error for another dtype.
template <RealScalar T>
xt::xtensor<T, 4> to_xtensor(const torch::Tensor& t) {
  EQR_EXPECTS(
      t.defined() && t.dim() == 4, shape_error, "to_xtensor: expected a 4-d tensor, found ",
      t.defined() ? std::to_string(t.dim()) + "-d " + detail::sizes_string(t) : std::string("an undefined tensor"));
  EQR_EXPECTS(t.scalar_type() == detail::operator_dtype<T>(), value_error, "to_xtensor: expected dtype ",
              detail::torch_name(detail::operator_dtype<T>()), ", found ", detail::torch_name(t.scalar_type()));
  const torch::Tensor host = t.to(torch::kCPU).contiguous();
  xt::xtensor<T, 4> x = xt::xtensor<T, 4>::from_shape(detail::shape_of(host));
  std::copy(host.data_ptr<T>(), host.data_ptr<T>() + host.numel(), x.data());
  return x;
}

}  // namespace eqr::libtorch
