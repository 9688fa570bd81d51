// Irrep<G, J, K> must name an irrep of G (C4 has frequencies 0, 1, 2 only).
// expect-error: must name an irrep of G
#include "eqr/reps/reps.hpp"

int main() { return eqr::Irrep<eqr::C4, 0, 3>::size(); }
