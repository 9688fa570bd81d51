/// @file layers/layers.hpp
/// All of layers/: the Layer concepts, the plain and the equivariant convolution, nonlinearities, group
/// pooling, field concatenation and the static containers.
#pragma once

#include "eqr/layers/any_layer.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/containers.hpp"
#include "eqr/layers/conv.hpp"
#include "eqr/layers/equivariant_conv.hpp"
#include "eqr/layers/expanded_conv.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/layers/fields.hpp"
#include "eqr/layers/nonlinearities.hpp"
#include "eqr/layers/pooling.hpp"
