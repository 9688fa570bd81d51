/// @file operators/parallel_beam.hpp
/// The 2-D parallel-beam geometry of the Radon transform: image grid, pixel size, detector row, angle list,
/// the defaults of the field (angles linspace(0, π, A, endpoint=false), D = ⌈√2·N⌉), and its validation.
///
/// Coordinates (DESIGN.md §3): pixel (row r, column c) of an H×W image is centred at
///   x = (c − (W−1)/2)·p,  y = ((H−1)/2 − r)·p        (p the pixel size, y up),
/// detector j of D sits at u_j = (j − (D−1)/2)·s (s the detector spacing), and the ray of angle θ through
/// detector j is the line {x cos θ + y sin θ = u_j}; a point projects to u = x cos θ + y sin θ.
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "eqr/config.hpp"

namespace eqr {

/// A 2-D parallel-beam scan: an H×W image of square pixels of side `pixel_size`, a row of `detectors`
/// detector cells `detector_spacing` apart centred on the rotation axis, and the projection angles in
/// radians (any finite values, any order).  Lengths are in the same physical unit; the Radon transform
/// returns line integrals in that unit.
struct ParallelBeamGeometry {
  /// Image height H (rows).
  std::size_t height = 0;
  /// Image width W (columns).
  std::size_t width = 0;
  /// Side length of a pixel.
  double pixel_size = 1.0;
  /// Number of detector cells D.
  std::size_t detectors = 0;
  /// Distance between neighbouring detector centres.
  double detector_spacing = 1.0;
  /// Projection angles θ_a in radians.
  std::vector<double> angles;

  /// The number of angles A.
  [[nodiscard]] std::size_t num_angles() const { return angles.size(); }

  /// Throws value_error / shape_error naming the offending field if the geometry is not usable.
  void validate() const {
    EQR_EXPECTS(height >= 1 && width >= 1, shape_error, "ParallelBeamGeometry: expected an image of at least 1x1 ",
                "pixels, found ", height, "x", width);
    EQR_EXPECTS(detectors >= 1, shape_error, "ParallelBeamGeometry: expected at least 1 detector, found ", detectors);
    EQR_EXPECTS(!angles.empty(), shape_error, "ParallelBeamGeometry: expected at least 1 angle, found none");
    EQR_EXPECTS(std::isfinite(pixel_size) && pixel_size > 0.0, value_error,
                "ParallelBeamGeometry: expected a positive finite pixel size, found ", pixel_size);
    EQR_EXPECTS(std::isfinite(detector_spacing) && detector_spacing > 0.0, value_error,
                "ParallelBeamGeometry: expected a positive finite detector spacing, found ", detector_spacing);
    for (std::size_t a = 0; a < angles.size(); ++a)
      EQR_EXPECTS(std::isfinite(angles[a]), value_error, "ParallelBeamGeometry: expected finite angles, found ",
                  angles[a], " at index ", a);
    // Sizes enter int arithmetic in the projector's tables.
    EQR_EXPECTS(height < (1u << 24) && width < (1u << 24) && detectors < (1u << 24), shape_error,
                "ParallelBeamGeometry: expected image sides and detector count below 2^24, found ", height, "x",
                width, " and ", detectors);
  }
};

/// The default angle list θ_a = π·a/A, a = 0 … A−1 (numpy.linspace(0, π, A, endpoint=False)).
inline std::vector<double> default_angles(std::size_t count) {
  EQR_EXPECTS(count >= 1, shape_error, "default_angles: expected at least 1 angle, found ", count);
  std::vector<double> angles(count);
  for (std::size_t a = 0; a < count; ++a)
    angles[a] = std::numbers::pi * static_cast<double>(a) / static_cast<double>(count);
  return angles;
}

/// The default detector count ⌈√(H² + W²)⌉, which is ⌈√2·N⌉ for an N×N image (725 for N = 512): with unit
/// pixel size and spacing, every ray that meets the image hits the detector row.
inline std::size_t default_detector_count(std::size_t height, std::size_t width) {
  const double diagonal = std::sqrt(static_cast<double>(height) * static_cast<double>(height) +
                                    static_cast<double>(width) * static_cast<double>(width));
  return static_cast<std::size_t>(std::ceil(diagonal - 1e-9));
}

/// The usual geometry of the field for an N×N image: A angles linspace(0, π, A, endpoint=False),
/// ⌈√2·N⌉ detectors (unless `detectors` > 0), unit pixel size and detector spacing unless given.
inline ParallelBeamGeometry parallel_beam(std::size_t size, std::size_t num_angles, std::size_t detectors = 0,
                                          double pixel_size = 1.0, double detector_spacing = 1.0) {
  ParallelBeamGeometry g;
  g.height = size;
  g.width = size;
  g.pixel_size = pixel_size;
  g.detector_spacing = detector_spacing;
  g.detectors = detectors > 0 ? detectors : default_detector_count(size, size);
  g.angles = default_angles(num_angles);
  g.validate();
  return g;
}

/// The same for an H×W image; the default detector count is ⌈√(H² + W²)⌉.
inline ParallelBeamGeometry parallel_beam(std::size_t height, std::size_t width, std::vector<double> angles,
                                          std::size_t detectors = 0, double pixel_size = 1.0,
                                          double detector_spacing = 1.0) {
  ParallelBeamGeometry g;
  g.height = height;
  g.width = width;
  g.pixel_size = pixel_size;
  g.detector_spacing = detector_spacing;
  g.detectors = detectors > 0 ? detectors : default_detector_count(height, width);
  g.angles = std::move(angles);
  g.validate();
  return g;
}

}  // namespace eqr
