/// @file backends/training.hpp
/// The training customisation point: `training_primitives<B>`, the fused optimiser updates that the
/// `TensorBackend` concept lacks (Adam needs an elementwise square root and division), and the concept
/// `TrainingBackend<B>` = TensorBackend<B> + those primitives.
///
/// A backend opts in by specialising `training_primitives<B>` (the CPU one is in backends/cpu/training.hpp);
/// the concept stays separate from backends/concepts.hpp so that a backend can run inference without it.
/// Each primitive updates the tensors it is given in place and runs entirely on the backend's device.
#pragma once

#include <concepts>

#include "eqr/backends/concepts.hpp"

namespace eqr {

/// The scalars of one Adam step (Kingma & Ba 2015, Algorithm 1), already bias-corrected by the caller:
///
///     g ← ∇ + λ θ                      (only for L2 weight decay, `decoupled == false`)
///     m ← β1 m + (1 − β1) g
///     v ← β2 v + (1 − β2) g²
///     θ ← θ − lr·λ θ                    (only for decoupled weight decay, `decoupled == true`: AdamW)
///     θ ← θ − lr · (m / c1) / (√(v / c2) + ε),   c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ
///
/// This is PyTorch's `torch.optim.Adam` (L2, `weight_decay`) and `torch.optim.AdamW` (decoupled) exactly.
struct AdamStep {
  double lr = 1e-3;             ///< learning rate
  double beta1 = 0.9;           ///< first-moment decay β1
  double beta2 = 0.999;         ///< second-moment decay β2
  double eps = 1e-8;            ///< ε added to √v̂
  double weight_decay = 0.0;    ///< λ
  bool decoupled = false;       ///< false: L2 added to the gradient; true: AdamW's decoupled decay
  double bias_correction1 = 1;  ///< c1 = 1 − β1ᵗ
  double bias_correction2 = 1;  ///< c2 = 1 − β2ᵗ
};

/// The scalars of one Adam step in the parameters' type T, in the form every backend's fused update uses:
/// g ← ∇ + l2·θ;  m ← b1·m + one_b1·g;  v ← b2·v + one_b2·g²;  θ ← shrink·θ − step·m / (√(v·inv_c2) + eps).
template <std::floating_point T>
struct AdamScalars {
  T b1, b2, one_b1, one_b2, eps;
  T l2;      ///< λ for L2 weight decay, 0 for AdamW
  T shrink;  ///< 1 − lr·λ for AdamW, 1 otherwise
  T step;    ///< lr / c1
  T inv_c2;  ///< 1 / c2

  explicit AdamScalars(const AdamStep& s)
      : b1(static_cast<T>(s.beta1)), b2(static_cast<T>(s.beta2)), one_b1(static_cast<T>(1.0 - s.beta1)),
        one_b2(static_cast<T>(1.0 - s.beta2)), eps(static_cast<T>(s.eps)),
        l2(s.decoupled ? T(0) : static_cast<T>(s.weight_decay)),
        shrink(s.decoupled ? static_cast<T>(1.0 - s.lr * s.weight_decay) : T(1)),
        step(static_cast<T>(s.lr / s.bias_correction1)), inv_c2(static_cast<T>(1.0 / s.bias_correction2)) {}
};

/// Checks that Adam's moments and the gradient have the parameter's shape (shape_error naming which differs).
template <TensorBackend B>
void expect_adam_shapes(const typename B::tensor_type& value, const typename B::tensor_type& m,
                        const typename B::tensor_type& v, const typename B::tensor_type& grad) {
  const Shape4 shape = B::shape(value);
  expect_same_shape(shape, B::shape(m), "adam_update (first moment)");
  expect_same_shape(shape, B::shape(v), "adam_update (second moment)");
  expect_same_shape(shape, B::shape(grad), "adam_update (gradient)");
}

/// The scalars of one SGD step with momentum (PyTorch's `torch.optim.SGD`, dampening 0):
///
///     g ← ∇ + λ θ;   b ← μ b + g (b = g at the first step);   θ ← θ − lr · (nesterov ? g + μ b : b).
struct SgdStep {
  double lr = 1e-2;           ///< learning rate
  double momentum = 0.0;      ///< μ
  double weight_decay = 0.0;  ///< λ (L2, added to the gradient)
  bool nesterov = false;      ///< Nesterov momentum
  bool first = false;         ///< true at the first step: the buffer b is set to g instead of μ b + g
};

/// The customisation point: specialise for a backend B with
/// `static void adam_update(tensor& value, tensor& m, tensor& v, const tensor& grad, const AdamStep&)` and
/// `static void sgd_update(tensor& value, tensor& buffer, const tensor& grad, const SgdStep&)`.
/// The primary template is deliberately undefined: a backend without it is not a TrainingBackend.
template <class B>
struct training_primitives;

/// A tensor backend that can also train: `training_primitives<B>` provides the fused optimiser updates.
template <class B>
concept TrainingBackend =
    TensorBackend<B> && requires(typename B::tensor_type& t, const typename B::tensor_type& g, const AdamStep& adam,
                                 const SgdStep& sgd) {
      training_primitives<B>::adam_update(t, t, t, g, adam);
      training_primitives<B>::sgd_update(t, t, g, sgd);
    };

}  // namespace eqr
