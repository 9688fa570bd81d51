/// @file tests/support/cuda_main.hpp
/// The body of every CUDA test program's main (tests/unit/test_cuda_*.cpp bring their own doctest main):
/// exit with 77, which CTest reports as skipped (never as passed), when no CUDA device is present; otherwise
/// turn TF32 off and run the doctest cases. Include after tests/support/torch_doctest.hpp, in a file that
/// defines DOCTEST_CONFIG_IMPLEMENT.
#pragma once

#include <torch/torch.h>

#include <iostream>

#include <doctest/doctest.h>

namespace eqr::testing {

/// CTest's SKIP_RETURN_CODE for the CUDA tests: the exit status when no CUDA device is present.
inline constexpr int cuda_skipped = 77;

/// Runs the doctest cases of the program `name` on CUDA device 0, or returns cuda_skipped without a device.
/// cuDNN and cuBLAS may run float convolutions and products in TF32 (a 10-bit mantissa) on Ampere and later
/// GPUs, LibTorch's default; that is not the backend's float arithmetic (the agreement tests compare
/// float32), so TF32 is turned off before the tests run.
inline int run_cuda_tests(int argc, char** argv, const char* name) {
  if (!torch::cuda::is_available()) {
    std::cout << name << ": no CUDA device, skipped\n";
    return cuda_skipped;
  }
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}

}  // namespace eqr::testing
