/// @file operators/fft.hpp
/// The orthonormal centred 2-D discrete Fourier transform of MRI (fastMRI's convention) on any backend with
/// Fourier kernels (operators/kernels.hpp):
///   F x = fftshift(fft2(ifftshift(x))) / √(H·W),   F⁻¹ = Fᴴ = ifftshift-ifft2-fftshift · √(H·W) / (H·W),
/// for complex images stored as two real channels (N, 2, H, W) — channel 0 the real part, 1 the imaginary
/// part. F is unitary for every H and W, odd or even.
#pragma once

#include "eqr/config.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/kernels.hpp"

namespace eqr {

/// The centred orthonormal 2-D DFT fftshift(fft2(ifftshift(x)))/√(HW) of each complex image of a batch
/// (N, 2, H, W) on backend B: unitary, so ‖F x‖ = ‖x‖.
template <FourierBackend B>
[[nodiscard]] typename B::tensor_type centered_fft(const typename B::tensor_type& x) {
  return fourier_kernels<B>::centered_fft2(x, false);
}

/// The inverse of `centered_fft` (its adjoint): fftshift(ifft2(ifftshift(y)))·√(HW)/(HW) per image.
template <FourierBackend B>
[[nodiscard]] typename B::tensor_type centered_ifft(const typename B::tensor_type& y) {
  return fourier_kernels<B>::centered_fft2(y, true);
}

}  // namespace eqr
