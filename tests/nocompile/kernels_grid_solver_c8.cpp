// A whole layer with the grid solver for C8 is refused at compile time, with a sentence.
// expect-error: GridSolver needs a group that maps the pixel grid onto itself
#include "eqr/kernels/expansion.hpp"
#include "eqr/kernels/grid_basis.hpp"

int main() {
  using F = eqr::FieldType<eqr::C8, eqr::Regular<eqr::C8>>;
  const eqr::KernelExpansion<F, F> expansion(3, eqr::GridSolver{});
  return expansion.coefficient_count();
}
