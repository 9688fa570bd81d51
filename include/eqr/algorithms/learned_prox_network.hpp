/// @file algorithms/learned_prox_network.hpp
/// `ProxNetwork`: the paper's proximal network K_project ∘ (id + φ∘K_intermediate) ∘ φ ∘ K_lift (DESIGN.md §4),
/// generic over its three convolutions, with factories for the ordinary variant (plain `Conv`, 96 channels)
/// and the equivariant variant (`EquivariantConv`, 96/|G| regular fields; C4: 24).
///
/// As the authors' code runs it: all convolutions 3×3 with replicate padding and bias, φ = leaky ReLU with
/// slope 0.01, K_intermediate initialised to zero (weights and bias) so the residual block starts as the
/// identity, lift/project with He-type initialisation. The output is the new [u, s] (not a residual).
/// The equivariant variant maps trivial fields to trivial fields, so prox(g·x) = g·prox(x) for every
/// grid-preserving g ∈ G (Prop. 2: the prox of a G-invariant regulariser is G-equivariant).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/conv.hpp"
#include "eqr/layers/equivariant_conv.hpp"
#include "eqr/layers/expanded_conv.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/nn/init.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/reps/direct_sum.hpp"
#include "eqr/reps/field_type.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// The paper's proximal network y = K_p(h + φ(K_i h)) with h = φ(K_l x), for any three layers on one backend.
/// Parameters are named "lift.…", "intermediate.…", "project.…".
template <Layer Lift, Layer Mid, Layer Project>
class ProxNetwork {
  static_assert(std::same_as<typename Lift::backend, typename Mid::backend> &&
                    std::same_as<typename Mid::backend, typename Project::backend>,
                "ProxNetwork: the lift, intermediate and projection layers must run on the same tensor backend.");

 public:
  using backend = typename Lift::backend;
  using tensor_type = typename backend::tensor_type;
  using B = backend;

  /// Saved for backward: each layer's context and the pre-activations of both nonlinearities.
  struct context {
    typename Lift::context lift;
    typename Mid::context mid;
    typename Project::context project;
    tensor_type lift_out;  ///< K_l x (input of the first φ)
    tensor_type mid_out;   ///< K_i h (input of the second φ)
  };

  /// The network from its three layers and the nonlinearity φ (default leaky ReLU, slope 0.01).
  ProxNetwork(Lift lift, Mid mid, Project project, Activation phi = Activation::leaky_relu(0.01))
      : lift_(std::move(lift)), mid_(std::move(mid)), project_(std::move(project)), phi_(phi) {}

  /// Inference: y = K_p(h + φ(K_i h)), h = φ(K_l x).
  tensor_type forward(const tensor_type& x) const {
    const tensor_type h = B::activation_forward(lift_.forward(x), phi_);
    return project_.forward(B::add(h, B::activation_forward(mid_.forward(h), phi_)));
  }
  /// Training forward pass, filling ctx.
  tensor_type forward(const tensor_type& x, context& ctx) {
    ctx.lift_out = lift_.forward(x, ctx.lift);
    const tensor_type h = B::activation_forward(ctx.lift_out, phi_);
    ctx.mid_out = mid_.forward(h, ctx.mid);
    return project_.forward(B::add(h, B::activation_forward(ctx.mid_out, phi_)), ctx.project);
  }
  /// Reverse mode: adds every parameter gradient and returns dx.
  tensor_type backward(const context& ctx, const tensor_type& dy) {
    tensor_type dh = project_.backward(ctx.project, dy);  // gradient at h + φ(K_i h)
    const tensor_type dmid = mid_.backward(ctx.mid, B::activation_backward(ctx.mid_out, dh, phi_));
    B::axpy(typename B::scalar_type(1), dmid, dh);  // the identity branch plus the residual branch
    return lift_.backward(ctx.lift, B::activation_backward(ctx.lift_out, dh, phi_));
  }
  /// Visits "prefix.lift.…", "prefix.intermediate.…", "prefix.project.…".
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    lift_.visit_parameters(nn::child_name(prefix, "lift"), f);
    mid_.visit_parameters(nn::child_name(prefix, "intermediate"), f);
    project_.visit_parameters(nn::child_name(prefix, "project"), f);
  }

  /// The nonlinearity φ.
  const Activation& activation() const { return phi_; }
  Lift& lift() { return lift_; }
  Mid& intermediate() { return mid_; }
  Project& project() { return project_; }
  const Lift& lift() const { return lift_; }
  const Mid& intermediate() const { return mid_; }
  const Project& project() const { return project_; }

 private:
  Lift lift_;
  Mid mid_;
  Project project_;
  Activation phi_;
};

/// The proximal network with its equivariant convolutions exported to plain ones (layers/export.hpp).
template <Layer Lift, Layer Mid, Layer Project>
[[nodiscard]] auto export_network(const ProxNetwork<Lift, Mid, Project>& p) {
  return ProxNetwork<exported_t<Lift>, exported_t<Mid>, exported_t<Project>>(
      export_network(p.lift()), export_network(p.intermediate()), export_network(p.project()), p.activation());
}

/// The ordinary (translation-equivariant only) proximal network: plain convolutions in → width → width → out.
template <TensorBackend B>
using OrdinaryProx = ProxNetwork<Conv<B>, Conv<B>, Conv<B>>;

/// The ordinary proximal network of the paper: `in` → `width` (He init) → `width` (zero init) → `out` (He
/// init), 3×3, replicate padding, bias; seeds seed, seed + 1, seed + 2.
template <TensorBackend B>
OrdinaryProx<B> make_ordinary_prox(std::size_t in, std::size_t out, std::size_t width = 96, std::uint64_t seed = 0) {
  const auto options = [&](std::size_t ci, std::size_t co, nn::Init init, std::uint64_t s) {
    return ConvOptions(ci, co, 3).padding(Padding::replicate).bias(true).init(init).seed(s);
  };
  return OrdinaryProx<B>(Conv<B>(options(in, width, nn::Init::he, seed)),
                         Conv<B>(options(width, width, nn::Init::zeros, seed + 1)),
                         Conv<B>(options(width, out, nn::Init::he, seed + 2)));
}

/// The field types of the equivariant proximal network: `In` trivial input channels, `Fields` regular
/// hidden fields, `Out` trivial output channels.
template <FiniteGroup G, int In, int Fields, int Out>
struct EquivariantProxTypes {
  static_assert(In >= 1 && Out >= 1 && Fields >= 1,
                "EquivariantProxTypes: the input, hidden and output field counts must all be positive.");
  using input = FieldType<G, Copies<Trivial<G>, In>>;
  using hidden = FieldType<G, Copies<Regular<G>, Fields>>;
  using output = FieldType<G, Copies<Trivial<G>, Out>>;
};

/// The equivariant proximal network: trivial(In) → regular(Fields) → regular(Fields) → trivial(Out).
template <FiniteGroup G, int In, int Fields, int Out, TensorBackend B>
using EquivariantProx = ProxNetwork<
    EquivariantConv<G, typename EquivariantProxTypes<G, In, Fields, Out>::input,
                    typename EquivariantProxTypes<G, In, Fields, Out>::hidden, B>,
    EquivariantConv<G, typename EquivariantProxTypes<G, In, Fields, Out>::hidden,
                    typename EquivariantProxTypes<G, In, Fields, Out>::hidden, B>,
    EquivariantConv<G, typename EquivariantProxTypes<G, In, Fields, Out>::hidden,
                    typename EquivariantProxTypes<G, In, Fields, Out>::output, B>>;

/// The equivariant proximal network of the paper (Fields = 96/|G| for the matched width 96): e2cnn init for
/// lift and project, zeros for the intermediate layer; 3×3, replicate padding, bias, the chosen basis.
template <FiniteGroup G, int In, int Fields, int Out, TensorBackend B>
EquivariantProx<G, In, Fields, Out, B> make_equivariant_prox(std::uint64_t seed = 0,
                                                             BasisSolver basis = BasisSolver::harmonic) {
  using P = EquivariantProx<G, In, Fields, Out, B>;
  const auto options = [&](nn::Init init, std::uint64_t s) {
    return EquivariantConvOptions(3).padding(Padding::replicate).bias(true).basis(basis).init(init).seed(s);
  };
  using L = std::remove_cvref_t<decltype(std::declval<P&>().lift())>;
  using M = std::remove_cvref_t<decltype(std::declval<P&>().intermediate())>;
  using R = std::remove_cvref_t<decltype(std::declval<P&>().project())>;
  return P(L(options(nn::Init::e2cnn, seed)), M(options(nn::Init::zeros, seed + 1)), R(options(nn::Init::e2cnn, seed + 2)));
}

/// The proximal network over `ExpandedConv<B>` layers: the equivariant proximal network of any group and
/// any widths in one type per backend (the layers keep their group's expansion plan, so they compute what
/// the group's `DynamicEquivariantConv` computes).
template <TensorBackend B>
using ExpandedProx = ProxNetwork<ExpandedConv<B>, ExpandedConv<B>, ExpandedConv<B>>;

/// The equivariant proximal network with its widths chosen at run time: `in` trivial fields → `fields`
/// regular fields → `fields` regular fields → `out` trivial fields of G, with the layers, initialisation and
/// seeds of `make_equivariant_prox` (the same network as `make_equivariant_prox<G, In, Fields, Out, B>`,
/// compiled once per backend whatever the group and widths).
template <FiniteGroup G, TensorBackend B>
ExpandedProx<B> make_dynamic_equivariant_prox(int in, int fields, int out, std::uint64_t seed = 0,
                                                           BasisSolver basis = BasisSolver::harmonic) {
  EQR_EXPECTS(in >= 1 && fields >= 1 && out >= 1, value_error,
              "make_dynamic_equivariant_prox: expected positive input, hidden and output field counts, found ", in,
              ", ", fields, " and ", out);
  const auto trivial = copies_of<Trivial<G>>(in), hidden = copies_of<Regular<G>>(fields),
             outputs = copies_of<Trivial<G>>(out);
  const std::string t_in = std::to_string(in) + " trivial", h = std::to_string(fields) + " regular",
                    t_out = std::to_string(out) + " trivial";
  const auto options = [&](nn::Init init, std::uint64_t s) {
    return EquivariantConvOptions(3).padding(Padding::replicate).bias(true).basis(basis).init(init).seed(s);
  };
  using C = DynamicEquivariantConv<G, B>;
  return ExpandedProx<B>(C(trivial, hidden, options(nn::Init::e2cnn, seed), t_in, h),
                                      C(hidden, hidden, options(nn::Init::zeros, seed + 1), h, h),
                                      C(hidden, outputs, options(nn::Init::e2cnn, seed + 2), h, t_out));
}

}  // namespace eqr
