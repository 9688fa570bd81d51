// `eqr reconstruct --model RUN_DIR --in y.npy --out x.npy [--png FILE]`: applies a trained model to one
// measurement or a stack of them.
#include <cmath>
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
  const eqr::Shape4 range = problem.op.range_shape(1);
  const std::size_t n = c.setup.size;
  const eqr::io::NpyArray a = eqr::io::read_npy(in);
  // One measurement (H, W) or a stack (N, H, W); the output has the same leading axis.
  const auto& shape = a.shape();
  const bool stack = shape.size() == 3;
  const std::size_t count = stack ? shape[0] : 1;
  EQR_EXPECTS((shape.size() == 2 || stack) && shape[shape.size() - 2] == range.h && shape.back() == range.w && count >= 1,
              eqr::shape_error, "'", in, "': expected measurements of shape (", range.h, ", ", range.w, ") or a stack (N, ",
              range.h, ", ", range.w, ") for this model (", c.setup.kind,
              ", ", n, "x", n, "), found ", eqr::io::detail::shape_string(shape));
  EQR_EXPECTS(a.is_complex() == (range.c == 2), eqr::value_error, "'", in, "': expected ",
              range.c == 2 ? "complex k-space (complex64/complex128)" : "real measurements", ", found dtype ",
              eqr::io::dtype_name(a.dtype()));
  const std::size_t plane_out = n * n;
  eqr::io::NpyArray o(range.c == 2 ? eqr::io::DType::complex64 : eqr::io::DType::float32,
                      stack ? std::vector<std::size_t>{count, n, n} : std::vector<std::size_t>{n, n});
  const std::vector<Tensor> measurements = measurements_of(a, problem);
  for (std::size_t k = 0; k < count; ++k)
    for (std::size_t i = 0; i < measurements[k].size(); ++i)
      EQR_EXPECTS(std::isfinite(measurements[k].data()[i]), eqr::value_error, "'", in,
                  "': expected finite measurements, found ", measurements[k].data()[i], " in measurement ", k);
  // The input is checked: now the model (a backend, perhaps a plugin, and its parameters) is worth loading.
  const std::unique_ptr<Model> model = make_model(backend, c, problem);
  model->load(checkpoint_of(dir));
  Tensor first;
  for (std::size_t k = 0; k < count; ++k) {
    const Tensor& y = measurements[k];
    const Tensor u = no_export ? model->reconstruct_unexported(y) : model->reconstruct(y);
    if (range.c == 2) {
      auto& vals = o.values<std::complex<float>>();
      for (std::size_t i = 0; i < plane_out; ++i) vals[k * plane_out + i] = {u.data()[i], u.data()[plane_out + i]};
    } else {
      std::copy(u.data(), u.data() + plane_out, o.values<float>().begin() + static_cast<std::ptrdiff_t>(k * plane_out));
    }
    if (k == 0) first = u;
  }
  eqr::io::write_npy(out, o);
  png.write(magnitude_image(first));
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"reconstruct", "apply a trained model to measurements",
     "--model RUN_DIR --in y.npy --out x.npy [--png FILE] [--png-range LOW,HIGH] [--no-export]\n"
     "  [--backend cpu|torch-cpu|torch-cuda] [--threads N]\n\n"
     "Reads the run directory's model.cfg (problem, method, geometry, normalisation, network) and its best.eqrc\n"
     "(the lowest validation loss) or else checkpoint.eqrc. CT: y is the sinogram (A, D); MRI: complex k-space\n"
     "(H, W), output complex64 (H, W); denoise: the noisy (H, W). A stack (N, ...) of measurements gives a stack\n"
     "(N, H, W) of reconstructions. Equivariant filters are expanded once into plain convolutions (the same\n"
     "output, an ordinary CNN's cost); --no-export runs the training-mode layers, which expand them at every call.\n"
     "--backend: the tensor backend that reconstructs (default cpu), whichever trained the run.",
     run});

}  // namespace
