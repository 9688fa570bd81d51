/// @file apps/eqr/models/backend_model.hpp
/// `BackendModel<B>`: a `Model` (models/model.hpp) on tensor backend B — the library's `LearnedModel<B>`
/// with the CPU tensors of the commands copied to B and back at the boundary. Included by the one source
/// file per backend that instantiates the models (model_cpu.cpp, model_torch.cpp).
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

/// The model of a run on backend B.
template <TrainingBackend B>
class BackendModel final : public Model {
 public:
  explicit BackendModel(std::unique_ptr<LearnedModel<B>> model) : model_(std::move(model)) {}

  [[nodiscard]] Tensor reconstruct(const Tensor& y) const override { return to_cpu(model_->reconstruct(to_backend(y))); }
  [[nodiscard]] Tensor reconstruct_unexported(const Tensor& y) const override {
    return to_cpu(model_->reconstruct_unexported(to_backend(y)));
  }
  TrainingResult train(const nn::PairList<FB>& train_set, const nn::PairList<FB>& val_set, const TrainingOptions& options) override {
    return model_->train(on_backend(train_set), on_backend(val_set), options);
  }
  void load(const std::filesystem::path& checkpoint) override { model_->load(checkpoint); }

 private:
  using T = typename B::scalar_type;
  static typename B::tensor_type to_backend(const Tensor& t) {
    const auto host = FB::to_host(t);
    const std::vector<T> values(host.begin(), host.end());
    return B::from_host(FB::shape(t), std::span<const T>(values));
  }
  static Tensor to_cpu(const typename B::tensor_type& t) {
    const auto host = B::to_host(t);
    const std::vector<float> values(host.begin(), host.end());
    return FB::from_host(B::shape(t), std::span<const float>(values));
  }
  static nn::PairList<B> on_backend(const nn::PairList<FB>& set) {
    nn::PairList<B> out;
    out.pairs.reserve(set.pairs.size());
    for (const auto& p : set.pairs) out.pairs.push_back({to_backend(p.input), to_backend(p.target)});
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
