/// @file backends/torch/operators/operators.hpp
/// The LibTorch backend's operator kernels in one include: `ray_kernels` (Joseph's matrix on the device, or
/// the CPU loops on the CPU device) and `fourier_kernels` (torch::fft), so that every operator of
/// operators/ — `Radon<TorchBackend<T, D>>`, `FilteredBackProjection<…>`, `MaskedFourier<…>` and the image
/// operators — runs on LibTorch's CPU and CUDA devices.
#pragma once

#include "eqr/backends/torch/operators/fourier_kernels.hpp"
#include "eqr/backends/torch/operators/ray_kernels.hpp"
#include "eqr/backends/torch/operators/sparse_matrix.hpp"
