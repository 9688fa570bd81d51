/// @file backends/cpu/operators/operators.hpp
/// The CPU backend's operator kernels in one include: `ray_kernels` (Joseph's vectorised oneTBB loops) and
/// `fourier_kernels` (FFTW), so that every operator of operators/ runs on `CpuBackend<T>`.
#pragma once

#include "eqr/backends/cpu/operators/fftw.hpp"
#include "eqr/backends/cpu/operators/joseph.hpp"
