/// @file apps/eqr/experiments/learned_model.hpp
/// A learned reconstruction method of `eqr train` behind one small interface (`LearnedModel`), and the
/// export of its equivariant networks into plain convolutions for inference.
///
/// The tool offers two methods (learned proximal gradient, Algorithm 2, and learned primal-dual), ordinary
/// and equivariant networks, seven groups and several widths on three problems: each combination is its
/// own C++ type. `make_learned_model` (defined once per problem in apps/eqr/model_*.cpp) instantiates them
/// in one place, so `eqr train`, `eqr reconstruct` and `eqr evaluate` share those instantiations and talk
/// to the result through this interface (one virtual call per reconstruction or training run, never in a
/// hot loop).
///
/// Inference through exported convolutions: an `EquivariantConv` expands its filter from the basis
/// coefficients at every forward pass (training mode). `export_method` expands every layer once
/// (`EquivariantConv::export_conv`) and returns the same method over plain `Conv` layers — the same
/// arithmetic on the same filters, so the same output bit for bit (tests/tool/learned_models_test.sh
/// checks it with `cmp`), at an ordinary CNN's cost (DESIGN.md §1, point 4).
#pragma once

#include <concepts>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "eqr/algorithms/learned_factories.hpp"
#include "eqr/algorithms/learned_primal_dual.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/checkpoint.hpp"

namespace eqr::experiments {

struct RunConfig;

/// A learned reconstruction method (any method, network kind, group and width) seen through the
/// operations the tool needs.
class LearnedModel {
 public:
  virtual ~LearnedModel() = default;
  /// Reconstructs from measurements y (batch 1) with the exported plain convolutions (inference).
  [[nodiscard]] virtual Tensor reconstruct(const Tensor& y) const = 0;
  /// Reconstructs through the training-mode layers (equivariant filters expanded at every call).
  [[nodiscard]] virtual Tensor reconstruct_unexported(const Tensor& y) const = 0;
  /// Trains with eqr::train; returns its result.
  virtual TrainingResult train(const PairList<FB>& train_set, const PairList<FB>& val_set,
                               const TrainingOptions& options) = 0;
  /// Loads the parameters from a checkpoint written by `train`.
  virtual void load(const std::filesystem::path& checkpoint) = 0;
};

/// The ordinary proximal network with the exported filters of a (possibly equivariant) prox network.
template <Layer Net>
OrdinaryProx<FB> export_prox(const Net& net) {
  if constexpr (std::same_as<Net, OrdinaryProx<FB>>) {
    return net;
  } else {
    return OrdinaryProx<FB>(net.lift().export_conv(), net.intermediate().export_conv(), net.project().export_conv());
  }
}

/// The learned proximal gradient method over plain convolutions with the same filters.
template <LinearOperatorOn<FB> Op, Layer Net>
LearnedProximalGradient<FB, Op, OrdinaryProx<FB>> export_method(const LearnedProximalGradient<FB, Op, Net>& m) {
  const std::size_t count = m.options().shared_weights() ? 1 : static_cast<std::size_t>(m.options().iterations());
  std::vector<OrdinaryProx<FB>> nets;
  for (std::size_t i = 0; i < count; ++i) nets.push_back(export_prox(m.network(i)));
  return LearnedProximalGradient<FB, Op, OrdinaryProx<FB>>(m.op(), m.operator_norm(), m.image_channels(), std::move(nets),
                                                           m.options());
}

/// The learned primal-dual method over plain convolutions with the same filters (dual networks are plain).
template <LinearOperatorOn<FB> Op, Layer Primal>
OrdinaryLearnedPrimalDual<FB, Op> export_method(const LearnedPrimalDual<FB, Op, Primal, OrdinaryProx<FB>>& m) {
  const std::size_t count = m.options().shared_weights() ? 1 : static_cast<std::size_t>(m.options().iterations());
  std::vector<OrdinaryProx<FB>> primal, dual;
  for (std::size_t i = 0; i < count; ++i) {
    primal.push_back(export_prox(m.primal_network(i)));
    dual.push_back(m.dual_network(i));
  }
  return OrdinaryLearnedPrimalDual<FB, Op>(m.op(), m.operator_norm(), m.image_channels(), m.measurement_channels(),
                                           std::move(primal), std::move(dual), m.options());
}

/// A learned reconstruction method the tool can wrap: a `Layer` on the float CPU backend (trainable,
/// checkpointable) whose networks `export_method` can turn into plain convolutions.
template <class M>
concept ExportableMethod = Layer<M> && std::same_as<typename M::backend, FB> && requires(const M& m) {
  { export_method(m).forward(std::declval<const Tensor&>()) } -> std::same_as<Tensor>;
};

/// `LearnedModel` for one method type; the exported copy is made on first use after training or loading.
template <ExportableMethod Method>
class LearnedModelOf final : public LearnedModel {
 public:
  explicit LearnedModelOf(Method method) : method_(std::move(method)) {}

  [[nodiscard]] Tensor reconstruct(const Tensor& y) const override {
    if (!exported_) exported_.emplace(export_method(method_));
    return exported_->forward(y);
  }
  [[nodiscard]] Tensor reconstruct_unexported(const Tensor& y) const override { return method_.forward(y); }
  TrainingResult train(const PairList<FB>& train_set, const PairList<FB>& val_set, const TrainingOptions& options) override {
    exported_.reset();
    return eqr::train(method_, train_set, val_set, options);
  }
  void load(const std::filesystem::path& checkpoint) override {
    exported_.reset();
    nn::load_checkpoint(checkpoint, method_);
  }

 private:
  using Exported = decltype(export_method(std::declval<const Method&>()));
  Method method_;
  mutable std::optional<Exported> exported_;
};

/// Wraps a method into a `LearnedModel`.
template <ExportableMethod Method>
std::unique_ptr<LearnedModel> wrap_model(Method method) {
  return std::make_unique<LearnedModelOf<Method>>(std::move(method));
}

}  // namespace eqr::experiments
