/// @file operators/image_operators.hpp
/// The image-domain forward operators on any backend: Identity (denoising), PixelMask (inpainting) and Blur
/// (deblurring by convolution with a small kernel, zero boundary), each with its exact adjoint. Domain and
/// range are both N×C×H×W; every channel is treated the same way. They are written with the backend's own
/// primitives (`clone`, `multiply_planes`, `conv2d` and its data gradient), so they need no kernels of
/// their own.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// The identity operator on N×C×H×W batches of backend B: the forward model of denoising, y = u + noise.
template <TensorBackend B>
class Identity {
 public:
  using backend = B;
  using tensor_type = typename B::tensor_type;

  /// The identity on images of `channels` channels of size `height`×`width` (all ≥ 1).
  Identity(std::size_t height, std::size_t width, std::size_t channels = 1) : c_(channels), h_(height), w_(width) {
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1, shape_error,
                "Identity: expected channels, height and width ≥ 1, found ", channels, ", ", height, ", ", width);
  }
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  [[nodiscard]] tensor_type apply(const tensor_type& x) const {
    expect_batch<B>(x, [this](std::size_t n) { return domain_shape(n); }, "Identity::apply");
    return B::clone(x);
  }
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const {
    expect_batch<B>(y, [this](std::size_t n) { return range_shape(n); }, "Identity::adjoint");
    return B::clone(y);
  }

 private:
  std::size_t c_, h_, w_;
};

/// The pixel mask M on backend B: (Mx)(n, c, i, j) = m(i, j)·x(n, c, i, j), the forward model of inpainting
/// (m ∈ {0, 1} marks the observed pixels; any finite weights are allowed). M is diagonal, hence self-adjoint.
template <TensorBackend B>
class PixelMask {
 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;

  /// The mask operator for the height×width row-major weights `mask`, applied to every one of `channels`
  /// channels.
  template <HostArray Mask>
  PixelMask(std::size_t height, std::size_t width, const Mask& mask, std::size_t channels = 1) : c_(channels) {
    const std::vector<scalar_type> m = host_values<scalar_type>(mask);
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1 && m.size() == height * width, shape_error,
                "PixelMask: expected a non-empty ", height, "×", width, " mask (", height * width,
                " values) and ≥ 1 channel, found ", m.size(), " values and ", channels, " channels");
    for (const scalar_type v : m)
      EQR_EXPECTS(std::isfinite(v), value_error, "PixelMask: expected finite mask values, found ", v);
    mask_ = std::make_shared<const tensor_type>(B::from_host({1, 1, height, width}, m));
  }
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const {
    const Shape4 m = B::shape(*mask_);
    return {n, c_, m.h, m.w};
  }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return domain_shape(n); }
  [[nodiscard]] tensor_type apply(const tensor_type& x) const {
    expect_batch<B>(x, [this](std::size_t n) { return domain_shape(n); }, "PixelMask::apply");
    return B::multiply_planes(x, *mask_);
  }
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const {
    expect_batch<B>(y, [this](std::size_t n) { return range_shape(n); }, "PixelMask::adjoint");
    return B::multiply_planes(y, *mask_);
  }
  /// The weights as a 1 × 1 × H × W tensor of the backend.
  [[nodiscard]] const tensor_type& mask() const { return *mask_; }

 private:
  std::shared_ptr<const tensor_type> mask_;
  std::size_t c_;
};

/// The blur B on backend Bk: 2-D convolution of every channel with a small kernel k of odd size kh×kw, zero
/// boundary, the output the size of the input ("same" convolution):
///   (Bx)(i, j) = Σ_{a,b} k(a, b) · x(i − a + ⌊kh/2⌋, j − b + ⌊kw/2⌋),  x = 0 outside the image.
/// Its adjoint is the correlation with the same kernel, (Bᵀy)(p, q) = Σ_{a,b} k(a, b) · y(p + a − ⌊kh/2⌋,
/// q + b − ⌊kw/2⌋) — the same weights read the other way, so ⟨Bx, y⟩ = ⟨x, Bᵀy⟩ exactly.
///
/// On the backend: the backend's `conv2d` is a cross-correlation with square kernels, so B is `conv2d` with
/// the flipped kernel k̃(a, b) = k(kh−1−a, kw−1−b), zero-padded to K×K, K = max(kh, kw), placed on the
/// diagonal of a C×C×K×K weight (channel c only reads channel c), and Bᵀ is `conv2d_backward_data` with the
/// same weight — the transpose of that very map.
template <TensorBackend Bk>
class Blur {
 public:
  using backend = Bk;
  using scalar_type = typename Bk::scalar_type;
  using tensor_type = typename Bk::tensor_type;

  /// The blur of `channels`-channel height×width images by the kh×kw row-major `kernel` (odd sizes, finite
  /// values).
  template <HostArray Kernel>
  Blur(const Kernel& kernel, std::size_t kh, std::size_t kw, std::size_t height, std::size_t width,
       std::size_t channels = 1)
      : c_(channels), h_(height), w_(width) {
    const std::vector<scalar_type> k = host_values<scalar_type>(kernel);
    EQR_EXPECTS(kh % 2 == 1 && kw % 2 == 1 && k.size() == kh * kw, shape_error,
                "Blur: expected a kernel of odd height and width with kh·kw values, found ", kh, "×", kw, " and ",
                k.size(), " values");
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1, shape_error,
                "Blur: expected channels, height and width ≥ 1, found ", channels, ", ", height, ", ", width);
    for (const scalar_type v : k)
      EQR_EXPECTS(std::isfinite(v), value_error, "Blur: expected finite kernel values, found ", v);
    const std::size_t K = std::max(kh, kw), ra = (K - kh) / 2, rb = (K - kw) / 2;
    std::vector<scalar_type> w(c_ * c_ * K * K, scalar_type(0));
    for (std::size_t c = 0; c < c_; ++c)
      for (std::size_t a = 0; a < kh; ++a)
        for (std::size_t b = 0; b < kw; ++b)
          w[((c * c_ + c) * K + ra + a) * K + rb + b] = k[(kh - 1 - a) * kw + (kw - 1 - b)];
    weight_ = std::make_shared<const tensor_type>(Bk::from_host({c_, c_, K, K}, w));
  }
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return {n, c_, h_, w_}; }

  [[nodiscard]] tensor_type apply(const tensor_type& x) const {
    expect_batch<Bk>(x, [this](std::size_t n) { return domain_shape(n); }, "Blur::apply");
    return Bk::conv2d(x, *weight_, Padding::zeros);
  }
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const {
    expect_batch<Bk>(y, [this](std::size_t n) { return range_shape(n); }, "Blur::adjoint");
    return Bk::conv2d_backward_data(y, *weight_, Padding::zeros);
  }
  /// The C×C×K×K convolution weight (the flipped kernel on the diagonal).
  [[nodiscard]] const tensor_type& weight() const { return *weight_; }

 private:
  std::size_t c_, h_, w_;
  std::shared_ptr<const tensor_type> weight_;
};

}  // namespace eqr
