/// @file groups/groups.hpp
/// All of groups/: the FiniteGroup concept, Cyclic<M>, Dihedral<M>, their actions and axiom checks.
#pragma once

#include "eqr/groups/action.hpp"
#include "eqr/groups/axioms.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/groups/cyclic.hpp"
#include "eqr/groups/dihedral.hpp"
#include "eqr/groups/image_action.hpp"
