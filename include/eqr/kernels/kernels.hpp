/// @file kernels/kernels.hpp
/// All of kernels/: the KernelBasis concepts, e2cnn's harmonic basis, the exact on-grid basis, the expansion of
/// coefficients into filters and biases for whole feature maps, and the initialisers.
#pragma once

#include "eqr/kernels/concepts.hpp"
#include "eqr/kernels/expansion.hpp"
#include "eqr/kernels/grid_basis.hpp"
#include "eqr/kernels/harmonic_basis.hpp"
#include "eqr/kernels/init.hpp"
#include "eqr/kernels/sampled_basis.hpp"
