/// @file operators/concepts.hpp
/// The `LinearOperator` concept: a linear map between batched N × C × H × W tensors of one tensor backend,
/// with its exact adjoint. Every forward operator of the library (Radon, FBP, MaskedFourier, Identity,
/// PixelMask, Blur), the algebra's results (operators/algebra.hpp) and a user's own operator model it, on
/// every backend: an operator is written once as `Op<B>` and runs wherever B's tensors live.
///
/// Operators act on each of the N batch items independently, so `apply` and `adjoint` take a batch of any
/// size n, and `domain_shape(n)` / `range_shape(n)` give the full shapes (`Shape4`) for that batch.
#pragma once

#include <concepts>
#include <cstddef>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// A linear map A between batched tensors of the backend `Op::backend`, acting on each batch item
/// independently.
///
/// Requirements, for `const Op& a` and tensors `x`, `y` of `Op::backend::tensor_type`:
/// - `a.domain_shape(n)`, `a.range_shape(n)`: the `Shape4` of a batch of n inputs and of n outputs;
/// - `a.apply(x)` = A x and `a.adjoint(y)` = Aᵀ y, batched; both throw `eqr::shape_error` for a batch whose
///   shape is not `domain_shape(N)` / `range_shape(N)` for its own N.
/// The adjoint is the transpose for the plain Euclidean inner products ⟨x, x'⟩ = Σ x·x' over all entries
/// (for complex images stored as two real channels this equals Re⟨x, x'⟩ of the complex vectors), so
/// ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ up to rounding (`adjoint_mismatch` measures it).
template <class Op>
concept LinearOperator =
    requires { typename Op::backend; } && TensorBackend<typename Op::backend> &&
    requires(const Op& a, const typename Op::backend::tensor_type& t, std::size_t n) {
      { a.apply(t) } -> std::same_as<typename Op::backend::tensor_type>;
      { a.adjoint(t) } -> std::same_as<typename Op::backend::tensor_type>;
      { a.domain_shape(n) } -> std::same_as<Shape4>;
      { a.range_shape(n) } -> std::same_as<Shape4>;
    };

/// `LinearOperatorOn<Op, B>`: Op is a linear operator on the tensors of backend B.
template <class Op, class B>
concept LinearOperatorOn = LinearOperator<Op> && std::same_as<typename Op::backend, B>;

/// Two linear operators that can be composed as Outer∘Inner: both on the same backend (the shapes are
/// checked when the composition is made).
template <class Outer, class Inner>
concept ComposableOperators =
    LinearOperator<Outer> && LinearOperator<Inner> && std::same_as<typename Outer::backend, typename Inner::backend>;

/// Throws shape_error unless the batch `x` has the shape `want(n)` for its own batch size n; `what` names
/// the operation (e.g. "Radon::apply (images N×1×H×W)"). Operators call it on every input.
template <TensorBackend B, class WantShape>
void expect_batch(const typename B::tensor_type& x, WantShape&& want, const char* what) {
  const Shape4 found = B::shape(x);
  expect_shape(found, want(found.n), what);
}

}  // namespace eqr
