// Group pooling (max or mean over the group) is defined for regular fields; an irrep field has no such
// pooling, so it must not compile.
// expect-error: group pooling is defined for regular fields
#include "eqr/groups/groups.hpp"
#include "eqr/layers/detail/backend_archetype.hpp"
#include "eqr/layers/pooling.hpp"
#include "eqr/reps/reps.hpp"

using Irrep1 = eqr::FieldType<eqr::C4, eqr::Irrep<eqr::C4, 0, 1>>;
eqr::GroupPooling<Irrep1, eqr::detail::BackendArchetype> pool;

int main() { return 0; }
