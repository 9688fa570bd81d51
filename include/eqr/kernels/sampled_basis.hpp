/// @file kernels/sampled_basis.hpp
/// `SampledBasis`: a kernel basis sampled on the k×k grid (the common result of every solver), the kernel-size
/// check, the grid coordinates of DESIGN.md §3/§5, the change of basis from irrep space to the fields' basis,
/// and the constraint residual (paper, Eq. 8) over the grid-preserving group elements.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/groups/action.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/reps/concepts.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// The storage of a sampled basis: one basis element per row, each row the row-major array
/// (C_out, C_in, k, k) — index ((o·C_in + i)·k + row)·k + col, kernel rows top to bottom as an image.
using BasisMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Where one basis element comes from: the pair of irreps (in irrep space, before the change of basis) whose
/// block it fills, and — for the harmonic basis — its ring and angular harmonic.
struct BasisElementInfo {
  int in_irrep_slot = 0;   ///< index of the input irrep in the input representation's `irreps` list
  int out_irrep_slot = 0;  ///< index of the output irrep in the output representation's `irreps` list
  IrrepId in_irrep{};      ///< the input irrep ψ_in
  IrrepId out_irrep{};     ///< the output irrep ψ_out
  double radius = -1;      ///< ring radius r_i (harmonic basis); −1 for the grid basis
  int frequency = 0;       ///< angular frequency μ (harmonic basis); 0 for the grid basis
  double phase = 0;        ///< phase γ of cos(μθ + γ) (harmonic basis)
  int reflection = 0;      ///< s of the 2×2 blocks ψ(μθ+γ)·diag(1, (−1)^s) (harmonic basis, 2-D ↔ 2-D only)
};

/// A kernel basis between one input and one output representation, sampled on the k×k grid.
///
/// Class invariant: `matrix` has `info.size()` rows and `c_out·c_in·k·k` columns; every element satisfies the
/// kernel constraint of its solver.  Each element has energy d_out (sum of squares over all its entries
/// equals the size of its output irrep), the normalisation of e2cnn (DESIGN.md §5).
struct SampledBasis {
  int c_out = 0;
  int c_in = 0;
  int kernel_size = 0;
  BasisMatrix matrix;
  std::vector<BasisElementInfo> info;

  /// The number of basis elements.
  int size() const { return static_cast<int>(info.size()); }
  /// The number of entries of one element, C_out·C_in·k².
  int element_length() const { return c_out * c_in * kernel_size * kernel_size; }
};

/// Checks that k is a usable kernel size: odd and at least 1.  Throws `value_error` otherwise.
///
/// Even sizes are refused on purpose: an even grid has no centre pixel, so the rings of e2cnn's basis miss the
/// grid points and its basis silently comes out empty or degenerate (a trap users of e2cnn fall into).
inline void check_kernel_size(int k) {
  EQR_EXPECTS(k >= 1 && k % 2 == 1, value_error, "kernel size: expected an odd size >= 1 (the kernel grid needs "
              "a centre pixel for the rings and the rotations of the steerable basis), found ", k);
}

/// The math-axes coordinates of kernel grid point (row i, col j): (x, y) = (j − c, c − i), c = (k−1)/2
/// (DESIGN.md §5, the same points and order as e2cnn's `get_grid_coords`).
inline Point2 kernel_grid_point(int k, int i, int j) {
  const double c = (k - 1) / 2.0;
  return {j - c, c - i};
}

/// The full element K (C_out × C_in × k²) of an irrep-space block B (d_out × d_in × k², row-major, index
/// (a·d_in + b)·k² + p) placed at output irrep slot `o_col` and input irrep slot `i_col` of the change-of-basis
/// matrices: K[:, :, p] = Q_out[:, o_col:o_col+d_out] · B[:, :, p] · Q_in[:, i_col:i_col+d_in]ᵀ (DESIGN.md §5,
/// K = Q_out · K_irreps · Q_inᵀ).  Writes into `out` (length C_out·C_in·k²).
inline void change_to_field_basis(const Eigen::MatrixXd& q_out, int o_col, int d_out, const Eigen::MatrixXd& q_in,
                                  int i_col, int d_in, int points, std::span<const double> block,
                                  std::span<double> out) {
  const auto c_out = q_out.rows(), c_in = q_in.rows();
  std::fill(out.begin(), out.end(), 0.0);
  for (int a = 0; a < d_out; ++a)
    for (int b = 0; b < d_in; ++b) {
      const double* src = block.data() + static_cast<std::ptrdiff_t>(a * d_in + b) * points;
      for (Eigen::Index o = 0; o < c_out; ++o) {
        const double qo = q_out(o, o_col + a);
        if (qo == 0.0) continue;
        for (Eigen::Index i = 0; i < c_in; ++i) {
          const double w = qo * q_in(i, i_col + b);
          if (w == 0.0) continue;
          double* dst = out.data() + (o * c_in + i) * points;
          for (int p = 0; p < points; ++p) dst[p] += w * src[p];
        }
      }
    }
}

/// The column offsets of each irrep's block in a representation's change of basis.
template <FiniteGroup G>
std::vector<int> irrep_offsets(const std::vector<IrrepId>& irreps) {
  std::vector<int> offsets;
  int at = 0;
  for (const auto& psi : irreps) {
    offsets.push_back(at);
    at += irrep_size<G>(psi);
  }
  return offsets;
}

/// The largest violation of the kernel constraint (paper, Eq. 8) by one sampled kernel K (C_out × C_in × k²),
/// over every grid-preserving element g of G:  max |K(x) − ρ_out(g) K(g⁻¹x) ρ_in(g)ᵀ|, which is Eq. 8 at
/// the point g⁻¹x.  Elements that do not map the grid onto itself (e.g. 45° in C8) are skipped: on the grid the
/// harmonic basis satisfies their constraint only approximately (DESIGN.md §3).
template <FiniteGroup G>
double kernel_constraint_residual(std::span<const double> kernel, const RepresentationData<G>& in,
                                  const RepresentationData<G>& out, int k) {
  const int c_in = in.size, c_out = out.size, points = k * k;
  EQR_EXPECTS(kernel.size() == static_cast<std::size_t>(c_out * c_in * points), shape_error,
              "kernel constraint: expected a kernel of ", c_out, "x", c_in, "x", k, "x", k, " values, found ",
              kernel.size());
  double worst = 0;
  std::vector<double> moved(kernel.size());
  for (int e = 0; e < G::order(); ++e) {
    const auto g = G::element_at(e);
    if (!preserves_grid<G>(g)) continue;
    // moved[o, i, :] = [g·K_{oi}](x) = K_{oi}(g⁻¹x), the transformed k×k stencil.
    for (int c = 0; c < c_out * c_in; ++c)
      transform_plane<G, double>(g, kernel.subspan(static_cast<std::size_t>(c * points), points), k, k,
                                 std::span<double>(moved).subspan(static_cast<std::size_t>(c * points), points));
    const Eigen::MatrixXd ro = out.matrix(g), ri = in.matrix(g);
    for (int o = 0; o < c_out; ++o)
      for (int i = 0; i < c_in; ++i)
        for (int p = 0; p < points; ++p) {
          double rhs = 0;
          for (int a = 0; a < c_out; ++a)
            for (int b = 0; b < c_in; ++b) rhs += ro(o, a) * moved[(a * c_in + b) * points + p] * ri(i, b);
          worst = std::max(worst, std::abs(kernel[(o * c_in + i) * points + p] - rhs));
        }
  }
  return worst;
}

/// The largest constraint violation over all elements of a sampled basis (0 for an empty basis).
template <FiniteGroup G>
double kernel_constraint_residual(const SampledBasis& basis, const RepresentationData<G>& in,
                                  const RepresentationData<G>& out) {
  double worst = 0;
  const auto length = static_cast<std::size_t>(basis.element_length());
  for (int e = 0; e < basis.size(); ++e)
    worst = std::max(worst, kernel_constraint_residual<G>(std::span<const double>(basis.matrix.row(e).data(), length),
                                                          in, out, basis.kernel_size));
  return worst;
}

}  // namespace eqr
