// Sequential checks at compile time that each layer's output field type is the next layer's input type: a
// lift to 2 regular C4 fields followed by a layer reading 3 regular fields must not compile, and the
// diagnostic names both types.
// expect-error: the output field type of a layer must equal the input field type of the next layer
#include "eqr/groups/groups.hpp"
#include "eqr/layers/containers.hpp"
#include "eqr/layers/detail/backend_archetype.hpp"
#include "eqr/layers/equivariant_conv.hpp"
#include "eqr/reps/reps.hpp"

using A = eqr::detail::BackendArchetype;
using G = eqr::C4;
using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
using Two = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 2>>;
using Three = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>>;
using Net = eqr::Sequential<eqr::EquivariantConv<G, Tr, Two, A>, eqr::EquivariantConv<G, Three, Tr, A>>;

int main() { return static_cast<int>(Net::size()); }
