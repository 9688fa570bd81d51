/// @file nn/optimizers.hpp
/// Optimisers: `Adam` (with bias correction, L2 or decoupled weight decay) and `Sgd` (with momentum), each
/// with a libtorch-style options type (chained setters), optional global gradient-norm clipping, and state
/// kept *by parameter name* so that checkpoints can save and restore it (nn/checkpoint.hpp).
///
/// Weight decay, L2 vs decoupled: with `decoupled(false)` (PyTorch's Adam) λθ is added to the gradient and
/// so is rescaled by Adam's per-coordinate step size — parameters with large gradient history decay less.
/// With `decoupled(true)` (AdamW, Loshchilov & Hutter 2019) θ is shrunk by lr·λ directly, independently of
/// the gradient statistics, which is what "weight decay" means for SGD.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "eqr/backends/training.hpp"
#include "eqr/config.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr::nn {

/// The options of Adam, all defaulted (PyTorch's defaults; lr 1e-4 is the paper's, DESIGN.md §4):
/// `AdamOptions{}.lr(1e-4).betas(0.9, 0.999).eps(1e-8).weight_decay(0).decoupled(false).clip_grad_norm(1.0)`.
class AdamOptions {
 public:
  /// Learning rate (> 0).
  AdamOptions& lr(double v) { lr_ = v; return *this; }
  /// Moment decays β1, β2 in [0, 1).
  AdamOptions& betas(double b1, double b2) { beta1_ = b1; beta2_ = b2; return *this; }
  /// ε added to the denominator (> 0).
  AdamOptions& eps(double v) { eps_ = v; return *this; }
  /// Weight decay λ ≥ 0 (see the file comment for L2 vs decoupled).
  AdamOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// true: AdamW's decoupled decay; false: L2 added to the gradient (default).
  AdamOptions& decoupled(bool v) { decoupled_ = v; return *this; }
  /// Clip the global gradient norm to this value before each step (off by default).
  AdamOptions& clip_grad_norm(double max_norm) { clip_ = max_norm; return *this; }

  double lr() const { return lr_; }
  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool decoupled() const { return decoupled_; }
  std::optional<double> clip_grad_norm() const { return clip_; }

  /// Throws value_error naming the first option out of its domain.
  void validate() const {
    EQR_EXPECTS(lr_ > 0 && std::isfinite(lr_), value_error, "Adam: expected lr > 0, found ", lr_);
    EQR_EXPECTS(beta1_ >= 0 && beta1_ < 1, value_error, "Adam: expected beta1 in [0, 1), found ", beta1_);
    EQR_EXPECTS(beta2_ >= 0 && beta2_ < 1, value_error, "Adam: expected beta2 in [0, 1), found ", beta2_);
    EQR_EXPECTS(eps_ > 0, value_error, "Adam: expected eps > 0, found ", eps_);
    EQR_EXPECTS(weight_decay_ >= 0, value_error, "Adam: expected weight_decay >= 0, found ", weight_decay_);
    EQR_EXPECTS(!clip_ || *clip_ > 0, value_error, "Adam: expected clip_grad_norm > 0, found ", clip_.value_or(0));
  }

 private:
  double lr_ = 1e-3, beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8, weight_decay_ = 0;
  bool decoupled_ = false;
  std::optional<double> clip_;
};

/// Adam (Kingma & Ba 2015) over all parameters of a module; the math of one step is at `AdamStep`.
/// State: the step count t and, per parameter name, the moments m and v (created as zeros on first use).
template <TrainingBackend B>
class Adam {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;

  /// An optimiser with the given options (validated).
  explicit Adam(AdamOptions options = {}) : options_(options) { options_.validate(); }

  const AdamOptions& options() const { return options_; }
  /// The number of steps taken so far.
  std::int64_t steps() const { return steps_; }

  /// One step on every parameter of `model` from its accumulated gradient (clipping first, if enabled).
  /// Returns the global gradient norm before clipping when clipping is on, else 0.
  template <Module M>
  double step(M& model) {
    static_assert(std::same_as<typename M::backend, B>, "Adam<B>::step: the module must use the optimiser's backend B.");
    double norm = 0;
    if (options_.clip_grad_norm()) norm = nn::clip_grad_norm(model, *options_.clip_grad_norm());
    ++steps_;
    AdamStep s{options_.lr(), options_.beta1(), options_.beta2(), options_.eps(), options_.weight_decay(),
               options_.decoupled(), 1.0 - std::pow(options_.beta1(), static_cast<double>(steps_)),
               1.0 - std::pow(options_.beta2(), static_cast<double>(steps_))};
    model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) {
      Moments& st = state_for(name, p);
      training_primitives<B>::adam_update(p.value, st.m, st.v, p.grad, s);
    });
    return norm;
  }

  /// Calls f(state_name, tensor&) for every state tensor ("adam.m.<param>", "adam.v.<param>"), creating
  /// missing state as zeros.  The step count is separate (`steps`, `set_steps`).
  template <Module M, class F>
  void visit_state(M& model, F&& f) {
    model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) {
      Moments& st = state_for(name, p);
      f("adam.m." + name, st.m);
      f("adam.v." + name, st.v);
    });
  }
  /// Sets the step count (used when restoring a checkpoint).
  void set_steps(std::int64_t t) {
    EQR_EXPECTS(t >= 0, value_error, "Adam: expected a step count >= 0, found ", t);
    steps_ = t;
  }

 private:
  struct Moments {
    tensor m, v;
  };
  Moments& state_for(const std::string& name, const Parameter<B>& p) {
    auto it = state_.find(name);
    if (it == state_.end()) it = state_.emplace(name, Moments{B::zeros(B::shape(p.value)), B::zeros(B::shape(p.value))}).first;
    EQR_EXPECTS(B::shape(it->second.m) == B::shape(p.value), shape_error, "Adam: parameter '", name,
                "' has shape ", B::shape(p.value), " but its optimiser state has shape ", B::shape(it->second.m));
    return it->second;
  }

  AdamOptions options_;
  std::int64_t steps_ = 0;
  std::map<std::string, Moments> state_;
};

/// The options of SGD: `SgdOptions{}.lr(0.01).momentum(0.9).weight_decay(0).nesterov(false)`.
class SgdOptions {
 public:
  /// Learning rate (> 0).
  SgdOptions& lr(double v) { lr_ = v; return *this; }
  /// Momentum μ in [0, 1).
  SgdOptions& momentum(double v) { momentum_ = v; return *this; }
  /// L2 weight decay λ ≥ 0 (added to the gradient).
  SgdOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// Nesterov momentum (needs μ > 0).
  SgdOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  /// Clip the global gradient norm to this value before each step (off by default).
  SgdOptions& clip_grad_norm(double max_norm) { clip_ = max_norm; return *this; }

  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }
  std::optional<double> clip_grad_norm() const { return clip_; }

  /// Throws value_error naming the first option out of its domain.
  void validate() const {
    EQR_EXPECTS(lr_ > 0 && std::isfinite(lr_), value_error, "SGD: expected lr > 0, found ", lr_);
    EQR_EXPECTS(momentum_ >= 0 && momentum_ < 1, value_error, "SGD: expected momentum in [0, 1), found ", momentum_);
    EQR_EXPECTS(weight_decay_ >= 0, value_error, "SGD: expected weight_decay >= 0, found ", weight_decay_);
    EQR_EXPECTS(!nesterov_ || momentum_ > 0, value_error, "SGD: Nesterov momentum expects momentum > 0, found ",
                momentum_);
    EQR_EXPECTS(!clip_ || *clip_ > 0, value_error, "SGD: expected clip_grad_norm > 0, found ", clip_.value_or(0));
  }

 private:
  double lr_ = 1e-2, momentum_ = 0, weight_decay_ = 0;
  bool nesterov_ = false;
  std::optional<double> clip_;
};

/// Stochastic gradient descent with momentum (PyTorch's SGD, dampening 0); the math is at `SgdStep`.
/// State: the step count and, per parameter name, the momentum buffer ("sgd.momentum.<param>").
template <TrainingBackend B>
class Sgd {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;

  /// An optimiser with the given options (validated).
  explicit Sgd(SgdOptions options = {}) : options_(options) { options_.validate(); }

  const SgdOptions& options() const { return options_; }
  std::int64_t steps() const { return steps_; }

  /// One step on every parameter of `model`; returns the gradient norm before clipping (0 if clipping is off).
  template <Module M>
  double step(M& model) {
    static_assert(std::same_as<typename M::backend, B>, "Sgd<B>::step: the module must use the optimiser's backend B.");
    double norm = 0;
    if (options_.clip_grad_norm()) norm = nn::clip_grad_norm(model, *options_.clip_grad_norm());
    const SgdStep s{options_.lr(), options_.momentum(), options_.weight_decay(), options_.nesterov(), steps_ == 0};
    ++steps_;
    model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) {
      training_primitives<B>::sgd_update(p.value, buffer_for(name, p), p.grad, s);
    });
    return norm;
  }

  /// Calls f("sgd.momentum.<param>", tensor&) for every momentum buffer (created as zeros if missing).
  template <Module M, class F>
  void visit_state(M& model, F&& f) {
    model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) { f("sgd.momentum." + name, buffer_for(name, p)); });
  }
  /// Sets the step count (used when restoring a checkpoint).
  void set_steps(std::int64_t t) {
    EQR_EXPECTS(t >= 0, value_error, "SGD: expected a step count >= 0, found ", t);
    steps_ = t;
  }

 private:
  tensor& buffer_for(const std::string& name, const Parameter<B>& p) {
    auto it = buffers_.find(name);
    if (it == buffers_.end()) it = buffers_.emplace(name, B::zeros(B::shape(p.value))).first;
    EQR_EXPECTS(B::shape(it->second) == B::shape(p.value), shape_error, "SGD: parameter '", name, "' has shape ",
                B::shape(p.value), " but its momentum buffer has shape ", B::shape(it->second));
    return it->second;
  }

  SgdOptions options_;
  std::int64_t steps_ = 0;
  std::map<std::string, tensor> buffers_;
};

}  // namespace eqr::nn
