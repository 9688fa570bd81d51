/// @file backends/torch/training.hpp
/// The LibTorch specialisation of `training_primitives` (backends/training.hpp): the fused Adam and SGD
/// updates as in-place LibTorch operators on the backend's device, so `TorchBackend<T, D>` models
/// `TrainingBackend` and `eqr::train`, `nn::Adam` and `nn::Sgd` run on it unchanged.
///
/// The operations follow the CPU specialisation (backends/cpu/training.hpp) step by step, with the
/// double-precision scalars of `AdamStep` / `SgdStep` rounded once to T, so both backends compute the same
/// update up to the rounding of the individual tensor operations (the tests compare them to 1e-6 in float).
/// Training runs the library's own reverse mode (DESIGN.md §3b); LibTorch autograd is never involved.
#pragma once

#include <torch/torch.h>

#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/backends/training.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// Fused optimiser updates for `libtorch::TorchBackend<T, D>` (see `AdamStep` and `SgdStep` for the math).
template <Real T, DeviceKind D>
struct training_primitives<libtorch::TorchBackend<T, D>> {
  using backend = libtorch::TorchBackend<T, D>;
  using tensor = typename backend::tensor_type;

  /// One Adam step on (θ, m, v) with gradient g, in place:
  /// g ← ∇ + λθ (L2 only); m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
  /// θ ← shrink·θ − (lr / c1) · m / (√(v / c2) + ε), shrink = 1 − lr·λ for AdamW and 1 otherwise.
  static void adam_update(tensor& value, tensor& m, tensor& v, const tensor& grad, const AdamStep& s) {
    expect_adam_shapes<backend>(value, m, v, grad);
    const AdamScalars<T> a(s);
    const tensor g = a.l2 != T(0) ? grad + value * a.l2 : grad;
    m.mul_(a.b1).add_(g, a.one_b1);
    v.mul_(a.b2).addcmul_(g, g, a.one_b2);
    const tensor denominator = (v * a.inv_c2).sqrt_().add_(a.eps);
    if (a.shrink != T(1)) value.mul_(a.shrink);
    value.addcdiv_(m, denominator, -a.step);
  }

  /// One SGD-with-momentum step on (θ, b) with gradient g, in place:
  /// g ← ∇ + λθ; b ← g at the first step, μ b + g afterwards; θ ← θ − lr · (nesterov ? g + μ b : b);
  /// with μ = 0 simply θ ← θ − lr · g (the buffer is left alone).
  static void sgd_update(tensor& value, tensor& buffer, const tensor& grad, const SgdStep& s) {
    const Shape4 shape = backend::shape(value);
    expect_same_shape(shape, backend::shape(buffer), "sgd_update (momentum buffer)");
    expect_same_shape(shape, backend::shape(grad), "sgd_update (gradient)");
    const T lr = static_cast<T>(s.lr), mu = static_cast<T>(s.momentum), wd = static_cast<T>(s.weight_decay);
    const tensor g = wd != T(0) ? grad + value * wd : grad;
    if (s.momentum == 0.0) {
      value.add_(g, -lr);
      return;
    }
    if (s.first)
      buffer.copy_(g);
    else
      buffer.mul_(mu).add_(g);
    if (s.nesterov)
      value.add_(g + buffer * mu, -lr);
    else
      value.add_(buffer, -lr);
  }
};

static_assert(TrainingBackend<libtorch::TorchBackend<float>> && TrainingBackend<libtorch::TorchBackend<double>> &&
                  TrainingBackend<libtorch::TorchBackend<float, DeviceKind::cuda>>,
              "TorchBackend<float> and TorchBackend<double> must model TrainingBackend on the CPU and on CUDA.");

}  // namespace eqr
