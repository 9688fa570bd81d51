/// @file operators/sampling_patterns.hpp
/// 2-D k-space sampling patterns for MaskedFourier (the masks that are not Cartesian lines), on the grid of
/// centred k-space — entry (H/2, W/2) is the zero frequency for even sides, ((H−1)/2, (W−1)/2) for odd ones
/// (operators/fft.hpp's convention) — with frequency coordinates (ky, kx) = (i − H/2, j − W/2):
///
/// - radial: full spokes through the centre at golden-angle increments, θ_k = k·π·(√5 − 1)/2 (the usual
///   choice of golden-angle radial MRI: any number of consecutive spokes covers the angles nearly
///   uniformly), each gridded to its nearest k-space points (steps of half a pixel along the spoke, out to the
///   grid's edge, offsets from the centre rounded half away from zero, so the pattern is symmetric under
///   k → −k wherever −k is on the grid, as a real image's k-space is); spokes are added until at least round(H·W/R) points are sampled, so the acceleration is
///   at most R and close to it.  Deterministic; the seed turns the first spoke by a random angle.
/// - variable-density 2-D (Poisson-style random sampling of compressed-sensing MRI, Lustig et al. 2007,
///   without the disc spacing): the points within radius f·min(H, W)/2 of the centre always, plus exactly
///   round(H·W/R) minus those further points drawn without replacement with weights (1 − r/r_max)^decay
///   (r the distance to the centre, r_max half the diagonal; Efraimidis–Spirakis keys), so the density falls
///   off towards high frequencies.
///
/// Both return an H×W array of 0/1 values (row-major: MaskedFourier(H, W, pattern)). Unlike line masks their
/// sampling is nearly isotropic, so turning the image by 90° changes the problem little — the setting where
/// an equivariant reconstruction's symmetry matches the measurement's.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/core/random.hpp"
#include "eqr/core/scalar.hpp"

namespace eqr {

/// The kinds of 2-D sampling pattern.
enum class PatternKind { radial, variable_density_2d };

/// Parses "radial" or "variable-density-2d" (throws value_error naming the accepted values).
inline PatternKind parse_pattern_kind(const std::string& name) {
  if (name == "radial") return PatternKind::radial;
  if (name == "variable-density-2d") return PatternKind::variable_density_2d;
  throw value_error(detail::concat("sampling pattern kind: expected radial or variable-density-2d, found '", name, "'"));
}

/// Whether `name` names a 2-D sampling pattern rather than a line mask.
inline bool is_pattern_kind(const std::string& name) { return name == "radial" || name == "variable-density-2d"; }

namespace detail {

/// Checks the pattern parameters and returns the number of points to sample, round(H·W/R) (at least 1).
inline std::size_t pattern_points(std::size_t h, std::size_t w, double acceleration) {
  EQR_EXPECTS(h >= 1 && w >= 1, shape_error, "sampling pattern: expected a k-space of at least 1x1, found ", h, "x", w);
  EQR_EXPECTS(std::isfinite(acceleration) && acceleration >= 1.0, value_error,
              "sampling pattern: expected an acceleration ≥ 1, found ", acceleration);
  return static_cast<std::size_t>(std::max(1.0, std::nearbyint(static_cast<double>(h * w) / acceleration)));
}

}  // namespace detail

/// Golden-angle radial spokes until at least round(H·W/R) points are sampled (the file comment).
template <Real T = float>
xt::xtensor<T, 2> radial_pattern(std::size_t h, std::size_t w, double acceleration, std::uint64_t seed = 0) {
  const std::size_t points = detail::pattern_points(h, w, acceleration);
  xt::xtensor<T, 2> mask = xt::zeros<T>({h, w});
  const double cy = static_cast<double>(h / 2), cx = static_cast<double>(w / 2);
  const double reach = std::hypot(static_cast<double>(h), static_cast<double>(w));
  const double golden = std::numbers::pi * (std::sqrt(5.0) - 1.0) / 2.0;
  Random rng(seed);
  const double start = seed == 0 ? 0.0 : std::numbers::pi * rng.uniform();
  std::size_t sampled = 0;
  // Each spoke adds at least the centre's neighbours until the grid is full; stop there at the latest.
  for (std::size_t k = 0; sampled < points && k < 64 * (h + w); ++k) {
    const double theta = start + static_cast<double>(k) * golden;
    const double dy = std::sin(theta), dx = std::cos(theta);
    const auto steps = static_cast<long>(2 * reach);
    for (long s = -steps; s <= steps; ++s) {
      // Offsets rounded half away from zero, an odd function: the spoke's points come in pairs ±(ky, kx).
      const double t = 0.5 * static_cast<double>(s);
      const double y = cy + std::round(t * dy), x = cx + std::round(t * dx);
      if (y < 0 || x < 0 || y >= static_cast<double>(h) || x >= static_cast<double>(w)) continue;
      T& m = mask(static_cast<std::size_t>(y), static_cast<std::size_t>(x));
      if (m == T(0)) {
        m = T(1);
        ++sampled;
      }
    }
  }
  return mask;
}

/// A variable-density random 2-D pattern with a fully sampled centre disc (the file comment). `decay` ≥ 0;
/// 0 gives a uniformly random choice outside the disc.
template <Real T = float>
xt::xtensor<T, 2> variable_density_2d_pattern(std::size_t h, std::size_t w, double acceleration, double center_fraction,
                                              std::uint64_t seed, double decay = 2.0) {
  const std::size_t points = detail::pattern_points(h, w, acceleration);
  EQR_EXPECTS(std::isfinite(center_fraction) && center_fraction >= 0.0 && center_fraction <= 1.0, value_error,
              "sampling pattern: expected a centre fraction in [0, 1], found ", center_fraction);
  EQR_EXPECTS(std::isfinite(decay) && decay >= 0.0, value_error, "sampling pattern: expected a decay exponent ≥ 0, found ", decay);
  xt::xtensor<T, 2> mask = xt::zeros<T>({h, w});
  const double cy = static_cast<double>(h / 2), cx = static_cast<double>(w / 2);
  const double disc = center_fraction * static_cast<double>(std::min(h, w)) / 2.0;
  const double r_max = std::hypot(static_cast<double>(h), static_cast<double>(w)) / 2.0;
  std::size_t sampled = 0;
  Random rng(seed);
  std::vector<std::pair<double, std::size_t>> keys;
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) {
      const double u = rng.uniform_open_low();  // drawn for every point so the stream is fixed by H and W alone
      const double r = std::hypot(static_cast<double>(i) - cy, static_cast<double>(j) - cx);
      if (r <= disc) {
        mask(i, j) = T(1);
        ++sampled;
        continue;
      }
      const double weight = std::pow(std::max(1e-3, 1.0 - r / r_max), decay);
      keys.emplace_back(std::log(u) / weight, i * w + j);  // log of the key u^(1/weight): order-preserving
    }
  const std::size_t take = std::min(points > sampled ? points - sampled : 0, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(take), keys.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (std::size_t k = 0; k < take; ++k) mask.data()[keys[k].second] = T(1);
  return mask;
}

/// The pattern of the given kind (the two functions above; radial ignores the centre fraction).
template <Real T = float>
xt::xtensor<T, 2> sampling_pattern(PatternKind kind, std::size_t h, std::size_t w, double acceleration, double center_fraction,
                                   std::uint64_t seed) {
  switch (kind) {
    case PatternKind::radial: return radial_pattern<T>(h, w, acceleration, seed);
    case PatternKind::variable_density_2d: return variable_density_2d_pattern<T>(h, w, acceleration, center_fraction, seed);
  }
  throw value_error("sampling_pattern: unknown pattern kind");
}

}  // namespace eqr
