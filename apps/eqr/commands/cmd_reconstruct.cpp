// `eqr reconstruct --model RUN_DIR --in y.npy --out x.npy [--png FILE]`: applies a trained model.
#include <complex>
#include <iostream>

#include "support/cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/io/npy.hpp"
#include "models/model.hpp"
#include "support/npy_args.hpp"

namespace {

using namespace eqr::experiments;

int run(eqr::cli::Args& args) {
  const std::filesystem::path dir = args.required("model");
  const std::string in = args.required("in");
  const std::string out = args.required("out");
  const eqr::cli::PngOption png(args);
  const int threads = static_cast<int>(args.integer("threads", 0));
  const bool no_export = args.flag("no-export");
  const std::string backend = args.value("backend").value_or("cpu");
  args.finish();
  const eqr::cpu::ThreadLimit limit(threads);
  RunConfig c = RunConfig::load(dir / "model.cfg");
  const InverseProblem problem = problem_of(c);
  const std::unique_ptr<Model> model = make_model(backend, c, problem);
  model->load(checkpoint_of(dir));
  const eqr::Shape4 range = problem.op.range_shape(1);
  Tensor y = FB::zeros(range);
  const eqr::io::NpyArray a = eqr::io::read_npy(in);
  const auto [h, w] = eqr::cli::plane_shape(a, in, "measurements");
  EQR_EXPECTS(h == range.h && w == range.w, eqr::shape_error, "'", in, "': expected measurements of shape (",
              range.h, ", ", range.w, ") for this model (", c.problem, ", ", c.size, "x", c.size, "), found (", h,
              ", ", w, ")");
  if (range.c == 2) {
    EQR_EXPECTS(a.is_complex(), eqr::value_error, "'", in, "': expected complex k-space (complex64/complex128), found dtype ",
                eqr::io::dtype_name(a.dtype()));
    const xt::xarray<std::complex<double>> v = a.as<std::complex<double>>();
    for (std::size_t i = 0; i < h * w; ++i) {
      y(0, 0, i / w, i % w) = static_cast<float>(v.flat(i).real());
      y(0, 1, i / w, i % w) = static_cast<float>(v.flat(i).imag());
    }
  } else {
    const auto plane = eqr::cli::read_real_plane(in, "measurements");
    for (std::size_t i = 0; i < h * w; ++i) y(0, 0, i / w, i % w) = static_cast<float>(plane.flat(i));
  }
  const Tensor u = no_export ? model->reconstruct_unexported(y) : model->reconstruct(y);
  if (range.c == 2) {
    eqr::io::NpyArray o(eqr::io::DType::complex64, {static_cast<std::size_t>(c.size), static_cast<std::size_t>(c.size)});
    auto vals = o.values<std::complex<float>>();
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const std::size_t r = i / static_cast<std::size_t>(c.size), col = i % static_cast<std::size_t>(c.size);
      vals[i] = {u(0, 0, r, col), u(0, 1, r, col)};
    }
    eqr::io::write_npy(out, o);
  } else {
    eqr::cli::write_real_plane(out, plane(u), eqr::io::DType::float32);
  }
  png.write(magnitude_image(u));
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"reconstruct", "apply a trained model to measurements",
     "--model RUN_DIR --in y.npy --out x.npy [--png FILE] [--png-range LOW,HIGH] [--no-export]\n"
     "  [--backend cpu|torch-cpu|torch-cuda] [--threads N]\n\n"
     "Reads the run directory's model.cfg (problem, method, geometry, normalisation, network) and checkpoint. CT: y\n"
     "is the sinogram (A, D); MRI: complex k-space (H, W) (complex64), output complex64 (H, W); denoise: the noisy\n"
     "(H, W). Equivariant filters are expanded once into plain convolutions (the same output, an ordinary CNN's\n"
     "cost); --no-export runs the training-mode layers instead, which expand them at every layer call.\n"
     "--backend: the tensor backend that reconstructs (default cpu), whichever trained the run.",
     run});

}  // namespace
