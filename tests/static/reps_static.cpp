// static_assert-only checks of the representations: concept membership, sizes, permutation property.
#include "eqr/reps/reps.hpp"

namespace eqr {
static_assert(Representation<Trivial<C4>> && Representation<Regular<D8>> && Representation<Irrep<C8, 0, 3>>);
static_assert(RepresentationOf<Regular<C4>, C4> && !RepresentationOf<Regular<C4>, D4>,
              "a representation is tied to its group.");
static_assert(!Representation<int> && !Representation<C4>, "neither a number nor a group is a representation.");
static_assert(Regular<D4>::size() == 8 && Irrep<D4, 1, 1>::size() == 2 && Irrep<D4, 0, 2>::size() == 1);
static_assert(Copies<Regular<C4>, 24>::size() == 96);
static_assert(DirectSum<Trivial<C4>, Regular<C4>, Irrep<C4, 0, 1>>::size() == 7);
static_assert(PermutationRepresentation<Regular<C4>> && PermutationRepresentation<Trivial<D4>>);
static_assert(!PermutationRepresentation<Irrep<C4, 0, 1>>, "an irrep field is not a permutation representation.");
static_assert(PermutationRepresentation<FieldType<C4, Trivial<C4>, Copies<Regular<C4>, 2>>>);
static_assert(FieldTypeOf<FieldType<D4, Regular<D4>>, D4> && !FieldTypeOf<FieldType<D4, Regular<D4>>, C4>);
static_assert(is_irrep<D4>({1, 1}) && !is_irrep<D4>({0, 1}) && is_irrep<D4>({0, 2}) && !is_irrep<C4>({0, 3}));
}  // namespace eqr
