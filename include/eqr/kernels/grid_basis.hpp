/// @file kernels/grid_basis.hpp
/// `GridBasis`: the exact solution space of the kernel constraint (paper, Eq. 8) on the k×k pixel grid, for the
/// groups whose elements all map the grid onto itself (C1, C2, C4, D1, D2, D4).  For C1 it is the ordinary
/// convolution: k² independent taps per channel pair.
///
/// Method.  In irrep space the constraint decouples into one constraint per pair of irreps (ψ_in, ψ_out):
/// the block B: grid → R^{d_out×d_in} must be a fixed point of every operator
///     (T_g B)(x) = ψ_out(g) B(g⁻¹x) ψ_in(g)ᵀ,
/// an orthogonal representation of G on R^{d_out·d_in·k²} (g permutes the grid points).  Its fixed points are
/// the range of the group average P = (1/|G|) Σ_g T_g, an orthogonal projector.  We take an orthonormal basis of
/// range(P) by Gram–Schmidt on the columns P·e_j in pixel order (for C1, P = I and the basis is the k² pixel
/// deltas), scale each element to energy d_out (e2cnn's normalisation, so the initialisers treat both solvers
/// alike), and take it to the fields' basis with K = Q_out · K_irreps · Q_inᵀ.
#pragma once

#include <cmath>
#include <concepts>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/groups/action.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/kernels/sampled_basis.hpp"
#include "eqr/reps/concepts.hpp"
#include "eqr/reps/irreps.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// The projector P = (1/|G|) Σ_g T_g onto the kernels B: grid → R^{d_out×d_in} that satisfy the constraint
/// between the irreps ψ_in and ψ_out (vector index (a·d_in + b)·k² + p, p = row·k + col).
template <GridGroup G>
Eigen::MatrixXd grid_constraint_projector(IrrepId psi_in, IrrepId psi_out, int k) {
  const int d_in = irrep_size<G>(psi_in), d_out = irrep_size<G>(psi_out), points = k * k;
  const int n = d_out * d_in * points, c = (k - 1) / 2;
  Eigen::MatrixXd projector = Eigen::MatrixXd::Zero(n, n);
  for (int e = 0; e < G::order(); ++e) {
    const auto g = G::element_at(e);
    const Eigen::MatrixXd ro = irrep_matrix<G>(psi_out, g), ri = irrep_matrix<G>(psi_in, g);
    const auto g_inv = G::inverse(g);
    for (int p = 0; p < points; ++p) {
      // The source point q = g⁻¹·x of the target point x (grid offsets in math axes, y up).
      const GridOffset x{p % k - c, c - p / k};
      const GridOffset y = act_on_grid<G>(g_inv, x);
      const int q = (c - y.y) * k + (y.x + c);
      for (int a = 0; a < d_out; ++a)
        for (int b = 0; b < d_in; ++b)
          for (int a2 = 0; a2 < d_out; ++a2)
            for (int b2 = 0; b2 < d_in; ++b2)
              projector((a * d_in + b) * points + p, (a2 * d_in + b2) * points + q) += ro(a, a2) * ri(b, b2);
    }
  }
  return projector / G::order();
}

/// An orthonormal basis (as columns) of the range of a projector P: modified Gram–Schmidt, with one
/// re-orthogonalisation pass, over the columns of P in order; columns whose remainder has norm ≤ 1e-8 are
/// dependent and skipped.
inline Eigen::MatrixXd projector_range_basis(const Eigen::MatrixXd& projector) {
  std::vector<Eigen::VectorXd> basis;
  for (Eigen::Index j = 0; j < projector.cols(); ++j) {
    Eigen::VectorXd v = projector.col(j);
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& u : basis) v -= u.dot(v) * u;
    const double norm = v.norm();
    if (norm > 1e-8) basis.push_back(v / norm);
  }
  Eigen::MatrixXd out(projector.rows(), static_cast<Eigen::Index>(basis.size()));
  for (std::size_t i = 0; i < basis.size(); ++i) out.col(static_cast<Eigen::Index>(i)) = basis[i];
  return out;
}

/// The exact on-grid basis between two representations of a grid group given at run time.  Elements are
/// grouped by (input irrep slot, output irrep slot), input slot outer, as in the harmonic basis.  Throws
/// `value_error` for an even or non-positive kernel size.
template <GridGroup G>
SampledBasis solve_grid(const RepresentationData<G>& in, const RepresentationData<G>& out, int k) {
  check_kernel_size(k);
  const int points = k * k;
  const auto in_offsets = irrep_offsets<G>(in.irreps), out_offsets = irrep_offsets<G>(out.irreps);
  SampledBasis basis{out.size, in.size, k, {}, {}};
  std::vector<std::vector<double>> rows;
  std::vector<double> block, full(static_cast<std::size_t>(out.size * in.size * points));
  for (std::size_t ii = 0; ii < in.irreps.size(); ++ii) {
    for (std::size_t oo = 0; oo < out.irreps.size(); ++oo) {
      const IrrepId psi_in = in.irreps[ii], psi_out = out.irreps[oo];
      const int d_in = irrep_size<G>(psi_in), d_out = irrep_size<G>(psi_out);
      const Eigen::MatrixXd range = projector_range_basis(grid_constraint_projector<G>(psi_in, psi_out, k));
      for (Eigen::Index e = 0; e < range.cols(); ++e) {
        const Eigen::VectorXd element = range.col(e) * std::sqrt(static_cast<double>(d_out));
        block.assign(element.data(), element.data() + element.size());
        change_to_field_basis(out.change_of_basis, out_offsets[oo], d_out, in.change_of_basis, in_offsets[ii], d_in,
                              points, block, full);
        rows.push_back(full);
        basis.info.push_back({static_cast<int>(ii), static_cast<int>(oo), psi_in, psi_out, -1.0, 0, 0.0, 0});
      }
    }
  }
  basis.matrix.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(full.size()));
  for (std::size_t e = 0; e < rows.size(); ++e)
    basis.matrix.row(static_cast<Eigen::Index>(e)) =
        Eigen::Map<const Eigen::RowVectorXd>(rows[e].data(), static_cast<Eigen::Index>(rows[e].size()));
  return basis;
}

/// `solve_grid` for a group chosen at run time (the `eqr basis` tool): for a group that does not map the pixel
/// grid onto itself (C3, C6, C8, …) it throws `value_error` naming the group and the groups that do.
template <FiniteGroup G>
SampledBasis solve_grid_checked(const RepresentationData<G>& in, const RepresentationData<G>& out, int k) {
  if constexpr (GridGroup<G>) {
    return solve_grid<G>(in, out, k);
  } else {
    throw value_error(detail::concat("grid basis: expected a group whose rotations are multiples of 90 degrees "
                                     "(C1, C2, C4, D1, D2, D4), found ", G::name(), ", whose rotations by 360/",
                                     G::rotation_order(), " degrees do not map the pixel grid onto itself; use the "
                                     "harmonic solver for it"));
  }
}

/// The grid solver policy (a `KernelSolverFor<GridSolver, G>` for the grid groups).
struct GridSolver {
  static constexpr const char* name() { return "grid"; }
  /// Only for grid groups, so `KernelSolverFor<GridSolver, C8>` is false.
  template <GridGroup G>
  SampledBasis solve(const RepresentationData<G>& in, const RepresentationData<G>& out, int k) const {
    return solve_grid<G>(in, out, k);
  }
};

/// The exact on-grid basis from the field type Rin to the field type Rout (a `KernelBasisFor<·, Rin, Rout>`).
/// Example: `GridBasis<Trivial<C4>, Regular<C4>> b(3);  // b.size() == 9`.
template <Representation Rin, Representation Rout>
class GridBasis {
  static_assert(std::same_as<typename Rin::group, typename Rout::group>,
                "GridBasis<Rin, Rout> needs input and output representations of the same group.");
  static_assert(GridGroup<typename Rin::group>,
                "GridBasis needs a group that maps the pixel grid onto itself (C1, C2, C4, D1, D2, D4): rotations "
                "by other angles have no exact action on a k x k kernel; use HarmonicBasis for this group.");

 public:
  using group = typename Rin::group;
  using in_representation = Rin;
  using out_representation = Rout;

  /// Builds the basis for an odd kernel size k (throws `value_error` for an even k).
  explicit GridBasis(int k) : basis_(solve_grid<group>(describe<Rin>(), describe<Rout>(), k)) {}

  int size() const { return basis_.size(); }
  int kernel_size() const { return basis_.kernel_size; }
  const BasisMatrix& matrix() const { return basis_.matrix; }
  const SampledBasis& sampled() const { return basis_; }

 private:
  SampledBasis basis_;
};

}  // namespace eqr
