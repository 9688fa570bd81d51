/// @file backends/cpu/operators/joseph.hpp
/// The CPU backend's ray-transform kernels (`ray_kernels<CpuBackend<T, K>>`, operators/kernels.hpp): Joseph's
/// projection and back-projection from the geometry's `JosephTables`, vectorised and parallel.
///
/// Parallelism (oneTBB) is deterministic: the projection computes each sinogram row (one angle) in one task;
/// the back-projection computes each block of image rows (for the steep rays) and then each block of image
/// columns (for the flat rays) in one task, gathering all angles of its class in a fixed order. No atomics,
/// no reductions whose order depends on scheduling.
///
/// Vector paths (float): eight rays at a time with AVX; their pixel pairs are read as one 16-value window
/// and permuted into place (`vpermt2ps`; with AVX2, two `vpermps` and a blend), and added back as one
/// window with AVX-512's expand when the rays are at least a pixel apart; otherwise, and for the remainder,
/// the scalar loop. Every path computes the same positions and weights with the same float operations, so
/// the matrix is the one `JosephTables::for_each_entry` lists (tests/unit/test_operators_radon.cpp).
#pragma once

#include "eqr/backends/cpu/detail/intrinsics.hpp"  // first: see the header

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/joseph_tables.hpp"
#include "eqr/operators/kernels.hpp"

namespace eqr {
namespace cpu::detail {

/// Joseph's projection and back-projection loops on host arrays in precision T (independent of the
/// convolution kernel the backend is instantiated with, so they are compiled once per T).
template <Real T>
struct JosephLoops {
  /// y (N × A × D, overwritten) = A x for the images x (N × H × W).
  static void project(const JosephTables<T>& t, const T* x, std::size_t N, T* y);
  /// x (N × H × W, overwritten) = Aᵀ y for the sinograms y (N × A × D).
  static void backproject(const JosephTables<T>& t, const T* y, std::size_t N, T* x);

  /// Joseph's ray samples of one line for `count` consecutive rays: acc[j] += (1 − f)·line[i] + f·line[i + 1],
  /// i + f = q[j] + off (the forward direction).  The rays' positions are monotone in j.  `line` may be read
  /// up to `window` values past a pixel a ray reads (the padded images carry that slack).
  static void project_line(const T* __restrict line, const T* __restrict q, T off, T* __restrict acc,
                           std::int32_t count) {
    std::int32_t j = 0;
#if defined(__AVX__)
    if constexpr (std::is_same_v<T, float>) {
      // Eight rays at a time.  The position and weights are the same float operations as the scalar loop
      // below (add, truncate, subtract), so the matrix is unchanged; only the pixel reads differ.
      const __m256 offset = _mm256_set1_ps(off), one = _mm256_set1_ps(1.0f);
      for (; j + 8 <= count; j += 8) {
        const __m256 pos = _mm256_add_ps(_mm256_loadu_ps(q + j), offset);
        const __m256i i = _mm256_cvttps_epi32(pos);
        const __m256 w1 = _mm256_sub_ps(pos, _mm256_cvtepi32_ps(i));
        const __m256 w0 = _mm256_sub_ps(one, w1);
        __m256 lo, hi;
        if (!read_window_pairs(line, i, lo, hi)) read_pairs(line, i, lo, hi);
        const __m256 sum = _mm256_add_ps(_mm256_mul_ps(w0, lo), _mm256_mul_ps(w1, hi));
        _mm256_storeu_ps(acc + j, _mm256_add_ps(_mm256_loadu_ps(acc + j), sum));
      }
    } else {
      // The same with four doubles at a time, the pixels read one by one.
      const __m256d offset = _mm256_set1_pd(off), one = _mm256_set1_pd(1.0);
      alignas(16) std::int32_t idx[4];
      for (; j + 4 <= count; j += 4) {
        const __m256d pos = _mm256_add_pd(_mm256_loadu_pd(q + j), offset);
        const __m128i i = _mm256_cvttpd_epi32(pos);
        const __m256d w1 = _mm256_sub_pd(pos, _mm256_cvtepi32_pd(i));
        const __m256d w0 = _mm256_sub_pd(one, w1);
        _mm_store_si128(reinterpret_cast<__m128i*>(idx), i);
        const __m256d lo = _mm256_setr_pd(line[idx[0]], line[idx[1]], line[idx[2]], line[idx[3]]);
        const __m256d hi = _mm256_setr_pd(line[idx[0] + 1], line[idx[1] + 1], line[idx[2] + 1], line[idx[3] + 1]);
        const __m256d sum = _mm256_add_pd(_mm256_mul_pd(w0, lo), _mm256_mul_pd(w1, hi));
        _mm256_storeu_pd(acc + j, _mm256_add_pd(_mm256_loadu_pd(acc + j), sum));
      }
    }
#endif
    for (; j < count; ++j) {
      const T pos = q[j] + off;
      const auto i = static_cast<std::int32_t>(pos);
      const T w1 = pos - static_cast<T>(i), w0 = T(1) - w1;
      acc[j] += w0 * line[i] + w1 * line[i + 1];
    }
  }

  /// The transpose of `project_line`: line[i] += (1 − f)·v[j], line[i + 1] += f·v[j], the same i, f.  `line`
  /// may be written (with unchanged values) up to `window` values past a pixel a ray writes.
  static void backproject_line(T* __restrict line, const T* __restrict q, T off, const T* __restrict v,
                               std::int32_t count) {
    std::int32_t j = 0;
#if defined(__AVX__)
    if constexpr (std::is_same_v<T, float>) {
      // Positions and weights for eight rays at once (the same float operations as `project_line`).  Eight
      // rays at least a pixel apart are added to the line as one 16-value window; two windows that start 16
      // rays apart cannot overlap, so the even-numbered groups go first and the odd ones second — a window
      // never reloads what the one just before it stored, which would stall on the partial overlap.
      const __m256 offset = _mm256_set1_ps(off), one = _mm256_set1_ps(1.0f);
      const bool increasing = count < 2 || q[count - 1] >= q[0];
      const std::int32_t groups = count / 8;
      // Rays closer than a pixel (or so far apart that eight overflow a window) take the one-by-one path
      // for every group, in a single pass.
      const float spread = count < 2 ? 0.0f : std::abs(q[count - 1] - q[0]) / static_cast<float>(count - 1);
      const bool windows = window_adds && spread >= 1.0f && 7.0f * spread + 2.0f <= static_cast<float>(window);
      for (std::int32_t parity = 0; parity < (windows ? 2 : 1); ++parity) {
        for (std::int32_t g = parity; g < groups; g += windows ? 2 : 1) {
          const __m256 pos = _mm256_add_ps(_mm256_loadu_ps(q + 8 * g), offset);
          const __m256i i = _mm256_cvttps_epi32(pos);
          const __m256 w1 = _mm256_sub_ps(pos, _mm256_cvtepi32_ps(i));
          const __m256 w0 = _mm256_sub_ps(one, w1);
          const __m256 vj = _mm256_loadu_ps(v + 8 * g);
          const __m256 a = _mm256_mul_ps(w0, vj), b = _mm256_mul_ps(w1, vj);
          if (!windows || !add_window_pairs(line, i, a, b, increasing)) add_pairs(line, i, a, b);
        }
      }
      j = 8 * groups;
    }
#endif
    for (; j < count; ++j) {
      const T pos = q[j] + off;
      const auto i = static_cast<std::int32_t>(pos);
      const T w1 = pos - static_cast<T>(i), w0 = T(1) - w1;
      line[i] += w0 * v[j];
      line[i + 1] += w1 * v[j];
    }
  }

  /// How many values past a ray's pixel pair the vector paths may touch (the slack the line buffers carry).
  static constexpr std::size_t window = 16;
  /// Whether `add_window_pairs` is compiled in (it needs AVX-512's expand).
#if defined(__AVX512F__) && defined(__AVX512VL__)
  static constexpr bool window_adds = true;
#else
  static constexpr bool window_adds = false;
#endif

#if defined(__AVX__)
  /// The pixel pairs (line[i_k], line[i_k + 1]) of eight rays, read one value at a time.
  static void read_pairs(const float* line, __m256i i, __m256& lo, __m256& hi) {
    alignas(32) std::int32_t idx[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), i);
    lo = _mm256_setr_ps(line[idx[0]], line[idx[1]], line[idx[2]], line[idx[3]], line[idx[4]], line[idx[5]],
                        line[idx[6]], line[idx[7]]);
    hi = _mm256_setr_ps(line[idx[0] + 1], line[idx[1] + 1], line[idx[2] + 1], line[idx[3] + 1], line[idx[4] + 1],
                        line[idx[5] + 1], line[idx[6] + 1], line[idx[7] + 1]);
  }
  /// line[i_k] += a_k, line[i_k + 1] += b_k for eight rays, one value at a time.
  static void add_pairs(float* line, __m256i i, __m256 a, __m256 b) {
    alignas(32) std::int32_t idx[8];
    alignas(32) float av[8], bv[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), i);
    _mm256_store_ps(av, a);
    _mm256_store_ps(bv, b);
    for (int k = 0; k < 8; ++k) {
      line[idx[k]] += av[k];
      line[idx[k] + 1] += bv[k];
    }
  }

  /// The pixel pairs of eight rays with monotone indices i, read as one 16-value window and permuted into
  /// place (AVX2 or AVX-512VL); false, reading nothing, when the rays span more than the window.
  static bool read_window_pairs(const float* line, __m256i i, __m256& lo, __m256& hi) {
#if defined(__AVX2__)
    const int first = _mm256_cvtsi256_si32(i), last = _mm256_extract_epi32(i, 7);
    const int low = std::min(first, last);
    if (std::max(first, last) - low + 2 > static_cast<int>(window)) return false;
    const __m256 w_lo = _mm256_loadu_ps(line + low), w_hi = _mm256_loadu_ps(line + low + 8);
    const __m256i r = _mm256_sub_epi32(i, _mm256_set1_epi32(low)), r1 = _mm256_add_epi32(r, _mm256_set1_epi32(1));
#if defined(__AVX512F__) && defined(__AVX512VL__)
    lo = _mm256_permutex2var_ps(w_lo, r, w_hi);
    hi = _mm256_permutex2var_ps(w_lo, r1, w_hi);
#else
    // Each half permuted by the index's low three bits, the half chosen by whether the index is past 7.
    const __m256i seven = _mm256_set1_epi32(7);
    lo = _mm256_blendv_ps(_mm256_permutevar8x32_ps(w_lo, r), _mm256_permutevar8x32_ps(w_hi, r),
                          _mm256_castsi256_ps(_mm256_cmpgt_epi32(r, seven)));
    hi = _mm256_blendv_ps(_mm256_permutevar8x32_ps(w_lo, r1), _mm256_permutevar8x32_ps(w_hi, r1),
                          _mm256_castsi256_ps(_mm256_cmpgt_epi32(r1, seven)));
#endif
    return true;
#else
    (void)line, (void)i, (void)lo, (void)hi;
    return false;
#endif
  }

  /// The transpose of `read_window_pairs`: when the eight rays' indices are distinct (rays at least a pixel
  /// apart) and span at most the window, their contributions are placed into a 16-value window by two
  /// expands (the k-th set bit of a mask receives the k-th value, so distinct sorted indices scatter
  /// exactly) and added to the line with one load and one store (AVX-512VL).  Otherwise false, adding nothing.
  static bool add_window_pairs(float* line, __m256i i, __m256 a, __m256 b, bool increasing) {
#if defined(__AVX512F__) && defined(__AVX512VL__)
    if (!increasing) {  // sort the rays by pixel
      const __m256i reverse = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
      i = _mm256_permutevar8x32_epi32(i, reverse);
      a = _mm256_permutevar8x32_ps(a, reverse);
      b = _mm256_permutevar8x32_ps(b, reverse);
    }
    const int low = _mm256_cvtsi256_si32(i);
    // One bit per ray at its offset from the lowest pixel (offsets past 31 shift to 0 and fail the count).
    const __m256i bits = _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_sub_epi32(i, _mm256_set1_epi32(low)));
    __m128i x = _mm_or_si128(_mm256_castsi256_si128(bits), _mm256_extracti128_si256(bits, 1));
    x = _mm_or_si128(x, _mm_shuffle_epi32(x, 0x4E));
    x = _mm_or_si128(x, _mm_shuffle_epi32(x, 0xB1));
    const auto mask = static_cast<unsigned>(_mm_cvtsi128_si32(x));
    if (std::popcount(mask) != 8 || mask >= (1u << (window - 1))) return false;
    const __m512 sa = _mm512_maskz_expand_ps(static_cast<__mmask16>(mask), _mm512_castps256_ps512(a));
    const __m512 sb = _mm512_maskz_expand_ps(static_cast<__mmask16>(mask << 1), _mm512_castps256_ps512(b));
    float* w = line + low;
    _mm512_storeu_ps(w, _mm512_add_ps(_mm512_loadu_ps(w), _mm512_add_ps(sa, sb)));
    return true;
#else
    (void)line, (void)i, (void)a, (void)b, (void)increasing;
    return false;
#endif
  }
#endif

};

template <Real T>
void JosephLoops<T>::project(const JosephTables<T>& t, const T* x, std::size_t N, T* y) {
  const auto& g = t.geometry;
  const std::size_t H = g.height, W = g.width, A = g.num_angles(), D = g.detectors;
  // Zero-padded copies: rows (H lines of W + 2) and the transpose (W lines of H + 2), so that every
  // interpolation reads two in-range values without a branch.
  const std::size_t rp = W + 2, cp = H + 2;
  std::vector<T> padded_rows(t.row_angles.empty() ? 0 : N * H * rp + window, T(0));
  std::vector<T> padded_cols(t.col_angles.empty() ? 0 : N * W * cp + window, T(0));
  // Tasks of 16 image rows, so that each writes whole cache lines of the transpose.
  constexpr std::size_t tile = 16;
  const std::size_t tiles = (H + tile - 1) / tile;
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N * tiles), [&](const auto& range) {
    for (std::size_t nt = range.begin(); nt != range.end(); ++nt) {
      const std::size_t n = nt / tiles, r0 = (nt % tiles) * tile, r1 = std::min(H, r0 + tile);
      const T* src = x + n * H * W;
      if (!padded_rows.empty())
        for (std::size_t r = r0; r < r1; ++r)
          std::copy(src + r * W, src + (r + 1) * W, padded_rows.data() + (n * H + r) * rp + 1);
      if (!padded_cols.empty())
        for (std::size_t c = 0; c < W; ++c)
          for (std::size_t r = r0; r < r1; ++r) padded_cols[(n * W + c) * cp + r + 1] = src[r * W + c];
    }
  });
  std::fill(y, y + N * A * D, T(0));
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N * A), [&](const auto& range) {
    for (std::size_t na = range.begin(); na != range.end(); ++na) {
      const std::size_t n = na / A, a = na % A;
      const bool rows = t.kind[a] == JosephLines::rows;
      const std::size_t lines = rows ? H : W, stride = rows ? rp : cp;
      const T* image = rows ? padded_rows.data() + n * H * rp : padded_cols.data() + n * W * cp;
      const T* qa = t.q.data() + a * D;
      T* acc = y + na * D;
      for (std::size_t l = 0; l < lines; ++l) {
        const std::size_t k = a * t.max_lines + l;
        project_line(image + l * stride, qa + t.first[k], t.offset[k], acc + t.first[k], t.last[k] - t.first[k]);
      }
      const T step = t.step[a];
      for (std::size_t j = 0; j < D; ++j) acc[j] *= step;
    }
  });
}

template <Real T>
void JosephLoops<T>::backproject(const JosephTables<T>& t, const T* y, std::size_t N, T* x) {
  const auto& g = t.geometry;
  const std::size_t H = g.height, W = g.width, A = g.num_angles(), D = g.detectors;
  std::fill(x, x + N * H * W, T(0));
  constexpr std::size_t block = 8;
  // The sinogram times each angle's ray length, once (not once per block of lines).
  std::vector<T> scaled(N * A * D);
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N * A), [&](const auto& range) {
    for (std::size_t na = range.begin(); na != range.end(); ++na) {
      const T step = t.step[na % A];
      const T* sino = y + na * D;
      for (std::size_t j = 0; j < D; ++j) scaled[na * D + j] = sino[j] * step;
    }
  });
  // One pass per line kind; the rows pass assigns, the columns pass adds, each pixel owned by one task.
  for (const JosephLines kind : {JosephLines::rows, JosephLines::columns}) {
    const auto& angles = kind == JosephLines::rows ? t.row_angles : t.col_angles;
    if (angles.empty()) continue;
    const std::size_t lines = kind == JosephLines::rows ? H : W, len = kind == JosephLines::rows ? W : H, stride = len + 2 + window;
    const std::size_t blocks = (lines + block - 1) / block;
    oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N * blocks), [&](const auto& range) {
      std::vector<T> buffer(block * stride);
      for (std::size_t nb = range.begin(); nb != range.end(); ++nb) {
        const std::size_t n = nb / blocks, l0 = (nb % blocks) * block, l1 = std::min(lines, l0 + block);
        std::fill(buffer.begin(), buffer.end(), T(0));
        for (const std::size_t a : angles) {
          const T* qa = t.q.data() + a * D;
          const T* v = scaled.data() + (n * A + a) * D;
          for (std::size_t l = l0; l < l1; ++l) {
            const std::size_t k = a * t.max_lines + l;
            backproject_line(buffer.data() + (l - l0) * stride, qa + t.first[k], t.offset[k], v + t.first[k],
                             t.last[k] - t.first[k]);
          }
        }
        T* out = x + n * H * W;
        for (std::size_t l = l0; l < l1; ++l) {
          const T* line = buffer.data() + (l - l0) * stride + 1;
          if (kind == JosephLines::rows)
            for (std::size_t c = 0; c < W; ++c) out[l * W + c] = line[c];
        }
        if (kind == JosephLines::columns)  // row by row, so that each image row is written once per block
          for (std::size_t r = 0; r < H; ++r)
            for (std::size_t l = l0; l < l1; ++l) out[r * W + l] += buffer[(l - l0) * stride + 1 + r];
      }
    });
  }
}

}  // namespace cpu::detail

/// The ray-transform kernels of the CPU backend: the vectorised Joseph loops above; no state.
template <Real T, cpu::ConvKernel K>
struct ray_kernels<cpu::CpuBackend<T, K>> {
  using backend = cpu::CpuBackend<T, K>;
  using tensor = typename backend::tensor_type;
  /// Nothing per geometry beyond the tables.
  struct state {};

  /// The projector needs nothing beyond the tables; the CPU backend has no stored sparse matrix.
  static state prepare(const JosephTables<T>&, RadonKernel kernel) {
    EQR_EXPECTS(kernel != RadonKernel::sparse, value_error, "Radon on ", backend::name(),
                ": expected the automatic or projector kernel, found sparse (the CPU backend has no stored matrix)");
    return {};
  }
  /// The sinograms N × 1 × A × D of the images x.
  static tensor project(const JosephTables<T>& t, const state&, const tensor& x) {
    const std::size_t n = backend::shape(x).n;
    tensor y = backend::empty({n, 1, t.geometry.num_angles(), t.geometry.detectors});
    cpu::detail::JosephLoops<T>::project(t, x.data(), n, y.data());
    return y;
  }
  /// The back-projection N × 1 × H × W of the sinograms y.
  static tensor backproject(const JosephTables<T>& t, const state&, const tensor& y) {
    const std::size_t n = backend::shape(y).n;
    tensor x = backend::empty({n, 1, t.geometry.height, t.geometry.width});
    cpu::detail::JosephLoops<T>::backproject(t, y.data(), n, x.data());
    return x;
  }
};

}  // namespace eqr
