/// @file data/rotate.hpp
/// Rotating images by any angle with bilinear interpolation (zero outside the image); the exact action of
/// the grid-preserving group elements (quarter turns and mirrors) is groups/image_action.hpp's.
///
/// Conventions (DESIGN.md §3): an H×W plane has its centre at c = ((W−1)/2, (H−1)/2) in pixel units; math
/// axes x = j − c_x, y = c_y − i (y up); a positive angle turns the image counter-clockwise as displayed,
/// like `numpy.rot90` and `scipy.ndimage.rotate(img, degrees, reshape=False, order=1, cval=0)`.
/// Rotation by any angle is the pull-back [R_θ·f](p) = f(R_θ⁻¹ p), p measured from the centre; f between
/// pixel centres is the bilinear interpolant, and f is 0 outside the image (so the interpolant fades to 0
/// within one pixel of the border).  Multiples of 90° use exact cosines, so on square images
/// `rotate(f, k·π/2)` equals `eqr::rot90(f, k)` exactly.  Bilinear interpolation smooths: use it for images from
/// files, and analytic rotation (data/phantoms.hpp) for phantoms (DESIGN.md §4).
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/data/detail/geometry.hpp"
#include "eqr/groups/action.hpp"
#include "eqr/groups/cyclic.hpp"
#include "eqr/groups/dihedral.hpp"

namespace eqr::data {

namespace detail {

/// Rotates one row-major H×W plane into `dst` (same shape) by bilinear pull-back.
template <class T>
void rotate_plane(const T* src, T* dst, std::size_t height, std::size_t width, double angle) {
  const auto [c, s] = cos_sin(angle);
  const double cx = 0.5 * static_cast<double>(width - 1), cy = 0.5 * static_cast<double>(height - 1);
  const auto H = static_cast<long>(height), W = static_cast<long>(width);
  const auto at = [&](long i, long j) -> double {
    return (i >= 0 && i < H && j >= 0 && j < W) ? static_cast<double>(src[i * W + j]) : 0.0;
  };
  for (long i = 0; i < H; ++i) {
    for (long j = 0; j < W; ++j) {
      const double x = static_cast<double>(j) - cx, y = cy - static_cast<double>(i);
      // Source point R(−θ)·p.
      const double xs = c * x + s * y, ys = -s * x + c * y;
      const double fi = cy - ys, fj = xs + cx;
      const double i0 = std::floor(fi), j0 = std::floor(fj);
      const double ti = fi - i0, tj = fj - j0;
      if (i0 < -1.0 || j0 < -1.0 || i0 > static_cast<double>(H) || j0 > static_cast<double>(W)) {
        dst[i * W + j] = T(0);
        continue;
      }
      const auto a = static_cast<long>(i0), b = static_cast<long>(j0);
      const double v = (1 - ti) * ((1 - tj) * at(a, b) + tj * at(a, b + 1)) +
                       ti * ((1 - tj) * at(a + 1, b) + tj * at(a + 1, b + 1));
      dst[i * W + j] = static_cast<T>(v);
    }
  }
}

}  // namespace detail

/// An image rotated counter-clockwise by `angle` radians about its centre (bilinear, zero outside),
/// same shape.  For a 4-d batch N×C×H×W every plane is rotated.
template <Real T, std::size_t N>
xt::xtensor<T, N> rotate(const xt::xtensor<T, N>& image, double angle) {
  static_assert(N == 2 || N == 4, "rotate: expected an H×W image (rank 2) or an N×C×H×W batch (rank 4).");
  EQR_EXPECTS(std::isfinite(angle), value_error, "rotate: expected a finite angle, found ", angle);
  xt::xtensor<T, N> out = xt::xtensor<T, N>::from_shape(image.shape());
  const std::size_t h = image.shape(N - 2), w = image.shape(N - 1);
  if (h == 0 || w == 0) return out;
  const std::size_t plane = h * w;
  for (std::size_t p = 0; p < image.size() / plane; ++p)
    detail::rotate_plane(image.data() + p * plane, out.data() + p * plane, h, w, angle);
  return out;
}

}  // namespace eqr::data
