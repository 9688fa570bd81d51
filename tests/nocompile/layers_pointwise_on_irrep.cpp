// A pointwise nonlinearity does not commute with an irrep's action (ρ(g) mixes channels with signs and
// rotations), so applying one to an irrep field must not compile.
// expect-error: a pointwise nonlinearity is equivariant only on fields whose representation permutes the channels
#include "eqr/groups/groups.hpp"
#include "eqr/layers/detail/backend_archetype.hpp"
#include "eqr/layers/nonlinearities.hpp"
#include "eqr/reps/reps.hpp"

using Irrep1 = eqr::FieldType<eqr::C4, eqr::Irrep<eqr::C4, 0, 1>>;
eqr::PointwiseNonlinearity<Irrep1, eqr::detail::BackendArchetype> phi;

int main() { return 0; }
