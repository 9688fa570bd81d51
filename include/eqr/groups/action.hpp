/// @file groups/action.hpp
/// How a finite subgroup of O(2) acts: on points of R² (2×2 orthogonal matrices), on integer grid offsets
/// (only for the elements that map the grid onto itself), and on k×k stencils and row-major image planes.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <span>

#include "eqr/config.hpp"
#include "eqr/groups/concepts.hpp"

namespace eqr {

/// A point or offset of R² in math axes: x to the right, y up (DESIGN.md §3).
struct Point2 {
  double x = 0;
  double y = 0;
};

/// An integer grid offset in math axes (x = column offset, y = −row offset).
struct GridOffset {
  int x = 0;
  int y = 0;
  friend constexpr bool operator==(GridOffset, GridOffset) = default;
};

namespace detail {
/// (cos, sin) of the angle 2πn/m, exact (0 or ±1) when the angle is a multiple of 90°.
inline std::array<double, 2> cos_sin_of_turn_fraction(int n, int m) {
  n = ((n % m) + m) % m;
  if ((4 * n) % m == 0) {
    constexpr double quarter_cos[4] = {1, 0, -1, 0};
    constexpr double quarter_sin[4] = {0, 1, 0, -1};
    return {quarter_cos[4 * n / m], quarter_sin[4 * n / m]};
  }
  const double a = 2.0 * std::numbers::pi * n / m;
  return {std::cos(a), std::sin(a)};
}
}  // namespace detail

/// The rotation angle 2πk/M (radians, counter-clockwise) of the rotational part R_k of g = R_k F^f.
template <FiniteGroup G>
constexpr double rotation_angle(typename G::element g) {
  return 2.0 * std::numbers::pi * G::rotation_steps(g) / G::rotation_order();
}

/// The 2×2 orthogonal matrix of g = R_k F^f, row-major {a00, a01, a10, a11} (exact for quarter turns):
/// R_k = [[cos, −sin], [sin, cos]], F = diag(−1, 1).
template <FiniteGroup G>
std::array<double, 4> orthogonal_matrix(typename G::element g) {
  const auto [c, s] = detail::cos_sin_of_turn_fraction(G::rotation_steps(g), G::rotation_order());
  return G::has_flip(g) ? std::array<double, 4>{-c, -s, -s, c} : std::array<double, 4>{c, -s, s, c};
}

/// g·p for a point p of R².
template <FiniteGroup G>
Point2 act(typename G::element g, Point2 p) {
  const auto m = orthogonal_matrix<G>(g);
  return {m[0] * p.x + m[1] * p.y, m[2] * p.x + m[3] * p.y};
}

/// Whether g maps the integer grid Z² onto itself: its rotation is a multiple of 90°.
template <FiniteGroup G>
constexpr bool preserves_grid(typename G::element g) {
  return (4 * G::rotation_steps(g)) % G::rotation_order() == 0;
}

/// The integer matrix of a grid-preserving g, row-major {a00, a01, a10, a11} with entries in {−1, 0, 1}.
/// Throws `value_error` for an element whose rotation is not a multiple of 90° (e.g. 45° in C8): such an
/// element has no action on the grid, and rounding it would silently break equivariance.
template <FiniteGroup G>
constexpr std::array<int, 4> grid_matrix(typename G::element g) {
  EQR_EXPECTS(preserves_grid<G>(g), value_error, "grid action of ", G::name(), " element ", G::index_of(g),
              ": expected a rotation by a multiple of 90 degrees, found rotation by ", G::rotation_steps(g),
              "*360/", G::rotation_order(), " degrees, which does not map the pixel grid onto itself");
  constexpr int cos_q[4] = {1, 0, -1, 0};
  constexpr int sin_q[4] = {0, 1, 0, -1};
  const int q = (4 * G::rotation_steps(g)) / G::rotation_order();
  const int c = cos_q[q], s = sin_q[q];
  return G::has_flip(g) ? std::array<int, 4>{-c, -s, -s, c} : std::array<int, 4>{c, -s, s, c};
}

/// g·v for an integer grid offset v; only for grid-preserving elements (see `grid_matrix`).
template <FiniteGroup G>
constexpr GridOffset act_on_grid(typename G::element g, GridOffset v) {
  const auto m = grid_matrix<G>(g);
  return {m[0] * v.x + m[1] * v.y, m[2] * v.x + m[3] * v.y};
}

/// The shape (rows, columns) of g·f for a plane f of shape (rows, cols): swapped by odd quarter turns.
template <FiniteGroup G>
constexpr std::array<std::size_t, 2> transformed_shape(typename G::element g, std::size_t rows,
                                                       std::size_t cols) {
  const auto m = grid_matrix<G>(g);
  return m[0] == 0 ? std::array<std::size_t, 2>{cols, rows} : std::array<std::size_t, 2>{rows, cols};
}

/// The transformed plane [g·f](p) = f(g⁻¹p), p measured from the plane's centre in math axes (y up).
///
/// `src` is a row-major rows×cols plane, `dst` receives `transformed_shape(g, rows, cols)`.  For C4 this is
/// numpy.rot90(f, k) for g = R_k, and numpy.fliplr(f) for the mirror F (DESIGN.md §3).  Works for images
/// and for k×k kernel stencils alike; exact, since g permutes the pixels.
template <FiniteGroup G, class T>
void transform_plane(typename G::element g, std::span<const T> src, std::size_t rows, std::size_t cols,
                     std::span<T> dst) {
  EQR_EXPECTS(src.size() == rows * cols && dst.size() == rows * cols, shape_error,
              "transform_plane: expected source and destination of ", rows * cols, " values (", rows, "x",
              cols, "), found ", src.size(), " and ", dst.size());
  const auto inv = grid_matrix<G>(G::inverse(g));
  const auto [out_rows, out_cols] = transformed_shape<G>(g, rows, cols);
  // Doubled coordinates keep the half-integer plane centres exact: X = 2j − (W−1), Y = (H−1) − 2i.
  const long w_in = static_cast<long>(cols) - 1, h_in = static_cast<long>(rows) - 1;
  const long w_out = static_cast<long>(out_cols) - 1, h_out = static_cast<long>(out_rows) - 1;
  for (std::size_t i = 0; i < out_rows; ++i) {
    for (std::size_t j = 0; j < out_cols; ++j) {
      const long x = 2 * static_cast<long>(j) - w_out, y = h_out - 2 * static_cast<long>(i);
      const long sx = inv[0] * x + inv[1] * y, sy = inv[2] * x + inv[3] * y;
      const auto si = static_cast<std::size_t>((h_in - sy) / 2), sj = static_cast<std::size_t>((sx + w_in) / 2);
      dst[i * out_cols + j] = src[si * cols + sj];
    }
  }
}

}  // namespace eqr
