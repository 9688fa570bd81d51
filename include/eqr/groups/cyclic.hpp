/// @file groups/cyclic.hpp
/// The cyclic group C_M = Z_M of rotations of the plane by multiples of 2π/M.
#pragma once

#include "eqr/groups/concepts.hpp"
#include "eqr/groups/detail/name.hpp"

namespace eqr {

/// An element of C_M: the counter-clockwise rotation by `rotation · 2π/M`, with 0 ≤ rotation < M.
struct CyclicElement {
  int rotation = 0;
  friend constexpr bool operator==(CyclicElement, CyclicElement) = default;
};

/// The cyclic group C_M ≅ Z_M (M ≥ 1) acting on R² by rotations R_k, k = 0 … M−1.
///
/// Group law: R_a R_b = R_{(a+b) mod M}; identity R_0; inverse R_{−a mod M}.  Element k has index k, the
/// same order as e2cnn's `cyclic_group(M)`.  Class invariant: every element's `rotation` lies in [0, M).
template <int M>
struct Cyclic {
  static_assert(M >= 1, "Cyclic<M> needs M >= 1: the group of rotations by multiples of 2*pi/M.");
  using element = CyclicElement;

  static constexpr int order() { return M; }
  static constexpr int rotation_order() { return M; }
  static constexpr element identity() { return {0}; }
  /// g·h: first rotate by h, then by g.
  static constexpr element compose(element g, element h) { return {(g.rotation + h.rotation) % M}; }
  static constexpr element inverse(element g) { return {(M - g.rotation) % M}; }
  /// The element with index i; precondition 0 ≤ i < M.
  static constexpr element element_at(int i) { return {i}; }
  static constexpr int index_of(element g) { return g.rotation; }
  static constexpr int rotation_steps(element g) { return g.rotation; }
  static constexpr bool has_flip(element) { return false; }
  static constexpr const char* name() { return name_storage.data(); }

 private:
  static constexpr auto name_storage = detail::group_name('C', M);
};

using C1 = Cyclic<1>;
using C2 = Cyclic<2>;
using C3 = Cyclic<3>;
using C4 = Cyclic<4>;
using C6 = Cyclic<6>;
using C8 = Cyclic<8>;
using C12 = Cyclic<12>;
using C16 = Cyclic<16>;

}  // namespace eqr
