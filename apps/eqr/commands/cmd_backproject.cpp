// `eqr backproject`: the exact adjoint (transpose) of `eqr radon` — unfiltered back-projection.
#include <iostream>

#include "support/cli.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/radon.hpp"
#include "support/geometry_args.hpp"
#include "support/npy_args.hpp"

namespace {

int run(eqr::cli::Args& args) {
  const std::string in = args.required("in");
  const std::string out = args.required("out");
  const std::size_t size = eqr::cli::positive(args, "size");
  const eqr::cli::GeometryArgs flags(args);
  const auto dtype = eqr::cli::output_dtype(args);
  const eqr::cli::PngOption png(args);
  args.finish();
  const auto sinogram = eqr::cli::read_real_plane(in, "sinogram");
  const eqr::Radon<eqr::cpu::CpuBackend<double>> radon(flags.geometry(size, size, std::array{sinogram.shape(0), sinogram.shape(1)}, in));
  const auto image = eqr::cli::first_plane(radon.adjoint(eqr::cli::as_batch<double>(sinogram)));
  eqr::cli::write_real_plane(out, image, dtype);
  png.write(image);
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"backproject", "the exact adjoint of radon (unfiltered back-projection)",
     "--in y.npy --size N [--angles A] [--detectors D] [--pixel-size P] [--detector-spacing S] --out x.npy\n\n"
     "Back-projects an (A, D) sinogram onto an N x N image with the transpose of `eqr radon` (same weights),\n"
     "so <radon(x), y> = <x, backproject(y)>. The geometry flags are those of `eqr radon`; --angles and\n"
     "--detectors default to the sinogram's shape (A rows linspace(0, pi, A, endpoint=False), D columns)\n"
     "and are checked against it when given.\n"
     "  --dtype T   float32 (default) or float64;  --png FILE [--png-range LOW,HIGH]  PNG preview",
     run});

}  // namespace
