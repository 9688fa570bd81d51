/// @file algorithms/tv_backend.hpp
/// The total-variation building blocks on a tensor backend B, written on B's primitives only, so that the TV
/// solvers run where B's tensors live (LibTorch's CPU and CUDA devices) without a host round trip:
///
/// | math (tv.hpp)                                   | on backend B                                             |
/// |-------------------------------------------------|----------------------------------------------------------|
/// | ∇u, forward differences, Neumann boundary        | `conv2d(u, D, replicate)`, D: 2C × C × 3 × 3 (below)      |
/// | div p = −∇ᵀp                                     | `−conv2d_backward_data(p, D, replicate)` (exact adjoint)  |
/// | Π_{|·|≤r}(z) = z·min(1, r/|z|), pointwise         | z − ReLU(|z| − r)/|z|·z: the norm ReLU with bias −r       |
/// | Π_[lo,hi](u)                                     | lo + ReLU(u − lo), then hi − ReLU(hi − ·)                |
///
/// D holds, for each channel c, the stencils −u[i,j] + u[i+1,j] (output channel 2c, ∂ᵢ) and
/// −u[i,j] + u[i,j+1] (output channel 2c+1, ∂ⱼ) at the centre of a 3 × 3 kernel. Replicate padding repeats
/// the last row and column, so ∂ᵢ vanishes on the last row and ∂ⱼ on the last column: exactly the Neumann
/// gradient of `discrete_gradient`, and a gradient field N × 2C × H × W here has the memory layout of the
/// host's N × C × 2 × H × W. The pointwise magnitude is taken over all 2C channels, as in tv.hpp (vectorial
/// TV). The ball projection is computed as z minus the norm ReLU of z, which loses relative precision when
/// |z| ≫ r; in the TV solvers z is the previous dual point (|p| ≤ r) plus one step, so |z| stays of order r.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "eqr/algorithms/prox.hpp"
#include "eqr/backends/concepts.hpp"
#include "eqr/backends/norm_kernels.hpp"
#include "eqr/config.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// The discrete gradient ∇ and divergence div = −∇ᵀ of C-channel images on backend B (see the file comment).
template <TensorBackend B>
class BackendGradient {
 public:
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;

  /// The gradient of images with `channels` channels; throws value_error for zero channels.
  explicit BackendGradient(std::size_t channels) : channels_(channels) {
    EQR_EXPECTS(channels >= 1, value_error, "BackendGradient: expected at least one channel, found 0");
    std::vector<scalar> d(2 * channels * channels * 9, scalar(0));
    const auto at = [&](std::size_t out, std::size_t in, std::size_t a, std::size_t b) -> scalar& {
      return d[((out * channels + in) * 3 + a) * 3 + b];
    };
    for (std::size_t c = 0; c < channels; ++c) {
      at(2 * c, c, 1, 1) = scalar(-1);  // ∂ᵢ: u[i+1, j] − u[i, j]
      at(2 * c, c, 2, 1) = scalar(1);
      at(2 * c + 1, c, 1, 1) = scalar(-1);  // ∂ⱼ: u[i, j+1] − u[i, j]
      at(2 * c + 1, c, 1, 2) = scalar(1);
    }
    stencils_ = B::from_host(Shape4{2 * channels, channels, 3, 3}, std::span<const scalar>(d));
  }

  /// The channels C of the images.
  [[nodiscard]] std::size_t channels() const { return channels_; }
  /// The shape N × 2C × H × W of the gradient field of images of shape `image`.
  [[nodiscard]] Shape4 field_shape(const Shape4& image) const { return Shape4{image.n, 2 * channels_, image.h, image.w}; }

  /// ∇u for images u (N × C × H × W): N × 2C × H × W, channel 2c = ∂ᵢu_c, 2c+1 = ∂ⱼu_c.
  [[nodiscard]] tensor gradient(const tensor& u) const {
    expect_channels(B::shape(u).c, channels_, "BackendGradient::gradient (images N×C×H×W)");
    return B::conv2d(u, stencils_, Padding::replicate);
  }
  /// div p = −∇ᵀp for a gradient field p (N × 2C × H × W): N × C × H × W.
  [[nodiscard]] tensor divergence(const tensor& p) const {
    expect_channels(B::shape(p).c, 2 * channels_, "BackendGradient::divergence (fields N×2C×H×W)");
    tensor out = B::conv2d_backward_data(p, stencils_, Padding::replicate);
    B::scale(out, scalar(-1));
    return out;
  }

 private:
  static void expect_channels(std::size_t found, std::size_t want, const char* what) {
    EQR_EXPECTS(found == want, shape_error, what, ": expected ", want, " channels, found ", found);
  }

  std::size_t channels_;
  tensor stencils_;
};

/// Π_{|·|≤radius}(z) for a gradient field z (N × 2C × H × W): each pixel's 2C values scaled onto the ball
/// of `radius` ≥ 0 when they lie outside it (see the file comment).
template <TensorBackend B>
[[nodiscard]] typename B::tensor_type project_to_balls(const typename B::tensor_type& z, double radius) {
  using scalar = typename B::scalar_type;
  EQR_EXPECTS(std::isfinite(radius) && radius >= 0.0, value_error,
              "project_to_balls: expected a finite radius >= 0, found ", radius);
  const Shape4 s = B::shape(z);
  const FieldRun all{0, s.c, 1, 0};
  const auto bias = B::full(Shape4{1, 1, 1, 1}, static_cast<scalar>(-radius));
  const auto outside = norm_kernels<B>::forward(std::span<const FieldRun>(&all, 1), z, bias,
                                                 static_cast<double>(std::numeric_limits<scalar>::min()));
  return B::subtract(z, outside);
}

/// Π_C(u) for the box C = [lower, upper] of `box`, entry by entry (a bound at ±∞ is not applied).
template <TensorBackend B>
[[nodiscard]] typename B::tensor_type project_to_box(typename B::tensor_type u, const Box& box) {
  using scalar = typename B::scalar_type;
  const Shape4 s = B::shape(u);
  const auto relu = Activation::relu();
  if (std::isfinite(box.lower())) {  // lo + ReLU(u − lo)
    const auto lo = static_cast<scalar>(box.lower());
    if (lo != scalar(0)) B::axpy(scalar(-1), B::full(s, lo), u);
    u = B::activation_forward(u, relu);
    if (lo != scalar(0)) B::axpy(scalar(1), B::full(s, lo), u);
  }
  if (std::isfinite(box.upper())) {  // hi − ReLU(hi − u)
    const auto hi = static_cast<scalar>(box.upper());
    auto gap = B::full(s, hi);
    B::axpy(scalar(-1), u, gap);
    u = B::full(s, hi);
    B::axpy(scalar(-1), B::activation_forward(gap, relu), u);
  }
  return u;
}

}  // namespace eqr
