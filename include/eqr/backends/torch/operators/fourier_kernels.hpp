/// @file backends/torch/operators/fourier_kernels.hpp
/// The LibTorch backend's Fourier kernels (`fourier_kernels<TorchBackend<T, D>>`, operators/kernels.hpp) with
/// `torch::fft` on the tensors' device, in the conventions of operators/fft.hpp:
///   F x = fftshift(fft2(ifftshift(x))) / √(H·W),   Fᴴ y = fftshift(ifft2(ifftshift(y))) · √(H·W)/(H·W),
/// numpy's shifts (fftshift rolls by ⌊n/2⌋, ifftshift by −⌊n/2⌋, so the zero frequency sits at column ⌊W/2⌋),
/// and the zero-padded row filtering of FBP as rfft → × response → irfft (both unnormalised: the response
/// carries the 1/L of the inverse transform, as for FFTW's c2r).
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "eqr/backends/torch/dtype.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/kernels.hpp"

namespace eqr {

/// The Fourier kernels of the LibTorch backend (see the file comment).
template <Real T, DeviceKind D>
struct fourier_kernels<libtorch::TorchBackend<T, D>> {
  using backend = libtorch::TorchBackend<T, D>;
  using tensor = typename backend::tensor_type;

  /// The row filter: its padded length, its response on the host and as a device tensor.
  struct row_filter {
    std::size_t length = 0;
    std::vector<double> response;
    torch::Tensor device_response;  ///< length/2 + 1 values of dtype T on the device
  };

  /// F x (or Fᴴ x) of the complex images x (N × 2 × H × W).
  static tensor centered_fft2(const tensor& x, bool inverse) {
    const Shape4 s = backend::shape(x);
    EQR_EXPECTS(s.c == 2, shape_error, "centered_fft2: expected complex images N×2×H×W, found ", s);
    const std::vector<std::int64_t> dims = {-2, -1};
    const torch::Tensor z = torch::view_as_complex(x.permute({0, 2, 3, 1}).contiguous());
    const torch::Tensor shifted = torch::fft::ifftshift(z, dims);
    const torch::Tensor k = inverse ? torch::fft::ifft2(shifted, c10::nullopt, dims, "ortho")
                                    : torch::fft::fft2(shifted, c10::nullopt, dims, "ortho");
    return torch::view_as_real(torch::fft::fftshift(k, dims)).permute({0, 3, 1, 2}).contiguous();
  }
  /// The filter of rows zero-padded to `length` with the given response, uploaded once.
  static row_filter prepare_row_filter(std::size_t length, std::vector<double> response) {
    EQR_EXPECTS(length >= 2 && length % 2 == 0 && response.size() == length / 2 + 1, value_error,
                "prepare_row_filter: expected an even length and length/2 + 1 response values, found length ",
                length, " and ", response.size(), " values");
    const torch::Tensor host = torch::from_blob(response.data(), {static_cast<std::int64_t>(response.size())},
                                                torch::TensorOptions().dtype(torch::kFloat64));
    torch::Tensor device_response = host.to(backend::options().device(), libtorch::dtype_of<T>(), false, true);
    return {length, std::move(response), std::move(device_response)};
  }
  /// Every row of x filtered (see operators/kernels.hpp).
  static tensor filter_rows(const row_filter& f, const tensor& x) {
    const Shape4 s = backend::shape(x);
    EQR_EXPECTS(s.w <= f.length, shape_error, "filter_rows: expected rows of at most ", f.length,
                " values, found ", s);
    const auto n = static_cast<std::int64_t>(f.length);
    const torch::Tensor spectrum = torch::fft::rfft(x, n, -1, "backward") * f.device_response;
    return torch::fft::irfft(spectrum, n, -1, "forward").narrow(-1, 0, static_cast<std::int64_t>(s.w)).contiguous();
  }
};

}  // namespace eqr
