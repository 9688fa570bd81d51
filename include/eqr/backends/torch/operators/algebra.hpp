/// @file backends/torch/operators/algebra.hpp
/// The `TorchLinearOperator` concept for forward operators on a LibTorch device, and the two checks every
/// such operator is held to, with the CPU algebra's definitions (operators/concepts.hpp): the adjoint
/// (dot-product) test and the operator norm by the power method.  Random inputs are drawn on the host with
/// the library's seeded `Random` exactly as the CPU functions draw them, so a device operator and its CPU
/// twin are tested with the same vectors; all sums are accumulated in double.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>

#include "eqr/backends/torch/xtensor_interop.hpp"
#include "eqr/config.hpp"
#include "eqr/core/random.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::libtorch {

/// A linear map between batched N×C×H×W `torch::Tensor`s on one device, acting on each batch item
/// independently: `Op::value_type` (float or double), `a.apply(x)`, `a.adjoint(y)`, `a.domain_shape(n)`,
/// `a.range_shape(n)` (`eqr::TensorShape`) and `a.device()`, with the semantics of `eqr::LinearOperator`.
template <class Op>
concept TorchLinearOperator =
    requires { typename Op::value_type; } && RealScalar<typename Op::value_type> &&
    requires(const Op& a, const torch::Tensor& t, std::size_t n) {
      { a.apply(t) } -> std::same_as<torch::Tensor>;
      { a.adjoint(t) } -> std::same_as<torch::Tensor>;
      { a.domain_shape(n) } -> std::same_as<TensorShape>;
      { a.range_shape(n) } -> std::same_as<TensorShape>;
      { a.device() } -> std::convertible_to<torch::Device>;
    };

/// The Euclidean inner product Σ aᵢbᵢ of two equally sized tensors, accumulated in double (on the device).
inline double inner_in_double(const torch::Tensor& a, const torch::Tensor& b) {
  EQR_EXPECTS(a.sizes() == b.sizes(), shape_error, "libtorch::inner_in_double: expected equal shapes, found ",
              detail::sizes_string(a), " and ", detail::sizes_string(b));
  return (a.to(torch::kFloat64) * b.to(torch::kFloat64)).sum().item<double>();
}

/// The Euclidean norm of a tensor, accumulated in double.
inline double norm_in_double(const torch::Tensor& a) { return std::sqrt(inner_in_double(a, a)); }

/// A seeded standard normal batch of the given shape on `device`: the same numbers as
/// `eqr::random_normal<T>(shape, rng)` for the same `rng` state.
template <RealScalar T>
torch::Tensor random_normal(const TensorShape& shape, Random& rng, torch::Device device) {
  return to_torch(eqr::random_normal<T>(shape, rng), device);
}

/// The adjoint test |⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖·‖y‖) for seeded standard normal x, y (a batch of `batch`
/// items, drawn as `eqr::adjoint_mismatch` draws them), sums in double; rounding only for an exact transpose.
template <TorchLinearOperator A>
double adjoint_mismatch(const A& a, std::uint64_t seed = 0, std::size_t batch = 2) {
  using T = typename A::value_type;
  Random rng(seed);
  const auto x = random_normal<T>(a.domain_shape(batch), rng, a.device());
  const auto y = random_normal<T>(a.range_shape(batch), rng, a.device());
  const auto ax = a.apply(x);
  const auto aty = a.adjoint(y);
  const double lhs = inner_in_double(ax, y), rhs = inner_in_double(x, aty);
  const double scale = norm_in_double(ax) * norm_in_double(y);
  if (scale == 0.0)
    return std::abs(lhs - rhs) == 0.0 ? 0.0 : std::abs(lhs - rhs) / (norm_in_double(x) * norm_in_double(aty));
  return std::abs(lhs - rhs) / scale;
}

/// The operator norm ‖A‖ by the power method on AᵀA from the seeded start of `eqr::opnorm` (one batch
/// item): v ← AᵀA v / ‖AᵀA v‖, returning √‖AᵀA v‖ after `iterations` steps (from below towards ‖A‖).
template <TorchLinearOperator A>
double opnorm(const A& a, int iterations = 100, std::uint64_t seed = 0) {
  using T = typename A::value_type;
  EQR_EXPECTS(iterations >= 1, value_error, "libtorch::opnorm: expected at least 1 iteration, found ", iterations);
  Random rng(seed);
  torch::Tensor v = random_normal<T>(a.domain_shape(1), rng, a.device());
  double nv = norm_in_double(v), lambda = 0.0;
  for (int it = 0; it < iterations; ++it) {
    v = v / nv;
    torch::Tensor w = a.adjoint(a.apply(v));
    const double nw = norm_in_double(w);
    lambda = nw;
    if (nw == 0.0) return 0.0;
    v = std::move(w);
    nv = nw;
  }
  return std::sqrt(lambda);
}

}  // namespace eqr::libtorch
