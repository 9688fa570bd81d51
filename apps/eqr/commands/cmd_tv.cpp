// `eqr tv`: classical TV-regularised reconstruction, min_u ½‖Au − y‖² + λ TV(u), for CT (parallel-beam Radon),
// single-coil MRI (masked centred DFT, complex images) and denoising (identity), by FISTA with the FGP TV prox
// or by PDHG, on the CPU backend or on LibTorch's CPU and CUDA devices.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <iostream>
#include <optional>
#include <string>

#include "models/backend_names.hpp"
#include "models/backends.hpp"
#include "models/tv_problem.hpp"
#include "support/cli.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "support/geometry_args.hpp"
#include "support/json.hpp"
#include "support/npy_args.hpp"

namespace {

using Real = float;
using Batch = xt::xtensor<Real, 4>;
using eqr::experiments::FB;
using eqr::experiments::TvProblem;

/// The solver settings shared by the three problems.
struct Settings {
  std::string backend;    // cpu | torch-cpu | torch-cuda
  std::string algorithm;  // fista | pdhg
  double lambda = 0;
  int iterations = 100;
  int inner = 10;
  double tolerance = 0;
  bool nonnegative = false;
  double step_ratio = 1.0;
  double operator_norm = 0;  // ‖A‖ when known in closed form, else 0 (power method)
};

/// What a run reports: the solution and the numbers for --json.
struct Outcome {
  Batch solution;
  int iterations = 0;
  bool converged = false;
  double objective = 0;
  double seconds = 0;
};

/// Solves one problem with the chosen algorithm on the chosen backend and evaluates the final objective
/// ½‖Au − y‖² + λ TV(u) (on the CPU).
Outcome solve(const TvProblem& problem, const Batch& y, const Settings& s) {
  const auto box = s.nonnegative ? eqr::Box::non_negative() : eqr::Box::unbounded();
  eqr::experiments::TvSolver solver;
  solver.algorithm = s.algorithm;
  solver.lambda = s.lambda;
  solver.pdhg.iterations(s.iterations).tolerance(s.tolerance).bounds(box).step_ratio(s.step_ratio);
  solver.pdhg.operator_norm(s.operator_norm);
  solver.fista.iterations(s.iterations).tolerance(s.tolerance).lipschitz(s.operator_norm * s.operator_norm);
  solver.prox.iterations(s.inner).bounds(box);
  const auto a = problem.forward<FB>();  // solves on the CPU backend and evaluates the objective
  const auto start = std::chrono::steady_clock::now();
  auto result = s.backend == "cpu"
                    ? eqr::experiments::solve_tv<FB>(a, y, solver)
                    : eqr::experiments::torch_plugin()->solve_tv(s.backend == "torch-cuda", problem, y, solver);
  Outcome out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.iterations = result.history.iterations;
  out.converged = result.history.converged;
  auto r = a.apply(result.solution);
  r -= y;
  out.objective = 0.5 * eqr::cpu::CpuBackend<Real>::squared_norm(r) + s.lambda * eqr::total_variation(result.solution);
  out.solution = std::move(result.solution);
  return out;
}

/// Reads complex k-space (H, W) (or (1, H, W), (1, 1, H, W)) as a batch (1, 2, H, W).
Batch read_kspace(const std::string& file) {
  const eqr::io::NpyArray a = eqr::io::read_npy(file);
  EQR_EXPECTS(a.is_complex(), eqr::value_error, "'", file, "': expected complex k-space (complex64), found dtype ",
              eqr::io::dtype_name(a.dtype()));
  const auto [h, w] = eqr::cli::plane_shape(a, file, "complex k-space");
  EQR_EXPECTS(h >= 1 && w >= 1, eqr::shape_error, "'", file, "': expected non-empty k-space, found ",
              eqr::io::detail::shape_string(a.shape()));
  const auto z = a.as<std::complex<double>>();
  Batch y = Batch::from_shape({1, 2, h, w});
  for (std::size_t k = 0; k < h * w; ++k) {
    const std::complex<double> v = z.data()[k];
    EQR_EXPECTS(std::isfinite(v.real()) && std::isfinite(v.imag()), eqr::value_error, "'", file,
                "': expected finite values, found ", v);
    y.data()[k] = static_cast<Real>(v.real());
    y.data()[h * w + k] = static_cast<Real>(v.imag());
  }
  return y;
}

/// Writes a complex batch (1, 2, H, W) as complex64 / complex128 (H, W).
void write_complex_plane(const std::string& file, const Batch& x, bool double_precision) {
  const std::size_t h = x.shape(2), w = x.shape(3), n = h * w;
  if (double_precision) {
    eqr::io::NpyArray out(eqr::io::DType::complex128, {h, w});
    auto& v = out.values<std::complex<double>>();
    for (std::size_t k = 0; k < n; ++k) v[k] = {double(x.data()[k]), double(x.data()[n + k])};
    eqr::io::write_npy(file, out);
  } else {
    eqr::io::NpyArray out(eqr::io::DType::complex64, {h, w});
    auto& v = out.values<std::complex<float>>();
    for (std::size_t k = 0; k < n; ++k) v[k] = {float(x.data()[k]), float(x.data()[n + k])};
    eqr::io::write_npy(file, out);
  }
}

int run(eqr::cli::Args& args) {
  const std::string problem = args.required("problem");
  const std::string in = args.required("in");
  const std::string out_file = args.required("out");
  Settings s;
  s.backend = args.value("backend").value_or("cpu");
  s.algorithm = args.value("algorithm").value_or("fista");
  const auto lambda = args.real("lambda");
  s.iterations = static_cast<int>(eqr::cli::positive(args, "iterations", 100));
  s.inner = static_cast<int>(eqr::cli::positive(args, "inner", 10));
  s.tolerance = args.real("tolerance", 0.0);
  s.nonnegative = args.flag("nonnegative");
  s.step_ratio = args.real("step-ratio", 1.0);
  const bool json = args.flag("json");
  const auto dtype_text = args.value("dtype");
  const eqr::cli::PngOption png(args);
  std::optional<eqr::cli::GeometryArgs> geometry;
  std::optional<std::size_t> size;
  std::optional<std::string> mask_file;
  if (problem == "ct") {
    geometry.emplace(args);
    size = eqr::cli::positive(args, "size");
  } else if (problem == "mri") {
    mask_file = args.required("mask");
  } else if (problem != "denoise") {
    throw eqr::cli::usage_error("--problem: expected ct, mri or denoise, found '" + problem + "'");
  }
  args.finish();

  if (!lambda) throw eqr::cli::usage_error("missing required option --lambda L");
  if (!(*lambda >= 0 && std::isfinite(*lambda)))
    throw eqr::cli::usage_error("--lambda: expected a finite number >= 0, found " + std::to_string(*lambda));
  s.lambda = *lambda;
  if (s.algorithm != "fista" && s.algorithm != "pdhg")
    throw eqr::cli::usage_error("--algorithm: expected fista or pdhg, found '" + s.algorithm + "'");
  eqr::experiments::expect_available_backend(s.backend);
  if (!(s.tolerance >= 0 && std::isfinite(s.tolerance)))
    throw eqr::cli::usage_error("--tolerance: expected a finite number >= 0, found " + std::to_string(s.tolerance));
  if (!(s.step_ratio > 0 && std::isfinite(s.step_ratio)))
    throw eqr::cli::usage_error("--step-ratio: expected a finite number > 0, found " + std::to_string(s.step_ratio));
  if (problem == "mri" && s.nonnegative)
    throw eqr::cli::usage_error("--nonnegative: not available for mri (complex images have no order)");
  const std::string dtype = dtype_text.value_or(problem == "mri" ? "complex64" : "float32");
  const bool complex_out = problem == "mri";
  if (complex_out ? (dtype != "complex64" && dtype != "complex128") : (dtype != "float32" && dtype != "float64"))
    throw eqr::cli::usage_error("--dtype: expected " + std::string(complex_out ? "complex64 or complex128" : "float32 or float64") +
                                " for " + problem + ", found '" + dtype + "'");

  Outcome result;
  if (problem == "ct") {
    const auto sinogram = eqr::cli::read_real_plane(in, "sinogram");
    TvProblem ct;
    ct.kind = "ct";
    ct.beam = geometry->geometry(*size, *size, std::array<std::size_t, 2>{sinogram.shape(0), sinogram.shape(1)}, in);
    result = solve(ct, eqr::cli::as_batch<Real>(sinogram), s);
  } else if (problem == "mri") {
    const Batch y = read_kspace(in);
    const std::vector<double> m = eqr::cli::read_mask(*mask_file, y.shape(2), y.shape(3));
    // The data must vanish where the mask does: A's range is the masked k-space.
    const std::size_t w = y.shape(3);
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t i = 0; i < y.shape(2); ++i)
        for (std::size_t j = 0; j < w; ++j)
          EQR_EXPECTS(m[m.size() == w ? j : i * w + j] != 0 || y(0, c, i, j) == 0, eqr::value_error, "'", in,
                      "': expected zero k-space where the mask leaves it out, found a nonzero value at (", i, ", ", j, ")");
    // ‖M F‖ = max |m_j| exactly (F is unitary), so no power method is needed.
    for (const double v : m) s.operator_norm = std::max(s.operator_norm, std::abs(v));
    EQR_EXPECTS(s.operator_norm > 0, eqr::value_error, "'", *mask_file, "': expected a mask with at least one acquired point, found none");
    TvProblem mri;
    mri.kind = "mri";
    mri.height = y.shape(2);
    mri.width = y.shape(3);
    mri.mask = m;
    result = solve(mri, y, s);
  } else {
    const auto image = eqr::cli::read_real_plane(in, "noisy image");
    TvProblem denoise;
    denoise.kind = "denoise";
    denoise.height = image.shape(0);
    denoise.width = image.shape(1);
    s.operator_norm = 1.0;
    result = solve(denoise, eqr::cli::as_batch<Real>(image), s);
  }

  xt::xtensor<double, 2> picture;
  if (complex_out) {
    write_complex_plane(out_file, result.solution, dtype == "complex128");
    const std::size_t h = result.solution.shape(2), w = result.solution.shape(3);
    picture = xt::xtensor<double, 2>::from_shape({h, w});
    for (std::size_t k = 0; k < h * w; ++k)
      picture.data()[k] = std::hypot(double(result.solution.data()[k]), double(result.solution.data()[h * w + k]));
  } else {
    picture = eqr::cli::first_plane(result.solution);
    eqr::cli::write_real_plane(out_file, picture, dtype == "float64" ? eqr::io::DType::float64 : eqr::io::DType::float32);
  }
  png.write(picture);
  if (json) {
    std::cout << eqr::cli::JsonObject{}
                     .add("problem", problem)
                     .add("algorithm", s.algorithm)
                     .add("backend", s.backend)
                     .add("lambda", s.lambda)
                     .add("iterations", result.iterations)
                     .add("converged", result.converged)
                     .add("objective", result.objective)
                     .add("seconds", result.seconds)
                     .str()
              << "\n";
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"tv", "TV-regularised reconstruction (CT, MRI, denoising) by FISTA or PDHG",
     "--problem ct|mri|denoise --in y.npy [operator flags] --lambda L [--iterations I] [--algorithm fista|pdhg]\n"
     "       [--backend cpu|torch-cpu|torch-cuda] --out x.npy [--png FILE] [--json]\n\n"
     "Minimises 1/2 |A u - y|^2 + L TV(u) (isotropic TV, forward differences, Neumann boundary).\n"
     "  --problem ct       y: sinogram (A, D); A = parallel-beam Radon transform of an N x N image, with\n"
     "                     --size N and the radon flags --angles A | --angles-file FILE, --detectors D,\n"
     "                     --pixel-size P, --detector-spacing S (angles and detectors default to y's shape)\n"
     "  --problem mri      y: complex64 k-space (H, W), centred, zero off the mask; --mask m.npy (H, W) line\n"
     "                     mask or 2-D sampling pattern, or (W,) column mask; A = mask x orthonormal centred 2-D DFT; the output is complex (H, W)\n"
     "  --problem denoise  y: noisy image (H, W); A = identity\n"
     "  --lambda L         TV weight (>= 0, required)\n"
     "  --iterations I     outer iterations (default 100)\n"
     "  --algorithm        fista (default: FISTA, step 1/|A|^2 by the power method, FGP TV prox) or pdhg\n"
     "                     (Chambolle-Pock)\n"
     "  --backend B        cpu (default), torch-cpu or torch-cuda: where the solver runs (`eqr info` lists the\n"
     "                     backends of this build and machine)\n"
     "  --inner K          FGP iterations per FISTA step, warm-started (default 10)\n"
     "  --step-ratio R     PDHG starting primal/dual step balance (default 1; larger = larger primal steps;\n"
     "                     adapted while iterating by residual balancing)\n"
     "  --tolerance T      stop when |u_k+1 - u_k| / |u_k+1| < T (default 0: run all iterations)\n"
     "  --nonnegative      constrain u >= 0 (ct, denoise)\n"
     "  --dtype T          float32 (default) / float64; for mri complex64 (default) / complex128\n"
     "  --png FILE         also write the result (its magnitude for mri) as PNG; --png-range LOW,HIGH\n"
     "  --json             print {\"problem\", \"algorithm\", \"backend\", \"lambda\", \"iterations\",\n"
     "                     \"converged\", \"objective\", \"seconds\"}",
     run});

}  // namespace
