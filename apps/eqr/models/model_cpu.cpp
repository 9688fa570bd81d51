// The tool's learned models on the CPU backend, instantiated once here (models/backend_model.hpp).
#include "models/backend_model.hpp"
#include "models/backends.hpp"

namespace eqr::experiments {

std::unique_ptr<Model> make_cpu_model(const RunConfig& c, const ProblemGeometry& geometry, const ProblemGeometry& start) {
  return make_backend_model<FB>(c, geometry, start);
}

}  // namespace eqr::experiments
