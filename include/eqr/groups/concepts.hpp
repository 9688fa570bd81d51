/// @file groups/concepts.hpp
/// The `FiniteGroup` concept: a finite subgroup of O(2) given as a stateless type with a static constexpr API.
#pragma once

#include <concepts>

namespace eqr {

/// A finite subgroup G of the orthogonal group O(2), as a stateless type whose static member functions are
/// the group law.  Every model is a cyclic group C_M (rotations by 2πk/M) or a dihedral group D_M (those
/// rotations and M mirrors); elements are small value types, numbered 0 … |G|−1 by `index_of`.
///
/// Requirements (all static, all constexpr except where noted):
/// - `G::element` — regular, equality comparable value type;
/// - `order()` = |G|, `rotation_order()` = M (the number of rotations in G);
/// - `identity()`, `compose(g, h)` = g·h (apply h first), `inverse(g)`;
/// - `element_at(i)` and `index_of(g)`: mutually inverse bijections between elements and 0 … |G|−1;
/// - `rotation_steps(g)` = k and `has_flip(g)`: g acts on R² as R_k F^f, R_k the counter-clockwise rotation
///   by 2πk/M and F the mirror x ↦ −x (DESIGN.md §3);
/// - `name()` such as "C4" or "D4".
template <class G>
concept FiniteGroup = std::regular<typename G::element> &&
    requires(typename G::element g, typename G::element h, int i) {
      { G::order() } -> std::same_as<int>;
      { G::rotation_order() } -> std::same_as<int>;
      { G::identity() } -> std::same_as<typename G::element>;
      { G::compose(g, h) } -> std::same_as<typename G::element>;
      { G::inverse(g) } -> std::same_as<typename G::element>;
      { G::element_at(i) } -> std::same_as<typename G::element>;
      { G::index_of(g) } -> std::same_as<int>;
      { G::rotation_steps(g) } -> std::same_as<int>;
      { G::has_flip(g) } -> std::same_as<bool>;
      { G::name() } -> std::convertible_to<const char*>;
    } && (G::order() > 0);

/// A finite group all of whose elements map the integer pixel grid onto itself: rotations by multiples of
/// 90° and mirrors only (C1, C2, C4, D1, D2, D4).  Only for these are exact on-grid kernels and exact
/// image transformations available.
template <class G>
concept GridGroup = FiniteGroup<G> && (4 % G::rotation_order() == 0);

}  // namespace eqr
