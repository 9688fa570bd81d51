/// @file operators/radon.hpp
/// The 2-D parallel-beam Radon transform by Joseph's method and its exact transpose, the back-projection.
///
/// Joseph's method (P. M. Joseph, "An improved algorithm for reprojecting rays through pixel images",
/// IEEE TMI 1982) treats the image as piecewise linear along one axis.  A ray that is closer to vertical
/// (|cos θ| ≥ |sin θ|) is sampled once per pixel row, at the point where it crosses the row's centre line;
/// a flatter ray is sampled once per column.  Each sample is the linear interpolation of the two nearest
/// pixels of that row (column), pixels outside the image count as zero, and the samples are weighted by the
/// length of ray between two rows (columns), p/|cos θ| (p/|sin θ|).  So the ray sum of ray (a, j) is
///   (A u)_{a,j} = Σ_lines  step_a · [ (1 − f)·u(line, i) + f·u(line, i + 1) ],   q = i + f,
/// a sparse linear map whose matrix entries are step_a·(1 − f) and step_a·f.  The back-projection applies
/// the transpose of exactly that matrix: both directions read their positions q, index ranges and weights
/// from one table built once per geometry, so ⟨Au, y⟩ = ⟨u, Aᵀy⟩ holds to rounding of the sums.
///
/// Parallelism (oneTBB) is deterministic: the projection computes each sinogram row (one angle) in one task;
/// the back-projection computes each block of image rows (for the steep rays) and then each block of image
/// columns (for the flat rays) in one task, gathering all angles of its class in a fixed order.  No atomics,
/// no reductions whose order depends on scheduling.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/parallel_beam.hpp"

namespace eqr {

/// The parallel-beam Radon transform A of a ParallelBeamGeometry by Joseph's method: domain (N, 1, H, W)
/// images, range (N, 1, A, D) sinograms (rows = angles), values = line integrals in the geometry's length
/// unit.  `adjoint` is the exact transpose (the unfiltered back-projection).  Copies share the tables.
template <RealScalar T>
class Radon {
 public:
  using value_type = T;
  using domain_type = xt::xtensor<T, 4>;
  using range_type = xt::xtensor<T, 4>;

  /// Builds the projector (and its tables) for `geometry`; throws if the geometry is invalid.
  explicit Radon(ParallelBeamGeometry geometry);

  TensorShape domain_shape(std::size_t n) const { return {n, 1, t_->geometry.height, t_->geometry.width}; }
  TensorShape range_shape(std::size_t n) const { return {n, 1, t_->geometry.num_angles(), t_->geometry.detectors}; }

  /// The forward projection (sinograms) of a batch of images.
  range_type apply(const domain_type& x) const;
  /// The back-projection Aᵀy of a batch of sinograms (the exact transpose of `apply`).
  domain_type adjoint(const range_type& y) const;

  /// The geometry.
  const ParallelBeamGeometry& geometry() const { return t_->geometry; }
  /// The number of interpolation steps (ray samples) of one projection of one image; the back-projection
  /// takes the same number.
  std::size_t steps_per_image() const { return t_->steps; }

  /// Calls f(a, j, r, c, w) for every non-zero entry of the matrix of A: the sinogram value of angle a and
  /// detector j receives w · u(r, c). Entries come per ray sample (two per sample, pixels outside the image
  /// skipped), so a pixel may appear more than once for one ray; summing them gives the matrix.  The
  /// weights are the ones `apply` and `adjoint` use (up to where the ray length is multiplied in), so a
  /// sparse matrix built from them — e.g. on a GPU — is the same operator.
  template <class F>
  void for_each_entry(F&& f) const;

 private:
  /// Which image lines a ray of an angle is sampled on.
  enum class Lines : std::uint8_t { rows, columns };
  /// The geometry's tables, shared by all copies of the operator.
  struct Tables {
    ParallelBeamGeometry geometry;
    std::vector<Lines> kind;                        // per angle
    std::vector<T> step;                            // per angle: ray length between two lines
    std::vector<T> q;                               // per angle, detector: padded position on line 0
    std::vector<T> offset;                          // per angle, line: position shift of that line
    std::vector<std::int32_t> first, last;          // per angle, line: detectors [first, last) that hit it
    std::vector<std::size_t> row_angles, col_angles;  // angles of each kind, in increasing order
    std::size_t max_lines = 0;
    std::size_t steps = 0;
  };

  /// The padded sample position of ray j of angle a on its line l: q = q_a[j] + offset_a[l] (one rounding,
  /// the same in both directions).  The pixel pair is (⌊q⌋ − 1, ⌊q⌋) of the line, index −1 and len the zeros
  /// of the padding.
  static void build(Tables& t);

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

  std::shared_ptr<const Tables> t_;
};

// ============================================================================================================
// Implementation
// ============================================================================================================

template <RealScalar T>
Radon<T>::Radon(ParallelBeamGeometry geometry) {
  geometry.validate();
  auto t = std::make_shared<Tables>();
  t->geometry = std::move(geometry);
  build(*t);
  t_ = std::move(t);
}

template <RealScalar T>
void Radon<T>::build(Tables& t) {
  const auto& g = t.geometry;
  const std::size_t A = g.num_angles(), D = g.detectors, H = g.height, W = g.width;
  const double p = g.pixel_size, s = g.detector_spacing;
  const double hc = (static_cast<double>(H) - 1.0) / 2.0, wc = (static_cast<double>(W) - 1.0) / 2.0;
  const double dc = (static_cast<double>(D) - 1.0) / 2.0;
  t.max_lines = std::max(H, W);
  t.kind.resize(A);
  t.step.resize(A);
  t.q.resize(A * D);
  t.offset.assign(A * t.max_lines, T(0));
  t.first.assign(A * t.max_lines, 0);
  t.last.assign(A * t.max_lines, 0);
  for (std::size_t a = 0; a < A; ++a) {
    const double c = std::cos(g.angles[a]), sn = std::sin(g.angles[a]);
    // Position along the line (in pixels, +1 for the left zero pad) = q0 + j·dj + l·dl.
    double q0, dj, dl;
    std::size_t lines, len;
    // Steep rays (|cos θ| > |sin θ|) are sampled on rows, flat ones on columns.  At 45° (a tie up to
    // rounding) rows are used when cos θ·sin θ > 0, columns otherwise: a 90° rotation turns one choice into
    // the other, so the discrete transform keeps the symmetry A(rot90 u)_θ = (A u)_{θ − π/2} exactly.
    const double gap = std::abs(c) - std::abs(sn);
    const bool steep = std::abs(gap) <= 1e-12 ? c * sn > 0 : gap > 0;
    if (steep) {
      // Steep ray: sample on row r at y_r; column c = (u_j − y_r sin θ)/(p cos θ) + (W−1)/2.
      t.kind[a] = Lines::rows;
      t.step[a] = static_cast<T>(p / std::abs(c));
      dj = s / (c * p);
      dl = sn / c;
      q0 = -dc * dj - hc * dl + wc + 1.0;
      lines = H;
      len = W;
      t.row_angles.push_back(a);
    } else {
      // Flat ray: sample on column c at x_c; row r = (H−1)/2 − (u_j − x_c cos θ)/(p sin θ).
      t.kind[a] = Lines::columns;
      t.step[a] = static_cast<T>(p / std::abs(sn));
      dj = -s / (sn * p);
      dl = c / sn;
      q0 = hc + dc * s / (sn * p) - wc * dl + 1.0;
      lines = W;
      len = H;
      t.col_angles.push_back(a);
    }
    T* qa = t.q.data() + a * D;
    for (std::size_t j = 0; j < D; ++j) qa[j] = static_cast<T>(q0 + static_cast<double>(j) * dj);
    const T upper = static_cast<T>(len + 1);
    for (std::size_t l = 0; l < lines; ++l) {
      const T off = static_cast<T>(static_cast<double>(l) * dl);
      t.offset[a * t.max_lines + l] = off;
      // q(j) = qa[j] + off is monotone in j; the rays that hit the line have 0 ≤ q < len + 1.
      auto pos = [&](std::size_t j) { return static_cast<T>(qa[j] + off); };
      // The first j in [from, D) where `in_front(j)` is false (in_front is true on a prefix).
      auto boundary = [&](std::size_t from, auto in_front) {
        std::size_t lo = from, hi = D;
        while (lo < hi) {
          const std::size_t mid = lo + (hi - lo) / 2;
          if (in_front(mid)) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      std::size_t lo, hi;
      if (dj > 0) {
        lo = boundary(0, [&](std::size_t j) { return pos(j) < T(0); });
        hi = boundary(lo, [&](std::size_t j) { return pos(j) < upper; });
      } else {
        lo = boundary(0, [&](std::size_t j) { return pos(j) >= upper; });
        hi = boundary(lo, [&](std::size_t j) { return pos(j) >= T(0); });
      }
      t.first[a * t.max_lines + l] = static_cast<std::int32_t>(lo);
      t.last[a * t.max_lines + l] = static_cast<std::int32_t>(hi);
      t.steps += hi - lo;
    }
  }
}

template <RealScalar T>
template <class F>
void Radon<T>::for_each_entry(F&& f) const {
  const Tables& t = *t_;
  const auto& g = t.geometry;
  const std::size_t D = g.detectors;
  for (std::size_t a = 0; a < g.num_angles(); ++a) {
    const bool rows = t.kind[a] == Lines::rows;
    const std::size_t lines = rows ? g.height : g.width, len = rows ? g.width : g.height;
    const T* qa = t.q.data() + a * D;
    for (std::size_t l = 0; l < lines; ++l) {
      const std::size_t k = a * t.max_lines + l;
      for (auto j = static_cast<std::size_t>(t.first[k]); j < static_cast<std::size_t>(t.last[k]); ++j) {
        // The same float operations as `project_line`; padded index i is pixel i − 1 of the line.
        const T pos = qa[j] + t.offset[k];
        const auto i = static_cast<std::int32_t>(pos);
        const T w1 = pos - static_cast<T>(i), w0 = T(1) - w1;
        const auto emit = [&](std::int32_t pixel, T w) {
          if (pixel < 0 || static_cast<std::size_t>(pixel) >= len) return;
          const auto p = static_cast<std::size_t>(pixel);
          if (rows) f(a, j, l, p, t.step[a] * w);
          else f(a, j, p, l, t.step[a] * w);
        };
        emit(i - 1, w0);
        emit(i, w1);
      }
    }
  }
}

template <RealScalar T>
auto Radon<T>::apply(const domain_type& x) const -> range_type {
  expect_shape(x, domain_shape(x.shape()[0]), "Radon::apply (images N x 1 x H x W)");
  const Tables& t = *t_;
  const auto& g = t.geometry;
  const std::size_t N = x.shape()[0], H = g.height, W = g.width, A = g.num_angles(), D = g.detectors;
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
      const T* src = x.data() + n * H * W;
      if (!padded_rows.empty())
        for (std::size_t r = r0; r < r1; ++r)
          std::copy(src + r * W, src + (r + 1) * W, padded_rows.data() + (n * H + r) * rp + 1);
      if (!padded_cols.empty())
        for (std::size_t c = 0; c < W; ++c)
          for (std::size_t r = r0; r < r1; ++r) padded_cols[(n * W + c) * cp + r + 1] = src[r * W + c];
    }
  });
  range_type y = xt::zeros<T>(range_shape(N));
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N * A), [&](const auto& range) {
    for (std::size_t na = range.begin(); na != range.end(); ++na) {
      const std::size_t n = na / A, a = na % A;
      const bool rows = t.kind[a] == Lines::rows;
      const std::size_t lines = rows ? H : W, stride = rows ? rp : cp;
      const T* image = rows ? padded_rows.data() + n * H * rp : padded_cols.data() + n * W * cp;
      const T* qa = t.q.data() + a * D;
      T* acc = y.data() + na * D;
      for (std::size_t l = 0; l < lines; ++l) {
        const std::size_t k = a * t.max_lines + l;
        project_line(image + l * stride, qa + t.first[k], t.offset[k], acc + t.first[k], t.last[k] - t.first[k]);
      }
      const T step = t.step[a];
      for (std::size_t j = 0; j < D; ++j) acc[j] *= step;
    }
  });
  return y;
}

template <RealScalar T>
auto Radon<T>::adjoint(const range_type& y) const -> domain_type {
  expect_shape(y, range_shape(y.shape()[0]), "Radon::adjoint (sinograms N x 1 x A x D)");
  const Tables& t = *t_;
  const auto& g = t.geometry;
  const std::size_t N = y.shape()[0], H = g.height, W = g.width, A = g.num_angles(), D = g.detectors;
  domain_type x = xt::zeros<T>(domain_shape(N));
  constexpr std::size_t block = 8;
  // The sinogram times each angle's ray length, once (not once per block of lines).
  std::vector<T> scaled(N * A * D);
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N * A), [&](const auto& range) {
    for (std::size_t na = range.begin(); na != range.end(); ++na) {
      const T step = t.step[na % A];
      const T* sino = y.data() + na * D;
      for (std::size_t j = 0; j < D; ++j) scaled[na * D + j] = sino[j] * step;
    }
  });
  // One pass per line kind; the rows pass assigns, the columns pass adds, each pixel owned by one task.
  for (const Lines kind : {Lines::rows, Lines::columns}) {
    const auto& angles = kind == Lines::rows ? t.row_angles : t.col_angles;
    if (angles.empty()) continue;
    const std::size_t lines = kind == Lines::rows ? H : W, len = kind == Lines::rows ? W : H, stride = len + 2 + window;
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
        T* out = x.data() + n * H * W;
        for (std::size_t l = l0; l < l1; ++l) {
          const T* line = buffer.data() + (l - l0) * stride + 1;
          if (kind == Lines::rows)
            for (std::size_t c = 0; c < W; ++c) out[l * W + c] = line[c];
        }
        if (kind == Lines::columns)  // row by row, so that each image row is written once per block
          for (std::size_t r = 0; r < H; ++r)
            for (std::size_t l = l0; l < l1; ++l) out[r * W + l] += buffer[(l - l0) * stride + 1 + r];
      }
    });
  }
  return x;
}

}  // namespace eqr
