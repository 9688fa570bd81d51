/// @file backends/cpu/conv/conv2d.hpp
/// The CPU convolution passes — forward, backward-data, backward-weights, bias gradient — of a stride-1
/// "same" 2-D convolution with an odd kernel and zeros or replicate padding, written against any `ConvKernel`.
///
/// Notation (Padding, TensorBackend): k = 2r + 1, x̃ = x extended by r pixels.
///   forward:          y  = w ⋆ x̃                                   = correlate(x, w, p = r)
///   backward-data:    dx = (∂y/∂x)ᵀ dy. Let w̄[c,o,a,b] = w[o,c,k−1−a,k−1−b] (flipped, transposed).
///                     zeros:     dx = correlate(dy, w̄, p = r, zeros)
///                     replicate: x̃ = E x with E the replicate extension, so dx = Eᵀ d̃x where
///                                d̃x = correlate(dy, w̄, p = 2r, zeros) is the (H+2r) × (W+2r) gradient of x̃
///                                and Eᵀ adds each extended pixel onto the pixel it clamps to (the border).
///                                The interior of d̃x is the zeros pass (written straight into dx); its frame
///                                comes from four thin blocks of dy, so no extended buffer is needed.
///   backward-weights: dw = correlate_weights(x, dy, p = r, same padding as forward)
///   bias:             db[o] = Σ_{n,i,j} dy[n,o,i,j]
/// Pointers are dense row-major arrays of the shapes given; outputs are overwritten.
#pragma once

#include "eqr/backends/cpu/detail/intrinsics.hpp"  // first: see the header

#include <algorithm>
#include <cstddef>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_invoke.h>

#include "eqr/backends/cpu/conv/correlation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::cpu {

/// y (N × C_out × H × W) = conv2d(x, w) + bias: the forward pass (bias may be null).
template <ConvKernel Kernel, Real T>
void conv2d_forward(const T* x, const Shape4& xs, const T* w, const Shape4& ws, const T* bias, Padding pad, T* y,
                    std::size_t tile_rows = 0) {
  ConvShapes::forward(xs, ws, "conv2d");
  const CorrelationGeometry g{xs.n, xs.c, xs.h, xs.w, ws.n, ws.h, ws.h / 2, pad, tile_rows};
  Kernel::correlate(g, x, w, bias, y);
}

/// w̄[c,o,a,b] = w[o,c,k−1−a,k−1−b]: the flipped, transposed kernel of the backward-data pass.
template <Real T>
std::vector<T> flip_transpose_kernel(const T* w, const Shape4& ws) {
  const std::size_t k = ws.h;
  std::vector<T> out(ws.numel());
  for (std::size_t o = 0; o < ws.n; ++o)
    for (std::size_t c = 0; c < ws.c; ++c)
      for (std::size_t a = 0; a < k; ++a)
        for (std::size_t b = 0; b < k; ++b)
          out[((c * ws.n + o) * k + (k - 1 - a)) * k + (k - 1 - b)] = w[((o * ws.c + c) * k + a) * k + b];
  return out;
}

/// Replicate-padding backward-data pass for images narrower than r (the general case is in
/// conv2d_backward_data): d̃x = correlate(dy, w̄, p = 2r) on the whole (H+2r) × (W+2r) extension, then Eᵀ
/// adds every extended pixel onto the pixel it clamps to.
template <ConvKernel Kernel, Real T>
void replicate_backward_data_small(const T* dy, const Shape4& dys, const T* flipped, const Shape4& ws, T* dx,
                                   std::size_t tile_rows) {
  const std::size_t r = ws.h / 2;
  const CorrelationGeometry g{dys.n, dys.c, dys.h, dys.w, ws.c, ws.h, 2 * r, Padding::zeros, tile_rows};
  const std::size_t he = g.h_out(), we = g.w_out();
  std::vector<T> extended(dys.n * ws.c * he * we);
  Kernel::correlate(g, dy, flipped, static_cast<const T*>(nullptr), extended.data());
  const auto h = static_cast<std::ptrdiff_t>(dys.h), wd = static_cast<std::ptrdiff_t>(dys.w);
  const auto rr = static_cast<std::ptrdiff_t>(r);
  for (std::size_t plane = 0; plane < dys.n * ws.c; ++plane) {
    const T* src = extended.data() + plane * he * we;
    T* out = dx + plane * dys.plane();
    std::fill(out, out + dys.plane(), T(0));
    for (std::ptrdiff_t a = 0; a < static_cast<std::ptrdiff_t>(he); ++a)
      for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(we); ++b)
        out[clamp_index(a - rr, h) * wd + clamp_index(b - rr, wd)] += src[a * static_cast<std::ptrdiff_t>(we) + b];
  }
}

/// dx (N × C_in × H × W) = (∂y/∂x)ᵀ dy for y = conv2d(x, w): the backward-data pass (file comment).
template <ConvKernel Kernel, Real T>
void conv2d_backward_data(const T* dy, const Shape4& dys, const T* w, const Shape4& ws, Padding pad, T* dx,
                          std::size_t tile_rows = 0) {
  const Shape4 dxs = ConvShapes::backward_data(dys, ws, "conv2d_backward_data");
  const std::vector<T> flipped = flip_transpose_kernel(w, ws);
  const std::size_t r = ws.h / 2;
  if (pad == Padding::zeros || r == 0) {
    const CorrelationGeometry g{dys.n, dys.c, dys.h, dys.w, ws.c, ws.h, r, Padding::zeros, tile_rows};
    Kernel::correlate(g, dy, flipped.data(), static_cast<const T*>(nullptr), dx);
    return;
  }
  if (dxs.h < r || dxs.w < r) {
    replicate_backward_data_small<Kernel>(dy, dys, flipped.data(), ws, dx, tile_rows);
    return;
  }
  // Replicate: the interior of d̃x is the zeros pass, written straight into dx ...
  const CorrelationGeometry g{dys.n, dys.c, dys.h, dys.w, ws.c, ws.h, r, Padding::zeros, tile_rows};
  Kernel::correlate(g, dy, flipped.data(), static_cast<const T*>(nullptr), dx);
  // ... and its frame of width r, d̃x[e] = Σ w̄ · dy[e + a − r] for e outside the image, comes from four
  // thin blocks of dy with explicit zero margins correlated with p = 0, so each computes exactly its part
  // of the frame: rows −r … −1 and H … H+r−1 (all W + 2r columns), columns −r … −1 and W … W+r−1.
  const std::size_t h = dxs.h, wd = dxs.w, r2 = 2 * r;
  // Rows [i0, i0+rows) and columns [j0, j0+cols) of dy with (above, below, before, after) zero margins.
  auto frame = [&](std::size_t i0, std::size_t rows, std::size_t above, std::size_t below, std::size_t j0,
                   std::size_t cols, std::size_t before, std::size_t after) {
    const std::size_t bh = above + rows + below, bw = before + cols + after;
    std::vector<T> in(dys.n * dys.c * bh * bw, T(0));
    for (std::size_t plane = 0; plane < dys.n * dys.c; ++plane)
      for (std::size_t i = 0; i < rows; ++i)
        std::copy_n(dy + plane * dys.plane() + (i0 + i) * dys.w + j0, cols,
                    in.data() + (plane * bh + above + i) * bw + before);
    const CorrelationGeometry fg{dys.n, dys.c, bh, bw, ws.c, ws.h, 0, Padding::zeros, 0};
    std::vector<T> out(dxs.n * dxs.c * fg.h_out() * fg.w_out());
    Kernel::correlate(fg, in.data(), flipped.data(), static_cast<const T*>(nullptr), out.data());
    return out;
  };
  std::vector<T> top, bottom, left, right;  // each a thin correlation: run the four side by side
  oneapi::tbb::parallel_invoke([&] { top = frame(0, r, r2, 0, 0, wd, r2, r2); },        // r × (W+2r): rows −r … −1
                               [&] { bottom = frame(h - r, r, 0, r2, 0, wd, r2, r2); },  // rows H … H+r−1
                               [&] { left = frame(0, h, r, r, 0, r, r2, 0); },           // H × r: columns −r … −1
                               [&] { right = frame(0, h, r, r, wd - r, r, 0, r2); });    // columns W … W+r−1
  const std::size_t tw = wd + r2;
  for (std::size_t plane = 0; plane < dxs.n * dxs.c; ++plane) {
    T* out = dx + plane * dxs.plane();
    const T* t_plane = top.data() + plane * r * tw;
    const T* b_plane = bottom.data() + plane * r * tw;
    for (std::size_t t = 0; t < r; ++t)
      for (std::size_t j = 0; j < tw; ++j) {
        const auto col = static_cast<std::size_t>(
            clamp_index(static_cast<std::ptrdiff_t>(j) - static_cast<std::ptrdiff_t>(r), static_cast<std::ptrdiff_t>(wd)));
        out[col] += t_plane[t * tw + j];
        out[(h - 1) * wd + col] += b_plane[t * tw + j];
      }
    const T* l_plane = left.data() + plane * h * r;
    const T* r_plane = right.data() + plane * h * r;
    for (std::size_t i = 0; i < h; ++i)
      for (std::size_t t = 0; t < r; ++t) {
        out[i * wd] += l_plane[i * r + t];
        out[i * wd + wd - 1] += r_plane[i * r + t];
      }
  }
}

/// dw (C_out × C_in × k × k) = Σ_{n,i,j} dy[n,o,i,j] · x̃[n,c,i+a−r,j+b−r]: the backward-weights pass.
template <ConvKernel Kernel, Real T>
void conv2d_backward_weights(const T* x, const Shape4& xs, const T* dy, const Shape4& dys, std::size_t k,
                             Padding pad, T* dw, std::size_t tile_rows = 0) {
  ConvShapes::backward_weights(xs, dys, k, "conv2d_backward_weights");
  const CorrelationGeometry g{xs.n, xs.c, xs.h, xs.w, dys.c, k, k / 2, pad, tile_rows};
  Kernel::correlate_weights(g, x, dy, dw);
}

/// db[o] = Σ_{n,i,j} dy[n,o,i,j] (accumulated in double): the bias gradient, db has C_out entries.
template <Real T>
void conv2d_backward_bias(const T* dy, const Shape4& dys, T* db) {
  expect_nonempty(dys, "conv2d_backward_bias");
  std::vector<double> acc(dys.c, 0.0);
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, dys.c), [&](const auto& range) {
    for (std::size_t o = range.begin(); o != range.end(); ++o) {
      double s = 0.0;
      for (std::size_t n = 0; n < dys.n; ++n) {
        const T* p = dy + (n * dys.c + o) * dys.plane();
        for (std::size_t i = 0; i < dys.plane(); ++i) s += static_cast<double>(p[i]);
      }
      acc[o] = s;
    }
  });
  for (std::size_t o = 0; o < dys.c; ++o) db[o] = static_cast<T>(acc[o]);
}

}  // namespace eqr::cpu
