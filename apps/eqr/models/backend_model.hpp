/// @file apps/eqr/models/backend_model.hpp
/// `BackendModel<B>`: a `Model` (models/model.hpp) on tensor backend B — the library's `LearnedModel<B>`
/// with the CPU tensors of the commands copied to B and back at the boundary (`copy_to_backend`,
/// `copy_to_cpu`, which `eqr tv` on a backend uses too). Included by the one source file per backend that
/// instantiates the models (model_cpu.cpp, model_torch.cpp).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "models/model.hpp"
#include "eqr/algorithms/learned_model.hpp"

namespace eqr::experiments {

/// A CPU tensor of the tool copied to backend B (converted to B's scalar type).
template <TensorBackend B>
typename B::tensor_type copy_to_backend(const Tensor& t) {
  using T = typename B::scalar_type;
  const auto host = FB::to_host(t);
  const std::vector<T> values(host.begin(), host.end());
  return B::from_host(FB::shape(t), std::span<const T>(values));
}

/// A tensor of backend B copied back to the tool's CPU tensors.
template <TensorBackend B>
Tensor copy_to_cpu(const typename B::tensor_type& t) {
  const auto host = B::to_host(t);
  const std::vector<float> values(host.begin(), host.end());
  return FB::from_host(B::shape(t), std::span<const float>(values));
}

/// The model of a run on backend B.
template <TrainingBackend B>
class BackendModel final : public Model {
 public:
  explicit BackendModel(std::unique_ptr<LearnedModel<B>> model) : model_(std::move(model)) {}

  [[nodiscard]] Tensor reconstruct(const Tensor& y) const override {
    return copy_to_cpu<B>(model_->reconstruct(copy_to_backend<B>(y)));
  }
  [[nodiscard]] Tensor reconstruct_unexported(const Tensor& y) const override {
    return copy_to_cpu<B>(model_->reconstruct_unexported(copy_to_backend<B>(y)));
  }
  TrainingResult train(const nn::PairList<FB>& train_set, const nn::PairList<FB>& val_set, const TrainingOptions& options) override {
    return model_->train(on_backend(train_set), on_backend(val_set), options);
  }
  void load(const std::filesystem::path& checkpoint) override { model_->load(checkpoint); }

 private:
  static nn::PairList<B> on_backend(const nn::PairList<FB>& set) {
    nn::PairList<B> out;
    out.pairs.reserve(set.pairs.size());
    for (const auto& p : set.pairs) out.pairs.push_back({copy_to_backend<B>(p.input), copy_to_backend<B>(p.target)});
    return out;
  }

  std::unique_ptr<LearnedModel<B>> model_;
};

/// The model of `c` on backend B over the problem's geometry (the body of make_model for one backend).
template <TrainingBackend B>
std::unique_ptr<Model> make_backend_model(const RunConfig& c, const ProblemGeometry& geometry, const ProblemGeometry& start) {
  std::optional<AnyLinearOperator<B>> initial;
  if (c.warm_start) initial = start.direct<B>();
  return std::make_unique<BackendModel<B>>(make_learned_model<B>(c.spec, geometry.forward<B>(), c.operator_norm, initial));
}

}  // namespace eqr::experiments
