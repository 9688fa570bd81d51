/// @file data/detail/geometry.hpp
/// What data/phantoms.hpp and data/rotate.hpp share: cos and sin of an angle
/// exact for multiples of 90° (std::cos(π/2) is 6.1e-17, not 0, and that residue would make a quarter turn
/// of an image or of a phantom differ from the exact rot90 in boundary pixels).
#pragma once

#include <cmath>
#include <concepts>
#include <numbers>
#include <utility>

#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"

namespace eqr::data::detail {

/// This namespace would hide eqr::detail inside eqr::data; re-export the message builder so that code in
/// eqr::data can keep writing `detail::concat(...)` as everywhere else in the library.
using ::eqr::detail::concat;

/// {cos θ, sin θ}, with exact 0/±1 values when θ is within 1e-12 (relative to π/2) of a multiple of π/2.
inline std::pair<double, double> cos_sin(double angle) {
  const double quarters = angle / (0.5 * std::numbers::pi);
  const double nearest = std::round(quarters);
  if (std::abs(quarters - nearest) < 1e-12) {
    const long q = ((static_cast<long>(std::fmod(nearest, 4.0)) % 4) + 4) % 4;
    constexpr double c[4] = {1, 0, -1, 0};
    constexpr double s[4] = {0, 1, 0, -1};
    return {c[q], s[q]};
  }
  return {std::cos(angle), std::sin(angle)};
}

}  // namespace eqr::data::detail
