/// @file operators/joseph_tables.hpp
/// `JosephTables<T>`: the tables of Joseph's method for one parallel-beam geometry — per angle which image
/// lines its rays are sampled on and the ray length between two lines, per ray its position on line 0,
/// per line the position shift and the range of rays that hit it — from which every backend's projector
/// computes the forward projection and its exact transpose (operators/radon.hpp has the method).
///
/// The tables are plain host data built once per geometry; the device kernels read them (the CPU's
/// vectorised loops in backends/cpu/operators/joseph.hpp) or turn them into a sparse matrix
/// (`for_each_entry`, e.g. for a GPU), so all backends apply the same matrix.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "eqr/core/scalar.hpp"
#include "eqr/operators/parallel_beam.hpp"

namespace eqr {

/// Which image lines the rays of one angle are sampled on: rows (steep rays, |cos θ| ≥ |sin θ|) or columns.
enum class JosephLines : std::uint8_t { rows, columns };

/// The tables of Joseph's method for a `ParallelBeamGeometry`, in the projector's precision T.
///
/// The padded sample position of ray j of angle a on its line l is q = q[a·D + j] + offset[a·max_lines + l]
/// (one rounding, the same in both directions); the pixel pair is (⌊q⌋ − 1, ⌊q⌋) of the line, where padded
/// index 0 and len + 1 are the zeros of the padding, and the weights are 1 − f and f, f = q − ⌊q⌋, times the
/// ray length `step[a]`. The rays that hit line l of angle a are j ∈ [first, last) at index a·max_lines + l.
template <Real T>
struct JosephTables {
  ParallelBeamGeometry geometry;
  std::vector<JosephLines> kind;                    ///< per angle
  std::vector<T> step;                              ///< per angle: ray length between two lines
  std::vector<T> q;                                 ///< per angle, detector: padded position on line 0
  std::vector<T> offset;                            ///< per angle, line: position shift of that line
  std::vector<std::int32_t> first, last;            ///< per angle, line: detectors [first, last) that hit it
  std::vector<std::size_t> row_angles, col_angles;  ///< angles of each kind, in increasing order
  std::size_t max_lines = 0;                        ///< max(H, W): the stride of the per-line tables
  std::size_t steps = 0;                            ///< interpolation steps of one projection of one image

  /// Builds the tables of `geometry`; throws if the geometry is invalid.
  explicit JosephTables(ParallelBeamGeometry geometry);

  /// Calls f(a, j, r, c, w) for every non-zero entry of the matrix of A: the sinogram value of angle a and
  /// detector j receives w · u(r, c). Entries come per ray sample (two per sample, pixels outside the image
  /// skipped), so a pixel may appear more than once for one ray; summing them gives the matrix. The
  /// weights are the ones the projectors use (up to where the ray length is multiplied in), so a sparse
  /// matrix built from them is the same operator.
  template <class F>
  void for_each_entry(F&& f) const;
};

// ============================================================================================================
// Implementation
// ============================================================================================================

template <Real T>
JosephTables<T>::JosephTables(ParallelBeamGeometry scan) : geometry(std::move(scan)) {
  geometry.validate();
  JosephTables& t = *this;
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
      t.kind[a] = JosephLines::rows;
      t.step[a] = static_cast<T>(p / std::abs(c));
      dj = s / (c * p);
      dl = sn / c;
      q0 = -dc * dj - hc * dl + wc + 1.0;
      lines = H;
      len = W;
      t.row_angles.push_back(a);
    } else {
      // Flat ray: sample on column c at x_c; row r = (H−1)/2 − (u_j − x_c cos θ)/(p sin θ).
      t.kind[a] = JosephLines::columns;
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

template <Real T>
template <class F>
void JosephTables<T>::for_each_entry(F&& f) const {
  const JosephTables& t = *this;
  const auto& g = t.geometry;
  const std::size_t D = g.detectors;
  for (std::size_t a = 0; a < g.num_angles(); ++a) {
    const bool rows = t.kind[a] == JosephLines::rows;
    const std::size_t lines = rows ? g.height : g.width, len = rows ? g.width : g.height;
    const T* qa = t.q.data() + a * D;
    for (std::size_t l = 0; l < lines; ++l) {
      const std::size_t k = a * t.max_lines + l;
      for (auto j = static_cast<std::size_t>(t.first[k]); j < static_cast<std::size_t>(t.last[k]); ++j) {
        // The same float operations as the projectors'; padded index i is pixel i − 1 of the line.
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

}  // namespace eqr
