// The backend dispatch of the tool's learned models: `--backend` names a backend; the CPU backend's models are
// compiled into the tool (model_cpu.cpp), LibTorch's into a plugin loaded on demand (models/backends.hpp).
#include "models/model.hpp"

#include <string>
#include <vector>

#include "models/backends.hpp"

namespace eqr::experiments {

std::vector<std::string> available_backends() {
  std::vector<std::string> names{"cpu"};
  if (const TorchPlugin* torch = torch_plugin()) {
    names.push_back("torch-cpu");
    if (torch->cuda_available()) names.push_back("torch-cuda");
  }
  return names;
}

void expect_available_backend(const std::string& backend) {
  std::string offered;
  bool available = false;
  for (const auto& b : available_backends()) {
    offered += (offered.empty() ? "" : ", ") + b;
    available = available || b == backend;
  }
  const bool torch = backend == "torch-cpu" || backend == "torch-cuda";
  EQR_EXPECTS(available, value_error, "--backend: expected one of the backends of this build and machine (", offered,
              "), found '", backend, "'",
              torch ? (torch_plugin() == nullptr ? "; " + torch_plugin_error() : std::string("; no CUDA device is present"))
                    : std::string());
}

std::unique_ptr<Model> make_model(const std::string& backend, RunConfig& c, const InverseProblem& problem,
                                  const ProblemGeometry& start) {
  c.validate();
  expect_available_backend(backend);
  if (c.operator_norm <= 0) c.operator_norm = opnorm(problem.op, 100);
  if (backend == "cpu") return make_cpu_model(c, problem.geometry, start);
  return std::unique_ptr<Model>(torch_plugin()->make_model(backend == "torch-cuda", c, problem.geometry, start));
}

}  // namespace eqr::experiments
