/// @file reps/reps.hpp
/// All of reps/: the Representation concept, irreps of C_M and D_M, trivial/regular/irrep representations,
/// direct sums, characters and feature-map field types.
#pragma once

#include "eqr/reps/characters.hpp"
#include "eqr/reps/concepts.hpp"
#include "eqr/reps/direct_sum.hpp"
#include "eqr/reps/field_type.hpp"
#include "eqr/reps/irreps.hpp"
#include "eqr/reps/representations.hpp"
