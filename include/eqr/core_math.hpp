/// @file core_math.hpp
/// The math core of EquiRecon — groups, representations, steerable kernel bases — which needs only Eigen
/// (target eqr::eqr) and no tensor backend.
#pragma once

#include "eqr/config.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"
