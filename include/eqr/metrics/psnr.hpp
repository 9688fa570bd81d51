/// @file metrics/psnr.hpp
/// Pixel-wise image quality: mean squared error, PSNR with an explicit data range (default: the maximum of
/// the reference, as the paper reports it), NMSE (fastMRI's normalised MSE), and the magnitude of complex
/// images (stored as std::complex or as two real channels), on which the metrics of MRI results are taken.
///
///   MSE  = (1/n) Σ (x − r)²,   PSNR = 10 log10(R² / MSE)  [dB],   NMSE = ‖x − r‖² / ‖r‖²,
/// with r the reference, x the reconstruction and R the data range.  All sums are accumulated in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <concepts>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"

namespace eqr::metrics {

/// The real scalar types the metrics accept.
template <class T>
concept MetricScalar = std::same_as<T, float> || std::same_as<T, double>;

namespace detail {

/// This namespace would hide eqr::detail inside eqr::metrics; re-export the message builder.
using ::eqr::detail::concat;

template <class S>
std::string shape_text(const S& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

/// Checks that a reference and an image have the same non-empty shape and finite values.
template <MetricScalar T, std::size_t N>
void check_pair(const xt::xtensor<T, N>& ref, const xt::xtensor<T, N>& x, const char* metric) {
  EQR_EXPECTS(ref.shape() == x.shape(), shape_error, metric, ": expected an image of the reference's shape ",
              shape_text(ref.shape()), ", found ", shape_text(x.shape()));
  EQR_EXPECTS(ref.size() > 0, shape_error, metric, ": expected non-empty images, found shape ",
              shape_text(ref.shape()));
  for (std::size_t i = 0; i < ref.size(); ++i)
    EQR_EXPECTS(std::isfinite(static_cast<double>(ref.flat(i))) && std::isfinite(static_cast<double>(x.flat(i))),
                value_error, metric, ": expected finite values, found ", ref.flat(i), " (reference) and ", x.flat(i),
                " (image) at flat index ", i);
}

}  // namespace detail

/// The largest value of the reference: the default data range of PSNR and SSIM (throws value_error if it
/// is not positive, since a data range must be).
template <MetricScalar T, std::size_t N>
double reference_range(const xt::xtensor<T, N>& ref) {
  EQR_EXPECTS(ref.size() > 0, shape_error, "data range: expected a non-empty reference image");
  const double m = static_cast<double>(*std::max_element(ref.begin(), ref.end()));
  EQR_EXPECTS(m > 0 && std::isfinite(m), value_error,
              "data range: expected a reference whose maximum is positive (the default data range), found ", m,
              "; pass the data range explicitly");
  return m;
}

/// Mean squared error (1/n) Σ (x − r)².
template <MetricScalar T, std::size_t N>
double mse(const xt::xtensor<T, N>& ref, const xt::xtensor<T, N>& x) {
  detail::check_pair(ref, x, "mse");
  double s = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(x.flat(i)) - static_cast<double>(ref.flat(i));
    s += d * d;
  }
  return s / static_cast<double>(ref.size());
}

/// Peak signal-to-noise ratio 10·log10(R²/MSE) in dB; R = `data_range`, by default max(ref).  Identical
/// images give +∞.
template <MetricScalar T, std::size_t N>
double psnr(const xt::xtensor<T, N>& ref, const xt::xtensor<T, N>& x, std::optional<double> data_range = {}) {
  const double r = data_range ? *data_range : reference_range(ref);
  EQR_EXPECTS(r > 0 && std::isfinite(r), value_error, "psnr: expected a positive data range, found ", r);
  const double e = mse(ref, x);
  if (e == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(r * r / e);
}

/// Normalised mean squared error ‖x − r‖² / ‖r‖² (throws value_error for an all-zero reference).
template <MetricScalar T, std::size_t N>
double nmse(const xt::xtensor<T, N>& ref, const xt::xtensor<T, N>& x) {
  detail::check_pair(ref, x, "nmse");
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double r = static_cast<double>(ref.flat(i)), d = static_cast<double>(x.flat(i)) - r;
    num += d * d;
    den += r * r;
  }
  EQR_EXPECTS(den > 0, value_error, "nmse: expected a reference with a non-zero norm, found an all-zero image");
  return num / den;
}

/// The magnitude |z| of every element of a complex array.
template <MetricScalar T, std::size_t N>
xt::xtensor<T, N> magnitude(const xt::xtensor<std::complex<T>, N>& z) {
  xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(z.shape());
  for (std::size_t i = 0; i < z.size(); ++i) out.flat(i) = std::abs(z.flat(i));
  return out;
}

/// The magnitude sqrt(re² + im²) of complex images stored as two real channels: N×2×H×W → N×1×H×W
/// (channel 0 the real, channel 1 the imaginary part, DESIGN.md §3).
template <MetricScalar T>
xt::xtensor<T, 4> magnitude(const xt::xtensor<T, 4>& x) {
  EQR_EXPECTS(x.shape(1) == 2, shape_error,
              "magnitude: expected complex images as two real channels N×2×H×W, found shape ", detail::shape_text(x.shape()));
  const std::size_t n = x.shape(0), plane = x.shape(2) * x.shape(3);
  xt::xtensor<T, 4> out = xt::xtensor<T, 4>::from_shape({n, 1, x.shape(2), x.shape(3)});
  for (std::size_t b = 0; b < n; ++b)
    for (std::size_t p = 0; p < plane; ++p)
      out.data()[b * plane + p] = std::hypot(x.data()[(2 * b) * plane + p], x.data()[(2 * b + 1) * plane + p]);
  return out;
}

}  // namespace eqr::metrics
