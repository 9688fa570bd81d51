/// @file layers/equivariant_conv.hpp
/// `EquivariantConv<G, In, Out, B>`: the group-equivariant convolution between feature maps of field types
/// In and Out (paper, §3: kernels constrained by Eq. 8, k(gx) = ρ_out(g) k(x) ρ_in(g)⁻¹), learned as the
/// coefficients c of a steerable basis E (kernels/expansion.hpp), plus an invariant bias β.
///
/// Lifting (trivial → regular), group (regular → regular) and projection (regular → trivial) convolutions
/// are the same class with different field types; irreps and mixed types work too.
///
/// The layers build the expansion plan W = E c, b_ch = P β from the group's steerable basis and derive from
/// `ExpandedConv<B>` (layers/expanded_conv.hpp), which holds the parameters and runs the forward and backward
/// passes: the expansion (one small GEMM per pair of field representations, ~10⁵ values for 24 → 24 regular
/// C4 fields with 3×3 kernels) runs where the backend's tensors live, through `filter_expansion<B>`, so no
/// layer synchronises with the host. `export_conv()` expands once and returns a plain `Conv` — identical
/// output, the cost of an ordinary CNN at inference (the paper's "no extra cost", DESIGN.md §1).
///
/// `DynamicEquivariantConv<G, B>` takes its input and output fields at run time (a program that reads the
/// network's width from its user); `EquivariantConv<G, In, Out, B>` is the same layer for compile-time field
/// types, which containers check against each other. Only the basis is built per group: the arithmetic is
/// `ExpandedConv<B>`'s, compiled once per backend.
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
#include "eqr/layers/expanded_conv.hpp"
#include "eqr/nn/init.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/core/random.hpp"
#include "eqr/reps/field_type.hpp"

namespace eqr {

/// A G-equivariant convolution between feature maps of G whose fields are given at run time, on backend B
/// (a `Layer`). Parameters: "coefficients" (1 × n_c × 1 × 1, the basis coefficients in the expansion's
/// order, which is e2cnn's) and, if enabled and the output has trivial irreps, "bias" (1 × n_β × 1 × 1).
template <FiniteGroup G, TensorBackend B>
class DynamicEquivariantConv : public ExpandedConv<B> {
 public:
  using group = G;
  using typename ExpandedConv<B>::scalar;
  using expansion_type = FieldExpansion<G, scalar>;

  /// Builds the basis of every field pair between the fields `in` and `out` (channel order; `in_name` and
  /// `out_name` describe them in messages) and initialises the parameters (`reset_parameters`). Throws
  /// value_error for an even kernel size, the grid basis on a group that does not preserve the grid, an
  /// initialiser other than e2cnn/he/zeros, or fields between which no equivariant kernel exists.
  DynamicEquivariantConv(std::vector<Field<G>> in, std::vector<Field<G>> out, const EquivariantConvOptions& options,
                         const std::string& in_name = "fields", const std::string& out_name = "fields")
      : DynamicEquivariantConv(checked_expansion(std::move(in), std::move(out), options, in_name, out_name), options,
                               in_name, out_name) {}

  /// The steerable basis of the layer, by field pair.
  const expansion_type& expansion() const { return *expansion_; }

 private:
  DynamicEquivariantConv(std::shared_ptr<const expansion_type> e, const EquivariantConvOptions& options,
                         const std::string& in_name, const std::string& out_name)
      : ExpandedConv<B>(std::shared_ptr<const ExpansionPlan<scalar>>(e, &e->plan()), initial_variances(*e, options),
                        options, in_name, out_name),
        expansion_(std::move(e)) {}

  static std::shared_ptr<const expansion_type> checked_expansion(std::vector<Field<G>> in, std::vector<Field<G>> out,
                                                                 const EquivariantConvOptions& o,
                                                                 const std::string& in_name,
                                                                 const std::string& out_name) {
    auto e = std::make_shared<const expansion_type>(make_expansion(std::move(in), std::move(out), o));
    EQR_EXPECTS(e->coefficient_count() > 0, value_error, "EquivariantConv ", in_name, " -> ", out_name,
                ": expected a non-empty steerable basis for ", o.kernel_size(), "x", o.kernel_size(), " kernels (",
                name(o.basis()), "), found none: no equivariant kernel maps these fields");
    EQR_EXPECTS(o.init() != nn::Init::pytorch_default, value_error,
                "EquivariantConv: expected init 'e2cnn', 'he' or 'zeros', found 'pytorch_default' (plain Conv only)");
    return e;
  }
  static std::vector<double> initial_variances(const expansion_type& e, const EquivariantConvOptions& o) {
    if (o.init() == nn::Init::zeros) return {};
    return coefficient_variances(e, o.init() == nn::Init::he ? InitScheme::he : InitScheme::e2cnn_he);
  }
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

  std::shared_ptr<const expansion_type> expansion_;
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
