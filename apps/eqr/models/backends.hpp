/// @file apps/eqr/models/backends.hpp
/// The per-backend model factories behind `make_model` (models/model.cpp). The CPU backend's models are in
/// the tool (model_cpu.cpp). LibTorch's are in a plugin, libeqr_torch_backend.so (model_torch.cpp, built
/// beside the tool when LibTorch is found), which the tool loads only when a command asks for a LibTorch
/// backend: loading LibTorch takes about 0.6 s, which every `eqr radon` or `eqr phantom` would otherwise pay.
#pragma once

#include <memory>

#include "models/model.hpp"
#include "models/tv_problem.hpp"

namespace eqr::experiments {

/// The model of `c` on the CPU backend (float).
std::unique_ptr<Model> make_cpu_model(const RunConfig& c, const ProblemGeometry& geometry, const ProblemGeometry& start);

/// The entry points of the LibTorch plugin (see the file comment); the plugin and the tool are built
/// together, with the same compiler and the same headers.
struct TorchPlugin {
  /// The model of `c` on LibTorch (float), on CUDA device 0 (`cuda`) or on the CPU device; the caller owns it.
  Model* (*make_model)(bool cuda, const RunConfig& c, const ProblemGeometry& geometry, const ProblemGeometry& start);
  /// Whether LibTorch sees a CUDA device.
  bool (*cuda_available)();
  /// `solve_tv` (models/tv_problem.hpp) for `problem.forward<B>()` on LibTorch (float), on CUDA device 0 (`cuda`) or on the CPU device;
  /// y and the solution are CPU tensors.
  BackendSolverResult<FB> (*solve_tv)(bool cuda, const TvProblem& problem, const Tensor& y, const TvSolver& solver);
};

/// The LibTorch plugin of this tool, loaded on first use; nullptr when the tool was built without LibTorch or
/// the plugin cannot be loaded (then `torch_plugin_error()` says why).
const TorchPlugin* torch_plugin();
/// Why `torch_plugin()` returned nullptr ("" when it did not).
std::string torch_plugin_error();

}  // namespace eqr::experiments

/// The plugin's one exported symbol: its entry points.
extern "C" const eqr::experiments::TorchPlugin* eqr_torch_backend_plugin();
