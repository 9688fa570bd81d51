/// @file groups/axioms.hpp
/// Compile-time checks of the group axioms and of the action, for use in `static_assert`.
#pragma once

#include "eqr/groups/action.hpp"
#include "eqr/groups/concepts.hpp"

namespace eqr {

/// True iff `index_of` and `element_at` are inverse bijections onto 0 … |G|−1, the identity is neutral,
/// every inverse is two-sided, and `compose` is associative (all checked exhaustively).
template <FiniteGroup G>
constexpr bool satisfies_group_axioms() {
  const int n = G::order();
  for (int i = 0; i < n; ++i) {
    const auto g = G::element_at(i);
    if (G::index_of(g) != i) return false;
    if (G::compose(G::identity(), g) != g || G::compose(g, G::identity()) != g) return false;
    if (G::compose(g, G::inverse(g)) != G::identity() || G::compose(G::inverse(g), g) != G::identity()) return false;
    for (int j = 0; j < n; ++j) {
      const auto h = G::element_at(j);
      const int gh = G::index_of(G::compose(g, h));
      if (gh < 0 || gh >= n) return false;
      for (int k = 0; k < n; ++k) {
        const auto l = G::element_at(k);
        if (G::compose(G::compose(g, h), l) != G::compose(g, G::compose(h, l))) return false;
      }
    }
  }
  return true;
}

/// True iff g ↦ grid_matrix(g) is a homomorphism into the integer orthogonal matrices (grid groups only).
template <GridGroup G>
constexpr bool grid_action_is_homomorphism() {
  for (int i = 0; i < G::order(); ++i) {
    for (int j = 0; j < G::order(); ++j) {
      const auto g = G::element_at(i), h = G::element_at(j);
      const auto a = grid_matrix<G>(g), b = grid_matrix<G>(h), ab = grid_matrix<G>(G::compose(g, h));
      const int prod[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
                           a[2] * b[1] + a[3] * b[3]};
      for (int e = 0; e < 4; ++e)
        if (prod[e] != ab[e]) return false;
    }
  }
  return true;
}

}  // namespace eqr
