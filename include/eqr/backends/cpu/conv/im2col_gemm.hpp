/// @file backends/cpu/conv/im2col_gemm.hpp
/// `Im2colGemm`, a `ConvKernel` (the CPU backend's default on targets without AVX-512): padded
/// cross-correlation by tiled im2col + Eigen GEMM, parallel over (image, row tile) with oneTBB.
/// The im2col helpers here are shared with Im2colMicrokernel.
///
/// For one image and a tile of output rows i0 … i0+R−1 (P = R · W_out pixels) the tile's patches are
/// copied into a K × P row-major matrix (K = C_in · k², row (c, a, b), column (i, j)):
///
///   col[(c,a,b), (i,j)] = x̃[c, i+a−p, j+b−p]
///
/// and then   correlate:          Y_tile (C_out × P)  = W (C_out × K) · col (+ bias),
///            correlate_weights:  dW (C_out × K)     += dY_tile (C_out × P) · colᵀ.
/// Tiles are sized so that col stays near the L2 cache (a whole-image col of a 96-channel 3×3 layer at
/// 320² would be 350 MB); each worker thread reuses one buffer. The weight gradient is summed over tiles by
/// oneTBB's deterministic reduction, so results do not depend on the number of threads. Eigen's own
/// threading must stay off (it is, unless the program is built with OpenMP); parallelism is oneTBB's.
#pragma once

#include "eqr/backends/cpu/detail/intrinsics.hpp"  // first: see the header

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include <Eigen/Core>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>

#include "eqr/backends/cpu/conv/correlation.hpp"

namespace eqr::cpu {

namespace detail {

/// Row-major dynamic Eigen matrix.
template <Real T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Fills `col` (K × rows·W_out, row-major) with the patches of output rows i0 … i0+rows−1 of one image `x`
/// (C_in × H × W): col[(c,a,b), (i−i0)·W_out + j] = x̃[c, i+a−p, j+b−p] (see the file comment).
template <Real T>
void im2col_rows(const CorrelationGeometry& g, const T* x, std::size_t i0, std::size_t rows, T* col) {
  const auto h = static_cast<std::ptrdiff_t>(g.h);
  const auto w = static_cast<std::ptrdiff_t>(g.w);
  const auto pad = static_cast<std::ptrdiff_t>(g.pad);
  const auto w_out = static_cast<std::ptrdiff_t>(g.w_out());
  const std::size_t cols = rows * g.w_out();
  const bool replicate = g.mode == Padding::replicate;
  T* dst = col;
  for (std::size_t c = 0; c < g.c_in; ++c) {
    const T* plane = x + c * g.h * g.w;
    for (std::size_t a = 0; a < g.k; ++a) {
      for (std::size_t b = 0; b < g.k; ++b, dst += cols) {
        // Valid output columns j read source columns j + b − p inside [0, W).
        const std::ptrdiff_t shift = static_cast<std::ptrdiff_t>(b) - pad;
        const std::ptrdiff_t j_lo = std::clamp<std::ptrdiff_t>(-shift, 0, w_out);
        const std::ptrdiff_t j_hi = std::clamp<std::ptrdiff_t>(w - shift, j_lo, w_out);
        for (std::size_t r = 0; r < rows; ++r) {
          T* out = dst + r * g.w_out();
          const std::ptrdiff_t si = static_cast<std::ptrdiff_t>(i0 + r + a) - pad;
          if (!replicate && (si < 0 || si >= h)) {
            std::fill(out, out + w_out, T(0));
            continue;
          }
          const T* src = plane + clamp_index(si, h) * w;
          const T left = replicate ? src[0] : T(0);
          const T right = replicate ? src[w - 1] : T(0);
          std::fill(out, out + j_lo, left);
          if (j_hi > j_lo) std::memcpy(out + j_lo, src + j_lo + shift, static_cast<std::size_t>(j_hi - j_lo) * sizeof(T));
          std::fill(out + j_hi, out + w_out, right);
        }
      }
    }
  }
}

/// The number of output rows per tile: the geometry's choice if set, else as many whole rows as add up to
/// P = budget / (K · sizeof(T)) pixels, P clamped to 256 … 4096 (at least one row). Measured on Zen 4 with
/// Eigen 3.4 (96 → 96, 3×3, float; K = 864 gives P ≈ 455): the GEMM runs fastest for P ≈ 192 … 384
/// columns; wider tiles spill the K × P tile out of L2, narrower ones repack the weights too often.
template <Real T>
std::size_t tile_rows(const CorrelationGeometry& g, std::size_t budget) {
  if (g.tile_rows > 0) return std::min(g.tile_rows, g.h_out());
  const std::size_t target = std::clamp<std::size_t>(budget / (g.depth() * sizeof(T)), 256, 4096);
  return std::clamp<std::size_t>(target / g.w_out(), 1, g.h_out());
}

/// A per-thread scratch buffer of at least `size` elements, reused across calls.
template <Real T>
T* scratch(std::size_t size) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

}  // namespace detail

/// Tiled im2col + Eigen GEMM (see the file comment); models `ConvKernel`.
struct Im2colGemm {
  /// Target bytes K · P · sizeof(T) of one im2col tile (1.5 MiB; see detail::tile_rows for the pixel clamp).
  static constexpr std::size_t tile_budget = std::size_t{3} << 19;

  /// "im2col+gemm".
  static constexpr const char* name() noexcept { return "im2col+gemm"; }

  /// y = x ⋆ w (+ bias): the padded cross-correlation of correlation.hpp; y is N × C_out × H_out × W_out.
  template <Real T>
  static void correlate(const CorrelationGeometry& g, const T* x, const T* weights, const T* bias, T* y) {
    g.validate();
    const std::size_t rows = detail::tile_rows<T>(g, tile_budget);
    const std::size_t tiles = (g.h_out() + rows - 1) / rows;
    const std::size_t plane_out = g.h_out() * g.w_out();
    const std::size_t depth = g.depth();
    oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, g.n * tiles, 1), [&](const auto& range) {
      for (std::size_t item = range.begin(); item != range.end(); ++item) {
        const std::size_t n = item / tiles;
        const std::size_t i0 = (item % tiles) * rows;
        const std::size_t r = std::min(rows, g.h_out() - i0);
        const std::size_t p = r * g.w_out();
        T* col = detail::scratch<T>(depth * p);
        detail::im2col_rows(g, x + n * g.c_in * g.h * g.w, i0, r, col);
        using Stride = Eigen::OuterStride<>;
        const Eigen::Map<const detail::RowMatrix<T>> wm(weights, static_cast<Eigen::Index>(g.c_out),
                                                        static_cast<Eigen::Index>(depth));
        const Eigen::Map<const detail::RowMatrix<T>> cm(col, static_cast<Eigen::Index>(depth),
                                                        static_cast<Eigen::Index>(p));
        Eigen::Map<detail::RowMatrix<T>, 0, Stride> ym(y + n * g.c_out * plane_out + i0 * g.w_out(),
                                                       static_cast<Eigen::Index>(g.c_out), static_cast<Eigen::Index>(p),
                                                       Stride(static_cast<Eigen::Index>(plane_out)));
        ym.noalias() = wm * cm;
        if (bias != nullptr)
          ym.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias, static_cast<Eigen::Index>(g.c_out));
      }
    });
  }

  /// dw = Σ_{n,i,j} dy · x̃ (correlation.hpp); dy is N × C_out × H_out × W_out, dw is C_out × C_in × k × k.
  template <Real T>
  static void correlate_weights(const CorrelationGeometry& g, const T* x, const T* dy, T* dw) {
    g.validate();
    const std::size_t rows = detail::tile_rows<T>(g, tile_budget);
    const std::size_t tiles = (g.h_out() + rows - 1) / rows;
    const std::size_t items = g.n * tiles;
    const std::size_t plane_out = g.h_out() * g.w_out();
    const auto depth = static_cast<Eigen::Index>(g.depth());
    const auto c_out = static_cast<Eigen::Index>(g.c_out);
    using Matrix = detail::RowMatrix<T>;
    // A fixed split into at most 16 leaves: deterministic in the thread count, few partial sums to add.
    const std::size_t grain = std::max<std::size_t>(1, (items + 15) / 16);
    const Matrix total = oneapi::tbb::parallel_deterministic_reduce(
        oneapi::tbb::blocked_range<std::size_t>(0, items, grain), Matrix(Matrix::Zero(c_out, depth)),
        [&](const oneapi::tbb::blocked_range<std::size_t>& range, Matrix partial) {
          for (std::size_t item = range.begin(); item != range.end(); ++item) {
            const std::size_t n = item / tiles;
            const std::size_t i0 = (item % tiles) * rows;
            const std::size_t r = std::min(rows, g.h_out() - i0);
            const auto p = static_cast<Eigen::Index>(r * g.w_out());
            T* col = detail::scratch<T>(g.depth() * static_cast<std::size_t>(p));
            detail::im2col_rows(g, x + n * g.c_in * g.h * g.w, i0, r, col);
            using Stride = Eigen::OuterStride<>;
            const Eigen::Map<const Matrix> cm(col, depth, p);
            const Eigen::Map<const Matrix, 0, Stride> dym(dy + n * g.c_out * plane_out + i0 * g.w_out(), c_out, p,
                                                          Stride(static_cast<Eigen::Index>(plane_out)));
            partial.noalias() += dym * cm.transpose();
          }
          return partial;
        },
        [](Matrix a, const Matrix& b) {
          a += b;
          return a;
        });
    Eigen::Map<Matrix>(dw, c_out, depth) = total;
  }
};

static_assert(ConvKernel<Im2colGemm>, "Im2colGemm must model ConvKernel.");

}  // namespace eqr::cpu
