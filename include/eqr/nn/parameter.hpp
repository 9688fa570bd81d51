/// @file nn/parameter.hpp
/// `Parameter<B>`: a learnable tensor with its gradient accumulator, and the visitor protocol through which
/// every layer and network exposes its parameters under stable hierarchical names.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <utility>

#include "eqr/backends/concepts.hpp"

namespace eqr::nn {

/// A learnable tensor `value` and the gradient `grad` of the loss with respect to it (same shape).
///
/// Backward passes *accumulate* into `grad` (so gradients of a batch, or of weights shared by several
/// iterations, add up); `zero_grad` resets it.  Optimisers read `grad` and update `value`.
template <TensorBackend B>
struct Parameter {
  using backend = B;
  typename B::tensor_type value;
  typename B::tensor_type grad;

  Parameter() = default;
  /// A parameter holding `initial`, with a zero gradient of the same shape.
  explicit Parameter(typename B::tensor_type initial) : value(std::move(initial)), grad(B::zeros(B::shape(value))) {}
  /// Copies are deep on every backend (`B::clone`), so a copied layer or network is independent even where
  /// tensor handles share storage (torch::Tensor): an optimiser step on one copy never moves the other.
  Parameter(const Parameter& other) : value(clone_of(other.value)), grad(clone_of(other.grad)) {}
  Parameter& operator=(const Parameter& other) {
    if (this != &other) {
      value = clone_of(other.value);
      grad = clone_of(other.grad);
    }
    return *this;
  }
  Parameter(Parameter&&) noexcept = default;
  Parameter& operator=(Parameter&&) noexcept = default;

  /// Resets the gradient to zero.
  void zero_grad() { B::fill(grad, typename B::scalar_type(0)); }

 private:
  /// A deep copy of t; a default-constructed (empty) handle stays empty.
  static typename B::tensor_type clone_of(const typename B::tensor_type& t) {
    if constexpr (requires { t.defined(); }) {
      if (!t.defined()) return t;
    }
    return B::clone(t);
  }
};

/// A callable that receives each parameter with its full hierarchical name, e.g. "iteration3.lift.weight".
template <class F, class B>
concept ParameterVisitor = TensorBackend<B> && std::invocable<F&, const std::string&, Parameter<B>&>;

/// Joins a hierarchical name: `child_name("lift", "weight")` = "lift.weight"; an empty prefix adds nothing.
inline std::string child_name(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return std::string(prefix) + "." + std::string(name);
}

}  // namespace eqr::nn
