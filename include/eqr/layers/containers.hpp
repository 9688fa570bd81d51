/// @file layers/containers.hpp
/// Static containers of layers (DESIGN.md §3b): `Sequential<L...>` (f_n ∘ … ∘ f_1) and `Residual<L>`
/// (x + f(x)).  Forward and backward are composed at compile time over a std::tuple — no virtual dispatch,
/// no std::function, no tape: each container's context is the tuple of its children's contexts.
///
/// Adjacent equivariant layers must agree on the field type between them; a mismatch is a compile-time
/// error whose diagnostic names both types (`detail::adjacent_fields<Out, In>`).
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr {

namespace detail {
/// Instantiated with the output field type of one layer and the input field type of the next, so that the
/// compiler's diagnostic names both.
template <class Out, class In>
struct adjacent_fields {
  static_assert(std::same_as<Out, In>,
                "Sequential: the output field type of a layer must equal the input field type of the next layer "
                "(see the two types in this template's arguments: Out of the earlier layer, In of the later one).");
  static constexpr bool value = true;
};

template <class A, class B>
constexpr bool check_adjacent() {
  if constexpr (EquivariantLayer<A> && EquivariantLayer<B>)
    return adjacent_fields<typename A::out_type, typename B::in_type>::value;
  else
    return true;
}

template <class... L, std::size_t... I>
constexpr bool check_chain(std::index_sequence<I...>) {
  using tuple = std::tuple<L...>;
  return (check_adjacent<std::tuple_element_t<I, tuple>, std::tuple_element_t<I + 1, tuple>>() && ...);
}

/// Provides in_type / out_type when the first and last layers are equivariant.
template <class First, class Last, bool Typed = EquivariantLayer<First> && EquivariantLayer<Last>>
struct sequential_types {};
template <class First, class Last>
struct sequential_types<First, Last, true> {
  using in_type = typename First::in_type;
  using out_type = typename Last::out_type;
};
template <class L, bool Typed = EquivariantLayer<L>>
struct residual_types {};
template <class L>
struct residual_types<L, true> {
  static_assert(std::same_as<typename L::in_type, typename L::out_type>,
                "Residual<L>: x + f(x) needs a layer whose output field type equals its input field type.");
  using in_type = typename L::in_type;
  using out_type = typename L::out_type;
};
}  // namespace detail

/// The composition f_n ∘ … ∘ f_1 of layers L... (all on one backend), itself a `Layer` (and an
/// `EquivariantLayer` when its first and last layers are).  Parameters are named by position: "0.weight",
/// "1.coefficients", … (PyTorch's nn.Sequential convention), nested with the prefix.
template <Layer... L>
  requires(sizeof...(L) > 0)
class Sequential : public detail::sequential_types<std::tuple_element_t<0, std::tuple<L...>>,
                                                   std::tuple_element_t<sizeof...(L) - 1, std::tuple<L...>>> {
  using first = std::tuple_element_t<0, std::tuple<L...>>;
  static_assert((std::same_as<typename L::backend, typename first::backend> && ...),
                "Sequential<L...>: every layer must use the same tensor backend.");
  static_assert(detail::check_chain<L...>(std::make_index_sequence<sizeof...(L) - 1>{}));

 public:
  using backend = typename first::backend;
  using tensor = typename backend::tensor_type;
  /// The children's contexts, in order.
  using context = std::tuple<typename L::context...>;

  /// The layers, in order of application.
  explicit Sequential(L... layers) : layers_(std::move(layers)...) {}

  tensor forward(const tensor& x, context& ctx) {
    return forward_from<0>(x, ctx);
  }
  tensor forward(const tensor& x) const { return forward_const<0>(x); }
  /// dx, walking the layers in reverse; each layer accumulates its parameter gradients.
  tensor backward(const context& ctx, const tensor& dy) { return backward_from<sizeof...(L)>(ctx, dy); }

  /// Visits every layer's parameters with the prefix "prefix.i".
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    visit_from<0>(prefix, f);
  }

  /// The I-th layer.
  template <std::size_t I>
  auto& get() {
    return std::get<I>(layers_);
  }
  template <std::size_t I>
  const auto& get() const {
    return std::get<I>(layers_);
  }
  static constexpr std::size_t size() { return sizeof...(L); }

 private:
  template <std::size_t I>
  tensor forward_from(const tensor& x, context& ctx) {
    if constexpr (I == sizeof...(L)) {
      return x;
    } else {
      return forward_from<I + 1>(std::get<I>(layers_).forward(x, std::get<I>(ctx)), ctx);
    }
  }
  template <std::size_t I>
  tensor forward_const(const tensor& x) const {
    if constexpr (I == sizeof...(L)) {
      return x;
    } else {
      return forward_const<I + 1>(std::get<I>(layers_).forward(x));
    }
  }
  template <std::size_t I>
  tensor backward_from(const context& ctx, const tensor& dy) {
    if constexpr (I == 0) {
      return dy;
    } else {
      return backward_from<I - 1>(ctx, std::get<I - 1>(layers_).backward(std::get<I - 1>(ctx), dy));
    }
  }
  template <std::size_t I, class F>
  void visit_from(const std::string& prefix, F& f) {
    if constexpr (I < sizeof...(L)) {
      std::get<I>(layers_).visit_parameters(nn::child_name(prefix, std::to_string(I)), f);
      visit_from<I + 1>(prefix, f);
    }
  }

  std::tuple<L...> layers_;
};

/// The residual block x + f(x) (paper, Algorithm 2's `id + φ∘K`), a `Layer`; parameters are named
/// "prefix.body.…".  An equivariant body must map its field type to itself.
template <Layer L>
class Residual : public detail::residual_types<L> {
 public:
  using backend = typename L::backend;
  using tensor = typename backend::tensor_type;
  using context = typename L::context;

  explicit Residual(L body) : body_(std::move(body)) {}

  tensor forward(const tensor& x, context& ctx) { return backend::add(x, body_.forward(x, ctx)); }
  tensor forward(const tensor& x) const { return backend::add(x, body_.forward(x)); }
  /// dx = dy + (∂f/∂x)ᵀ dy.
  tensor backward(const context& ctx, const tensor& dy) { return backend::add(dy, body_.backward(ctx, dy)); }

  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    body_.visit_parameters(nn::child_name(prefix, "body"), f);
  }
  L& body() { return body_; }
  const L& body() const { return body_; }

 private:
  L body_;
};

}  // namespace eqr
