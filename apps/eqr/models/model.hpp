/// @file apps/eqr/models/model.hpp
/// The learned model of a run on the tensor backend named on the command line (`--backend cpu|torch-cpu|
/// torch-cuda`), seen by the commands through CPU tensors: data are made, measured and scored on the CPU
/// backend, and the model copies them to its own backend at its boundary. Every backend builds the same
/// method from the same `RunConfig` (same seeds, same ‖A‖ from model.cfg), so a run trained on one backend
/// loads and evaluates on any other.
///
/// The models themselves are compiled once per backend (models/model_cpu.cpp, models/model_torch.cpp); this
/// header is all a command needs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "experiments/common.hpp"
#include "experiments/problems.hpp"
#include "models/backend_names.hpp"
#include "models/run_config.hpp"
#include "eqr/algorithms/training.hpp"

namespace eqr::experiments {

/// A learned model on some backend (see the file comment).
class Model {
 public:
  virtual ~Model() = default;
  /// Reconstructs from measurements y (a batch) with the exported plain convolutions (inference).
  [[nodiscard]] virtual Tensor reconstruct(const Tensor& y) const = 0;
  /// Reconstructs through the training-mode layers (equivariant filters expanded at every call).
  [[nodiscard]] virtual Tensor reconstruct_unexported(const Tensor& y) const = 0;
  /// Trains with `eqr::train` on the backend; returns its result.
  virtual TrainingResult train(const nn::PairList<FB>& train_set, const nn::PairList<FB>& val_set,
                               const TrainingOptions& options) = 0;
  /// Loads the parameters from a checkpoint (written on any backend).
  virtual void load(const std::filesystem::path& checkpoint) = 0;
};

/// The learned model of `c` on `backend` with fresh (seeded) parameters over the problem's operator built on
/// that backend; starts from the direct reconstruction `start` when c.warm_start. Estimates ‖A‖ on the CPU
/// into c.operator_norm when it is not set yet, so that every backend normalises by the same number.
/// Throws value_error for an unknown or unavailable backend, naming the available ones.
[[nodiscard]] std::unique_ptr<Model> make_model(const std::string& backend, RunConfig& c, const InverseProblem& problem,
                                                const ProblemGeometry& start);

/// `make_model` with the problem's own direct reconstruction as the start.
[[nodiscard]] inline std::unique_ptr<Model> make_model(const std::string& backend, RunConfig& c,
                                                       const InverseProblem& problem) {
  return make_model(backend, c, problem, problem.geometry);
}

}  // namespace eqr::experiments
