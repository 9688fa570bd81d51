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
///   backward-weights: dw = correlate_weights(x, dy, p = r, same padding as forward)
///   bias:             db[o] = Σ_{n,i,j} dy[n,o,i,j]
/// Pointers are dense row-major arrays of the shapes given; outputs are overwritten.
#pragma once

#include "eqr/backends/cpu/detail/intrinsics.hpp"  // first: see the header

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include "eqr/backends/cpu/conv/correlation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::cpu {

/// y (N × C_out × H × W) = conv2d(x, w) + bias: the forward pass (bias may be null).
template <ConvKernel Kernel, class T>
void conv2d_forward(const T* x, const Shape4& xs, const T* w, const Shape4& ws, const T* bias, Padding pad, T* y,
                    std::size_t tile_rows = 0) {
  ConvShapes::forward(xs, ws, "conv2d");
  const CorrelationGeometry g{xs.n, xs.c, xs.h, xs.w, ws.n, ws.h, ws.h / 2, pad, tile_rows};
  Kernel::correlate(g, x, w, bias, y);
}

/// w̄[c,o,a,b] = w[o,c,k−1−a,k−1−b]: the flipped, transposed kernel of the backward-data pass.
template <class T>
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

/// dx (N × C_in × H × W) = (∂y/∂x)ᵀ dy for y = conv2d(x, w): the backward-data pass (file comment).
template <ConvKernel Kernel, class T>
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
  // Replicate: gradient with respect to the extended image, then fold the border back (Eᵀ).
  const CorrelationGeometry g{dys.n, dys.c, dys.h, dys.w, ws.c, ws.h, 2 * r, Padding::zeros, tile_rows};
  const std::size_t he = g.h_out(), we = g.w_out();
  const std::unique_ptr<T[]> extended(new T[dxs.n * dxs.c * he * we]);  // uninitialised: fully written next
  Kernel::correlate(g, dy, flipped.data(), static_cast<const T*>(nullptr), extended.get());
  const auto h = static_cast<std::ptrdiff_t>(dxs.h), wd = static_cast<std::ptrdiff_t>(dxs.w);
  const auto rr = static_cast<std::ptrdiff_t>(r);
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, dxs.n * dxs.c), [&](const auto& range) {
    for (std::size_t plane = range.begin(); plane != range.end(); ++plane) {
      const T* src = extended.get() + plane * he * we;
      T* out = dx + plane * dxs.plane();
      std::fill(out, out + dxs.plane(), T(0));
      for (std::ptrdiff_t a = 0; a < static_cast<std::ptrdiff_t>(he); ++a) {
        T* row = out + clamp_index(a - rr, h) * wd;
        const T* in = src + a * static_cast<std::ptrdiff_t>(we);
        for (std::ptrdiff_t b = 0; b < rr; ++b) row[0] += in[b];                    // left border taps
        for (std::ptrdiff_t j = 0; j < wd; ++j) row[j] += in[j + rr];               // interior columns
        for (std::ptrdiff_t b = wd + rr; b < wd + 2 * rr; ++b) row[wd - 1] += in[b];  // right border taps
      }
    }
  });
}

/// dw (C_out × C_in × k × k) = Σ_{n,i,j} dy[n,o,i,j] · x̃[n,c,i+a−r,j+b−r]: the backward-weights pass.
template <ConvKernel Kernel, class T>
void conv2d_backward_weights(const T* x, const Shape4& xs, const T* dy, const Shape4& dys, std::size_t k,
                             Padding pad, T* dw, std::size_t tile_rows = 0) {
  ConvShapes::backward_weights(xs, dys, k, "conv2d_backward_weights");
  const CorrelationGeometry g{xs.n, xs.c, xs.h, xs.w, dys.c, k, k / 2, pad, tile_rows};
  Kernel::correlate_weights(g, x, dy, dw);
}

/// db[o] = Σ_{n,i,j} dy[n,o,i,j] (accumulated in double): the bias gradient, db has C_out entries.
template <class T>
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
