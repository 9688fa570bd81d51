/// @file backends/cpu/training.hpp
/// The CPU specialisation of `training_primitives` (backends/training.hpp): the fused Adam and SGD updates
/// as one parallel elementwise loop each, computed in the tensor's scalar type with double-precision scalars
/// rounded once.
#pragma once

#include <cmath>
#include <cstddef>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/parallel.hpp"
#include "eqr/backends/training.hpp"

namespace eqr {

/// Fused optimiser updates for `cpu::CpuBackend<T, K>` (see `AdamStep` and `SgdStep` for the math).
template <Real T, cpu::ConvKernel K>
struct training_primitives<cpu::CpuBackend<T, K>> {
  using backend = cpu::CpuBackend<T, K>;
  using tensor = typename backend::tensor_type;

  /// One Adam step on (θ, m, v) with gradient g, in place.
  static void adam_update(tensor& value, tensor& m, tensor& v, const tensor& grad, const AdamStep& s) {
    expect_adam_shapes<backend>(value, m, v, grad);
    const AdamScalars<T> a(s);
    T* p = value.data();
    T* mp = m.data();
    T* vp = v.data();
    const T* gp = grad.data();
    cpu::parallel_chunks(value.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) {
        const T g = gp[i] + a.l2 * p[i];
        mp[i] = a.b1 * mp[i] + a.one_b1 * g;
        vp[i] = a.b2 * vp[i] + a.one_b2 * g * g;
        p[i] = a.shrink * p[i] - a.step * mp[i] / (std::sqrt(vp[i] * a.inv_c2) + a.eps);
      }
    });
  }

  /// One SGD-with-momentum step on (θ, b) with gradient g, in place.
  static void sgd_update(tensor& value, tensor& buffer, const tensor& grad, const SgdStep& s) {
    const Shape4 shape = backend::shape(value);
    expect_same_shape(shape, backend::shape(buffer), "sgd_update (momentum buffer)");
    expect_same_shape(shape, backend::shape(grad), "sgd_update (gradient)");
    const T lr = static_cast<T>(s.lr), mu = static_cast<T>(s.momentum), wd = static_cast<T>(s.weight_decay);
    const bool first = s.first, nesterov = s.nesterov, plain = s.momentum == 0.0;
    T* p = value.data();
    T* bp = buffer.data();
    const T* gp = grad.data();
    cpu::parallel_chunks(value.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) {
        const T g = gp[i] + wd * p[i];
        if (plain) {
          p[i] -= lr * g;
          continue;
        }
        bp[i] = first ? g : mu * bp[i] + g;
        p[i] -= lr * (nesterov ? g + mu * bp[i] : bp[i]);
      }
    });
  }
};

static_assert(TrainingBackend<cpu::CpuBackend<float>> && TrainingBackend<cpu::CpuBackend<double>>,
              "CpuBackend<float> and CpuBackend<double> must model TrainingBackend.");

}  // namespace eqr
