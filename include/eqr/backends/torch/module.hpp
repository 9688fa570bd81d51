/// @file backends/torch/module.hpp
/// `EqrModule<Net>`: a trained eqr network on a `TorchBackend`, wrapped as a `torch::nn::Module` so that it
/// can be used wherever LibTorch code expects one (interop 1 of the LibTorch adapter; interop 2, the file
/// PyTorch loads, is backends/torch/export.hpp).
///
/// **Which path trains.** Training always runs the library's own reverse mode (DESIGN.md §3b: every layer's
/// `forward(x, ctx)` / `backward(ctx, dy)`, the optimisers of nn/optimizers.hpp on `TorchBackend`), never
/// LibTorch autograd. The Module is for inference and interop: `forward` runs the eqr network under
/// `torch::NoGradGuard`, and its registered parameters do not require gradients (a LibTorch optimiser on
/// them would see no gradients; train the eqr network instead and wrap it afterwards).
///
/// **Parameters.** Every eqr parameter is registered under its eqr name: the name's dotted components
/// become nested submodules, so `named_parameters()` lists exactly the eqr names ("lift.weight",
/// "intermediate.coefficients", "0.body.1.bias", …) with the eqr shapes (a bias is 1 × C × 1 × 1; an
/// equivariant layer registers its basis coefficients, 1 × n × 1 × 1). The registered tensors share storage
/// with the network's, so in-place optimiser steps on the network are seen through the Module. Functions
/// that *replace* a parameter's tensor (nn::load_checkpoint assigns new values) are not: call
/// `sync_parameters()` afterwards.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr::libtorch {

/// `IsTorchBackend<B>`: B is `TorchBackend<T, D>` for some T and D.
template <class B>
concept IsTorchBackend = std::same_as<B, TorchBackend<typename B::scalar_type, B::device().kind>>;

/// A layer that runs on a LibTorch backend (the networks `EqrModule` and `save_for_pytorch` accept).
template <class L>
concept TorchLayer = Layer<L> && IsTorchBackend<typename L::backend>;

/// A trained eqr network as a `torch::nn::Module`: `forward(x)` = the network's inference pass; the
/// parameters are registered under the eqr names (see the file comment).
template <TorchLayer Net>
class EqrModule : public torch::nn::Module {
 public:
  using network_type = Net;
  using backend = typename Net::backend;

  /// Wraps `net` and registers its parameters (on LibTorch a copied network shares its parameter tensors
  /// with the original, so wrapping a copy still shows the original's in-place updates).
  explicit EqrModule(Net net) : net_(std::move(net)) {
    net_.visit_parameters("", [this](const std::string& name, nn::Parameter<backend>& p) {
      const auto [owner, leaf] = owner_of(name);
      owner->register_parameter(leaf, p.value, /*requires_grad=*/false);
    });
  }

  /// y = net(x) without recording anything: x is converted to the backend's dtype and device (so a
  /// float CPU tensor may be passed to a CUDA model) and must be N × C × H × W.
  torch::Tensor forward(const torch::Tensor& x) {
    EQR_EXPECTS(x.defined() && x.dim() == 4, shape_error, "EqrModule::forward: expected a 4-d N×C×H×W tensor, found ",
                x.defined() ? x.dim() : 0, " dimensions");
    const torch::NoGradGuard no_grad;
    return net_.forward(x.to(backend::options()).contiguous());
  }

  /// Re-registers the network's current parameter tensors (after a function replaced them, e.g.
  /// nn::load_checkpoint), so that `named_parameters()` shows the values `forward` uses.
  void sync_parameters() {
    const auto params = named_parameters(/*recurse=*/true);
    net_.visit_parameters("", [&](const std::string& name, nn::Parameter<backend>& p) {
      const torch::Tensor* registered = params.find(name);
      EQR_EXPECTS(registered != nullptr, value_error, "EqrModule::sync_parameters: expected a registered parameter '",
                  name, "', found none");
      torch::Tensor handle = *registered;
      const torch::NoGradGuard no_grad;
      handle.set_data(p.value);
    });
  }

  /// The wrapped network (train it with the library's optimisers; see the file comment).
  Net& network() { return net_; }
  const Net& network() const { return net_; }

 private:
  /// The (sub)module that owns parameter `name` and the parameter's last name component; intermediate
  /// components become submodules, created on first use.
  std::pair<torch::nn::Module*, std::string> owner_of(const std::string& name) {
    torch::nn::Module* owner = this;
    std::string path;
    std::size_t begin = 0;
    for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', begin)) {
      const std::string part = name.substr(begin, dot - begin);
      path += (path.empty() ? "" : ".") + part;
      auto it = children_.find(path);
      if (it == children_.end()) it = children_.emplace(path, owner->register_module(part, std::make_shared<torch::nn::Module>())).first;
      owner = it->second.get();
      begin = dot + 1;
    }
    return {owner, name.substr(begin)};
  }

  Net net_;
  std::map<std::string, std::shared_ptr<torch::nn::Module>> children_;
};

}  // namespace eqr::libtorch
