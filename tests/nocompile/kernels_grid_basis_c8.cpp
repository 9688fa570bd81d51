// The exact on-grid basis does not exist for C8: a rotation by 45 degrees does not map the pixel grid onto itself.
// expect-error: GridBasis needs a group that maps the pixel grid onto itself
#include "eqr/kernels/grid_basis.hpp"

int main() {
  const eqr::GridBasis<eqr::Regular<eqr::C8>, eqr::Regular<eqr::C8>> basis(3);
  return basis.size();
}
