// The README's first example: choose a group at compile time and check an equivariance fact.
#include <eqr/eqr.hpp>

#include <cstdio>

int main() {
  using G = eqr::C4;                                   // rotations by multiples of 90 degrees
  static_assert(eqr::GridGroup<G>, "C4 maps the pixel grid onto itself.");
  // static_assert(eqr::GridGroup<eqr::C8>);           // would not compile: 45 degrees leaves the grid
  const auto r = G::element_at(1);                     // rotation by 90 degrees
  const auto v = eqr::act_on_grid<G>(r, {1, 0});       // the x axis goes to the y axis
  std::printf("%s has %d elements; R_90 (1,0) = (%d,%d)\n", G::name(), G::order(), v.x, v.y);
  return (v == eqr::GridOffset{0, 1}) ? 0 : 1;
}
