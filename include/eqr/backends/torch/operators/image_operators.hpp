/// @file backends/torch/operators/image_operators.hpp
/// The image-domain forward operators on a LibTorch device — Identity (denoising), PixelMask (inpainting)
/// and Blur (deblurring) — the device twins of operators/image_operators.hpp with the same conventions:
/// N×C×H×W in and out, every channel treated alike, Blur a "same" convolution with zero boundary.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eqr/backends/torch/operators/detail/tensor_checks.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::libtorch {

namespace detail {

/// Copies `rows`×`cols` row-major host values to a tensor of shape `sizes` of scalar T on `device`.
template <RealScalar T>
torch::Tensor host_to_device(const std::vector<T>& values, torch::IntArrayRef sizes, torch::Device device) {
  return torch::from_blob(const_cast<T*>(values.data()), sizes, torch::TensorOptions().dtype(operator_dtype<T>()))
      .to(device, false, true);
}

}  // namespace detail

/// The identity on N×C×H×W batches on a LibTorch device (y = u + noise); apply and adjoint return copies.
template <RealScalar T>
class TorchIdentity {
 public:
  using value_type = T;

  /// The identity on `channels`-channel images of size height×width (all ≥ 1) on `device`.
  TorchIdentity(std::size_t height, std::size_t width, std::size_t channels = 1, torch::Device device = torch::kCPU)
      : c_(channels), h_(height), w_(width), device_(device) {
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1, shape_error,
                "TorchIdentity: expected channels, height and width ≥ 1, found ", channels, ", ", height, ", ", width);
  }
  TensorShape domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  TensorShape range_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  /// A copy of x.
  torch::Tensor apply(const torch::Tensor& x) const {
    detail::expect_batch<T>(x, device_, [this](std::size_t n) { return domain_shape(n); }, "TorchIdentity::apply");
    return x.clone(torch::MemoryFormat::Contiguous);
  }
  /// A copy of y.
  torch::Tensor adjoint(const torch::Tensor& y) const {
    detail::expect_batch<T>(y, device_, [this](std::size_t n) { return range_shape(n); }, "TorchIdentity::adjoint");
    return y.clone(torch::MemoryFormat::Contiguous);
  }
  torch::Device device() const { return device_; }

 private:
  std::size_t c_, h_, w_;
  torch::Device device_;
};

/// The pixel mask M on a LibTorch device: (Mx)(n, c, i, j) = m(i, j)·x(n, c, i, j); diagonal, hence
/// self-adjoint (the device twin of `eqr::PixelMask`).
template <RealScalar T>
class TorchPixelMask {
 public:
  using value_type = T;

  /// The operator for the height×width row-major weights `mask` (finite) on every one of `channels`
  /// channels, on `device`.
  TorchPixelMask(const std::vector<T>& mask, std::size_t height, std::size_t width, std::size_t channels = 1,
                 torch::Device device = torch::kCPU)
      : c_(channels), h_(height), w_(width), device_(device) {
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1 && mask.size() == height * width, shape_error,
                "TorchPixelMask: expected a non-empty ", height, "×", width, " mask (", height * width,
                " values) and ≥ 1 channel, found ", mask.size(), " values and ", channels, " channels");
    for (const T v : mask)
      EQR_EXPECTS(std::isfinite(v), value_error, "TorchPixelMask: expected finite mask values, found ", v);
    mask_ = detail::host_to_device(mask, {1, 1, static_cast<std::int64_t>(h_), static_cast<std::int64_t>(w_)}, device_);
  }
  TensorShape domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  TensorShape range_shape(std::size_t n) const { return domain_shape(n); }
  /// M x.
  torch::Tensor apply(const torch::Tensor& x) const {
    detail::expect_batch<T>(x, device_, [this](std::size_t n) { return domain_shape(n); }, "TorchPixelMask::apply");
    return (x * mask_).contiguous();
  }
  /// Mᵀ y = M y.
  torch::Tensor adjoint(const torch::Tensor& y) const {
    detail::expect_batch<T>(y, device_, [this](std::size_t n) { return range_shape(n); }, "TorchPixelMask::adjoint");
    return (y * mask_).contiguous();
  }
  /// The weights as a 1 × 1 × H × W tensor on the device.
  const torch::Tensor& mask() const { return mask_; }
  torch::Device device() const { return device_; }

 private:
  std::size_t c_, h_, w_;
  torch::Device device_;
  torch::Tensor mask_;
};

/// The blur B on a LibTorch device: 2-D convolution of every channel with a kh×kw kernel k (odd sizes),
/// zero boundary, output the size of the input (the device twin of `eqr::Blur`):
///   (Bx)(i, j) = Σ_{a,b} k(a, b) · x(i − a + ⌊kh/2⌋, j − b + ⌊kw/2⌋),  x = 0 outside the image.
/// LibTorch's conv2d is a cross-correlation, so B is conv2d with the flipped kernel k̃(a, b) =
/// k(kh−1−a, kw−1−b) and padding (⌊kh/2⌋, ⌊kw/2⌋); Bᵀ is conv_transpose2d with the same weight and padding —
/// the transpose of that very map, (Bᵀy)(p, q) = Σ k(a, b) · y(p + a − ⌊kh/2⌋, q + b − ⌊kw/2⌋).
template <RealScalar T>
class TorchBlur {
 public:
  using value_type = T;

  /// The blur of `channels`-channel height×width images by the kh×kw row-major `kernel` (odd sizes,
  /// finite values) on `device`.
  TorchBlur(const std::vector<T>& kernel, std::size_t kh, std::size_t kw, std::size_t height, std::size_t width,
            std::size_t channels = 1, torch::Device device = torch::kCPU)
      : kh_(kh), kw_(kw), c_(channels), h_(height), w_(width), device_(device) {
    EQR_EXPECTS(kh % 2 == 1 && kw % 2 == 1 && kernel.size() == kh * kw, shape_error,
                "TorchBlur: expected a kernel of odd height and width with kh·kw values, found ", kh, "×", kw,
                " and ", kernel.size(), " values");
    EQR_EXPECTS(channels >= 1 && height >= 1 && width >= 1, shape_error,
                "TorchBlur: expected channels, height and width ≥ 1, found ", channels, ", ", height, ", ", width);
    for (const T v : kernel)
      EQR_EXPECTS(std::isfinite(v), value_error, "TorchBlur: expected finite kernel values, found ", v);
    const auto sizes = std::vector<std::int64_t>{1, 1, static_cast<std::int64_t>(kh), static_cast<std::int64_t>(kw)};
    weight_ = detail::host_to_device(kernel, sizes, device_).flip({2, 3}).contiguous();
  }
  TensorShape domain_shape(std::size_t n) const { return {n, c_, h_, w_}; }
  TensorShape range_shape(std::size_t n) const { return {n, c_, h_, w_}; }

  /// B x: every channel convolved with k.
  torch::Tensor apply(const torch::Tensor& x) const {
    detail::expect_batch<T>(x, device_, [this](std::size_t n) { return domain_shape(n); }, "TorchBlur::apply");
    const torch::Tensor planes = x.reshape({-1, 1, static_cast<std::int64_t>(h_), static_cast<std::int64_t>(w_)});
    return torch::conv2d(planes, weight_, {}, 1, padding()).reshape(x.sizes()).contiguous();
  }
  /// Bᵀ y: every channel correlated with k (the transposed convolution with the same weight).
  torch::Tensor adjoint(const torch::Tensor& y) const {
    detail::expect_batch<T>(y, device_, [this](std::size_t n) { return range_shape(n); }, "TorchBlur::adjoint");
    const torch::Tensor planes = y.reshape({-1, 1, static_cast<std::int64_t>(h_), static_cast<std::int64_t>(w_)});
    return torch::conv_transpose2d(planes, weight_, {}, 1, padding()).reshape(y.sizes()).contiguous();
  }
  /// The flipped kernel k̃ as the 1 × 1 × kh × kw conv2d weight on the device.
  const torch::Tensor& weight() const { return weight_; }
  torch::Device device() const { return device_; }

 private:
  std::vector<std::int64_t> padding() const {
    return {static_cast<std::int64_t>(kh_ / 2), static_cast<std::int64_t>(kw_ / 2)};
  }

  std::size_t kh_, kw_, c_, h_, w_;
  torch::Device device_;
  torch::Tensor weight_;
};

}  // namespace eqr::libtorch
