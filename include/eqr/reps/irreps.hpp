/// @file reps/irreps.hpp
/// The real irreducible representations of C_M and D_M, with e2cnn's names, order and matrices.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/groups/action.hpp"
#include "eqr/groups/cyclic.hpp"
#include "eqr/groups/dihedral.hpp"
#include "eqr/reps/concepts.hpp"

namespace eqr {

namespace detail {
template <class G>
struct is_dihedral : std::false_type {};
template <int M>
struct is_dihedral<Dihedral<M>> : std::true_type {};
}  // namespace detail

/// True for the dihedral groups D_M, false for the cyclic groups C_M.
template <FiniteGroup G>
inline constexpr bool is_dihedral_v = detail::is_dihedral<G>::value;

/// Whether ψ = (j, k) is an irrep of G: 0 ≤ k ≤ M/2; j = 0 for C_M; for D_M, j ∈ {0, 1}, and j = 1 for the
/// two-dimensional irreps (0 < k < M/2).
template <FiniteGroup G>
constexpr bool is_irrep(IrrepId psi) {
  const int m = G::rotation_order();
  if (psi.k < 0 || 2 * psi.k > m) return false;
  if (!is_dihedral_v<G>) return psi.j == 0;
  const bool one_dimensional = psi.k == 0 || 2 * psi.k == m;
  return one_dimensional ? (psi.j == 0 || psi.j == 1) : psi.j == 1;
}

/// The dimension of ψ_{j,k}: 1 for k = 0 and k = M/2, else 2.
template <FiniteGroup G>
constexpr int irrep_size(IrrepId psi) {
  return (psi.k == 0 || 2 * psi.k == G::rotation_order()) ? 1 : 2;
}

/// All irreps of G in e2cnn's order (the order in which its groups create them, which is also the order of
/// the irreps in e2cnn's regular representation and so of the kernel basis elements between regular fields):
/// C_M: ψ_0, ψ_1, …, ψ_{⌊M/2⌋};
/// D_M: ψ_{0,0}, then ψ_{1,k} for 0 ≤ k ≤ ⌊M/2⌋, then ψ_{0,M/2} if M is even — so for even M the two
/// one-dimensional irreps of frequency M/2 come as ψ_{1,M/2}, ψ_{0,M/2} (e.g. D4: ψ_{0,0}, ψ_{1,0}, ψ_{1,1},
/// ψ_{1,2}, ψ_{0,2}; D2: ψ_{0,0}, ψ_{1,0}, ψ_{1,1}, ψ_{0,1}).
template <FiniteGroup G>
std::vector<IrrepId> irreps_of() {
  const int m = G::rotation_order();
  std::vector<IrrepId> out;
  if (!is_dihedral_v<G>) {
    for (int k = 0; 2 * k <= m; ++k) out.push_back({0, k});
    return out;
  }
  out.push_back({0, 0});
  for (int k = 0; 2 * k <= m; ++k) out.push_back({1, k});
  if (m % 2 == 0) out.push_back({0, m / 2});
  return out;
}

/// e2cnn's name of an irrep: "irrep_k" for C_M, "irrep_j,k" for D_M.
template <FiniteGroup G>
std::string irrep_name(IrrepId psi) {
  return is_dihedral_v<G> ? "irrep_" + std::to_string(psi.j) + "," + std::to_string(psi.k)
                          : "irrep_" + std::to_string(psi.k);
}

/// The orthogonal matrix ψ_{j,k}(g), θ = 2πr/M for the rotation part r of g (e2cnn's matrices):
/// - one-dimensional (k = 0 or k = M/2): (−1)^{j·f} cos(kθ);
/// - two-dimensional: R(kθ) S^f with R the rotation matrix and S = diag(1, −1), so that
///   f = 0 ↦ [[cos kθ, −sin kθ], [sin kθ, cos kθ]] and f = 1 ↦ [[cos kθ, sin kθ], [sin kθ, −cos kθ]].
/// Throws `value_error` if ψ is not an irrep of G.
template <FiniteGroup G>
Eigen::MatrixXd irrep_matrix(IrrepId psi, typename G::element g) {
  EQR_EXPECTS(is_irrep<G>(psi), value_error, "irrep (j=", psi.j, ", k=", psi.k, ") of ", G::name(),
              ": expected 0 <= k <= ", G::rotation_order() / 2,
              is_dihedral_v<G> ? " and j in {0,1} (j = 1 for 0 < k < M/2)" : " and j = 0");
  const int r = G::rotation_steps(g);
  const int f = G::has_flip(g) ? 1 : 0;
  // Exact values (0, ±1) at multiples of 90°, so that e.g. the sign irrep is exactly ±1.
  const auto [c, s] = detail::cos_sin_of_turn_fraction(psi.k * r, G::rotation_order());
  if (irrep_size<G>(psi) == 1) {
    Eigen::MatrixXd m(1, 1);
    m(0, 0) = ((psi.j * f) % 2 ? -1.0 : 1.0) * c;
    return m;
  }
  Eigen::MatrixXd m(2, 2);
  if (f == 0) {
    m << c, -s, s, c;
  } else {
    m << c, s, s, -c;
  }
  return m;
}

/// The character χ_ψ(g) = trace ψ(g).
template <FiniteGroup G>
double irrep_character(IrrepId psi, typename G::element g) {
  return irrep_matrix<G>(psi, g).trace();
}

/// The dimension of ψ's real endomorphism algebra, (1/|G|) Σ_g χ_ψ(g)²: 1 for real-type irreps (all of D_M,
/// the 1-d ones of C_M) and 2 for the complex-type 2-d irreps of C_M.  ψ occurs d_ψ / e_ψ times in the
/// regular representation.
template <FiniteGroup G>
int irrep_endomorphism_dimension(IrrepId psi) {
  double sum = 0;
  for (int i = 0; i < G::order(); ++i) sum += std::pow(irrep_character<G>(psi, G::element_at(i)), 2);
  return static_cast<int>(std::lround(sum / G::order()));
}

}  // namespace eqr
