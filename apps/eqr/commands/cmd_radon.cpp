// `eqr radon`: parallel-beam forward projection (Joseph's method) of an image into a sinogram (A, D).
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
  const eqr::cli::GeometryArgs flags(args);
  const auto dtype = eqr::cli::output_dtype(args);
  const eqr::cli::PngOption png(args);
  args.finish();
  const auto image = eqr::cli::read_real_plane(in, "image");
  const eqr::Radon<eqr::cpu::CpuBackend<double>> radon(flags.geometry(image.shape(0), image.shape(1)));
  const auto sinogram = eqr::cli::first_plane(radon.apply(eqr::cli::as_batch<double>(image)));
  eqr::cli::write_real_plane(out, sinogram, dtype);
  png.write(sinogram);
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"radon", "parallel-beam forward projection (sinogram)",
     "--in x.npy --angles A [--detectors D] [--pixel-size P] [--detector-spacing S] --out y.npy\n\n"
     "Projects an (H, W) image into an (A, D) sinogram of line integrals (Joseph's method; rows = angles).\n"
     "  --angles A            A angles linspace(0, pi, A, endpoint=False)\n"
     "  --angles-file FILE    or the angles (radians) from a 1-d .npy array\n"
     "  --detectors D         detector count (default ceil(sqrt(H^2 + W^2)) = ceil(sqrt(2) N))\n"
     "  --pixel-size P        pixel side length (default 1)\n"
     "  --detector-spacing S  distance between detector centres (default 1)\n"
     "  --dtype T             float32 (default) or float64\n"
     "  --png FILE            also write the sinogram as PNG; --png-range LOW,HIGH sets its window",
     run});

}  // namespace
