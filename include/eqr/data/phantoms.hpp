/// @file data/phantoms.hpp
/// Test images made of ellipses, rendered analytically at any size: the modified Shepp–Logan phantom
/// (Toft's intensities, as in scikit-image and ODL) and random-ellipse phantoms reproducible by seed.
/// An ellipse is either constant inside (the classical phantoms, piecewise constant: TV's ideal prior) or
/// has a smooth profile intensity·(1 − ρ²)^p that falls from its centre to 0 on its boundary.
///
/// A phantom is a list of `Ellipse`s in normalised coordinates (the unit disc fits the image), so it can be
/// rotated *analytically* by any angle — rotate every centre and orientation, then render — which keeps a
/// rotated test image as sharp as the upright one (DESIGN.md §4: bilinear resampling would blur it and hide
/// the effect under study).
///
/// Coordinates (DESIGN.md §3): pixel (i, j) of an H×W image has its centre at
///   x = (j − (W−1)/2)·h,  y = ((H−1)/2 − i)·h,  h = 2 / max(H, W),
/// so for a square N×N image the pixel centres are the cell centres of [−1, 1]² (as ODL's
/// `uniform_discr([-1, -1], [1, 1], (N, N))`), y points up and angles turn counter-clockwise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/data/detail/geometry.hpp"
#include "eqr/core/random.hpp"

namespace eqr::data {

/// One ellipse of a phantom: the set of points p with ρ(p) = ‖D⁻¹ R(−angle)(p − c)‖ ≤ 1, D = diag(a, b),
/// adding `intensity`·(1 − ρ²)^`profile` to every point inside.  Lengths are in normalised units (the image
/// spans [−1, 1] along its longer side), `angle` is in radians, counter-clockwise from the x axis to the `a`
/// semi-axis.  With the default profile 0 the ellipse is constant inside, as in the classical phantoms.
struct Ellipse {
  double intensity = 1.0;
  double a = 1.0;   ///< semi-axis along the ellipse's own x direction
  double b = 1.0;   ///< semi-axis along the ellipse's own y direction
  double x0 = 0.0;  ///< centre, x (right)
  double y0 = 0.0;  ///< centre, y (up)
  double angle = 0.0;
  /// The exponent p ≥ 0 of the intensity profile: the value at normalised radius ρ (0 at the centre, 1 on
  /// the boundary) is intensity·(1 − ρ²)^p.  p = 0: constant inside (a jump at the boundary); 0 < p ≤ 1:
  /// continuous, falling to 0 at the boundary; p > 1: also a continuous gradient there (a smooth blob).
  /// It depends on ρ only, so rotating the ellipse (`rotate_ellipses`) rotates its profile with it.
  double profile = 0.0;

  /// The squared normalised radius ρ² of the point (x, y): 1 on the boundary, below 1 inside.
  double radius_squared(double x, double y) const {
    const auto [c, s] = detail::cos_sin(angle);
    const double dx = x - x0, dy = y - y0;
    const double u = (c * dx + s * dy) / a, v = (-s * dx + c * dy) / b;
    return u * u + v * v;
  }

  /// Whether the point (x, y) lies inside (boundary included).
  bool contains(double x, double y) const { return radius_squared(x, y) <= 1.0; }

  /// The value the ellipse adds at the point (x, y): intensity·(1 − ρ²)^profile inside, 0 outside.  A
  /// constant ellipse (profile 0) adds exactly `intensity`, with no power taken.
  double value_at(double x, double y) const {
    const double r2 = radius_squared(x, y);
    if (r2 > 1.0) return 0.0;
    return profile == 0.0 ? intensity : intensity * std::pow(1.0 - r2, profile);
  }
};

/// Checks that an ellipse can be rendered: finite numbers, positive semi-axes and a profile exponent ≥ 0;
/// otherwise a value_error naming the caller and what was found.
inline void expect_valid_ellipse(const Ellipse& e, const char* caller) {
  EQR_EXPECTS(e.a > 0 && e.b > 0 && std::isfinite(e.a) && std::isfinite(e.b) && std::isfinite(e.x0) &&
                  std::isfinite(e.y0) && std::isfinite(e.angle) && std::isfinite(e.intensity),
              value_error, caller, ": expected finite ellipses with positive semi-axes, found a = ", e.a, ", b = ", e.b,
              ", centre (", e.x0, ", ", e.y0, "), angle ", e.angle, ", intensity ", e.intensity);
  EQR_EXPECTS(std::isfinite(e.profile) && e.profile >= 0, value_error, caller,
              ": expected a finite profile exponent p >= 0 (the value inside is intensity*(1 - rho^2)^p), found p = ",
              e.profile);
}

/// How a list of ellipses becomes an image.
struct RenderOptions {
  /// Samples per pixel along each axis (s×s samples on a regular sub-grid, averaged): antialiasing.
  std::size_t supersample = 1;
  /// Clamp every sample to [clip_low, clip_high] before averaging (pointwise, so it commutes with rotation).
  bool clip = false;
  double clip_low = 0.0;
  double clip_high = 1.0;
};

/// The value of a phantom at the point (x, y): the sum of the ellipses' values there (`Ellipse::value_at`;
/// for constant ellipses, the sum of the intensities of those containing the point).
inline double phantom_value(std::span<const Ellipse> ellipses, double x, double y) {
  double v = 0.0;
  for (const Ellipse& e : ellipses) {
    expect_valid_ellipse(e, "phantom_value");
    v += e.value_at(x, y);
  }
  return v;
}

/// Renders ellipses on an H×W pixel grid (see the file comment for the coordinates).  With
/// `supersample = s`, each pixel is the mean of s×s point samples at its sub-cell centres.
template <Real T = double>
xt::xtensor<T, 2> render_ellipses(std::span<const Ellipse> ellipses, std::size_t height, std::size_t width,
                                  const RenderOptions& options = {}) {
  EQR_EXPECTS(height >= 1 && width >= 1, shape_error, "render_ellipses: expected a positive image size, found ",
              height, "x", width);
  EQR_EXPECTS(options.supersample >= 1 && options.supersample <= 64, value_error,
              "render_ellipses: expected a supersampling factor in 1..64, found ", options.supersample);
  for (const Ellipse& e : ellipses) expect_valid_ellipse(e, "render_ellipses");
  const double h = 2.0 / static_cast<double>(std::max(height, width));
  const std::size_t s = options.supersample;
  // Bounding boxes: the half-extents of a rotated ellipse are sqrt(a²c² + b²s²) and sqrt(a²s² + b²c²).
  struct Box {
    double x_low, x_high, y_low, y_high;
  };
  std::vector<Box> boxes;
  boxes.reserve(ellipses.size());
  for (const Ellipse& e : ellipses) {
    const auto [c, sn] = detail::cos_sin(e.angle);
    const double hx = std::sqrt(e.a * e.a * c * c + e.b * e.b * sn * sn);
    const double hy = std::sqrt(e.a * e.a * sn * sn + e.b * e.b * c * c);
    boxes.push_back({e.x0 - hx, e.x0 + hx, e.y0 - hy, e.y0 + hy});
  }
  xt::xtensor<T, 2> image = xt::zeros<T>({height, width});
  const double cx = 0.5 * static_cast<double>(width - 1), cy = 0.5 * static_cast<double>(height - 1);
  const double weight = 1.0 / static_cast<double>(s * s);
  for (std::size_t i = 0; i < height; ++i) {
    for (std::size_t j = 0; j < width; ++j) {
      double sum = 0.0;
      for (std::size_t si = 0; si < s; ++si) {
        // Sub-sample offsets ((k + ½)/s − ½)·h are symmetric about the pixel centre, so quarter turns of
        // the phantom map samples onto samples exactly.
        const double y = (cy - static_cast<double>(i) - ((static_cast<double>(si) + 0.5) / s - 0.5)) * h;
        for (std::size_t sj = 0; sj < s; ++sj) {
          const double x = (static_cast<double>(j) - cx + ((static_cast<double>(sj) + 0.5) / s - 0.5)) * h;
          double v = 0.0;
          for (std::size_t k = 0; k < ellipses.size(); ++k) {
            const Box& b = boxes[k];
            if (x >= b.x_low && x <= b.x_high && y >= b.y_low && y <= b.y_high) v += ellipses[k].value_at(x, y);
          }
          if (options.clip) v = std::clamp(v, options.clip_low, options.clip_high);
          sum += v;
        }
      }
      image(i, j) = static_cast<T>(sum * weight);
    }
  }
  return image;
}

/// The ellipses rotated counter-clockwise by `angle` (radians) about the image centre: centres rotate,
/// orientations add `angle`, intensities, semi-axes and profiles are kept.  Rendering the result is the
/// analytic rotation of the phantom.
inline std::vector<Ellipse> rotate_ellipses(std::span<const Ellipse> ellipses, double angle) {
  const auto [c, s] = detail::cos_sin(angle);
  std::vector<Ellipse> out(ellipses.begin(), ellipses.end());
  for (Ellipse& e : out) {
    const double x = e.x0, y = e.y0;
    e.x0 = c * x - s * y;
    e.y0 = s * x + c * y;
    e.angle += angle;
  }
  return out;
}

/// The ten ellipses of the modified Shepp–Logan phantom: Shepp and Logan's geometry (1974) with Toft's
/// higher-contrast intensities (1, −0.8, −0.2, −0.2, 0.1 × 6), as in scikit-image and ODL.  Its values lie
/// in [0, 1]: 1 on the skull, 0.2 in the brain, 0 in the two large ventricles, 0.3–0.4 in the small features.
inline std::vector<Ellipse> shepp_logan_ellipses() {
  constexpr double deg = std::numbers::pi / 180.0;
  return {
      //  intensity  a       b       x0     y0       angle
      {1.0, 0.69, 0.92, 0.0, 0.0, 0.0},
      {-0.8, 0.6624, 0.8740, 0.0, -0.0184, 0.0},
      {-0.2, 0.1100, 0.3100, 0.22, 0.0, -18 * deg},
      {-0.2, 0.1600, 0.4100, -0.22, 0.0, 18 * deg},
      {0.1, 0.2100, 0.2500, 0.0, 0.35, 0.0},
      {0.1, 0.0460, 0.0460, 0.0, 0.1, 0.0},
      {0.1, 0.0460, 0.0460, 0.0, -0.1, 0.0},
      {0.1, 0.0460, 0.0230, -0.08, -0.605, 0.0},
      {0.1, 0.0230, 0.0230, 0.0, -0.606, 0.0},
      {0.1, 0.0230, 0.0460, 0.06, -0.605, 0.0},
  };
}

/// The modified Shepp–Logan phantom as an n×n image, optionally rotated counter-clockwise by `angle`
/// (analytically) and supersampled.  Samples are clamped to [0, 1] (this removes only rounding residues
/// such as 1 − 0.8 − 0.2 ≠ 0 in floating point).
template <Real T = double>
xt::xtensor<T, 2> shepp_logan(std::size_t n, std::size_t supersample = 1, double angle = 0.0) {
  const auto ellipses = rotate_ellipses(shepp_logan_ellipses(), angle);
  return render_ellipses<T>(ellipses, n, n, {supersample, true, 0.0, 1.0});
}

/// The distribution of random-ellipse phantoms: a background ("body") ellipse plus `count` inner ellipses.
struct RandomEllipsesOptions {
  /// Number of inner ellipses.
  std::size_t count = 15;
  /// Range of the inner ellipses' semi-axes (normalised units).
  double min_axis = 0.03;
  double max_axis = 0.3;
  /// Range of the inner ellipses' intensities (added to the body; negative values make darker regions).
  double min_intensity = -0.3;
  double max_intensity = 0.5;
  /// Range of the body's intensity.
  double min_body_intensity = 0.2;
  double max_body_intensity = 0.5;
  /// With a preferred orientation (DESIGN.md §4): a wide horizontal body, inner ellipses elongated along
  /// x and turned at most ±`angle_spread`/2 from it.  Without: body and inner angles uniformly random.
  bool oriented = false;
  double angle_spread = std::numbers::pi / 6;
  /// Range of the inner ellipses' profile exponents p (`Ellipse::profile`: intensity·(1 − ρ²)^p inside);
  /// [0, 0], the default, gives constant ellipses and draws nothing.  The exponents come from a second
  /// random stream of the seed (`profile_stream_seed`), drawn after everything else, so a phantom's
  /// geometry and intensities are those of the same seed with constant ellipses: only the profiles differ.
  double min_profile = 0.0;
  double max_profile = 0.0;
};

/// The seed of the second random stream of `random_ellipses` (the profile exponents) for a phantom seed.
[[nodiscard]] inline std::uint64_t profile_stream_seed(std::uint64_t seed) { return seed ^ 0x2545F4914F6CDD1Dull; }

/// The ellipses of one random phantom; the same seed gives the same phantom on every platform
/// (eqr::Random: std::mt19937_64 with written-out transforms).  Inner centres are uniform in the body
/// shrunk to 80%; rendering with clipping to [0, 1] (what `random_ellipse_phantom` does) keeps values there.
/// The body is always constant; inner profiles are drawn uniformly from [min_profile, max_profile].
inline std::vector<Ellipse> random_ellipses(std::uint64_t seed, const RandomEllipsesOptions& o = {}) {
  EQR_EXPECTS(0 < o.min_axis && o.min_axis <= o.max_axis, value_error,
              "random_ellipses: expected 0 < min_axis <= max_axis, found ", o.min_axis, " and ", o.max_axis);
  EQR_EXPECTS(o.min_intensity <= o.max_intensity && o.min_body_intensity <= o.max_body_intensity, value_error,
              "random_ellipses: expected ordered intensity ranges, found [", o.min_intensity, ", ", o.max_intensity,
              "] and [", o.min_body_intensity, ", ", o.max_body_intensity, "]");
  EQR_EXPECTS(o.angle_spread >= 0 && o.angle_spread <= 2 * std::numbers::pi, value_error,
              "random_ellipses: expected an angle spread in [0, 2*pi], found ", o.angle_spread);
  EQR_EXPECTS(std::isfinite(o.max_profile) && 0 <= o.min_profile && o.min_profile <= o.max_profile, value_error,
              "random_ellipses: expected a profile exponent range 0 <= min_profile <= max_profile (finite), found [",
              o.min_profile, ", ", o.max_profile, "]");
  Random rng(seed);
  const auto uniform = [&rng](double low, double high) { return low + (high - low) * rng.uniform(); };
  std::vector<Ellipse> out;
  out.reserve(o.count + 1);
  Ellipse body;
  body.intensity = uniform(o.min_body_intensity, o.max_body_intensity);
  if (o.oriented) {
    body.a = uniform(0.8, 0.9);
    body.b = uniform(0.45, 0.6);
    body.angle = 0.0;
  } else {
    body.a = uniform(0.6, 0.9);
    body.b = uniform(0.6, 0.9);
    body.angle = uniform(0.0, std::numbers::pi);
  }
  out.push_back(body);
  const auto [bc, bs] = detail::cos_sin(body.angle);
  for (std::size_t k = 0; k < o.count; ++k) {
    Ellipse e;
    e.intensity = uniform(o.min_intensity, o.max_intensity);
    e.a = uniform(o.min_axis, o.max_axis);
    e.b = uniform(o.min_axis, o.max_axis);
    // A uniform point of the unit disc by rejection, mapped into the body shrunk to 80%.
    double u = 0, v = 0;
    do {
      u = uniform(-1.0, 1.0);
      v = uniform(-1.0, 1.0);
    } while (u * u + v * v > 1.0);
    const double px = 0.8 * body.a * u, py = 0.8 * body.b * v;
    e.x0 = bc * px - bs * py;
    e.y0 = bs * px + bc * py;
    if (o.oriented) {
      if (e.a < e.b) std::swap(e.a, e.b);
      e.angle = body.angle + uniform(-0.5 * o.angle_spread, 0.5 * o.angle_spread);
    } else {
      e.angle = uniform(0.0, std::numbers::pi);
    }
    out.push_back(e);
  }
  if (o.max_profile > 0) {  // after all draws of the constant phantom, from their own stream
    Random profile_rng(profile_stream_seed(seed));
    for (std::size_t k = 1; k < out.size(); ++k)
      out[k].profile = o.min_profile + (o.max_profile - o.min_profile) * profile_rng.uniform();
  }
  return out;
}

/// A random-ellipse phantom as an n×n image with values in [0, 1], optionally rotated counter-clockwise by
/// `angle` (analytically: the same phantom in another orientation) and supersampled.
template <Real T = double>
xt::xtensor<T, 2> random_ellipse_phantom(std::size_t n, std::uint64_t seed, const RandomEllipsesOptions& options = {},
                                         std::size_t supersample = 1, double angle = 0.0) {
  const auto ellipses = rotate_ellipses(random_ellipses(seed, options), angle);
  return render_ellipses<T>(ellipses, n, n, {supersample, true, 0.0, 1.0});
}

}  // namespace eqr::data
