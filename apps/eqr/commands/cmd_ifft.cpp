// `eqr ifft`: the inverse (= adjoint) of `eqr fft`, fftshift(ifft2(ifftshift(y)))·sqrt(HW).
#include "support/cli.hpp"
#include "support/fft_command.hpp"

namespace {

int run(eqr::cli::Args& args) { return eqr::cli::run_centered_fft(args, true); }

const bool registered = eqr::cli::register_command(
    {"ifft", "inverse orthonormal centred 2-D DFT (from k-space)",
     "--in b.npy --out a.npy [--dtype complex64|complex128] [--png FILE]\n\n"
     "Applies F^-1 y = fftshift(ifft2(ifftshift(y))) * sqrt(H W) to every plane of the last two axes of a\n"
     "real or complex array (the inverse and adjoint of `eqr fft`). The output is complex64 (default) of\n"
     "the same shape. --png writes |x| of the first plane (take `eqr compare` for magnitudes).",
     run});

}  // namespace
