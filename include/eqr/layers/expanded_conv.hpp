/// @file layers/expanded_conv.hpp
/// `ExpandedConv<B>`: a convolution whose filter is the expansion W = E c of learnable coefficients c in a
/// fixed basis E, plus a per-channel bias P β of learnable scalars β — the arithmetic of an equivariant
/// convolution once its steerable basis is built, with no group left in its type (DESIGN.md §3b):
///
///     W = E c,  b_ch = P β              (filter and per-channel bias from the learnable c and β)
///     y = W ⋆ x̃ + b_ch                  (the plain convolution engine of the backend)
///     ∇c += Eᵀ (∂L/∂W),  ∇β += Pᵀ (∂L/∂b_ch),  dx = (∂y/∂x)ᵀ dy.
///
/// E and P are an `ExpansionPlan` (kernels/expansion_plan.hpp), applied where the backend's tensors live
/// through `filter_expansion<B>`. `DynamicEquivariantConv<G, B>` and `EquivariantConv<G, In, Out, B>`
/// (layers/equivariant_conv.hpp) build the plan from the group's steerable basis and derive from this class,
/// so the forward and backward passes, export and parameter handling are compiled once per backend, whatever
/// the group; a network of `ExpandedConv<B>` layers (e.g. `ExpandedProx<B>`) holds any group's layers in one
/// type. Equivariance is a property of the plan: a layer sliced to `ExpandedConv<B>` computes exactly what
/// the equivariant layer computes.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/filter_expansion.hpp"
#include "eqr/config.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/random.hpp"
#include "eqr/kernels/basis_solver.hpp"
#include "eqr/kernels/expansion_plan.hpp"
#include "eqr/kernels/harmonic_basis.hpp"
#include "eqr/layers/conv.hpp"
#include "eqr/nn/init.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr {

/// The options of an equivariant convolution (the field types are the layer's template arguments): the kernel
/// size is required, the rest are chained setters —
/// `EquivariantConvOptions(3).padding(Padding::replicate).bias(true).basis(BasisSolver::grid).init(nn::Init::zeros)`.
/// Defaults: zeros padding, with bias, harmonic basis (e2cnn's options), e2cnn's He init, seed 0.
class EquivariantConvOptions {
 public:
  /// Options for k×k kernels (k odd; checked when the layer is built).
  explicit EquivariantConvOptions(int kernel_size) : k_(kernel_size) {}

  /// How the input is extended beyond its border (default zeros; the paper uses replicate).
  EquivariantConvOptions& padding(Padding p) { padding_ = p; return *this; }
  /// Whether the layer has a learnable invariant bias (one scalar per trivial irrep of the output; default true).
  EquivariantConvOptions& bias(bool b) { bias_ = b; return *this; }
  /// The basis solver (default harmonic).
  EquivariantConvOptions& basis(BasisSolver s) { basis_ = s; return *this; }
  /// The options of the harmonic basis (rings, widths, cutoff; default e2cnn's).
  EquivariantConvOptions& harmonic(HarmonicOptions o) { harmonic_ = std::move(o); return *this; }
  /// The coefficient initialiser: e2cnn (default, generalised He), he (variance 2/N_o) or zeros; the bias
  /// always starts at zero.
  EquivariantConvOptions& init(nn::Init i) { init_ = i; return *this; }
  /// The seed of the initialiser's random source.
  EquivariantConvOptions& seed(std::uint64_t s) { seed_ = s; return *this; }

  int kernel_size() const { return k_; }
  Padding padding() const { return padding_; }
  bool bias() const { return bias_; }
  BasisSolver basis() const { return basis_; }
  const HarmonicOptions& harmonic() const { return harmonic_; }
  nn::Init init() const { return init_; }
  std::uint64_t seed() const { return seed_; }

 private:
  int k_;
  Padding padding_ = Padding::zeros;
  bool bias_ = true;
  BasisSolver basis_ = BasisSolver::harmonic;
  HarmonicOptions harmonic_{};
  nn::Init init_ = nn::Init::e2cnn;
  std::uint64_t seed_ = 0;
};

/// The convolution with filter E c and bias P β for a fixed expansion plan, on backend B (a `Layer`; see
/// the file comment). Parameters: "coefficients" (1 × n_c × 1 × 1, in the plan's order, which for the
/// equivariant layers is e2cnn's) and, if enabled and the plan has bias scalars, "bias" (1 × n_β × 1 × 1).
template <TensorBackend B>
class ExpandedConv {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;

  /// What `backward` needs: the input and the filter expanded at that forward.
  struct context {
    tensor x;
    tensor weight;
  };

  /// The layer of the plan `plan` (non-empty) whose coefficient i is initialised from N(0, variances[i]) by
  /// the options' seed (`variances` may be empty when the options' init is zeros); `in_name` and `out_name`
  /// describe the input and output in messages.
  ExpandedConv(std::shared_ptr<const ExpansionPlan<scalar>> plan, std::vector<double> variances,
               EquivariantConvOptions options, std::string in_name, std::string out_name)
      : options_(std::move(options)),
        in_name_(std::move(in_name)),
        out_name_(std::move(out_name)),
        plan_(std::move(plan)),
        variances_(std::move(variances)) {
    EQR_EXPECTS(plan_ && plan_->coefficient_count > 0, value_error, "EquivariantConv ", in_name_, " -> ", out_name_,
                ": expected a non-empty expansion plan, found none");
    EQR_EXPECTS(options_.init() == nn::Init::zeros ||
                    variances_.size() == static_cast<std::size_t>(plan_->coefficient_count),
                shape_error, "EquivariantConv ", in_name_, " -> ", out_name_, ": expected ", plan_->coefficient_count,
                " initial variances, found ", variances_.size());
    has_bias_ = options_.bias() && plan_->bias_count() > 0;
    kernels_ = filter_expansion<B>::prepare(plan_);
    reset_parameters();
  }

  /// Re-draws the coefficients from the options' initialiser and seed; the bias is set to zero.
  void reset_parameters() {
    const auto n = static_cast<std::size_t>(plan_->coefficient_count);
    std::vector<scalar> c(n, scalar(0));
    if (options_.init() != nn::Init::zeros) {
      Random rng(options_.seed());
      for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<scalar>(std::sqrt(variances_[i]) * rng.normal());
    }
    coefficients_ = nn::Parameter<B>(B::from_host({1, n, 1, 1}, c));
    if (has_bias_) bias_ = nn::Parameter<B>(B::zeros({1, static_cast<std::size_t>(plan_->bias_count()), 1, 1}));
  }

  /// y = (E c) ⋆ x̃ + P β, expanding the filter now (training mode); stores x and the filter in ctx.
  tensor forward(const tensor& x, context& ctx) const {
    check_input(x);
    ctx.x = x;
    ctx.weight = expanded_filter();
    return has_bias_ ? B::conv2d(x, ctx.weight, expanded_bias(), options_.padding())
                     : B::conv2d(x, ctx.weight, options_.padding());
  }
  /// y = (E c) ⋆ x̃ + P β (expands the filter at every call; use `export_conv` for repeated inference).
  tensor forward(const tensor& x) const {
    context ctx;
    return forward(x, ctx);
  }
  /// dx = (∂y/∂x)ᵀ dy; adds Eᵀ(∂L/∂W) to the coefficients' gradient and Pᵀ(∂L/∂b) to the bias gradient.
  tensor backward(const context& ctx, const tensor& dy) {
    const std::size_t k = static_cast<std::size_t>(options_.kernel_size());
    const tensor dw = B::conv2d_backward_weights(ctx.x, dy, k, options_.padding());
    B::axpy(scalar(1), filter_expansion<B>::expand_transpose(kernels_, dw), coefficients_.grad);
    if (has_bias_)
      B::axpy(scalar(1), filter_expansion<B>::expand_bias_transpose(kernels_, B::conv2d_backward_bias(dy)), bias_->grad);
    return B::conv2d_backward_data(dy, ctx.weight, options_.padding());
  }

  /// Visits "prefix.coefficients" and, if the layer has a bias, "prefix.bias".
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    f(nn::child_name(prefix, "coefficients"), coefficients_);
    if (has_bias_) f(nn::child_name(prefix, "bias"), *bias_);
  }

  /// The dense filter W = E c, C_out × C_in × k × k.
  tensor expanded_filter() const { return filter_expansion<B>::expand(kernels_, coefficients_.value); }
  /// The per-channel bias P β, 1 × C_out × 1 × 1 (zeros if the layer has no bias).
  tensor expanded_bias() const {
    if (!has_bias_) return B::zeros(bias_shape(static_cast<std::size_t>(plan_->c_out)));
    return filter_expansion<B>::expand_bias(kernels_, bias_->value);
  }

  /// The plain convolution with the expanded filter and bias: the same output, an ordinary CNN's cost.
  Conv<B> export_conv() const {
    ConvOptions o(static_cast<std::size_t>(plan_->c_in), static_cast<std::size_t>(plan_->c_out),
                  static_cast<std::size_t>(options_.kernel_size()));
    o.padding(options_.padding()).bias(has_bias_);
    return Conv<B>(o, expanded_filter(), has_bias_ ? std::optional<tensor>(expanded_bias()) : std::nullopt);
  }

  const EquivariantConvOptions& options() const { return options_; }
  /// The expansion plan (E and P with the channel counts).
  const ExpansionPlan<scalar>& plan() const { return *plan_; }
  const nn::Parameter<B>& coefficients() const { return coefficients_; }
  nn::Parameter<B>& coefficients() { return coefficients_; }
  bool has_bias() const { return has_bias_; }
  /// The bias parameter β; throws value_error if the layer has none.
  nn::Parameter<B>& bias() {
    EQR_EXPECTS(has_bias_, value_error, "EquivariantConv::bias: expected a layer with bias, found one without");
    return *bias_;
  }
  const nn::Parameter<B>& bias() const {
    EQR_EXPECTS(has_bias_, value_error, "EquivariantConv::bias: expected a layer with bias, found one without");
    return *bias_;
  }

 private:
  void check_input(const tensor& x) const {
    EQR_EXPECTS(B::shape(x).c == static_cast<std::size_t>(plan_->c_in), shape_error, "EquivariantConv ", in_name_,
                " -> ", out_name_, ": expected an input with ", plan_->c_in, " channels, found ", B::shape(x));
  }

  EquivariantConvOptions options_;
  std::string in_name_, out_name_;
  std::shared_ptr<const ExpansionPlan<scalar>> plan_;
  std::vector<double> variances_;
  typename filter_expansion<B>::state kernels_;
  bool has_bias_ = false;
  nn::Parameter<B> coefficients_;
  std::optional<nn::Parameter<B>> bias_;
};

}  // namespace eqr
