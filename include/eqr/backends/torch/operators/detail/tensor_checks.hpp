/// @file backends/torch/operators/detail/tensor_checks.hpp
/// Input checks shared by the device operators: a batch must be a 4-d tensor of the operator's scalar type on
/// the operator's device with the expected shape, otherwise an eqr exception says what was expected and what
/// was found.  Also the LibTorch dtype of a scalar type and the shape of a tensor as an `eqr::TensorShape`.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <sstream>
#include <string>

#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::libtorch::detail {

/// The LibTorch dtype of a real scalar type: float → kFloat32, double → kFloat64.
template <RealScalar T>
constexpr torch::Dtype operator_dtype() {
  return std::is_same_v<T, float> ? torch::kFloat32 : torch::kFloat64;
}

/// A device or dtype printed the way LibTorch prints it ("cpu", "cuda:0", "Float", …).
template <class V>
std::string torch_name(const V& v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// The sizes of a tensor as "(a, b, …)" for error messages.
inline std::string sizes_string(const torch::Tensor& t) {
  std::string s = "(";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

/// The shape {N, C, H, W} of a 4-d tensor (the caller has checked that it is 4-d).
inline TensorShape shape_of(const torch::Tensor& t) {
  return {static_cast<std::size_t>(t.size(0)), static_cast<std::size_t>(t.size(1)),
          static_cast<std::size_t>(t.size(2)), static_cast<std::size_t>(t.size(3))};
}

/// Checks that `x` is a defined 4-d batch of scalar T on `device` whose shape is `expected(N)` for its own
/// batch size N; throws shape_error (rank, shape) or value_error (dtype, device) naming `what`.
template <RealScalar T, class ExpectedShape>
void expect_batch(const torch::Tensor& x, const torch::Device& device, ExpectedShape&& expected, const char* what) {
  EQR_EXPECTS(x.defined() && x.dim() == 4, shape_error, what, ": expected a 4-d N x C x H x W tensor, found ",
              x.defined() ? std::to_string(x.dim()) + "-d " + sizes_string(x) : std::string("an undefined tensor"));
  EQR_EXPECTS(x.scalar_type() == operator_dtype<T>(), value_error, what, ": expected dtype ",
              torch_name(operator_dtype<T>()), ", found ", torch_name(x.scalar_type()));
  EQR_EXPECTS(x.device() == device, value_error, what, ": expected a tensor on ", torch_name(device), ", found one on ",
              torch_name(x.device()));
  const TensorShape want = expected(static_cast<std::size_t>(x.size(0)));
  const TensorShape found = shape_of(x);
  EQR_EXPECTS(want == found, shape_error, what, ": expected a batch of shape ", eqr::detail::shape_string(want),
              ", found ", eqr::detail::shape_string(found));
}

}  // namespace eqr::libtorch::detail
