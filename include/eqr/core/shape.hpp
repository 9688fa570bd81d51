/// @file core/shape.hpp
/// `Shape4`, the extents N × C × H × W of an image batch, with the shape checks every backend shares.
///
/// Every tensor in EquiRecon is a batch of multi-channel images stored row-major as N × C × H × W
/// (DESIGN.md §3): N images, C channels (a complex image is two real channels), H rows, W columns.
/// Convolution weights use the same four extents as C_out × C_in × k × k, and a bias is 1 × C × 1 × 1,
/// so one tensor type serves every backend primitive.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "eqr/config.hpp"

namespace eqr {

/// The extents of a rank-4 tensor in the N × C × H × W convention (batch, channels, rows, columns).
/// A value type; two shapes are equal when all four extents are.
struct Shape4 {
  std::size_t n = 0;  ///< batch size N
  std::size_t c = 0;  ///< channels C
  std::size_t h = 0;  ///< rows H
  std::size_t w = 0;  ///< columns W

  /// The number of elements N·C·H·W.
  [[nodiscard]] constexpr std::size_t numel() const noexcept { return n * c * h * w; }
  /// The number of pixels of one channel image, H·W.
  [[nodiscard]] constexpr std::size_t plane() const noexcept { return h * w; }
  friend constexpr bool operator==(const Shape4&, const Shape4&) = default;
};

/// The shape printed as "N×C×H×W", e.g. "2×3×5×7" (the form every shape error message uses).
[[nodiscard]] inline std::string to_string(const Shape4& s) {
  return detail::concat(s.n, "×", s.c, "×", s.h, "×", s.w);
}

/// Extents of any rank printed the way `to_string(Shape4)` prints four, e.g. "2×3×2×5×7" for a gradient
/// field N×C×2×H×W.
template <class Extents>
[[nodiscard]] std::string extents_string(const Extents& extents) {
  std::string s;
  for (const auto e : extents) s += (s.empty() ? "" : "×") + std::to_string(e);
  return s;
}

/// Streams `to_string(s)`.
inline std::ostream& operator<<(std::ostream& out, const Shape4& s) { return out << to_string(s); }

/// The shape of a bias vector for `channels` output channels: 1 × C × 1 × 1.
[[nodiscard]] constexpr Shape4 bias_shape(std::size_t channels) noexcept { return {1, channels, 1, 1}; }

/// Throws shape_error unless `a == b`; `what` names the operation, and the message shows both shapes.
inline void expect_same_shape(const Shape4& a, const Shape4& b, const char* what) {
  EQR_EXPECTS(a == b, shape_error, what, ": expected operands of the same shape, found ", a, " and ", b);
}

/// Throws shape_error unless `found == want`; `what` names the operation or argument, and the message shows
/// both shapes, e.g. "Radon::apply: expected a batch of shape 2×1×16×16, found 2×1×16×17".
inline void expect_shape(const Shape4& found, const Shape4& want, const char* what) {
  EQR_EXPECTS(found == want, shape_error, what, ": expected a batch of shape ", want, ", found ", found);
}

/// Throws shape_error unless the shape has no zero extent; `what` names the operation.
inline void expect_nonempty(const Shape4& s, const char* what) {
  EQR_EXPECTS(s.numel() > 0, shape_error, what, ": expected a non-empty N×C×H×W tensor, found ", s);
}

}  // namespace eqr
