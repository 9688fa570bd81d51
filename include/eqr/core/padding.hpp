/// @file core/padding.hpp
/// `Padding`, how a stride-1 "same" convolution extends an image beyond its border, and the geometry of
/// such convolutions (odd kernels, radius, the shape checks of forward and backward passes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "eqr/config.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// How a convolution reads pixels outside the image. With kernel radius r = (k − 1)/2 the image u of
/// size H × W is extended to ũ on (−r … H−1+r) × (−r … W−1+r):
/// - `zeros`:     ũ(i, j) = u(i, j) inside, 0 outside;
/// - `replicate`: ũ(i, j) = u(clamp(i, 0, H−1), clamp(j, 0, W−1)) (the paper's choice, DESIGN.md §4).
/// Both commute with rot90 on square images, so they keep rotation-equivariant layers equivariant.
enum class Padding { zeros, replicate };

/// The name of a padding mode as the tool and checkpoints spell it: "zeros" or "replicate".
[[nodiscard]] constexpr std::string_view name(Padding p) noexcept {
  return p == Padding::zeros ? "zeros" : "replicate";
}

/// Parses "zeros" or "replicate"; anything else is a value_error naming what was found.
[[nodiscard]] inline Padding parse_padding(std::string_view text) {
  if (text == "zeros") return Padding::zeros;
  if (text == "replicate") return Padding::replicate;
  throw value_error(detail::concat("padding: expected 'zeros' or 'replicate', found '", text, "'"));
}

/// Maps an index of the extended image, which may lie outside [0, n), onto the pixel that `replicate`
/// padding reads: clamp(i, 0, n − 1).
[[nodiscard]] constexpr std::ptrdiff_t clamp_index(std::ptrdiff_t i, std::ptrdiff_t n) noexcept {
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/// The shape checks of a stride-1 "same" 2-D convolution y = w ⋆ x (DESIGN.md §3), shared by all backends.
/// x is N × C_in × H × W, w is C_out × C_in × k × k with k odd, y is N × C_out × H × W, b is 1 × C_out × 1 × 1.
struct ConvShapes {
  /// Checks the weight shape alone: square, odd kernel, non-empty. Returns k.
  static std::size_t kernel_size(const Shape4& w, const char* what) {
    EQR_EXPECTS(w.numel() > 0, shape_error, what, ": expected weights C_out×C_in×k×k, found ", w);
    EQR_EXPECTS(w.h == w.w && w.h % 2 == 1, shape_error, what,
                ": expected a square kernel of odd size k×k (C_out×C_in×k×k), found weights ", w);
    return w.h;
  }
  /// Checks x against w and returns the output shape N × C_out × H × W.
  static Shape4 forward(const Shape4& x, const Shape4& w, const char* what) {
    kernel_size(w, what);
    expect_nonempty(x, what);
    EQR_EXPECTS(x.c == w.c, shape_error, what, ": expected input channels equal to the weights' C_in = ", w.c,
                ", found input ", x, " and weights ", w);
    return {x.n, w.n, x.h, x.w};
  }
  /// Checks dy against w and returns the input-gradient shape N × C_in × H × W.
  static Shape4 backward_data(const Shape4& dy, const Shape4& w, const char* what) {
    kernel_size(w, what);
    expect_nonempty(dy, what);
    EQR_EXPECTS(dy.c == w.n, shape_error, what, ": expected output-gradient channels equal to the weights' C_out = ",
                w.n, ", found output gradient ", dy, " and weights ", w);
    return {dy.n, w.c, dy.h, dy.w};
  }
  /// Checks x against dy and an odd k; returns the weight-gradient shape C_out × C_in × k × k.
  static Shape4 backward_weights(const Shape4& x, const Shape4& dy, std::size_t k, const char* what) {
    EQR_EXPECTS(k % 2 == 1, shape_error, what, ": expected an odd kernel size k, found ", k);
    expect_nonempty(x, what);
    EQR_EXPECTS(x.n == dy.n && x.h == dy.h && x.w == dy.w, shape_error, what,
                ": expected input and output gradient with equal N, H, W, found input ", x, " and output gradient ", dy);
    return {dy.c, x.c, k, k};
  }
  /// Checks a bias against C_out channels.
  static void bias(const Shape4& b, std::size_t channels, const char* what) {
    EQR_EXPECTS(b == bias_shape(channels), shape_error, what, ": expected a bias of shape ", bias_shape(channels),
                ", found ", b);
  }
};

}  // namespace eqr
