/// @file eqr.hpp
/// The umbrella header: everything in EquiRecon except the LibTorch adapter (backends/torch).
#pragma once

#include "eqr/config.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/reps/reps.hpp"
