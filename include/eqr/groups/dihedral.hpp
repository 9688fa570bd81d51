/// @file groups/dihedral.hpp
/// The dihedral group D_M of the M rotations by multiples of 2π/M and the M mirrors.
#pragma once

#include "eqr/groups/concepts.hpp"
#include "eqr/groups/detail/name.hpp"

namespace eqr {

/// An element (f, k) of D_M: the map p ↦ R_k F^f p, with F the mirror x ↦ −x (flip ∈ {0, 1}, 0 ≤ rotation < M).
struct DihedralElement {
  int flip = 0;
  int rotation = 0;
  friend constexpr bool operator==(DihedralElement, DihedralElement) = default;
};

/// The dihedral group D_M (M ≥ 1), order 2M, acting on R² by p ↦ R_k F^f p.
///
/// Group law (from F R_k = R_{−k} F):  (f₁, k₁)·(f₂, k₂) = (f₁ ⊕ f₂, k₁ + (−1)^{f₁} k₂ mod M);
/// identity (0, 0); (0, k)⁻¹ = (0, −k) and every mirror (1, k) is its own inverse.
/// Element (f, k) has index k + M·f — e2cnn's element order, so regular-field channels are interchangeable
/// with e2cnn's (DESIGN.md §3).  D_1 = {id, F} is the mirror group.
template <int M>
struct Dihedral {
  static_assert(M >= 1, "Dihedral<M> needs M >= 1: M rotations by multiples of 2*pi/M and M mirrors.");
  using element = DihedralElement;

  static constexpr int order() { return 2 * M; }
  static constexpr int rotation_order() { return M; }
  static constexpr element identity() { return {0, 0}; }
  /// g·h: first apply h, then g.
  static constexpr element compose(element g, element h) {
    const int k = g.flip ? g.rotation - h.rotation : g.rotation + h.rotation;
    return {g.flip ^ h.flip, ((k % M) + M) % M};
  }
  static constexpr element inverse(element g) { return g.flip ? g : element{0, (M - g.rotation) % M}; }
  /// The element with index i = k + M·f; precondition 0 ≤ i < 2M.
  static constexpr element element_at(int i) { return {i / M, i % M}; }
  static constexpr int index_of(element g) { return g.rotation + M * g.flip; }
  static constexpr int rotation_steps(element g) { return g.rotation; }
  static constexpr bool has_flip(element g) { return g.flip != 0; }
  static constexpr const char* name() { return name_storage.data(); }

 private:
  static constexpr auto name_storage = detail::group_name('D', M);
};

using D1 = Dihedral<1>;
using D2 = Dihedral<2>;
using D4 = Dihedral<4>;
using D8 = Dihedral<8>;

}  // namespace eqr
