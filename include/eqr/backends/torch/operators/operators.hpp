/// @file backends/torch/operators/operators.hpp
/// Umbrella header of the forward operators on a LibTorch device: the Radon transform (sparse Joseph
/// matrix), the masked centred orthonormal FFT, identity / pixel mask / blur, the `TorchLinearOperator`
/// concept with the adjoint test and the power method, and the copies to and from `xt::xtensor`.
#pragma once

#include "eqr/backends/torch/operators/algebra.hpp"
#include "eqr/backends/torch/operators/fourier.hpp"
#include "eqr/backends/torch/operators/image_operators.hpp"
#include "eqr/backends/torch/operators/radon.hpp"
#include "eqr/backends/torch/xtensor_interop.hpp"
