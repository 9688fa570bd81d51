/// @file apps/eqr/geometry_args.hpp
/// The parallel-beam geometry flags shared by `eqr radon`, `backproject` and `fbp`:
/// --angles A | --angles-file a.npy, --detectors D, --pixel-size P, --detector-spacing S.
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/cli.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/operators/parallel_beam.hpp"

namespace eqr::cli {

/// The angles of an --angles-file: a 1-d real array of radians (finite values).
inline std::vector<double> read_angles_file(const std::string& file) {
  const io::NpyArray a = io::read_npy(file);
  EQR_EXPECTS(a.ndim() == 1 && a.size() >= 1, shape_error, "'", file,
              "': expected a 1-d array of angles in radians, found shape ", io::detail::shape_string(a.shape()));
  EQR_EXPECTS(!a.is_complex(), value_error, "'", file, "': expected real angles, found dtype ", io::dtype_name(a.dtype()));
  const auto v = a.as<double>();
  for (const double angle : v)
    EQR_EXPECTS(std::isfinite(angle), value_error, "'", file, "': expected finite angles, found ", angle);
  return std::vector<double>(v.begin(), v.end());
}

/// The geometry flags as given (everything optional until the image and sinogram shapes are known; the
/// array commands default the pixel size and the detector spacing to 1, `eqr train` to 1/n).
struct GeometryArgs {
  std::optional<long> angles;
  std::optional<std::string> angles_file;
  std::optional<long> detectors;
  std::optional<double> pixel_size;
  std::optional<double> detector_spacing;

  explicit GeometryArgs(Args& args)
      : angles(args.integer("angles")),
        angles_file(args.value("angles-file")),
        detectors(args.integer("detectors")),
        pixel_size(args.real("pixel-size")),
        detector_spacing(args.real("detector-spacing")) {
    if (angles && angles_file) throw usage_error("give either --angles A or --angles-file FILE, not both");
    if (angles && *angles < 1) throw usage_error("--angles: expected a positive integer, found " + std::to_string(*angles));
    if (detectors && *detectors < 1)
      throw usage_error("--detectors: expected a positive integer, found " + std::to_string(*detectors));
    for (const auto& [flag, v] : {std::pair{"--pixel-size", pixel_size}, std::pair{"--detector-spacing", detector_spacing}})
      if (v && !(*v > 0 && std::isfinite(*v)))
        throw usage_error(std::string(flag) + ": expected a positive length, found " + std::to_string(*v));
  }

  /// The angle list: from --angles-file (a 1-D real array of radians), from --angles A
  /// (linspace(0, π, A, endpoint=False)), or, if neither is given, `fallback_count` default angles
  /// (throws usage_error when there is no fallback either).
  std::vector<double> angle_list(std::optional<std::size_t> fallback_count = std::nullopt) const {
    if (angles_file) return read_angles_file(*angles_file);
    if (angles) return default_angles(static_cast<std::size_t>(*angles));
    if (fallback_count) return default_angles(*fallback_count);
    throw usage_error("missing required option --angles A (or --angles-file FILE)");
  }

  /// The geometry for an H×W image; `sinogram` (A, D), when known, must agree with the flags and supplies
  /// the angle and detector counts the flags leave open.
  ParallelBeamGeometry geometry(std::size_t height, std::size_t width,
                                std::optional<std::array<std::size_t, 2>> sinogram = std::nullopt,
                                const std::string& sinogram_file = "") const {
    std::vector<double> list = angle_list(sinogram ? std::optional<std::size_t>((*sinogram)[0]) : std::nullopt);
    std::size_t d = detectors ? static_cast<std::size_t>(*detectors) : 0;
    if (sinogram) {
      const auto [a, dd] = *sinogram;
      EQR_EXPECTS(list.size() == a, shape_error, "'", sinogram_file, "': expected a sinogram with ", list.size(),
                  " angle rows (from ", angles_file ? "--angles-file" : "--angles", "), found ", a);
      if (d == 0) d = dd;
      EQR_EXPECTS(d == dd, shape_error, "'", sinogram_file, "': expected a sinogram with ", d,
                  " detector columns (from --detectors), found ", dd);
    }
    return parallel_beam(height, width, std::move(list), d, pixel_size.value_or(1.0), detector_spacing.value_or(1.0));
  }
};

}  // namespace eqr::cli
