/// @file data/intensity.hpp
/// Intensity mappings that bring images from scanners onto the scale the learned methods and the noise
/// models expect (values of about [0, 1]):
/// - `minmax`: (v − min)/(max − min) over a set of values (a volume);
/// - `hu_to_mu`: CT Hounsfield units to linear attenuation, μ = μ_water·(1 + HU/1000), divided by μ_max and
///   clipped to [0, 1] — LoDoPaB-CT's convention (μ_water = 20 m⁻¹, μ_max = 81.35858 m⁻¹, so water is 0.246
///   and air 0), which is also the scale of the paper's DICOM/4096 chest slices (§5.1.1);
/// - `window`: a display window (level L, width W): (v − (L − W/2))/W clipped to [0, 1];
/// - `scale`: c·v, e.g. c = 1/max over a volume (fastMRI's normalisation) or c = 1 (LoDoPaB-CT's images are
///   on that scale already) — the only linear one, so it can map the images' measurements (k-space,
///   sinograms) too and keep them consistent with the images.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "eqr/config.hpp"

namespace eqr::data {

/// LoDoPaB-CT's attenuation of water and its normalising maximum, per metre.
inline constexpr double lodopab_mu_water = 20.0;
inline constexpr double lodopab_mu_max = 81.35858;

/// One of the mappings of the file comment, applied value by value.
struct IntensityMap {
  enum class Kind { minmax, hu_to_mu, window, scale } kind = Kind::minmax;
  double a = 0;  ///< minmax: the minimum; hu_to_mu: μ_water; window: the level; scale: the factor
  double b = 1;  ///< minmax: the maximum; hu_to_mu: μ_max;  window: the width

  /// c·v: the one kind that is linear, so measurements of the images can be mapped with it too.
  static IntensityMap scale(double factor) {
    EQR_EXPECTS(std::isfinite(factor) && factor > 0, value_error, "scale intensity: expected a positive finite factor, found ", factor);
    return {Kind::scale, factor, 0};
  }
  /// Whether the map is v ↦ c·v.
  [[nodiscard]] bool linear() const { return kind == Kind::scale; }

  /// (v − lo)/(hi − lo); a constant set (hi = lo) maps to 0.
  static IntensityMap minmax(double lo, double hi) {
    EQR_EXPECTS(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, value_error,
                "minmax intensity: expected finite bounds lo <= hi, found ", lo, " and ", hi);
    return {Kind::minmax, lo, hi};
  }
  /// max(0, min(1, μ_water·(1 + HU/1000)/μ_max)).
  static IntensityMap hu_to_mu(double mu_water = lodopab_mu_water, double mu_max = lodopab_mu_max) {
    EQR_EXPECTS(std::isfinite(mu_water) && mu_water > 0 && std::isfinite(mu_max) && mu_max > 0, value_error,
                "hu-to-mu intensity: expected positive μ_water and μ_max, found ", mu_water, " and ", mu_max);
    return {Kind::hu_to_mu, mu_water, mu_max};
  }
  /// max(0, min(1, (v − (level − width/2))/width)).
  static IntensityMap window(double level, double width) {
    EQR_EXPECTS(std::isfinite(level) && std::isfinite(width) && width > 0, value_error,
                "window intensity: expected a finite level and a positive width, found ", level, " and ", width);
    return {Kind::window, level, width};
  }

  /// The mapped value.
  [[nodiscard]] double operator()(double v) const {
    switch (kind) {
      case Kind::minmax: return b > a ? (v - a) / (b - a) : 0.0;
      case Kind::hu_to_mu: return std::clamp(a * (1 + v / 1000) / b, 0.0, 1.0);
      case Kind::window: return std::clamp((v - (a - b / 2)) / b, 0.0, 1.0);
      case Kind::scale: return a * v;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }
};

}  // namespace eqr::data
