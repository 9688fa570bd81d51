// `eqr fbp`: filtered back-projection of a parallel-beam sinogram, in image units.
#include <cmath>
#include <iostream>

#include "support/cli.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/fbp.hpp"
#include "support/geometry_args.hpp"
#include "support/npy_args.hpp"

namespace {

int run(eqr::cli::Args& args) {
  const std::string in = args.required("in");
  const std::string out = args.required("out");
  const std::size_t size = eqr::cli::positive(args, "size");
  const eqr::cli::GeometryArgs flags(args);
  const std::string filter_name = args.value("filter").value_or("ram-lak");
  const double scaling = args.real("frequency-scaling", 1.0);
  const auto dtype = eqr::cli::output_dtype(args);
  const eqr::cli::PngOption png(args);
  args.finish();
  eqr::FbpFilter filter{};
  try {
    filter = eqr::parse_fbp_filter(filter_name);
  } catch (const eqr::value_error& e) {
    throw eqr::cli::usage_error(std::string("--filter: ") + e.what());
  }
  if (!(scaling > 0 && scaling <= 1))
    throw eqr::cli::usage_error("--frequency-scaling: expected a number in (0, 1], found " + std::to_string(scaling));
  const auto sinogram = eqr::cli::read_real_plane(in, "sinogram");
  const eqr::FilteredBackProjection<eqr::cpu::CpuBackend<double>> fbp(
      flags.geometry(size, size, std::array{sinogram.shape(0), sinogram.shape(1)}, in), filter, scaling);
  const auto image = eqr::cli::first_plane(fbp.apply(eqr::cli::as_batch<double>(sinogram)));
  eqr::cli::write_real_plane(out, image, dtype);
  png.write(image);
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"fbp", "filtered back-projection (image units)",
     "--in y.npy --size N [--angles A] [--filter F] [--frequency-scaling S] [geometry flags] --out x.npy\n\n"
     "Reconstructs an N x N image from an (A, D) sinogram by filtered back-projection (FFTW, rows zero-padded\n"
     "to a fast length); values in image units (attenuation per unit length).\n"
     "  --filter F              ram-lak (default), shepp-logan, cosine, hamming or hann\n"
     "  --frequency-scaling S   cut-off as a fraction of Nyquist, in (0, 1] (default 1)\n"
     "  geometry flags          --angles A | --angles-file FILE, --detectors D, --pixel-size P,\n"
     "                          --detector-spacing S, as for `eqr radon` (angles and detectors default to\n"
     "                          the sinogram's shape)\n"
     "  --dtype T               float32 (default) or float64;  --png FILE [--png-range LOW,HIGH]",
     run});

}  // namespace
