/// @file kernels/expansion.hpp
/// `FieldExpansion<G, T>` and `KernelExpansion<In, Out, T>`: the learnable parametrisation of an equivariant
/// convolution between two feature maps — a steerable basis for every (output field, input field) pair, the
/// expansion of coefficients into the dense filter W (C_out × C_in × k × k) and its transpose (for
/// gradients), and the expansion of the invariant bias. `FieldExpansion` takes the fields at run time;
/// `KernelExpansion` is the same for compile-time field types. After construction every call is one small
/// GEMM per pair of field representations (a layer with one field type in and one out, e.g. 24 regular → 24
/// regular, is one GEMM), through the type-free `ExpansionPlan` (kernels/expansion_plan.hpp).
///
/// Coefficient order (e2cnn's `BlocksBasisExpansion`, so trained weights line up with e2cnn's): the distinct
/// pairs (input representation name, output representation name), sorted by e2cnn's names of them (the
/// trivial representation is "irrep_0", resp. "irrep_0,0"; other direct sums keep our name, which e2cnn's need
/// not match); within a pair, the
/// output fields of that representation in channel order, then the input fields, then the basis elements of
/// the pair (the solver's order; for the default `HarmonicSolver` e2cnn's element order, element for element —
/// see kernels/harmonic_basis.hpp).  So the coefficients of a pair form a row-major matrix
/// (n_out_fields · n_in_fields) × basis size.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/kernels/concepts.hpp"
#include "eqr/kernels/expansion_plan.hpp"
#include "eqr/kernels/harmonic_basis.hpp"
#include "eqr/kernels/sampled_basis.hpp"
#include "eqr/reps/field_type.hpp"
#include "eqr/reps/irreps.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// Where one coefficient acts: its pair block, fields, basis element and irreps (what the initialisers need).
struct CoefficientInfo {
  int block = 0;               ///< index of its (input representation, output representation) pair
  int out_field = 0;           ///< index of the output field among the output type's fields
  int in_field = 0;            ///< index of the input field among the input type's fields
  int element = 0;             ///< index of the basis element in the pair's basis
  int out_irrep_position = 0;  ///< position of its output irrep among all irreps of the output type
  int in_irrep_position = 0;   ///< position of its input irrep among all irreps of the input type
  IrrepId in_irrep{};          ///< the input irrep (its type, as e2cnn's initialiser counts them)
  IrrepId out_irrep{};
};

/// The basis expansion of an equivariant convolution between feature maps of G given by their fields (paper,
/// Eq. 8 for each field pair), with filters and coefficients of scalar type T (float or double).
///
/// Class invariant: for every coefficient vector c, `expand(c)` satisfies the kernel constraint between the
/// representations of the input and output fields (exactly for grid-preserving group elements), and
/// `expand_transpose` is its adjoint: ⟨expand(c), W⟩ = ⟨c, expand_transpose(W)⟩.
template <FiniteGroup G, std::floating_point T = float>
class FieldExpansion {
 public:
  using group = G;
  using scalar = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// The bases of one pair of field representations and the fields they connect.
  struct Block {
    RepresentationData<group> in_representation;
    RepresentationData<group> out_representation;
    std::vector<int> in_fields;   ///< indices of the input fields of this representation
    std::vector<int> out_fields;  ///< indices of the output fields of this representation
    SampledBasis basis;           ///< the pair's basis (double precision, with provenance)
    int coefficient_offset = 0;   ///< first coefficient of the block
    int coefficient_count() const {
      return static_cast<int>(in_fields.size() * out_fields.size()) * basis.size();
    }
  };

  /// Builds the bases of every pair of the input fields `in` and output fields `out` (channel order, as
  /// `FieldType::fields()` gives them) with `solver` (default: e2cnn's harmonic basis) for an odd kernel size
  /// k. Throws `value_error` for an even k or no fields. A pair whose basis is empty contributes no
  /// coefficients (its filter block stays zero), as in e2cnn.
  template <class Solver = HarmonicSolver>
  FieldExpansion(std::vector<Field<group>> in, std::vector<Field<group>> out, int k, const Solver& solver = Solver{})
      : kernel_size_(k), in_fields_(std::move(in)), out_fields_(std::move(out)) {
    static_assert(KernelSolverFor<Solver, group>,
                  "KernelExpansion: this solver cannot build bases for this group (GridSolver needs a group that "
                  "maps the pixel grid onto itself: C1, C2, C4, D1, D2, D4; use HarmonicSolver otherwise).");
    check_kernel_size(k);
    EQR_EXPECTS(!in_fields_.empty() && !out_fields_.empty(), value_error,
                "kernel expansion: expected at least one input and one output field, found ", in_fields_.size(),
                " and ", out_fields_.size());
    const auto channels = [](const std::vector<Field<group>>& f) { return f.back().offset + f.back().representation.size; };
    // The distinct representations, paired and sorted by e2cnn's names (its `sorted(_representations_pairs)`).
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& fi : in_fields_)
      for (const auto& fo : out_fields_) {
        std::pair<std::string, std::string> key{e2cnn_name(fi.representation), e2cnn_name(fo.representation)};
        if (std::find(pairs.begin(), pairs.end(), key) == pairs.end()) pairs.push_back(key);
      }
    std::sort(pairs.begin(), pairs.end());
    plan_.c_in = channels(in_fields_);
    plan_.c_out = channels(out_fields_);
    plan_.kernel_size = k;
    int offset = 0;
    for (const auto& [in_name, out_name] : pairs) {
      Block block;
      for (int f = 0; f < static_cast<int>(in_fields_.size()); ++f)
        if (e2cnn_name(in_fields_[f].representation) == in_name) block.in_fields.push_back(f);
      for (int f = 0; f < static_cast<int>(out_fields_.size()); ++f)
        if (e2cnn_name(out_fields_[f].representation) == out_name) block.out_fields.push_back(f);
      block.in_representation = in_fields_[block.in_fields.front()].representation;
      block.out_representation = out_fields_[block.out_fields.front()].representation;
      block.basis = solver.template solve<group>(block.in_representation, block.out_representation, k);
      if (block.basis.size() == 0) continue;
      block.coefficient_offset = offset;
      offset += block.coefficient_count();
      plan_.blocks.push_back(plan_block(block));
      blocks_.push_back(std::move(block));
    }
    plan_.coefficient_count = offset;
    // Bias: one scalar per trivial irrep of each output field, spread through that field's change of basis:
    // b/√|G| on every channel of a regular field, b itself on a trivial field (invariant: ρ_out(g)·P β = P β).
    std::vector<std::pair<int, int>> bias_columns;  // (output field, column of its change of basis)
    for (int f = 0; f < static_cast<int>(out_fields_.size()); ++f) {
      const auto& rep = out_fields_[f].representation;
      const auto offsets = irrep_offsets<group>(rep.irreps);
      for (std::size_t s = 0; s < rep.irreps.size(); ++s)
        if (rep.irreps[s] == IrrepId{0, 0}) bias_columns.push_back({f, offsets[s]});
    }
    plan_.bias_matrix = Matrix::Zero(plan_.c_out, static_cast<Eigen::Index>(bias_columns.size()));
    for (std::size_t s = 0; s < bias_columns.size(); ++s) {
      const auto& field = out_fields_[bias_columns[s].first];
      const auto& q = field.representation.change_of_basis;
      for (int c = 0; c < field.representation.size; ++c)
        plan_.bias_matrix(field.offset + c, static_cast<Eigen::Index>(s)) = static_cast<T>(q(c, bias_columns[s].second));
    }
  }

  /// The side k of the k×k kernels.
  int kernel_size() const { return kernel_size_; }
  /// The number of input and output channels.
  int in_channels() const { return plan_.c_in; }
  int out_channels() const { return plan_.c_out; }
  /// The input and output fields, in channel order.
  const std::vector<Field<group>>& in_fields() const { return in_fields_; }
  const std::vector<Field<group>>& out_fields() const { return out_fields_; }
  /// The number of learnable filter coefficients.
  int coefficient_count() const { return plan_.coefficient_count; }
  /// The number of entries of the dense filter, C_out·C_in·k².
  int filter_size() const { return plan_.filter_size(); }
  /// The number of learnable bias scalars: one per trivial irrep in the output fields.
  int bias_count() const { return plan_.bias_count(); }
  /// The blocks (one per pair of field representations with a non-empty basis), in coefficient order.
  const std::vector<Block>& blocks() const { return blocks_; }
  /// The type-free plan the expansions run on (and that backends copy to their device).
  const ExpansionPlan<T>& plan() const { return plan_; }

  /// W = expansion of the coefficients c: the dense filter (C_out, C_in, k, k), row-major, rows top to bottom.
  void expand(std::span<const T> coefficients, std::span<T> filter) const { plan_.expand(coefficients, filter); }
  /// The transpose of `expand`: dL/dc from dL/dW (overwrites `coefficient_gradient`).
  void expand_transpose(std::span<const T> filter_gradient, std::span<T> coefficient_gradient) const {
    plan_.expand_transpose(filter_gradient, coefficient_gradient);
  }
  /// The per-channel bias (length C_out) of the learnable scalars b (length `bias_count()`): each scalar
  /// multiplies its trivial irrep's column of the field's change of basis — b/√|G| on every channel of a
  /// regular field, b itself on a trivial field. The result is invariant: ρ_out(g)·bias = bias.
  void expand_bias(std::span<const T> bias, std::span<T> channels) const { plan_.expand_bias(bias, channels); }
  /// The transpose of `expand_bias`: dL/db from dL/d(channel bias) (overwrites `bias_gradient`).
  void expand_bias_transpose(std::span<const T> channel_gradient, std::span<T> bias_gradient) const {
    plan_.expand_bias_transpose(channel_gradient, bias_gradient);
  }

  /// What every coefficient connects, in coefficient order.
  std::vector<CoefficientInfo> coefficient_info() const {
    const auto positions = [](const auto& fields) {
      std::vector<int> first;
      int at = 0;
      for (const auto& f : fields) {
        first.push_back(at);
        at += static_cast<int>(f.representation.irreps.size());
      }
      return first;
    };
    const auto in_first = positions(in_fields_), out_first = positions(out_fields_);
    std::vector<CoefficientInfo> out;
    out.reserve(static_cast<std::size_t>(coefficient_count()));
    for (int b = 0; b < static_cast<int>(blocks_.size()); ++b)
      for (int fo : blocks_[b].out_fields)
        for (int fi : blocks_[b].in_fields)
          for (int e = 0; e < blocks_[b].basis.size(); ++e) {
            const auto& info = blocks_[b].basis.info[e];
            out.push_back({b, fo, fi, e, out_first[fo] + info.out_irrep_slot, in_first[fi] + info.in_irrep_slot,
                           info.in_irrep, info.out_irrep});
          }
    return out;
  }

 private:
  /// The name e2cnn gives a field's representation, which orders the coefficient blocks: e2cnn calls the
  /// trivial representation by its irrep name ("irrep_0" for C_M, "irrep_0,0" for D_M); "regular" and the
  /// irreps' names ("irrep_k", "irrep_j,k") are the same in both libraries.
  static std::string e2cnn_name(const RepresentationData<group>& rep) {
    if (rep.size == 1 && rep.irreps.size() == 1 && rep.irreps.front() == IrrepId{0, 0})
      return irrep_name<group>(IrrepId{0, 0});
    return rep.name;
  }

  /// The plan of one block: its basis in T, and for entry (row, column) of its expansion — row (out field j,
  /// in field i), column (a·d_in + b)·k² + tap — the flat index of channel pair (o0 + a, i0 + b) and that tap.
  typename ExpansionPlan<T>::Block plan_block(const Block& block) const {
    typename ExpansionPlan<T>::Block b;
    b.matrix = block.basis.matrix.template cast<T>();
    b.coefficient_offset = block.coefficient_offset;
    b.rows = static_cast<int>(block.out_fields.size() * block.in_fields.size());
    const int points = kernel_size_ * kernel_size_, c_in = plan_.c_in;
    const int d_out = block.out_representation.size, d_in = block.in_representation.size;
    b.filter_positions.reserve(static_cast<std::size_t>(b.rows) * static_cast<std::size_t>(b.matrix.cols()));
    for (int fo : block.out_fields)
      for (int fi : block.in_fields) {
        const int o0 = out_fields_[fo].offset, i0 = in_fields_[fi].offset;
        for (int a = 0; a < d_out; ++a)
          for (int c = 0; c < d_in; ++c)
            for (int t = 0; t < points; ++t)
              b.filter_positions.push_back((static_cast<std::int64_t>(o0 + a) * c_in + (i0 + c)) * points + t);
      }
    return b;
  }

  int kernel_size_ = 0;
  std::vector<Field<group>> in_fields_;
  std::vector<Field<group>> out_fields_;
  std::vector<Block> blocks_;
  ExpansionPlan<T> plan_;
};

/// `FieldExpansion` for compile-time feature-map types: the fields of `In` to the fields of `Out`.
template <FieldTypeLike In, FieldTypeLike Out, std::floating_point T = float>
class KernelExpansion : public FieldExpansion<typename In::group, T> {
  static_assert(std::same_as<typename In::group, typename Out::group>,
                "KernelExpansion<In, Out>: the input and output feature maps must be field types of the same group.");

 public:
  using in_type = In;
  using out_type = Out;

  /// Builds the bases of every pair with `solver` (default: e2cnn's harmonic basis) for an odd kernel size k.
  template <class Solver = HarmonicSolver>
  explicit KernelExpansion(int k, const Solver& solver = Solver{})
      : FieldExpansion<typename In::group, T>(In::fields(), Out::fields(), k, solver) {}
};

}  // namespace eqr
