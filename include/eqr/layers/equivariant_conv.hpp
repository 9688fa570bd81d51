/// @file layers/equivariant_conv.hpp
/// `EquivariantConv<G, In, Out, B>`: the group-equivariant convolution between feature maps of field types
/// In and Out (paper, §3: kernels constrained by Eq. 8, k(gx) = ρ_out(g) k(x) ρ_in(g)⁻¹), learned as the
/// coefficients c of a steerable basis E (kernels/expansion.hpp), plus an invariant bias β.
///
/// Lifting (trivial → regular), group (regular → regular) and projection (regular → trivial) convolutions
/// are the same class with different field types; irreps and mixed types work too.
///
///     W = E c,  b_ch = P β              (filter and per-channel bias from the learnable c and β)
///     y = W ⋆ x̃ + b_ch                  (the plain convolution engine of the backend)
///     ∇c += Eᵀ (∂L/∂W),  ∇β += Pᵀ (∂L/∂b_ch),  dx = (∂y/∂x)ᵀ dy.
///
/// Training mode expands W and b_ch from the parameters at every forward. The expansion (one small GEMM per
/// pair of field representations, ~10⁵ values for 24 → 24 regular C4 fields with 3×3 kernels) runs where the
/// backend's tensors live, through `filter_expansion<B>` (backends/filter_expansion.hpp): on the CPU on the
/// tensors' memory, on LibTorch as device kernels, so no layer synchronises with the host. `export_conv()`
/// expands once and returns a plain `Conv` — identical output, the cost of an ordinary CNN at inference (the
/// paper's "no extra cost", DESIGN.md §1).
///
/// `DynamicEquivariantConv<G, B>` takes its input and output fields at run time (a program that reads the
/// network's width from its user); `EquivariantConv<G, In, Out, B>` is the same layer for compile-time field
/// types, which containers check against each other. Both compile their arithmetic once per (G, B).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/filter_expansion.hpp"
#include "eqr/config.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/kernels/basis_solver.hpp"
#include "eqr/kernels/expansion.hpp"
#include "eqr/kernels/grid_basis.hpp"
#include "eqr/kernels/harmonic_basis.hpp"
#include "eqr/kernels/init.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/conv.hpp"
#include "eqr/nn/init.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/core/random.hpp"
#include "eqr/reps/field_type.hpp"

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

/// A G-equivariant convolution between feature maps of G whose fields are given at run time, on backend B
/// (a `Layer`). Parameters: "coefficients" (1 × n_c × 1 × 1, the basis coefficients in the expansion's
/// order, which is e2cnn's) and, if enabled and the output has trivial irreps, "bias" (1 × n_β × 1 × 1).
template <FiniteGroup G, TensorBackend B>
class DynamicEquivariantConv {
 public:
  using backend = B;
  using group = G;
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;
  using expansion_type = FieldExpansion<G, scalar>;

  /// What `backward` needs: the input and the filter expanded at that forward.
  struct context {
    tensor x;
    tensor weight;
  };

  /// Builds the basis of every field pair between the fields `in` and `out` (channel order; `in_name` and
  /// `out_name` describe them in messages) and initialises the parameters (`reset_parameters`). Throws
  /// value_error for an even kernel size, the grid basis on a group that does not preserve the grid, an
  /// initialiser other than e2cnn/he/zeros, or fields between which no equivariant kernel exists.
  DynamicEquivariantConv(std::vector<Field<G>> in, std::vector<Field<G>> out, EquivariantConvOptions options,
                         std::string in_name = "fields", std::string out_name = "fields")
      : options_(std::move(options)), in_name_(std::move(in_name)), out_name_(std::move(out_name)) {
    expansion_ = std::make_shared<const expansion_type>(make_expansion(std::move(in), std::move(out), options_));
    EQR_EXPECTS(expansion_->coefficient_count() > 0, value_error, "EquivariantConv ", in_name_, " -> ", out_name_,
                ": expected a non-empty steerable basis for ", options_.kernel_size(), "x", options_.kernel_size(),
                " kernels (", name(options_.basis()), "), found none: no equivariant kernel maps these fields");
    EQR_EXPECTS(options_.init() != nn::Init::pytorch_default, value_error,
                "EquivariantConv: expected init 'e2cnn', 'he' or 'zeros', found 'pytorch_default' (plain Conv only)");
    has_bias_ = options_.bias() && expansion_->bias_count() > 0;
    kernels_ = filter_expansion<B>::prepare(
        std::shared_ptr<const ExpansionPlan<scalar>>(expansion_, &expansion_->plan()));
    reset_parameters();
  }

  /// Re-draws the coefficients from the options' initialiser and seed; the bias is set to zero.
  void reset_parameters() {
    const auto n = static_cast<std::size_t>(expansion_->coefficient_count());
    std::vector<scalar> c(n, scalar(0));
    if (options_.init() != nn::Init::zeros) {
      const auto variances =
          coefficient_variances(*expansion_, options_.init() == nn::Init::he ? InitScheme::he : InitScheme::e2cnn_he);
      Random rng(options_.seed());
      for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<scalar>(std::sqrt(variances[i]) * rng.normal());
    }
    coefficients_ = nn::Parameter<B>(B::from_host({1, n, 1, 1}, c));
    if (has_bias_) bias_ = nn::Parameter<B>(B::zeros({1, static_cast<std::size_t>(expansion_->bias_count()), 1, 1}));
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
    if (!has_bias_) return B::zeros(bias_shape(static_cast<std::size_t>(expansion_->out_channels())));
    return filter_expansion<B>::expand_bias(kernels_, bias_->value);
  }

  /// The plain convolution with the expanded filter and bias: the same output, an ordinary CNN's cost.
  Conv<B> export_conv() const {
    ConvOptions o(static_cast<std::size_t>(expansion_->in_channels()), static_cast<std::size_t>(expansion_->out_channels()),
                  static_cast<std::size_t>(options_.kernel_size()));
    o.padding(options_.padding()).bias(has_bias_);
    return Conv<B>(o, expanded_filter(), has_bias_ ? std::optional<tensor>(expanded_bias()) : std::nullopt);
  }

  const EquivariantConvOptions& options() const { return options_; }
  const expansion_type& expansion() const { return *expansion_; }
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
  static expansion_type make_expansion(std::vector<Field<G>> in, std::vector<Field<G>> out,
                                       const EquivariantConvOptions& o) {
    if (o.basis() == BasisSolver::grid) {
      if constexpr (GridGroup<G>) {
        return expansion_type(std::move(in), std::move(out), o.kernel_size(), GridSolver{});
      } else {
        throw value_error(detail::concat("EquivariantConv: expected a group that maps the pixel grid onto itself "
                                         "(C1, C2, C4, D1, D2, D4) for the grid basis, found ", G::name(),
                                         "; use BasisSolver::harmonic"));
      }
    }
    return expansion_type(std::move(in), std::move(out), o.kernel_size(), HarmonicSolver{o.harmonic()});
  }
  void check_input(const tensor& x) const {
    EQR_EXPECTS(B::shape(x).c == static_cast<std::size_t>(expansion_->in_channels()), shape_error, "EquivariantConv ",
                in_name_, " -> ", out_name_, ": expected an input with ", expansion_->in_channels(),
                " channels, found ", B::shape(x));
  }

  EquivariantConvOptions options_;
  std::string in_name_, out_name_;
  std::shared_ptr<const expansion_type> expansion_;
  typename filter_expansion<B>::state kernels_;
  bool has_bias_ = false;
  nn::Parameter<B> coefficients_;
  std::optional<nn::Parameter<B>> bias_;
};

/// A G-equivariant convolution from feature maps of type In to type Out on backend B (an `EquivariantLayer`):
/// `DynamicEquivariantConv` with the fields of the two types, which containers check against their
/// neighbours' at compile time.
template <FiniteGroup G, FieldTypeOf<G> In, FieldTypeOf<G> Out, TensorBackend B>
class EquivariantConv : public DynamicEquivariantConv<G, B> {
 public:
  using in_type = In;
  using out_type = Out;

  /// Builds the basis of every field pair and initialises the parameters (see `DynamicEquivariantConv`).
  explicit EquivariantConv(EquivariantConvOptions options)
      : DynamicEquivariantConv<G, B>(In::fields(), Out::fields(), std::move(options), In::name(), Out::name()) {}
};

}  // namespace eqr
