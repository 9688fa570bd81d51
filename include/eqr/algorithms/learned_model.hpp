/// @file algorithms/learned_model.hpp
/// `LearnedModel<B>`: a learned reconstruction whose architecture is chosen at run time — the method (learned
/// proximal gradient or learned primal-dual), ordinary or G-equivariant networks for any group of the
/// catalogue, the width, the number of iterations — behind the few operations a program needs (reconstruct,
/// train, load), and `make_learned_model`, which builds one from a `LearnedModelSpec` and an operator.
///
/// The operator is an `AnyLinearOperator<B>` and every network an `AnyLayer<B>`, so per backend the method
/// types are compiled once, whatever the problem, group or width; each network's own arithmetic is static
/// (DESIGN.md §3b), and the run-time widths come from `ExpandedProx`. Reconstruction runs through
/// the exported networks (`export_network`: the same output, an ordinary CNN's cost).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eqr/algorithms/learned_factories.hpp"
#include "eqr/algorithms/learned_model_spec.hpp"
#include "eqr/algorithms/learned_primal_dual.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/algorithms/warm_start.hpp"
#include "eqr/backends/training.hpp"
#include "eqr/config.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/layers/any_layer.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/nn/checkpoint.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/operators/any_operator.hpp"

namespace eqr {

/// A learned reconstruction of any architecture on backend B (see the file comment).
template <TrainingBackend B>
class LearnedModel {
 public:
  using tensor = typename B::tensor_type;
  virtual ~LearnedModel() = default;
  /// Reconstructs from measurements y (a batch) with the exported plain convolutions (inference).
  [[nodiscard]] virtual tensor reconstruct(const tensor& y) const = 0;
  /// Reconstructs through the training-mode layers (equivariant filters expanded at every call).
  [[nodiscard]] virtual tensor reconstruct_unexported(const tensor& y) const = 0;
  /// Trains with `eqr::train`; returns its result.
  virtual TrainingResult train(const nn::PairList<B>& train_set, const nn::PairList<B>& val_set,
                               const TrainingOptions& options) = 0;
  /// Loads the parameters from a checkpoint (any backend's).
  virtual void load(const std::filesystem::path& checkpoint) = 0;
  /// The number of learnable scalars.
  [[nodiscard]] virtual std::size_t parameter_count() = 0;
};

/// `LearnedModel` for one method type; the exported copy is made on first use after training or loading.
template <Layer Method>
class LearnedModelOf final : public LearnedModel<typename Method::backend> {
  using B = typename Method::backend;

 public:
  using tensor = typename B::tensor_type;
  explicit LearnedModelOf(Method method) : method_(std::move(method)) {}

  [[nodiscard]] tensor reconstruct(const tensor& y) const override {
    if (!exported_) exported_.emplace(export_network(method_));
    return exported_->forward(y);
  }
  [[nodiscard]] tensor reconstruct_unexported(const tensor& y) const override { return method_.forward(y); }
  TrainingResult train(const nn::PairList<B>& train_set, const nn::PairList<B>& val_set, const TrainingOptions& options) override {
    exported_.reset();
    return eqr::train(method_, train_set, val_set, options);
  }
  void load(const std::filesystem::path& checkpoint) override {
    exported_.reset();
    nn::load_checkpoint(checkpoint, method_);
  }
  [[nodiscard]] std::size_t parameter_count() override { return nn::parameter_count(method_); }
  /// The method itself.
  [[nodiscard]] Method& method() { return method_; }

 private:
  Method method_;
  mutable std::optional<exported_t<Method>> exported_;
};

/// The learned proximal gradient method of `make_learned_model`.
template <TensorBackend B>
using AnyLearnedProximalGradient = LearnedProximalGradient<B, AnyLinearOperator<B>, AnyLayer<B>>;
/// The learned primal-dual method of `make_learned_model` (its dual networks are always ordinary).
template <TensorBackend B>
using AnyLearnedPrimalDual = LearnedPrimalDual<B, AnyLinearOperator<B>, AnyLayer<B>, OrdinaryProx<B>>;

namespace detail {
/// The proximal network of a spec: `in` → width → width → `out` channels, ordinary or equivariant (trivial
/// in and out fields, width/|G| regular hidden fields), with the given seed.
template <TensorBackend B>
AnyLayer<B> spec_network(const LearnedModelSpec& spec, std::size_t in, std::size_t out, std::uint64_t seed) {
  if (spec.model == "ordinary") return AnyLayer<B>(make_ordinary_prox<B>(in, out, static_cast<std::size_t>(spec.width), seed));
  return visit_group(spec.group, [&]<FiniteGroup G>() {
    return AnyLayer<B>(make_dynamic_equivariant_prox<G, B>(static_cast<int>(in), spec.fields(), static_cast<int>(out),
                                                           seed, spec.basis));
  });
}
}  // namespace detail

namespace detail {
/// A method as a LearnedModel, started from 0 or, with `initial`, from u₀ = W y (`WarmStart`).
template <Layer Method>
std::unique_ptr<LearnedModel<typename Method::backend>> as_model(
    Method method, std::optional<AnyLinearOperator<typename Method::backend>> initial) {
  using B = typename Method::backend;
  if (!initial) return std::make_unique<LearnedModelOf<Method>>(std::move(method));
  using Warm = WarmStart<Method, AnyLinearOperator<B>>;
  return std::make_unique<LearnedModelOf<Warm>>(Warm(std::move(method), std::move(*initial)));
}
}  // namespace detail

/// The learned method of `spec` with fresh (seeded) parameters over the operator `op`, normalised by
/// ‖A‖ = `operator_norm`: LPG with networks [u, ∇E(u), s] → [u, s], or LPD with primal networks of the spec's
/// kind and ordinary dual networks of the same width (zero padding, the measurement space). The image and
/// measurement channels come from the operator. With `initial` (a linear map W from measurements to images,
/// e.g. FBP), the method starts from u₀ = W y instead of 0 (`WarmStart`). Throws value_error for an
/// unsupported spec.
template <TrainingBackend B>
[[nodiscard]] std::unique_ptr<LearnedModel<B>> make_learned_model(
    const LearnedModelSpec& spec, AnyLinearOperator<B> op, double operator_norm,
    std::optional<AnyLinearOperator<B>> initial = std::nullopt) {
  spec.validate();
  const std::size_t c = op.domain_shape(1).c, cy = op.range_shape(1).c, m = static_cast<std::size_t>(spec.memory);
  const auto width = static_cast<std::size_t>(spec.width);
  if (spec.method == "lpd") {
    const auto options =
        LearnedPrimalDualOptions().iterations(spec.iterations).primal_memory(spec.memory).dual_memory(spec.memory);
    std::vector<AnyLayer<B>> primal;
    std::vector<OrdinaryProx<B>> dual;
    for (std::size_t i = 0; i < options.networks(); ++i) {
      primal.push_back(detail::spec_network<B>(spec, (m + 1) * c, m * c, iteration_seed(spec.seed, i)));
      dual.push_back(make_lpd_dual_ordinary<B>((m + 2) * cy, m * cy, width, iteration_seed(spec.seed, i) + 3));
    }
    return detail::as_model(
        AnyLearnedPrimalDual<B>(std::move(op), operator_norm, c, cy, std::move(primal), std::move(dual), options),
        std::move(initial));
  }
  const auto options = LearnedProximalGradientOptions().iterations(spec.iterations).memory(spec.memory);
  auto method = make_learned_proximal_gradient<B>(std::move(op), operator_norm, c, options, [&](std::size_t i) {
    return detail::spec_network<B>(spec, 2 * c + m, c + m, iteration_seed(spec.seed, i));
  });
  return detail::as_model(std::move(method), std::move(initial));
}

}  // namespace eqr
