/// @file core/activation.hpp
/// `Activation`, a pointwise nonlinearity φ with its parameter, and its scalar value φ(x) and derivative φ'(x).
///
/// Backends apply these elementwise (`activation_forward`, `activation_backward`); the scalar functions
/// here are the definition every backend must reproduce (the CPU backend calls them directly).
#pragma once

#include <cmath>
#include <concepts>
#include <string>

#include "eqr/config.hpp"

namespace eqr {

/// The kind of a pointwise nonlinearity.
enum class ActivationKind { identity, relu, leaky_relu, elu, tanh };

/// A pointwise nonlinearity φ: its kind and its parameter (the negative slope of leaky ReLU, α of ELU).
///
/// | kind        | φ(x) for x > 0 | φ(x) for x ≤ 0 | φ'(x), x > 0 | φ'(x), x ≤ 0 |
/// |-------------|----------------|----------------|--------------|--------------|
/// | identity    | x              | x              | 1            | 1            |
/// | relu        | x              | 0              | 1            | 0            |
/// | leaky_relu  | x              | s·x            | 1            | s            |
/// | elu         | x              | α(eˣ − 1)      | 1            | α eˣ         |
/// | tanh        | tanh x         | tanh x         | 1 − tanh² x  | 1 − tanh² x  |
///
/// At the kink x = 0 the derivative takes the left value (PyTorch's convention). The paper's networks use
/// leaky ReLU with s = 0.01 (DESIGN.md §4).
struct Activation {
  ActivationKind kind = ActivationKind::identity;  ///< which function
  double parameter = 0.0;                          ///< s for leaky_relu, α for elu, unused otherwise

  /// φ(x) = x.
  static constexpr Activation identity() noexcept { return {ActivationKind::identity, 0.0}; }
  /// φ(x) = max(x, 0).
  static constexpr Activation relu() noexcept { return {ActivationKind::relu, 0.0}; }
  /// φ(x) = x for x > 0, s·x otherwise (s = 0.01 as in the paper by default).
  static constexpr Activation leaky_relu(double slope = 0.01) noexcept { return {ActivationKind::leaky_relu, slope}; }
  /// φ(x) = x for x > 0, α(eˣ − 1) otherwise.
  static constexpr Activation elu(double alpha = 1.0) noexcept { return {ActivationKind::elu, alpha}; }
  /// φ(x) = tanh x.
  static constexpr Activation tanh() noexcept { return {ActivationKind::tanh, 0.0}; }

  friend constexpr bool operator==(const Activation&, const Activation&) = default;
};

/// The name of an activation, e.g. "leaky_relu(0.01)".
[[nodiscard]] inline std::string to_string(const Activation& a) {
  switch (a.kind) {
    case ActivationKind::identity: return "identity";
    case ActivationKind::relu: return "relu";
    case ActivationKind::leaky_relu: return detail::concat("leaky_relu(", a.parameter, ")");
    case ActivationKind::elu: return detail::concat("elu(", a.parameter, ")");
    case ActivationKind::tanh: return "tanh";
  }
  return "unknown";
}

/// φ(x) for an activation of kind K with parameter p (see the table at `Activation`): the kind is a
/// compile-time constant, so elementwise loops over it vectorise (`visit_kind` picks K once per tensor).
template <ActivationKind K, std::floating_point T>
[[nodiscard]] inline T activate_kind(T p, T x) noexcept {
  if constexpr (K == ActivationKind::identity) return x;
  else if constexpr (K == ActivationKind::relu) return x > T(0) ? x : T(0);
  else if constexpr (K == ActivationKind::leaky_relu) return x > T(0) ? x : p * x;
  else if constexpr (K == ActivationKind::elu) return x > T(0) ? x : p * std::expm1(x);
  else return std::tanh(x);
}

/// φ'(x) for an activation of kind K with parameter p, evaluated at the input x.
template <ActivationKind K, std::floating_point T>
[[nodiscard]] inline T activate_kind_derivative(T p, T x) noexcept {
  if constexpr (K == ActivationKind::identity) return T(1);
  else if constexpr (K == ActivationKind::relu) return x > T(0) ? T(1) : T(0);
  else if constexpr (K == ActivationKind::leaky_relu) return x > T(0) ? T(1) : p;
  else if constexpr (K == ActivationKind::elu) return x > T(0) ? T(1) : p * std::exp(x);
  else {
    const T t = std::tanh(x);
    return T(1) - t * t;
  }
}

/// Calls `f.template operator()<K>()` with the activation's kind as the compile-time constant K.
template <class F>
decltype(auto) visit_kind(const Activation& a, F&& f) {
  switch (a.kind) {
    case ActivationKind::identity: return f.template operator()<ActivationKind::identity>();
    case ActivationKind::relu: return f.template operator()<ActivationKind::relu>();
    case ActivationKind::leaky_relu: return f.template operator()<ActivationKind::leaky_relu>();
    case ActivationKind::elu: return f.template operator()<ActivationKind::elu>();
    case ActivationKind::tanh: break;
  }
  return f.template operator()<ActivationKind::tanh>();
}

/// φ(x) for the activation `a` (see the table at `Activation`).
template <std::floating_point T>
[[nodiscard]] inline T activate(const Activation& a, T x) noexcept {
  return visit_kind(a, [&]<ActivationKind K>() { return activate_kind<K>(static_cast<T>(a.parameter), x); });
}

/// φ'(x) for the activation `a`, evaluated at the input x (see the table at `Activation`).
template <std::floating_point T>
[[nodiscard]] inline T activate_derivative(const Activation& a, T x) noexcept {
  return visit_kind(a, [&]<ActivationKind K>() { return activate_kind_derivative<K>(static_cast<T>(a.parameter), x); });
}

/// Throws value_error unless the activation's parameter is finite (and α > 0 for ELU).
inline void expect_valid(const Activation& a) {
  EQR_EXPECTS(std::isfinite(a.parameter), value_error, "activation ", to_string(a),
              ": expected a finite parameter, found ", a.parameter);
  EQR_EXPECTS(a.kind != ActivationKind::elu || a.parameter > 0.0, value_error,
              "activation elu: expected alpha > 0, found ", a.parameter);
}

}  // namespace eqr
