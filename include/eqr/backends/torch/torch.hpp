/// @file backends/torch/torch.hpp
/// The LibTorch adapter in one include: `libtorch::TorchBackend<T, D>` (torch_backend.hpp), its optimiser
/// primitives (training.hpp), the `torch::nn::Module` wrapper `EqrModule` (module.hpp), the PyTorch export
/// `save_for_pytorch` (export.hpp) and the operator kernels (operators/operators.hpp: the Joseph matrix on the
/// device, torch::fft), with which every operator of operators/ runs on `TorchBackend<T, D>`.
///
/// Not included by eqr/eqr.hpp: the core never depends on LibTorch. Link the CMake target eqr::torch
/// (defined only when LibTorch is found; it defines EQR_HAVE_TORCH=1).
#pragma once

#include "eqr/backends/torch/export.hpp"
#include "eqr/backends/torch/module.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/backends/torch/training.hpp"
