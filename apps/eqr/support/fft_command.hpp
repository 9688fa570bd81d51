/// @file apps/eqr/fft_command.hpp
/// The body shared by `eqr fft` and `eqr ifft`: the orthonormal centred 2-D DFT (or its inverse) over the
/// last two axes of a real or complex .npy array, written as complex64 (or complex128 with --dtype).
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>

#include "support/cli.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/fft.hpp"
#include "support/npy_args.hpp"

namespace eqr::cli {

/// Runs the command: `inverse` selects F⁻¹ = Fᴴ.
inline int run_centered_fft(Args& args, bool inverse) {
  const std::string in = args.required("in");
  const std::string out = args.required("out");
  const std::string dtype_name = args.value("dtype").value_or("complex64");
  const PngOption png(args);
  args.finish();
  if (dtype_name != "complex64" && dtype_name != "complex128")
    throw usage_error("--dtype: expected complex64 or complex128, found '" + dtype_name + "'");
  const io::NpyArray a = io::read_npy(in);
  EQR_EXPECTS(a.ndim() >= 2, shape_error, "'", in, "': expected an array (..., H, W) with at least two axes, found ",
              io::detail::shape_string(a.shape()));
  const std::size_t h = a.shape()[a.ndim() - 2], w = a.shape()[a.ndim() - 1];
  EQR_EXPECTS(h >= 1 && w >= 1, shape_error, "'", in, "': expected non-empty planes, found ",
              io::detail::shape_string(a.shape()));
  const std::size_t planes = a.size() / (h * w), n = h * w;
  const auto z = a.as<std::complex<double>>();
  xt::xtensor<double, 4> x = xt::xtensor<double, 4>::from_shape({planes, 2, h, w});
  for (std::size_t p = 0; p < planes; ++p)
    for (std::size_t i = 0; i < n; ++i) {
      const std::complex<double> v = z.data()[p * n + i];
      EQR_EXPECTS(std::isfinite(v.real()) && std::isfinite(v.imag()), value_error, "'", in,
                  "': expected finite values, found ", v);
      x.data()[(2 * p) * n + i] = v.real();
      x.data()[(2 * p + 1) * n + i] = v.imag();
    }
  const auto y = inverse ? centered_ifft<cpu::CpuBackend<double>>(x) : centered_fft<cpu::CpuBackend<double>>(x);
  const auto complex_at = [&](std::size_t p, std::size_t i) {
    return std::complex<double>(y.data()[(2 * p) * n + i], y.data()[(2 * p + 1) * n + i]);
  };
  if (dtype_name == "complex64") {
    io::NpyArray result(io::DType::complex64, a.shape());
    auto& v = result.values<std::complex<float>>();
    for (std::size_t p = 0; p < planes; ++p)
      for (std::size_t i = 0; i < n; ++i) v[p * n + i] = std::complex<float>(complex_at(p, i));
    io::write_npy(out, result);
  } else {
    io::NpyArray result(io::DType::complex128, a.shape());
    auto& v = result.values<std::complex<double>>();
    for (std::size_t p = 0; p < planes; ++p)
      for (std::size_t i = 0; i < n; ++i) v[p * n + i] = complex_at(p, i);
    io::write_npy(out, result);
  }
  if (png.file) {
    // The first plane: log(1 + |k|) for k-space (its dynamic range is huge), |x| for images.
    xt::xtensor<double, 2> picture = xt::xtensor<double, 2>::from_shape({h, w});
    for (std::size_t i = 0; i < n; ++i)
      picture.data()[i] = inverse ? std::abs(complex_at(0, i)) : std::log1p(std::abs(complex_at(0, i)));
    png.write(picture);
  }
  return 0;
}

}  // namespace eqr::cli
