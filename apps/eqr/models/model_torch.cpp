// The LibTorch plugin of the tool (libeqr_torch_backend.so, models/backends.hpp): the tool's learned models and
// its TV solver on LibTorch's CPU and CUDA devices, instantiated once here.
#include <torch/torch.h>

#include "models/backend_model.hpp"
#include "models/backends.hpp"
#include "eqr/backends/torch/torch.hpp"

namespace {

using namespace eqr::experiments;

Model* make_torch_model(bool cuda, const RunConfig& c, const ProblemGeometry& geometry, const ProblemGeometry& start) {
  using eqr::DeviceKind;
  using eqr::libtorch::TorchBackend;
  if (cuda) return make_backend_model<TorchBackend<float, DeviceKind::cuda>>(c, geometry, start).release();
  return make_backend_model<TorchBackend<float, DeviceKind::cpu>>(c, geometry, start).release();
}

bool cuda_available() { return torch::cuda::is_available(); }

template <class B>
eqr::BackendSolverResult<FB> solve_tv_on(const TvProblem& problem, const Tensor& y, const TvSolver& solver) {
  auto r = solve_tv<B>(problem.forward<B>(), copy_to_backend<B>(y), solver);
  return {copy_to_cpu<B>(r.solution), std::move(r.history)};
}

eqr::BackendSolverResult<FB> torch_solve_tv(bool cuda, const TvProblem& problem, const Tensor& y,
                                            const TvSolver& solver) {
  using eqr::DeviceKind;
  using eqr::libtorch::TorchBackend;
  if (cuda) return solve_tv_on<TorchBackend<float, DeviceKind::cuda>>(problem, y, solver);
  return solve_tv_on<TorchBackend<float, DeviceKind::cpu>>(problem, y, solver);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const TorchPlugin* eqr_torch_backend_plugin() {
  static const TorchPlugin plugin{make_torch_model, cuda_available, torch_solve_tv};
  return &plugin;
}
