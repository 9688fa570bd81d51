/// @file reps/concepts.hpp
/// The `Representation` concept (an orthogonal representation of a finite group, with its decomposition
/// into irreducibles) and the irrep identifier shared by the whole library.
#pragma once

#include <concepts>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "eqr/groups/concepts.hpp"

namespace eqr {

/// A real irreducible representation ψ_{j,k} of C_M or D_M, named as e2cnn names it: k is the frequency
/// (0 ≤ k ≤ M/2) and j the flip character (0 or 1; always 0 for C_M).
struct IrrepId {
  int j = 0;
  int k = 0;
  friend constexpr bool operator==(IrrepId, IrrepId) = default;
};

/// An orthogonal representation ρ: G → O(d) of a finite group, as a stateless type (all members static).
///
/// Requirements:
/// - `R::group` is a FiniteGroup;
/// - `R::size()` = d (constexpr int);
/// - `R::matrix(g)`: the d×d orthogonal matrix ρ(g) (Eigen::MatrixXd);
/// - `R::irreps()`: its decomposition into irreps, with multiplicity, in block order;
/// - `R::change_of_basis()`: the orthogonal Q with ρ(g) = Q (⊕_i ψ_i(g)) Qᵀ (DESIGN.md §5);
/// - `R::permutation`: true iff every ρ(g) is a permutation matrix, which is exactly when pointwise
///   nonlinearities commute with the group action (trivial and regular fields);
/// - `R::name()`: a readable name such as "regular" or "irrep_1".
template <class R>
concept Representation = FiniteGroup<typename R::group> &&
    requires(typename R::group::element g) {
      { R::size() } -> std::same_as<int>;
      { R::matrix(g) } -> std::convertible_to<Eigen::MatrixXd>;
      { R::irreps() } -> std::convertible_to<std::vector<IrrepId>>;
      { R::change_of_basis() } -> std::convertible_to<Eigen::MatrixXd>;
      { R::permutation } -> std::convertible_to<bool>;
      { R::name() } -> std::convertible_to<std::string>;
    } && (R::size() > 0);

/// `RepresentationOf<R, G>`: R is a representation of exactly the group G.
template <class R, class G>
concept RepresentationOf = Representation<R> && std::same_as<typename R::group, G>;

/// A representation on which pointwise nonlinearities act equivariantly (a permutation representation).
template <class R>
concept PermutationRepresentation = Representation<R> && R::permutation;

}  // namespace eqr
