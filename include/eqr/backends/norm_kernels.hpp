/// @file backends/norm_kernels.hpp
/// The norm-nonlinearity customisation point: `norm_kernels<B>` computes the norm ReLU of
/// `NormNonlinearity` (layers/nonlinearities.hpp) and its reverse mode on backend B,
///
///     y_f = s(|x_f|)·x_f,  s(n) = ReLU(n + b_f)/n for n > ε, 0 for n ≤ ε,
///     dx_f = s·dy_f + s'(n)·⟨dy_f, x_f⟩·x_f/n,  s'(n) = (H(n + b)·n − ReLU(n + b))/n²,
///     ∇b_f = Σ_pixels H(n + b)·⟨dy_f, x_f⟩/n          (H(0) = 0; zero where n ≤ ε),
///
/// for each field f (its d channels at one pixel). The fields are given as runs of consecutive fields of one
/// size, which lets a device handle a whole run as one N × m × d × H × W view. The primary template runs
/// on the host in double (every backend); LibTorch specialises it to run on the device
/// (backends/torch/norm_kernels.hpp), so the layer makes no host round trip there.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// `fields` consecutive fields of `size` channels each, the first at channel `first_channel`; its first
/// field is field number `first_field` of the feature map (the index of its bias).
struct FieldRun {
  std::size_t first_channel = 0;
  std::size_t size = 0;
  std::size_t fields = 0;
  std::size_t first_field = 0;
};

/// The norm nonlinearity's kernels on backend B (see the file comment); this primary template runs on the host.
template <class B>
struct norm_kernels {
  using scalar = typename B::scalar_type;
  using tensor = typename B::tensor_type;

  /// y = s(|x_f|)·x_f for every field of every run; `bias` is 1 × F × 1 × 1.
  static tensor forward(std::span<const FieldRun> runs, const tensor& x, const tensor& bias, double epsilon) {
    const Shape4 s = B::shape(x);
    const auto in = B::to_host(x);
    const auto b = B::to_host(bias);
    std::vector<scalar> out(in.size(), scalar(0));
    for_each_field_pixel(runs, s, [&](std::size_t field, std::size_t base, std::size_t d) {
      const double n = norm(in, base, d, s.plane());
      const double m = (n <= epsilon || n + b[field] <= 0) ? 0.0 : (n + b[field]) / n;
      for (std::size_t c = 0; c < d; ++c) out[base + c * s.plane()] = static_cast<scalar>(m * in[base + c * s.plane()]);
    });
    return B::from_host(s, out);
  }
  /// {dx, ∇b (1 × F × 1 × 1)} for the forward input x and the output gradient dy.
  static std::pair<tensor, tensor> backward(std::span<const FieldRun> runs, const tensor& x, const tensor& dy,
                                            const tensor& bias, double epsilon) {
    const Shape4 s = B::shape(x);
    const auto xv = B::to_host(x);
    const auto g = B::to_host(dy);
    const auto b = B::to_host(bias);
    std::vector<scalar> dx(xv.size(), scalar(0));
    std::vector<double> db(b.size(), 0.0);
    for_each_field_pixel(runs, s, [&](std::size_t field, std::size_t base, std::size_t d) {
      const double n = norm(xv, base, d, s.plane());
      if (n <= epsilon) return;
      const double bf = b[field];
      const double active = n + bf > 0 ? 1.0 : 0.0;
      const double m = active * (n + bf) / n;
      const double dm = (active * n - active * (n + bf)) / (n * n);  // s'(n)
      double inner = 0;
      for (std::size_t c = 0; c < d; ++c) inner += static_cast<double>(g[base + c * s.plane()]) * xv[base + c * s.plane()];
      for (std::size_t c = 0; c < d; ++c) {
        const std::size_t at = base + c * s.plane();
        dx[at] = static_cast<scalar>(m * g[at] + dm * inner * xv[at] / n);
      }
      db[field] += active * inner / n;
    });
    const std::vector<scalar> dbt(db.begin(), db.end());
    return {B::from_host(s, dx), B::from_host(B::shape(bias), dbt)};
  }

 private:
  static double norm(const std::vector<scalar>& v, std::size_t base, std::size_t d, std::size_t plane) {
    double sq = 0;
    for (std::size_t c = 0; c < d; ++c) sq += static_cast<double>(v[base + c * plane]) * v[base + c * plane];
    return std::sqrt(sq);
  }
  /// Calls f(field index, index of the field's first channel at this pixel, field size) for every image,
  /// field and pixel; the field's channel c at that pixel is at base + c·H·W.
  template <class Fn>
  static void for_each_field_pixel(std::span<const FieldRun> runs, const Shape4& s, Fn&& f) {
    for (std::size_t n = 0; n < s.n; ++n)
      for (const FieldRun& r : runs)
        for (std::size_t k = 0; k < r.fields; ++k) {
          const std::size_t first = (n * s.c + r.first_channel + k * r.size) * s.plane();
          for (std::size_t p = 0; p < s.plane(); ++p) f(r.first_field + k, first + p, r.size);
        }
  }
};

}  // namespace eqr
