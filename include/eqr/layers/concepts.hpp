/// @file layers/concepts.hpp
/// The `Layer` concept: a differentiable map with an explicit forward context (DESIGN.md §3b).
#pragma once

#include <concepts>
#include <string>

#include "eqr/backends/concepts.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr {

/// A layer: a value type computing y = f(x; θ) on backend tensors, differentiable by hand.
///
/// - `L::backend` is its TensorBackend; `L::context` is a small default-constructible type in which
///   `forward` stores what `backward` needs (no global tape, no virtual dispatch);
/// - `forward(x, ctx)` returns y and fills ctx; `forward(x)` is inference and stores nothing;
/// - `backward(ctx, dy)` returns dx = (∂f/∂x)ᵀ dy and *adds* (∂f/∂θ)ᵀ dy to each parameter's `grad`;
/// - `visit_parameters(prefix, f)` calls f(name, parameter) for every parameter, with stable hierarchical
///   names (prefix + "." + own name) — the names used by checkpoints and optimiser state;
/// - equivariant layers additionally declare `in_type` and `out_type` (FieldType); plain layers do not.
template <class L>
concept Layer = TensorBackend<typename L::backend> && std::default_initializable<typename L::context> &&
    requires(L& layer, const L& const_layer, const typename L::backend::tensor_type& x, typename L::context& ctx,
             const typename L::context& const_ctx, const std::string& prefix,
             void (*visitor)(const std::string&, nn::Parameter<typename L::backend>&)) {
      { layer.forward(x, ctx) } -> std::same_as<typename L::backend::tensor_type>;
      { const_layer.forward(x) } -> std::same_as<typename L::backend::tensor_type>;
      { layer.backward(const_ctx, x) } -> std::same_as<typename L::backend::tensor_type>;
      layer.visit_parameters(prefix, visitor);
    };

/// A layer mapping feature maps of type In to feature maps of type Out (both FieldType), so that
/// containers can check at compile time that adjacent layers fit.
template <class L>
concept EquivariantLayer = Layer<L> && requires {
  typename L::in_type;
  typename L::out_type;
};

}  // namespace eqr
