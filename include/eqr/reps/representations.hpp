/// @file reps/representations.hpp
/// The basic representations of a finite group — trivial, regular, irreducible — and their run-time
/// description `RepresentationData`, used where a representation is chosen at run time (the tool).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/reps/concepts.hpp"
#include "eqr/reps/irreps.hpp"

namespace eqr {

namespace detail {
/// The block-diagonal matrix diag(blocks…).
inline Eigen::MatrixXd block_diagonal(const std::vector<Eigen::MatrixXd>& blocks) {
  Eigen::Index n = 0;
  for (const auto& b : blocks) n += b.rows();
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(n, n);
  Eigen::Index at = 0;
  for (const auto& b : blocks) {
    out.block(at, at, b.rows(), b.cols()) = b;
    at += b.rows();
  }
  return out;
}

/// ⊕_i ψ_i(g) for a list of irreps, in order.
template <FiniteGroup G>
Eigen::MatrixXd irreps_block_diagonal(const std::vector<IrrepId>& irreps, typename G::element g) {
  std::vector<Eigen::MatrixXd> blocks;
  blocks.reserve(irreps.size());
  for (const auto& psi : irreps) blocks.push_back(irrep_matrix<G>(psi, g));
  return block_diagonal(blocks);
}
}  // namespace detail

/// A representation described by data rather than by a type: its irreps (in block order) and the orthogonal
/// change of basis Q, so that ρ(g) = Q (⊕_i ψ_i(g)) Qᵀ.  Every Representation type has one (`describe`).
template <FiniteGroup G>
struct RepresentationData {
  std::string name;
  int size = 0;
  std::vector<IrrepId> irreps;
  Eigen::MatrixXd change_of_basis;
  bool permutation = false;

  /// ρ(g) = Q (⊕_i ψ_i(g)) Qᵀ.
  Eigen::MatrixXd matrix(typename G::element g) const {
    return change_of_basis * detail::irreps_block_diagonal<G>(irreps, g) * change_of_basis.transpose();
  }
};

/// The trivial representation ρ(g) = [1]: a scalar field (an image channel that does not change under g).
template <FiniteGroup G>
struct Trivial {
  using group = G;
  static constexpr bool permutation = true;
  static constexpr int size() { return 1; }
  static Eigen::MatrixXd matrix(typename G::element) { return Eigen::MatrixXd::Ones(1, 1); }
  static std::vector<IrrepId> irreps() { return {{0, 0}}; }
  static Eigen::MatrixXd change_of_basis() { return Eigen::MatrixXd::Identity(1, 1); }
  static std::string name() { return "trivial"; }
};

/// The regular representation: ρ(g) e_h = e_{gh} on R^{|G|}, channel h ↔ group element with index h
/// (DESIGN.md §3).  A regular field is a function on the group; g permutes its channels.
///
/// Decomposition (e2cnn's): each irrep ψ (in `irreps_of` order) occurs d_ψ/e_ψ times (e_ψ = 2 for the
/// complex-type irreps of C_M, else 1); copy i contributes the columns Q[h, p + j] = √(d_ψ/|G|) ψ(h)_{j,i}.
template <FiniteGroup G>
struct Regular {
  using group = G;
  static constexpr bool permutation = true;
  static constexpr int size() { return G::order(); }
  static Eigen::MatrixXd matrix(typename G::element g) {
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(size(), size());
    for (int h = 0; h < size(); ++h) m(G::index_of(G::compose(g, G::element_at(h))), h) = 1.0;
    return m;
  }
  static std::vector<IrrepId> irreps() {
    std::vector<IrrepId> out;
    for (const auto& psi : irreps_of<G>()) {
      const int copies = irrep_size<G>(psi) / irrep_endomorphism_dimension<G>(psi);
      for (int i = 0; i < copies; ++i) out.push_back(psi);
    }
    return out;
  }
  static Eigen::MatrixXd change_of_basis() {
    const int n = size();
    Eigen::MatrixXd q(n, n);
    int column = 0;
    for (const auto& psi : irreps_of<G>()) {
      const int d = irrep_size<G>(psi);
      const int copies = d / irrep_endomorphism_dimension<G>(psi);
      const double scale = std::sqrt(static_cast<double>(d) / n);
      for (int i = 0; i < copies; ++i, column += d)
        for (int h = 0; h < n; ++h) {
          const Eigen::MatrixXd m = irrep_matrix<G>(psi, G::element_at(h));
          for (int j = 0; j < d; ++j) q(h, column + j) = scale * m(j, i);
        }
    }
    return q;
  }
  static std::string name() { return "regular"; }
};

/// The irreducible representation ψ_{J,K} of G as a type (see `irrep_matrix` for its matrices).
template <FiniteGroup G, int J, int K>
struct Irrep {
  static_assert(is_irrep<G>(IrrepId{J, K}),
                "Irrep<G, J, K> must name an irrep of G: 0 <= K <= M/2, J = 0 for cyclic groups, and J = 1 for the "
                "two-dimensional irreps of dihedral groups.");
  using group = G;
  static constexpr bool permutation = (K == 0 && J == 0);
  static constexpr int size() { return irrep_size<G>({J, K}); }
  static Eigen::MatrixXd matrix(typename G::element g) { return irrep_matrix<G>({J, K}, g); }
  static std::vector<IrrepId> irreps() { return {{J, K}}; }
  static Eigen::MatrixXd change_of_basis() { return Eigen::MatrixXd::Identity(size(), size()); }
  static std::string name() { return irrep_name<G>({J, K}); }
};

/// The run-time description of a Representation type.
template <Representation R>
RepresentationData<typename R::group> describe() {
  return {R::name(), R::size(), R::irreps(), R::change_of_basis(), R::permutation};
}

/// Run-time constructors, for representations chosen at run time (e.g. from the command line).
template <FiniteGroup G>
RepresentationData<G> trivial_representation() {
  return describe<Trivial<G>>();
}
template <FiniteGroup G>
RepresentationData<G> regular_representation() {
  return describe<Regular<G>>();
}
/// ψ as a representation; throws `value_error` if ψ is not an irrep of G.
template <FiniteGroup G>
RepresentationData<G> irrep_representation(IrrepId psi) {
  EQR_EXPECTS(is_irrep<G>(psi), value_error, "irrep (j=", psi.j, ", k=", psi.k, ") is not an irrep of ", G::name());
  const int d = irrep_size<G>(psi);
  return {irrep_name<G>(psi), d, {psi}, Eigen::MatrixXd::Identity(d, d), psi.j == 0 && psi.k == 0};
}

}  // namespace eqr
