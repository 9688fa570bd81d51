/// @file operators/masks.hpp
/// Cartesian line masks for MRI over the k-space columns (phase-encode lines) of centred k-space, with
/// fastMRI's formulas (facebookresearch/fastMRI, fastmri/data/subsample.py) and a variable-density mask:
///
/// - random (fastMRI RandomMaskFunc): n_low = round(W·f) centre columns always, starting at
///   pad = ⌊(W − n_low + 1)/2⌋; every other column independently with probability
///   p = (W/R − n_low)/(W − n_low), so the expected acceleration is R.
/// - equispaced (fastMRI's EquispacedMaskFunc as first released, the same as the later
///   EquispacedMaskFractionFunc): the same centre, plus the columns round(offset + k·R'), k = 0, 1, …, below
///   W − 1, with the adjusted spacing R' = R·(n_low − W)/(n_low·R − W) (so that the total including the centre
///   is ≈ W/R) and a random integer offset in [0, round(R')).
/// - variable-density: the same centre, plus exactly round(W/R) − n_low further columns drawn without
///   replacement with weights (1 − |k − c|/(W/2))^decay (k the column, c the centre column), so the density
///   falls off towards high frequencies; the acceleration is exactly W/round(W/R).
///
/// round is round-half-to-even (as Python's round and numpy.around).  All masks are reproducible by seed
/// (eqr::Random); the random streams differ from numpy's, so a seed does not reproduce fastMRI's own draws.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/random.hpp"

namespace eqr {

/// The kinds of Cartesian line mask.
enum class LineMaskKind { random, equispaced, variable_density };

/// Parses "random", "equispaced" or "variable-density" (throws value_error naming the accepted values).
inline LineMaskKind parse_line_mask_kind(const std::string& name) {
  if (name == "random") return LineMaskKind::random;
  if (name == "equispaced") return LineMaskKind::equispaced;
  if (name == "variable-density") return LineMaskKind::variable_density;
  throw value_error(detail::concat("mask kind: expected random, equispaced or variable-density, found '", name, "'"));
}

namespace detail {

/// Round half to even, as Python's round() and numpy.around().
inline double round_half_even(double v) { return std::nearbyint(v); }

/// Checks the common mask parameters and returns n_low = round(W·f).
inline std::size_t centre_lines(std::size_t columns, double acceleration, double center_fraction) {
  EQR_EXPECTS(columns >= 1, shape_error, "line mask: expected at least 1 column, found ", columns);
  EQR_EXPECTS(std::isfinite(acceleration) && acceleration >= 1.0, value_error,
              "line mask: expected an acceleration ≥ 1, found ", acceleration);
  EQR_EXPECTS(std::isfinite(center_fraction) && center_fraction >= 0.0 && center_fraction <= 1.0, value_error,
              "line mask: expected a centre fraction in [0, 1], found ", center_fraction);
  return static_cast<std::size_t>(round_half_even(static_cast<double>(columns) * center_fraction));
}

/// Sets the n_low centre columns [pad, pad + n_low), pad = ⌊(W − n_low + 1)/2⌋ (fastMRI).
template <class T>
void set_centre(xt::xtensor<T, 1>& mask, std::size_t n_low) {
  const std::size_t w = mask.size();
  const std::size_t pad = (w - n_low + 1) / 2;
  for (std::size_t k = pad; k < pad + n_low && k < w; ++k) mask(k) = T(1);
}

}  // namespace detail

/// fastMRI's random line mask: the centre columns plus each other column with probability
/// p = (W/R − n_low)/(W − n_low) (clamped to [0, 1]).  Returns W values in {0, 1}.
template <Real T = float>
xt::xtensor<T, 1> random_line_mask(std::size_t columns, double acceleration, double center_fraction,
                                   std::uint64_t seed) {
  const std::size_t n_low = detail::centre_lines(columns, acceleration, center_fraction);
  xt::xtensor<T, 1> mask = xt::zeros<T>({columns});
  const double w = static_cast<double>(columns), low = static_cast<double>(n_low);
  const double p = n_low < columns ? std::clamp((w / acceleration - low) / (w - low), 0.0, 1.0) : 0.0;
  Random rng(seed);
  for (std::size_t k = 0; k < columns; ++k) mask(k) = rng.uniform() < p ? T(1) : T(0);
  detail::set_centre(mask, n_low);
  return mask;
}

/// fastMRI's equispaced line mask (first-release EquispacedMaskFunc): the centre columns plus every R'-th
/// column from a random offset, R' = R·(n_low − W)/(n_low·R − W).  Returns W values in {0, 1}.
template <Real T = float>
xt::xtensor<T, 1> equispaced_line_mask(std::size_t columns, double acceleration, double center_fraction,
                                       std::uint64_t seed) {
  const std::size_t n_low = detail::centre_lines(columns, acceleration, center_fraction);
  xt::xtensor<T, 1> mask = xt::zeros<T>({columns});
  detail::set_centre(mask, n_low);
  const double w = static_cast<double>(columns), low = static_cast<double>(n_low);
  const double denominator = low * acceleration - w;
  // With n_low ≥ W/R the centre alone reaches the acceleration (R' would be ≤ 0 or infinite): no more lines.
  if (denominator >= 0.0) return mask;
  const double spacing = acceleration * (low - w) / denominator;
  Random rng(seed);
  const auto offset_range = static_cast<std::uint64_t>(std::max(1.0, detail::round_half_even(spacing)));
  const double offset = static_cast<double>(rng.below(offset_range));
  for (std::size_t i = 0;; ++i) {  // numpy.arange(offset, W − 1, R'): offset + i·R' < W − 1
    const double k = offset + static_cast<double>(i) * spacing;
    if (!(k < w - 1.0)) break;
    const auto column = static_cast<std::size_t>(detail::round_half_even(k));
    if (column < columns) mask(column) = T(1);
  }
  return mask;
}

/// A variable-density line mask: the centre columns plus exactly round(W/R) − n_low further columns drawn
/// without replacement with weights (1 − |k − c|/(W/2))^decay (Efraimidis–Spirakis: the largest keys
/// u^(1/weight)).  `decay` ≥ 0; 0 gives a uniformly random choice.  Returns W values in {0, 1}.
template <Real T = float>
xt::xtensor<T, 1> variable_density_line_mask(std::size_t columns, double acceleration, double center_fraction,
                                             std::uint64_t seed, double decay = 2.0) {
  const std::size_t n_low = detail::centre_lines(columns, acceleration, center_fraction);
  EQR_EXPECTS(std::isfinite(decay) && decay >= 0.0, value_error,
              "variable-density mask: expected a decay exponent ≥ 0, found ", decay);
  xt::xtensor<T, 1> mask = xt::zeros<T>({columns});
  detail::set_centre(mask, n_low);
  const auto total = static_cast<std::size_t>(
      std::max(1.0, detail::round_half_even(static_cast<double>(columns) / acceleration)));
  if (total <= n_low) return mask;
  const std::size_t extra = total - n_low;
  const double centre = static_cast<double>(columns / 2), half = static_cast<double>(columns) / 2.0;
  Random rng(seed);
  std::vector<std::pair<double, std::size_t>> keys;
  for (std::size_t k = 0; k < columns; ++k) {
    const double u = rng.uniform_open_low();  // drawn for every column so the stream is fixed by W alone
    if (mask(k) != T(0)) continue;
    const double weight = std::pow(std::max(1e-3, 1.0 - std::abs(static_cast<double>(k) - centre) / half), decay);
    keys.emplace_back(std::log(u) / weight, k);  // log of the key u^(1/weight): order-preserving
  }
  const std::size_t take = std::min(extra, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(take), keys.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (std::size_t i = 0; i < take; ++i) mask(keys[i].second) = T(1);
  return mask;
}

/// The mask of the given kind (see the three functions above).
template <Real T = float>
xt::xtensor<T, 1> line_mask(LineMaskKind kind, std::size_t columns, double acceleration, double center_fraction,
                            std::uint64_t seed) {
  switch (kind) {
    case LineMaskKind::random: return random_line_mask<T>(columns, acceleration, center_fraction, seed);
    case LineMaskKind::equispaced: return equispaced_line_mask<T>(columns, acceleration, center_fraction, seed);
    case LineMaskKind::variable_density:
      return variable_density_line_mask<T>(columns, acceleration, center_fraction, seed);
  }
  throw value_error("line_mask: unknown mask kind");
}

/// The column mask repeated over H rows: the H×W k-space mask (as written by `eqr mask`).
template <Real T>
xt::xtensor<T, 2> expand_line_mask(const xt::xtensor<T, 1>& column_mask, std::size_t rows) {
  EQR_EXPECTS(rows >= 1, shape_error, "expand_line_mask: expected at least 1 row, found ", rows);
  xt::xtensor<T, 2> m = xt::xtensor<T, 2>::from_shape({rows, column_mask.size()});
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < column_mask.size(); ++j) m(i, j) = column_mask(j);
  return m;
}

}  // namespace eqr
