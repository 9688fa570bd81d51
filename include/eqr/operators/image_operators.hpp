/// @file operators/image_operators.hpp
/// The image-domain forward operators: Identity (denoising), PixelMask (inpainting) and Blur (deblurring by
/// convolution with a small kernel, zero boundary), each with its exact adjoint.  Domain and range are both
/// N×C×H×W; every channel is treated the same way.
#pragma once

#include <cmath>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// The identity operator on N×C×H×W batches: the forward model of denoising, y = u + noise.
template <RealScalar T>
class Identity {
 public:
  using value_type = T;
  using domain_type = xt::xtensor<T, 4>;
  using range_type = xt::xtensor<T, 4>;

  /// The identity on images of `channels` channels of size `height`×`width` (all ≥ 1).
  Identity(std::size_t height, std::size_t width, std::size_t channels = 1) : c_(channels), h_(height), w_(width) {
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1, shape_error,
                "Identity: expected channels, height and width ≥ 1, found ", channels, ", ", height, ", ", width);
  }
  TensorShape domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  TensorShape range_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  range_type apply(const domain_type& x) const {
    expect_shape(x, domain_shape(x.shape()[0]), "Identity::apply");
    return x;
  }
  domain_type adjoint(const range_type& y) const {
    expect_shape(y, range_shape(y.shape()[0]), "Identity::adjoint");
    return y;
  }

 private:
  std::size_t c_, h_, w_;
};

/// The pixel mask M: (Mx)(n, c, i, j) = m(i, j)·x(n, c, i, j), the forward model of inpainting (m ∈ {0, 1}
/// marks the observed pixels; any finite weights are allowed).  M is diagonal, hence self-adjoint.
template <RealScalar T>
class PixelMask {
 public:
  using value_type = T;
  using domain_type = xt::xtensor<T, 4>;
  using range_type = xt::xtensor<T, 4>;

  /// The mask operator for the H×W weights `mask` applied to every one of `channels` channels.
  explicit PixelMask(xt::xtensor<T, 2> mask, std::size_t channels = 1) : mask_(std::move(mask)), c_(channels) {
    EQR_EXPECTS(channels >= 1 && mask_.shape()[0] >= 1 && mask_.shape()[1] >= 1, shape_error,
                "PixelMask: expected a non-empty H×W mask and ≥ 1 channel, found a ", mask_.shape()[0], "×",
                mask_.shape()[1], " mask and ", channels, " channels");
    for (const T v : mask_)
      EQR_EXPECTS(std::isfinite(v), value_error, "PixelMask: expected finite mask values, found ", v);
  }
  TensorShape domain_shape(std::size_t n) const { return {n, c_, mask_.shape()[0], mask_.shape()[1]}; }
  TensorShape range_shape(std::size_t n) const { return domain_shape(n); }
  range_type apply(const domain_type& x) const { return multiply(x, "PixelMask::apply"); }
  domain_type adjoint(const range_type& y) const { return multiply(y, "PixelMask::adjoint"); }
  /// The H×W weights.
  const xt::xtensor<T, 2>& mask() const { return mask_; }

 private:
  xt::xtensor<T, 4> multiply(const xt::xtensor<T, 4>& x, const char* what) const {
    expect_shape(x, domain_shape(x.shape()[0]), what);
    xt::xtensor<T, 4> y = x;
    const std::size_t plane = mask_.size();
    const T* m = mask_.data();
    T* out = y.data();
    for (std::size_t p = 0; p < y.size(); p += plane)
      for (std::size_t k = 0; k < plane; ++k) out[p + k] *= m[k];
    return y;
  }

  xt::xtensor<T, 2> mask_;
  std::size_t c_;
};

/// The blur B: 2-D convolution of every channel with a small kernel k of odd size kh×kw, zero boundary, the
/// output the size of the input ("same" convolution):
///   (Bx)(i, j) = Σ_{a,b} k(a, b) · x(i − a + ⌊kh/2⌋, j − b + ⌊kw/2⌋),  x = 0 outside the image.
/// Its adjoint is the correlation with the same kernel, (Bᵀy)(p, q) = Σ_{a,b} k(a, b) · y(p + a − ⌊kh/2⌋,
/// q + b − ⌊kw/2⌋) — the same weights read the other way, so ⟨Bx, y⟩ = ⟨x, Bᵀy⟩ exactly.
template <RealScalar T>
class Blur {
 public:
  using value_type = T;
  using domain_type = xt::xtensor<T, 4>;
  using range_type = xt::xtensor<T, 4>;

  /// The blur of `channels`-channel images of size height×width by `kernel` (odd sizes, finite values).
  Blur(xt::xtensor<T, 2> kernel, std::size_t height, std::size_t width, std::size_t channels = 1)
      : k_(std::move(kernel)), c_(channels), h_(height), w_(width) {
    EQR_EXPECTS(k_.shape()[0] % 2 == 1 && k_.shape()[1] % 2 == 1, shape_error,
                "Blur: expected a kernel of odd height and width, found ", k_.shape()[0], "×", k_.shape()[1]);
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1, shape_error,
                "Blur: expected channels, height and width ≥ 1, found ", channels, ", ", height, ", ", width);
    for (const T v : k_) EQR_EXPECTS(std::isfinite(v), value_error, "Blur: expected finite kernel values, found ", v);
  }
  TensorShape domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  TensorShape range_shape(std::size_t n) const { return {n, c_, h_, w_}; }

  range_type apply(const domain_type& x) const {
    expect_shape(x, domain_shape(x.shape()[0]), "Blur::apply");
    return filter(x, false);
  }
  domain_type adjoint(const range_type& y) const {
    expect_shape(y, range_shape(y.shape()[0]), "Blur::adjoint");
    return filter(y, true);
  }
  /// The kernel k.
  const xt::xtensor<T, 2>& kernel() const { return k_; }

 private:
  /// Convolution (transpose = false) or correlation (transpose = true) of every plane, in double per pixel.
  xt::xtensor<T, 4> filter(const xt::xtensor<T, 4>& x, bool transpose) const {
    xt::xtensor<T, 4> y = xt::zeros<T>(x.shape());
    const long kh = static_cast<long>(k_.shape()[0]), kw = static_cast<long>(k_.shape()[1]);
    const long ch = kh / 2, cw = kw / 2, h = static_cast<long>(h_), w = static_cast<long>(w_);
    const std::size_t plane = h_ * w_;
    const T* k = k_.data();
    for (std::size_t p = 0; p < x.size(); p += plane) {
      const T* in = x.data() + p;
      T* out = y.data() + p;
      for (long i = 0; i < h; ++i)
        for (long j = 0; j < w; ++j) {
          double s = 0.0;
          for (long a = 0; a < kh; ++a) {
            const long si = transpose ? i + a - ch : i - a + ch;
            if (si < 0 || si >= h) continue;
            for (long b = 0; b < kw; ++b) {
              const long sj = transpose ? j + b - cw : j - b + cw;
              if (sj < 0 || sj >= w) continue;
              s += static_cast<double>(k[a * kw + b]) * static_cast<double>(in[si * w + sj]);
            }
          }
          out[i * w + j] = static_cast<T>(s);
        }
    }
    return y;
  }

  xt::xtensor<T, 2> k_;
  std::size_t c_, h_, w_;
};

}  // namespace eqr
