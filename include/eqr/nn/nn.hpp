/// @file nn/nn.hpp
/// All of nn/: parameters and the Module protocol, initialisers, optimisers (Adam, SGD) and checkpoints.
/// The optimisers need a `TrainingBackend`: include backends/cpu/training.hpp for the CPU one.
#pragma once

#include "eqr/nn/checkpoint.hpp"
#include "eqr/nn/checkpoint_format.hpp"
#include "eqr/nn/init.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/nn/pairs.hpp"
#include "eqr/nn/parameter.hpp"
