// The learned methods of `eqr train / reconstruct / evaluate` for CT (parallel-beam Radon transform), instantiated once
// here (experiments/model_run.hpp's make_learned_model_for) rather than in every command.
#include "experiments/model_run.hpp"

namespace eqr::experiments {

std::unique_ptr<LearnedModel> make_learned_model(RunConfig& c, const TrainSizeProblem<Radon<FB>>& problem) {
  return make_learned_model_for(c, problem);
}

}  // namespace eqr::experiments
