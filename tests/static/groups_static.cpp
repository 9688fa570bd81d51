// static_assert-only checks of the groups: concept membership, axioms, grid-preserving subgroups.
#include "eqr/groups/groups.hpp"

namespace eqr {
static_assert(!FiniteGroup<int>, "int is not a finite group.");
static_assert(!FiniteGroup<CyclicElement>, "a group element is not a group.");
static_assert(FiniteGroup<C1> && FiniteGroup<C4> && FiniteGroup<C16> && FiniteGroup<D1> && FiniteGroup<D8>);
static_assert(GridGroup<C1> && GridGroup<C2> && GridGroup<C4> && GridGroup<D1> && GridGroup<D2> && GridGroup<D4>);
static_assert(!GridGroup<C3> && !GridGroup<C8> && !GridGroup<D8> && !GridGroup<Dihedral<6>>);
static_assert(satisfies_group_axioms<C1>() && satisfies_group_axioms<C4>() && satisfies_group_axioms<C12>());
static_assert(satisfies_group_axioms<D1>() && satisfies_group_axioms<D4>() && satisfies_group_axioms<Dihedral<5>>());
static_assert(grid_action_is_homomorphism<C4>() && grid_action_is_homomorphism<D4>() && grid_action_is_homomorphism<D2>());
static_assert(C4::order() == 4 && D4::order() == 8 && D1::order() == 2);
static_assert(D4::index_of({1, 2}) == 6, "D_M element (f, k) has e2cnn's index k + M*f.");
static_assert(D4::compose({1, 0}, {0, 1}) == DihedralElement{1, 3}, "F R_1 = R_3 F in D4.");
static_assert(preserves_grid<C8>(C8::element_at(2)) && !preserves_grid<C8>(C8::element_at(3)));
static_assert(act_on_grid<C4>(C4::element_at(1), {1, 0}) == GridOffset{0, 1}, "R_90 maps x to y.");
static_assert(act_on_grid<D1>(D1::element_at(1), {1, 2}) == GridOffset{-1, 2}, "F maps x to -x.");
}  // namespace eqr
