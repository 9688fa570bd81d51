/// @file backends/filter_expansion.hpp
/// The filter-expansion customisation point: `filter_expansion<B>` expands an equivariant convolution's
/// coefficients into its dense filter (and the invariant bias into per-channel biases), with the transposes
/// for the gradients, on backend B — the maths of `ExpansionPlan` (kernels/expansion_plan.hpp):
///
///     W = Σ_b scatter_b(C_b M_b),   ∇c_b = gather_b(∇W) M_bᵀ,   bias = P β,   ∇β = Pᵀ ∇bias.
///
/// The primary template works for every `TensorBackend` by running the plan on the host (`to_host`,
/// `from_host`); a backend whose tensors live on a device specialises it to expand there, so that a
/// training step makes no host round trip per layer (LibTorch: backends/torch/filter_expansion.hpp; the CPU
/// backend runs the plan on its tensors' memory without copies: backends/cpu/filter_expansion.hpp).
/// Every specialisation provides the same five members as the primary template.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/kernels/expansion_plan.hpp"

namespace eqr {

/// The filter expansion of backend B (see the file comment); this primary template runs on the host.
template <class B>
struct filter_expansion {
  using scalar = typename B::scalar_type;
  using tensor = typename B::tensor_type;
  /// What the expansion keeps per layer: here the plan itself.
  using state = std::shared_ptr<const ExpansionPlan<scalar>>;

  /// The state for a plan (shared with the layer that owns it).
  static state prepare(std::shared_ptr<const ExpansionPlan<scalar>> plan) { return plan; }
  /// The dense filter C_out × C_in × k × k of the coefficients (1 × n × 1 × 1).
  static tensor expand(const state& s, const tensor& coefficients) {
    const auto c = B::to_host(coefficients);
    std::vector<scalar> w(static_cast<std::size_t>(s->filter_size()));
    s->expand(c, w);
    return B::from_host(s->filter_shape(), w);
  }
  /// The coefficient gradient 1 × n × 1 × 1 of a filter gradient.
  static tensor expand_transpose(const state& s, const tensor& filter_gradient) {
    const auto dw = B::to_host(filter_gradient);
    std::vector<scalar> dc(static_cast<std::size_t>(s->coefficient_count));
    s->expand_transpose(dw, dc);
    return B::from_host({1, dc.size(), 1, 1}, dc);
  }
  /// The per-channel bias 1 × C_out × 1 × 1 of the learnable scalars (1 × n_β × 1 × 1).
  static tensor expand_bias(const state& s, const tensor& bias) {
    const auto b = B::to_host(bias);
    std::vector<scalar> channels(static_cast<std::size_t>(s->c_out));
    s->expand_bias(b, channels);
    return B::from_host(bias_shape(channels.size()), channels);
  }
  /// The gradient 1 × n_β × 1 × 1 of the learnable scalars from that of the per-channel bias.
  static tensor expand_bias_transpose(const state& s, const tensor& channel_gradient) {
    const auto g = B::to_host(channel_gradient);
    std::vector<scalar> db(static_cast<std::size_t>(s->bias_count()));
    s->expand_bias_transpose(g, db);
    return B::from_host({1, db.size(), 1, 1}, db);
  }
};

}  // namespace eqr
