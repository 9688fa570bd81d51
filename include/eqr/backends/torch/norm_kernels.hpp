/// @file backends/torch/norm_kernels.hpp
/// The LibTorch backend's norm-nonlinearity kernels (`norm_kernels<TorchBackend<T, D>>`,
/// backends/norm_kernels.hpp): each run of equally sized fields is one N × m × d × H × W view, and the norms,
/// multipliers and their derivatives are elementwise device operators in T — no host transfer.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <span>
#include <utility>

#include "eqr/backends/norm_kernels.hpp"
#include "eqr/backends/torch/torch_backend.hpp"

namespace eqr {

/// The norm-nonlinearity kernels of the LibTorch backend (the same members as the primary template).
template <Real T, DeviceKind D>
struct norm_kernels<libtorch::TorchBackend<T, D>> {
  using backend = libtorch::TorchBackend<T, D>;
  using tensor = typename backend::tensor_type;

  static tensor forward(std::span<const FieldRun> runs, const tensor& x, const tensor& bias, double epsilon) {
    const Shape4 s = backend::shape(x);
    tensor y = torch::zeros_like(x);
    for (const FieldRun& r : runs) {
      const Run v = view(r, s, x, bias);
      const torch::Tensor active = (v.norm > epsilon).logical_and(v.norm + v.bias > 0);
      const torch::Tensor m = torch::where(active, (v.norm + v.bias) / v.norm.clamp_min(epsilon), torch::zeros_like(v.norm));
      y.narrow(1, channel(r), width(r)).copy_((m * v.x).reshape({v.x.size(0), width(r), v.x.size(3), v.x.size(4)}));
    }
    return y;
  }
  static std::pair<tensor, tensor> backward(std::span<const FieldRun> runs, const tensor& x, const tensor& dy,
                                            const tensor& bias, double epsilon) {
    const Shape4 s = backend::shape(x);
    tensor dx = torch::zeros_like(x);
    tensor db = torch::zeros_like(bias);
    for (const FieldRun& r : runs) {
      const Run v = view(r, s, x, bias);
      const torch::Tensor g = dy.narrow(1, channel(r), width(r)).reshape(v.x.sizes());
      const torch::Tensor n = v.norm.clamp_min(epsilon);
      const torch::Tensor alive = v.norm > epsilon;
      const torch::Tensor active = alive.logical_and(v.norm + v.bias > 0).to(x.scalar_type());
      const torch::Tensor m = active * (v.norm + v.bias) / n;
      const torch::Tensor dm = -active * v.bias / (n * n);  // (H·n − H·(n + b))/n²
      const torch::Tensor inner = (g * v.x).sum(2, true);
      const torch::Tensor dxr = torch::where(alive, m * g + dm * inner * v.x / n, torch::zeros_like(g));
      dx.narrow(1, channel(r), width(r)).copy_(dxr.reshape({v.x.size(0), width(r), v.x.size(3), v.x.size(4)}));
      const torch::Tensor per_field = torch::where(alive, active * inner / n, torch::zeros_like(inner)).sum({0, 2, 3, 4});
      db.narrow(1, static_cast<std::int64_t>(r.first_field), static_cast<std::int64_t>(r.fields))
          .add_(per_field.view({1, static_cast<std::int64_t>(r.fields), 1, 1}));
    }
    return {dx, db};
  }

 private:
  /// A run's input as N × m × d × H × W, its norms N × m × 1 × H × W and its biases 1 × m × 1 × 1 × 1.
  struct Run {
    torch::Tensor x, norm, bias;
  };
  static std::int64_t channel(const FieldRun& r) { return static_cast<std::int64_t>(r.first_channel); }
  static std::int64_t width(const FieldRun& r) { return static_cast<std::int64_t>(r.fields * r.size); }
  static Run view(const FieldRun& r, const Shape4& s, const tensor& x, const tensor& bias) {
    const auto m = static_cast<std::int64_t>(r.fields), d = static_cast<std::int64_t>(r.size);
    const torch::Tensor xr = x.narrow(1, channel(r), width(r))
                                 .reshape({static_cast<std::int64_t>(s.n), m, d, static_cast<std::int64_t>(s.h),
                                           static_cast<std::int64_t>(s.w)});
    const torch::Tensor b = bias.reshape({-1}).narrow(0, static_cast<std::int64_t>(r.first_field), m).view({1, m, 1, 1, 1});
    return {xr, xr.pow(2).sum(2, true).sqrt(), b};
  }
};

}  // namespace eqr
