/// @file backends/cpu/conv/correlation.hpp
/// `CorrelationGeometry` and the `ConvKernel` concept: the seam between the CPU convolution primitives
/// (forward, backward-data, backward-weights, in conv2d.hpp) and the inner algorithm that computes them
/// (im2col + GEMM today; Winograd or a direct kernel could model the same concept without touching callers).
///
/// Every convolution pass of a stride-1 network reduces to two padded cross-correlations:
///
///   correlate:          y[n,o,i,j]  = bias[o] + Σ_{c,a,b} w[o,c,a,b] · x̃[n,c,i+a−p, j+b−p]
///   correlate_weights:  dw[o,c,a,b] = Σ_{n,i,j} dy[n,o,i,j] · x̃[n,c,i+a−p, j+b−p]
///
/// with x̃ the input extended by p pixels on every side (zeros or replicate, see `Padding`), and output
/// extents H_out = H + 2p − k + 1, W_out = W + 2p − k + 1. The forward pass is p = r = (k−1)/2; the backward
/// data pass is a correlation of dy with the flipped, transposed kernel (p = r for zeros, p = 2r followed
/// by a fold of the border for replicate); the weight gradient is correlate_weights with p = r.
#pragma once

#include <concepts>
#include <cstddef>

#include "eqr/config.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/scalar.hpp"

namespace eqr::cpu {

/// The extents of one padded cross-correlation: input N × C_in × H × W, weights C_out × C_in × k × k,
/// extension by `pad` pixels per side in mode `mode`; all arrays dense row-major.
struct CorrelationGeometry {
  std::size_t n = 0;      ///< batch size N
  std::size_t c_in = 0;   ///< input channels C_in
  std::size_t h = 0;      ///< input rows H
  std::size_t w = 0;      ///< input columns W
  std::size_t c_out = 0;  ///< output channels C_out
  std::size_t k = 1;      ///< kernel size k (odd)
  std::size_t pad = 0;    ///< extension p on every side
  Padding mode = Padding::zeros;  ///< how the extension reads outside the image
  /// Rows of output per work item; 0 lets the kernel choose (tests set small values to exercise tiling).
  std::size_t tile_rows = 0;

  /// Output rows H + 2p − k + 1.
  [[nodiscard]] constexpr std::size_t h_out() const noexcept { return h + 2 * pad + 1 - k; }
  /// Output columns W + 2p − k + 1.
  [[nodiscard]] constexpr std::size_t w_out() const noexcept { return w + 2 * pad + 1 - k; }
  /// The GEMM depth K = C_in · k².
  [[nodiscard]] constexpr std::size_t depth() const noexcept { return c_in * k * k; }
  /// Multiply-adds of one correlation, N · C_out · H_out · W_out · C_in · k² (FLOPs are twice this).
  [[nodiscard]] constexpr double macs() const noexcept {
    return static_cast<double>(n) * static_cast<double>(c_out) * static_cast<double>(h_out()) *
           static_cast<double>(w_out()) * static_cast<double>(depth());
  }

  /// Throws shape_error unless the geometry is non-empty, k is odd and the extended input covers the kernel.
  void validate() const {
    EQR_EXPECTS(n > 0 && c_in > 0 && h > 0 && w > 0 && c_out > 0, shape_error,
                "correlation: expected non-empty extents, found input ", n, "×", c_in, "×", h, "×", w,
                " and C_out = ", c_out);
    EQR_EXPECTS(k % 2 == 1, shape_error, "correlation: expected an odd kernel size, found ", k);
    EQR_EXPECTS(h + 2 * pad >= k && w + 2 * pad >= k, shape_error, "correlation: expected the ", h, "×", w,
                " input padded by ", pad, " to cover the ", k, "×", k, " kernel");
  }
};

/// An inner convolution algorithm for the CPU backend: a stateless type with the two padded
/// cross-correlations of this header's comment, for float and double.
///
/// - `K::correlate(g, x, w, bias, y)`: y (N × C_out × H_out × W_out) = the correlation of x with w, plus
///   bias[o] on channel o when `bias` is not null; y is overwritten.
/// - `K::correlate_weights(g, x, dy, dw)`: dw (C_out × C_in × k × k) = Σ dy · x̃ as above; overwritten.
/// Both may run in parallel on oneTBB's workers and must give results independent of the thread count.
template <class K>
concept ConvKernel = requires(const CorrelationGeometry& g, const float* cf, float* f, const double* cd, double* d) {
  K::correlate(g, cf, cf, cf, f);
  K::correlate(g, cd, cd, cd, d);
  K::correlate_weights(g, cf, cf, f);
  K::correlate_weights(g, cd, cd, d);
  { K::name() } -> std::convertible_to<const char*>;
};

}  // namespace eqr::cpu
