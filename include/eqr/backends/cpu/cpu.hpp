/// @file backends/cpu/cpu.hpp
/// The CPU backend in one include: `cpu::CpuBackend<T>` (xtensor storage, the convolution engine, oneTBB),
/// its optimiser primitives (training.hpp), its operator kernels (operators/: Joseph's projector, FFTW),
/// and the worker-thread limit.
#pragma once

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/operators/operators.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/backends/cpu/training.hpp"
