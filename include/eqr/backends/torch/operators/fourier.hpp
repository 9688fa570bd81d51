/// @file backends/torch/operators/fourier.hpp
/// The masked centred orthonormal 2-D DFT of single-coil MRI on a LibTorch device (torch::fft), with the
/// conventions of operators/fft.hpp and operators/masked_fourier.hpp:
///   F x = fftshift(fft2(ifftshift(x))) / √(H·W),   Fᴴ y = fftshift(ifft2(ifftshift(y))) · √(H·W)/(H·W),
/// numpy's shifts (fftshift rolls by ⌊n/2⌋, ifftshift by −⌊n/2⌋, so the zero frequency sits at column ⌊W/2⌋),
/// complex images as two real channels (N, 2, H, W), channel 0 real and 1 imaginary, and the mask a real
/// weight per k-space column applied in centred k-space: A = diag(m)·F, Aᵀ = Fᴴ·diag(m).  F is unitary, so
/// Aᵀ is the exact adjoint for the real two-channel inner product (Re⟨·,·⟩ of the complex vectors).
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "eqr/backends/torch/operators/detail/tensor_checks.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::libtorch {

namespace detail {

/// (N, 2, H, W) real → (N, H, W) complex (a copy: LibTorch's complex view needs the pair innermost).
inline torch::Tensor to_complex(const torch::Tensor& x) {
  return torch::view_as_complex(x.permute({0, 2, 3, 1}).contiguous());
}

/// (N, H, W) complex → (N, 2, H, W) real, contiguous.
inline torch::Tensor to_two_channels(const torch::Tensor& z) {
  return torch::view_as_real(z).permute({0, 3, 1, 2}).contiguous();
}

/// The centred orthonormal transform of a complex (N, H, W) batch: forward fftshift∘fft2∘ifftshift, inverse
/// fftshift∘ifft2∘ifftshift, both with norm "ortho" (1/√(HW)), over the last two dimensions.
inline torch::Tensor centered_transform(const torch::Tensor& z, bool inverse) {
  const std::vector<std::int64_t> dims = {-2, -1};
  const torch::Tensor shifted = torch::fft::ifftshift(z, dims);
  const torch::Tensor k = inverse ? torch::fft::ifft2(shifted, c10::nullopt, dims, "ortho")
                                  : torch::fft::fft2(shifted, c10::nullopt, dims, "ortho");
  return torch::fft::fftshift(k, dims);
}

}  // namespace detail

/// The centred orthonormal 2-D DFT of each complex image of a batch (N, 2, H, W) on its own device:
/// unitary, the same numbers as `eqr::centered_fft` up to rounding.
template <RealScalar T>
torch::Tensor centered_fft(const torch::Tensor& x) {
  detail::expect_batch<T>(
      x, x.defined() ? x.device() : torch::Device(torch::kCPU),
      [&x](std::size_t n) {
        return TensorShape{n, 2, static_cast<std::size_t>(x.size(2)), static_cast<std::size_t>(x.size(3))};
      },
      "libtorch::centered_fft (complex images N x 2 x H x W)");
  return detail::to_two_channels(detail::centered_transform(detail::to_complex(x), false));
}

/// The inverse (adjoint) of `centered_fft`: fftshift(ifft2(ifftshift(y))) orthonormally, per image.
template <RealScalar T>
torch::Tensor centered_ifft(const torch::Tensor& y) {
  detail::expect_batch<T>(
      y, y.defined() ? y.device() : torch::Device(torch::kCPU),
      [&y](std::size_t n) {
        return TensorShape{n, 2, static_cast<std::size_t>(y.size(2)), static_cast<std::size_t>(y.size(3))};
      },
      "libtorch::centered_ifft (complex k-space N x 2 x H x W)");
  return detail::to_two_channels(detail::centered_transform(detail::to_complex(y), true));
}

/// Single-coil Cartesian MRI on a LibTorch device, A u = M F u (the device twin of `eqr::MaskedFourier`):
/// F the centred orthonormal DFT, M the multiplication of centred k-space column j by m_j.  Domain and
/// range (N, 2, H, W); the adjoint Aᵀ y = Fᴴ M y is exact because F is unitary.
template <RealScalar T>
class TorchMaskedFourier {
 public:
  using value_type = T;

  /// The operator for H×W images with the W column weights `column_mask` (finite; centred k-space, column
  /// ⌊W/2⌋ the zero frequency), on `device`.
  TorchMaskedFourier(std::size_t height, const std::vector<T>& column_mask, torch::Device device = torch::kCPU)
      : h_(height), w_(column_mask.size()), device_(device) {
    EQR_EXPECTS(height >= 1 && w_ >= 1, shape_error,
                "TorchMaskedFourier: expected an image height ≥ 1 and a mask of ≥ 1 columns, found height ", height,
                " and ", w_, " columns");
    for (const T v : column_mask)
      EQR_EXPECTS(std::isfinite(v), value_error, "TorchMaskedFourier: expected finite mask values, found ", v);
    mask_ = torch::from_blob(const_cast<T*>(column_mask.data()), {1, 1, static_cast<std::int64_t>(w_)},
                             torch::TensorOptions().dtype(detail::operator_dtype<T>()))
                .to(device_, false, true);
  }

  /// The shape (n, 2, H, W) of a batch of n complex images.
  TensorShape domain_shape(std::size_t n) const { return {n, 2, h_, w_}; }
  /// The shape (n, 2, H, W) of a batch of n masked k-spaces.
  TensorShape range_shape(std::size_t n) const { return {n, 2, h_, w_}; }

  /// The masked centred k-space M F x of a batch of complex images.
  torch::Tensor apply(const torch::Tensor& x) const {
    detail::expect_batch<T>(x, device_, [this](std::size_t n) { return domain_shape(n); },
                            "TorchMaskedFourier::apply (complex images N x 2 x H x W)");
    // The real mask broadcasts over (N, H, W) complex values: it scales real and imaginary parts alike.
    return detail::to_two_channels(detail::centered_transform(detail::to_complex(x), false) * mask_);
  }
  /// The zero-filled inverse Fᴴ M y of a batch of k-space data (the exact adjoint).
  torch::Tensor adjoint(const torch::Tensor& y) const {
    detail::expect_batch<T>(y, device_, [this](std::size_t n) { return range_shape(n); },
                            "TorchMaskedFourier::adjoint (k-space N x 2 x H x W)");
    return detail::to_two_channels(detail::centered_transform(detail::to_complex(y) * mask_, true));
  }
  /// The W column weights (a 1 × 1 × W tensor on the device).
  const torch::Tensor& mask() const { return mask_; }
  /// The device.
  torch::Device device() const { return device_; }

 private:
  std::size_t h_, w_;
  torch::Device device_;
  torch::Tensor mask_;
};

}  // namespace eqr::libtorch
