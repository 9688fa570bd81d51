/// @file data/resize.hpp
/// Resizing images onto the N×N grid a learned method is trained on, for images from files (DICOM slices,
/// NIfTI volumes): the centred square crop, and a separable resampling that is exact where the grids allow —
/// per axis, shrinking averages the input over each output pixel's footprint (box/area weights, so the mean
/// of the image is kept exactly and no frequency above the new Nyquist limit aliases in unfiltered), and
/// growing interpolates linearly between pixel centres (pixel k of n covers [k, k+1)·(1/n) of the unit
/// interval; samples beyond the outer centres take the edge value).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"

namespace eqr::data {

namespace detail {

/// One output sample of a 1-D resampling: the input indices and weights it is made of.
struct ResampleTap {
  std::size_t index;
  double weight;
};

/// The taps of resampling `n_in` samples to `n_out` (see the file comment): box weights when shrinking or
/// keeping the size (the identity for n_out = n_in), linear interpolation between centres when growing.
inline std::vector<std::vector<ResampleTap>> resample_taps(std::size_t n_in, std::size_t n_out) {
  std::vector<std::vector<ResampleTap>> taps(n_out);
  const double scale = static_cast<double>(n_in) / static_cast<double>(n_out);  // input pixels per output pixel
  for (std::size_t o = 0; o < n_out; ++o) {
    if (n_out <= n_in) {
      const double lo = static_cast<double>(o) * scale, hi = lo + scale;
      const auto first = static_cast<std::size_t>(std::floor(lo));
      for (std::size_t i = first; i < n_in && static_cast<double>(i) < hi; ++i) {
        const double overlap = std::min(hi, static_cast<double>(i + 1)) - std::max(lo, static_cast<double>(i));
        if (overlap > 0) taps[o].push_back({i, overlap / scale});
      }
    } else {
      const double x = std::clamp((static_cast<double>(o) + 0.5) * scale - 0.5, 0.0, static_cast<double>(n_in - 1));
      const auto i0 = static_cast<std::size_t>(std::floor(x));
      const std::size_t i1 = std::min(i0 + 1, n_in - 1);
      const double f = x - static_cast<double>(i0);
      taps[o].push_back({i0, 1 - f});
      if (f > 0) taps[o].push_back({i1, f});
    }
  }
  return taps;
}

}  // namespace detail

/// The image resized to `height` × `width` (see the file comment: area weights when shrinking an axis,
/// linear interpolation when growing it). Throws shape_error for an empty image or target.
inline xt::xtensor<double, 2> resize(const xt::xtensor<double, 2>& image, std::size_t height, std::size_t width) {
  const std::size_t h = image.shape(0), w = image.shape(1);
  EQR_EXPECTS(h >= 1 && w >= 1 && height >= 1 && width >= 1, shape_error, "resize: expected a non-empty image and target, found ",
              h, "x", w, " to ", height, "x", width);
  const auto rows = detail::resample_taps(h, height), cols = detail::resample_taps(w, width);
  xt::xtensor<double, 2> across = xt::zeros<double>({h, width});
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < width; ++j)
      for (const auto& t : cols[j]) across(i, j) += t.weight * image(i, t.index);
  xt::xtensor<double, 2> out = xt::zeros<double>({height, width});
  for (std::size_t i = 0; i < height; ++i)
    for (const auto& t : rows[i])
      for (std::size_t j = 0; j < width; ++j) out(i, j) += t.weight * across(t.index, j);
  return out;
}

/// The centred square crop of an image: min(H, W) × min(H, W), the longer axis cut evenly on both sides (one
/// more row or column off the end when the difference is odd).
inline xt::xtensor<double, 2> centre_square(const xt::xtensor<double, 2>& image) {
  const std::size_t h = image.shape(0), w = image.shape(1), n = std::min(h, w);
  const std::size_t top = (h - n) / 2, left = (w - n) / 2;
  xt::xtensor<double, 2> out = xt::xtensor<double, 2>::from_shape({n, n});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) out(i, j) = image(top + i, left + j);
  return out;
}

}  // namespace eqr::data
