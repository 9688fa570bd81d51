/// @file kernels/concepts.hpp
/// The `KernelBasis` / `KernelBasisFor<B, Rin, Rout>` concepts (a sampled basis of the kernels that satisfy
/// the equivariance constraint, paper Eq. 8) and `KernelSolverFor<S, G>` (a policy that computes such bases
/// for representations chosen at run time).
#pragma once

#include <concepts>

#include "eqr/groups/concepts.hpp"
#include "eqr/kernels/sampled_basis.hpp"
#include "eqr/reps/concepts.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// A basis of the space of k×k kernels k: Z² → R^{C_out×C_in} that satisfy the kernel constraint
///
///     k(g·x) = ρ_out(g) k(x) ρ_in(g)⁻¹   for all g ∈ G        (paper, Eq. 8),
///
/// sampled on the k×k grid, between one input representation and one output representation.
///
/// Requirements (`b` a const B):
/// - `B::group` a FiniteGroup; `B::in_representation`, `B::out_representation` Representations of it;
/// - `b.size()` the number of basis elements (int), `b.kernel_size()` the odd side k of the grid (int);
/// - `b.matrix()` the elements as rows of a `BasisMatrix` of shape size × (C_out·C_in·k·k), each row laid out
///   as the row-major array (C_out, C_in, k, k), kernel rows top to bottom as an image (DESIGN.md §3);
/// - `b.sampled()` the underlying `SampledBasis` (matrix + the provenance of each element).
template <class B>
concept KernelBasis = FiniteGroup<typename B::group> &&
    RepresentationOf<typename B::in_representation, typename B::group> &&
    RepresentationOf<typename B::out_representation, typename B::group> && requires(const B& b) {
      { b.size() } -> std::same_as<int>;
      { b.kernel_size() } -> std::same_as<int>;
      { b.matrix() } -> std::convertible_to<const BasisMatrix&>;
      { b.sampled() } -> std::convertible_to<const SampledBasis&>;
    };

/// `KernelBasisFor<B, Rin, Rout>`: B is a kernel basis from exactly the input representation Rin to exactly the
/// output representation Rout (so a basis cannot be plugged into a layer between other fields).
template <class B, class Rin, class Rout>
concept KernelBasisFor = KernelBasis<B> && std::same_as<typename B::in_representation, Rin> &&
                         std::same_as<typename B::out_representation, Rout>;

/// A solver policy: computes the sampled basis between two representations of G described at run time.
///
/// Requirement: `s.template solve<G>(in, out, k)` → `SampledBasis` for `RepresentationData<G>` in/out and an
/// odd kernel size k.  Models: `HarmonicSolver` (e2cnn's basis, any G) and `GridSolver` (exact on-grid
/// solution, grid groups only).
template <class S, class G>
concept KernelSolverFor = FiniteGroup<G> &&
    requires(const S& s, const RepresentationData<G>& in, const RepresentationData<G>& out, int k) {
      { s.template solve<G>(in, out, k) } -> std::same_as<SampledBasis>;
      { S::name() } -> std::convertible_to<const char*>;
    };

}  // namespace eqr
