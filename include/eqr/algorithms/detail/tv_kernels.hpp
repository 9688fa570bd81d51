/// @file algorithms/detail/tv_kernels.hpp
/// Row kernels of the discrete total variation: the forward-difference gradient, its negative adjoint (the
/// divergence), pointwise projections of gradient fields, and a oneTBB loop over the rows of a batch.
///
/// These are the inner loops that `tv.hpp`, `tv_prox.hpp` and `pdhg.hpp` fuse into their iterations; they
/// work on raw row-major buffers so that one pass over memory can do several mathematical steps.
///
/// Layouts (row-major, as everywhere in EquiRecon):
///  - an image batch `u` is N × C × H × W;
///  - a gradient field `p` is N × C × 2 × H × W, component 0 the difference down the rows (∂ᵢ, towards larger
///    i), component 1 the difference along the columns (∂ⱼ, towards larger j).
///
/// The discrete gradient uses forward differences with a Neumann (zero-flux) boundary,
///    (∂ᵢu)[i, j] = u[i+1, j] − u[i, j]  for i < H−1,   0 on the last row,
///    (∂ⱼu)[i, j] = u[i, j+1] − u[i, j]  for j < W−1,   0 on the last column,
/// and the divergence is defined as div = −∇ᵀ exactly:
///    (div p)[i, j] = p₀[i, j]·[i < H−1] − p₀[i−1, j]·[i ≥ 1] + p₁[i, j]·[j < W−1] − p₁[i, j−1]·[j ≥ 1],
/// so that ⟨∇u, p⟩ = −⟨u, div p⟩ for every p (entries of p on the last row / column are ignored).
/// ‖∇‖² ≤ 8 (Chambolle 2004, Thm. 3.1), the bound every step size below relies on.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>

namespace eqr::detail::tv {

/// The extents of an image batch N × C × H × W, with the strides of it and of its gradient field.
struct Dims {
  std::size_t n = 0, c = 0, h = 0, w = 0;
  /// Elements in one H × W plane.
  [[nodiscard]] std::size_t plane() const { return h * w; }
  /// Offset of image plane (n, c) in the image batch.
  [[nodiscard]] std::size_t image(std::size_t in, std::size_t ic) const { return (in * c + ic) * plane(); }
  /// Offset of gradient component k of channel c of image n in the gradient field.
  [[nodiscard]] std::size_t field(std::size_t in, std::size_t ic, std::size_t k) const {
    return ((in * c + ic) * 2 + k) * plane();
  }
  /// Number of image elements N·C·H·W.
  [[nodiscard]] std::size_t size() const { return n * c * plane(); }
};

/// Runs `body(n, i)` for every image n and row i, the rows split over oneTBB workers in blocks.
/// Rows of the same image may run concurrently; `body` must write only row i of its outputs.
template <class Body>
void for_each_row(const Dims& d, Body&& body) {
  const std::size_t rows = d.n * d.h;
  const std::size_t grain = std::max<std::size_t>(1, 4096 / std::max<std::size_t>(1, d.w * d.c));
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, rows, grain),
                            [&](const oneapi::tbb::blocked_range<std::size_t>& r) {
                              for (std::size_t row = r.begin(); row != r.end(); ++row) body(row / d.h, row % d.h);
                            });
}

/// Sums `body(n, i)` (a double) over every image n and row i, in parallel, in a fixed order per block.
template <class Body>
[[nodiscard]] double sum_over_rows(const Dims& d, Body&& body) {
  const std::size_t rows = d.n * d.h;
  return oneapi::tbb::parallel_reduce(
      oneapi::tbb::blocked_range<std::size_t>(0, rows, std::max<std::size_t>(1, rows / 64)), 0.0,
      [&](const oneapi::tbb::blocked_range<std::size_t>& r, double acc) {
        for (std::size_t row = r.begin(); row != r.end(); ++row) acc += body(row / d.h, row % d.h);
        return acc;
      },
      [](double a, double b) { return a + b; });
}

/// Sums `body(n, i)` (a pair of doubles) over every image n and row i, in parallel, componentwise.
template <class Body>
[[nodiscard]] std::pair<double, double> sum_pairs_over_rows(const Dims& d, Body&& body) {
  const std::size_t rows = d.n * d.h;
  using Pair = std::pair<double, double>;
  return oneapi::tbb::parallel_reduce(
      oneapi::tbb::blocked_range<std::size_t>(0, rows, std::max<std::size_t>(1, rows / 64)), Pair{0.0, 0.0},
      [&](const oneapi::tbb::blocked_range<std::size_t>& r, Pair acc) {
        for (std::size_t row = r.begin(); row != r.end(); ++row) {
          const Pair x = body(row / d.h, row % d.h);
          acc.first += x.first;
          acc.second += x.second;
        }
        return acc;
      },
      [](Pair a, Pair b) { return Pair{a.first + b.first, a.second + b.second}; });
}

/// Writes the forward-difference gradient of row i of image n of `u` into the field `g`.
template <class T>
void gradient_row(const T* u, T* g, const Dims& d, std::size_t n, std::size_t i) {
  const std::size_t w = d.w;
  for (std::size_t c = 0; c < d.c; ++c) {
    const T* row = u + d.image(n, c) + i * w;
    T* gi = g + d.field(n, c, 0) + i * w;
    T* gj = g + d.field(n, c, 1) + i * w;
    if (i + 1 < d.h) {
      const T* below = row + w;
      for (std::size_t j = 0; j < w; ++j) gi[j] = below[j] - row[j];
    } else {
      std::fill(gi, gi + w, T(0));
    }
    for (std::size_t j = 0; j + 1 < w; ++j) gj[j] = row[j + 1] - row[j];
    gj[w - 1] = T(0);
  }
}

/// Writes (div p) for row i of channel c of image n into `out` (W values); see the file comment for the formula.
template <class T>
void divergence_row(const T* p, T* out, const Dims& d, std::size_t n, std::size_t c, std::size_t i) {
  const std::size_t w = d.w;
  const T* pi = p + d.field(n, c, 0) + i * w;
  const T* pj = p + d.field(n, c, 1) + i * w;
  if (i + 1 < d.h) {
    for (std::size_t j = 0; j < w; ++j) out[j] = pi[j];
  } else {
    std::fill(out, out + w, T(0));
  }
  if (i > 0) {
    const T* above = pi - w;
    for (std::size_t j = 0; j < w; ++j) out[j] -= above[j];
  }
  if (w > 1) {
    out[0] += pj[0];
    for (std::size_t j = 1; j + 1 < w; ++j) out[j] += pj[j] - pj[j - 1];
    out[w - 1] -= pj[w - 2];
  }
}

/// The pointwise magnitude |q|(i, j) = sqrt(Σ_c Σ_k q_{c,k}(i, j)²) of a field at one pixel (vectorial TV).
template <class T>
[[nodiscard]] T magnitude_at(const T* q, const Dims& d, std::size_t n, std::size_t offset) {
  T s = 0;
  for (std::size_t c = 0; c < d.c; ++c) {
    const T a = q[d.field(n, c, 0) + offset], b = q[d.field(n, c, 1) + offset];
    s += a * a + b * b;
  }
  return std::sqrt(s);
}

/// The sum over row i of image n of the pointwise gradient magnitude of `u`, accumulated in double:
/// Σ_j sqrt(Σ_c (∂ᵢu_c)² + (∂ⱼu_c)²).
template <class T>
[[nodiscard]] double tv_row(const T* u, const Dims& d, std::size_t n, std::size_t i);

/// A per-thread scratch row of `size` values of T (reused between calls on the same thread).
template <class T>
[[nodiscard]] T* scratch_row(std::size_t size) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

/// One dual ascent step on row i of image n, fused with the projection onto the ball |q| ≤ radius:
///    q ← Π_{|·| ≤ radius}(q + step·∇u)   (pointwise, the norm over channels and both components).
/// This is the dual update of Chambolle–Pock (PDHG) for λ·TV and of the Chambolle / FGP projection
/// iteration; `u` is read on rows i and i+1 only, `q` written on row i only.  The loops run along the row so
/// that the compiler vectorises them.
template <class T>
void ascend_project_row(const T* u, T* q, T step, T radius, const Dims& d, std::size_t n, std::size_t i) {
  const std::size_t w = d.w;
  T* __restrict s = scratch_row<T>(w);
  std::fill(s, s + w, T(0));
  const bool last_row = i + 1 == d.h;
  for (std::size_t c = 0; c < d.c; ++c) {
    const T* __restrict row = u + d.image(n, c) + i * w;
    const T* __restrict below = last_row ? row : row + w;  // on the last row ∂ᵢu = row − row = 0
    T* __restrict q0 = q + d.field(n, c, 0) + i * w;
    T* __restrict q1 = q + d.field(n, c, 1) + i * w;
    for (std::size_t j = 0; j + 1 < w; ++j) {
      const T a = q0[j] + step * (below[j] - row[j]);
      const T b = q1[j] + step * (row[j + 1] - row[j]);
      q0[j] = a;
      q1[j] = b;
      s[j] += a * a + b * b;
    }
    const T a = q0[w - 1] + step * (below[w - 1] - row[w - 1]);
    const T b = q1[w - 1];  // ∂ⱼu = 0 on the last column
    q0[w - 1] = a;
    s[w - 1] += a * a + b * b;
  }
  const T radius2 = radius * radius;
  for (std::size_t j = 0; j < w; ++j) s[j] = s[j] > radius2 ? radius / std::sqrt(s[j]) : T(1);
  for (std::size_t c = 0; c < d.c; ++c) {
    T* __restrict q0 = q + d.field(n, c, 0) + i * w;
    T* __restrict q1 = q + d.field(n, c, 1) + i * w;
    for (std::size_t j = 0; j < w; ++j) {
      q0[j] *= s[j];
      q1[j] *= s[j];
    }
  }
}

/// The FISTA momentum step of the FGP dual on row i of image n, for every channel and component:
///    with p_new = r (already projected):  r ← p_new + β (p_new − p),  p ← p_new.
template <class T>
void momentum_row(T* r, T* p, T beta, const Dims& d, std::size_t n, std::size_t i) {
  for (std::size_t c = 0; c < d.c; ++c)
    for (std::size_t k = 0; k < 2; ++k) {
      T* __restrict rr = r + d.field(n, c, k) + i * d.w;
      T* __restrict pp = p + d.field(n, c, k) + i * d.w;
      for (std::size_t j = 0; j < d.w; ++j) {
        const T fresh = rr[j];
        rr[j] = fresh + beta * (fresh - pp[j]);
        pp[j] = fresh;
      }
    }
}

template <class T>
double tv_row(const T* u, const Dims& d, std::size_t n, std::size_t i) {
  const std::size_t w = d.w;
  T* __restrict s = scratch_row<T>(w);
  std::fill(s, s + w, T(0));
  const bool last_row = i + 1 == d.h;
  for (std::size_t c = 0; c < d.c; ++c) {
    const T* __restrict row = u + d.image(n, c) + i * w;
    const T* __restrict below = last_row ? row : row + w;
    for (std::size_t j = 0; j + 1 < w; ++j) {
      const T a = below[j] - row[j], b = row[j + 1] - row[j];
      s[j] += a * a + b * b;
    }
    const T a = below[w - 1] - row[w - 1];
    s[w - 1] += a * a;
  }
  double total = 0;
  for (std::size_t j = 0; j < w; ++j) total += std::sqrt(static_cast<double>(s[j]));
  return total;
}

}  // namespace eqr::detail::tv
