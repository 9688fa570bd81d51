// `eqr fft`: the orthonormal centred 2-D DFT fftshift(fft2(ifftshift(x)))/sqrt(HW) (fastMRI's convention).
#include "support/cli.hpp"
#include "support/fft_command.hpp"

namespace {

int run(eqr::cli::Args& args) { return eqr::cli::run_centered_fft(args, false); }

const bool registered = eqr::cli::register_command(
    {"fft", "orthonormal centred 2-D DFT (to k-space)",
     "--in a.npy --out b.npy [--dtype complex64|complex128] [--png FILE]\n\n"
     "Applies F x = fftshift(fft2(ifftshift(x))) / sqrt(H W) to every plane of the last two axes (..., H, W)\n"
     "of a real or complex array; F is unitary and `eqr ifft` inverts it. The output is complex64 (default)\n"
     "of the same shape. --png writes log(1 + |k|) of the first plane.",
     run});

}  // namespace
