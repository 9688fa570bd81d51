/// @file algorithms/prox_gradient.hpp
/// The proximal gradient method and its accelerated form FISTA for
///    min_u  F(u) = ½‖Au − y‖² + g(u),
/// with a linear operator A (`LinearOperator`), measurements y and a pluggable proximable g
/// (`ProximalOperator`; e.g. `TvProx`, `Box::non_negative()`, `ZeroFunction`).
///
/// One iteration, with step 1/L and L = ‖A‖² (the Lipschitz constant of ∇E, E(u) = ½‖Au − y‖²):
///    u_{k+1} = prox_{g/L}(z_k − (1/L) Aᵀ(A z_k − y))                     (paper, Algorithm 1, τ = 1/L)
///    plain:   z_{k+1} = u_{k+1}
///    FISTA:   t_{k+1} = (1 + sqrt(1 + 4t_k²))/2,  z_{k+1} = u_{k+1} + ((t_k − 1)/t_{k+1})(u_{k+1} − u_k)
/// (Beck & Teboulle 2009).  Guarantees for an exact prox: the plain method decreases F monotonically with
/// F(u_k) − F* ≤ L‖u_0 − u*‖²/(2k); FISTA reaches F(u_k) − F* ≤ 2L‖u_0 − u*‖²/(k+1)² but need not be monotone.
/// The optional adaptive restart (O'Donoghue & Candès 2015, gradient scheme) resets the momentum whenever
/// ⟨z_k − u_{k+1}, u_{k+1} − u_k⟩ > 0, which removes most of FISTA's oscillation.
///
/// Cost per iteration: one A and one Aᵀ and one prox.  A z_k is never applied: A is linear, so
/// A z_{k+1} = A u_{k+1} + β (A u_{k+1} − A u_k) is combined from the forward projections already made, and
/// the objective F(u_{k+1}) comes for the price of g's value.
///
/// L: given explicitly, or estimated as 1.01·‖A‖² by the power method (`opnorm`, which approaches ‖A‖ from
/// below, hence the 1% margin).
#pragma once

#include <cmath>
#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/algebra.hpp"

namespace eqr {

/// Options of `proximal_gradient`; setters chain: `ProximalGradientOptions{}.iterations(50).restart(true)`.
class ProximalGradientOptions {
 public:
  /// The maximum number of iterations (default 100, at least 1).
  ProximalGradientOptions& iterations(int n) {
    stop_.iterations = n;
    stop_.validate("ProximalGradientOptions::iterations");
    return *this;
  }
  /// Stop when ‖u_{k+1} − u_k‖/‖u_{k+1}‖ < tol (default 0: never).
  ProximalGradientOptions& tolerance(double tol) {
    stop_.tolerance = tol;
    stop_.validate("ProximalGradientOptions::tolerance");
    return *this;
  }
  /// FISTA momentum on (default) or off (plain proximal gradient, monotone).
  ProximalGradientOptions& accelerated(bool on) {
    accelerated_ = on;
    return *this;
  }
  /// Adaptive (gradient-scheme) restart of the FISTA momentum (default off).
  ProximalGradientOptions& restart(bool on) {
    restart_ = on;
    return *this;
  }
  /// Record F(u_k) after every iteration in the history (default off; needs `g.value`).
  ProximalGradientOptions& record_objective(bool on) {
    record_objective_ = on;
    return *this;
  }
  /// The Lipschitz constant L of ∇E (≥ ‖A‖²); 0 (default) estimates 1.01·‖A‖² by the power method.
  ProximalGradientOptions& lipschitz(double l) {
    EQR_EXPECTS(std::isfinite(l) && l >= 0.0, value_error,
                "ProximalGradientOptions::lipschitz: expected a finite L >= 0 (0 = estimate), found ", l);
    lipschitz_ = l;
    return *this;
  }
  /// Power-method iterations for estimating ‖A‖ (default 50).
  ProximalGradientOptions& power_iterations(int n) {
    EQR_EXPECTS(n >= 1, value_error, "ProximalGradientOptions::power_iterations: expected at least 1, found ", n);
    power_iterations_ = n;
    return *this;
  }

  [[nodiscard]] const StoppingRule& stopping() const { return stop_; }
  [[nodiscard]] bool accelerated() const { return accelerated_; }
  [[nodiscard]] bool restart() const { return restart_; }
  [[nodiscard]] bool record_objective() const { return record_objective_; }
  [[nodiscard]] double lipschitz() const { return lipschitz_; }
  [[nodiscard]] int power_iterations() const { return power_iterations_; }

 private:
  StoppingRule stop_{};
  bool accelerated_ = true;
  bool restart_ = false;
  bool record_objective_ = false;
  double lipschitz_ = 0.0;
  int power_iterations_ = 50;
};

/// The Lipschitz constant L = 1.01·‖A‖² of ∇E(u) = Aᵀ(Au − y) by the power method (1% above the estimate,
/// which approaches ‖A‖ from below).  Throws value_error if A is zero.
template <LinearOperator Op>
[[nodiscard]] double data_term_lipschitz(const Op& a, int power_iterations = 50) {
  const double n = opnorm(a, power_iterations);
  EQR_EXPECTS(n > 0.0 && std::isfinite(n), value_error,
              "data_term_lipschitz: expected a nonzero operator with a finite norm, found ||A|| = ", n);
  return 1.01 * n * n;
}

/// Minimises ½‖Au − y‖² + g(u) by proximal gradient (FISTA by default), see the file comment.
/// `y` must have the shape `a.range_shape(N)` for its batch size N and finite values; `initial` (default 0)
/// the shape `a.domain_shape(N)`.  `g` is used as an lvalue (a `TvProx` keeps its warm-started dual in it).
/// Throws shape_error / value_error for bad inputs, and value_error if the objective is requested for a g
/// without `value`.
template <HostLinearOperator Op, class G>
  requires AnyProximalOperator<std::remove_cvref_t<G>>
[[nodiscard]] SolverResult<operator_scalar_t<Op>> proximal_gradient(
    const Op& a, const xt::xtensor<operator_scalar_t<Op>, 4>& y, G&& g, const ProximalGradientOptions& options = {},
    std::optional<xt::xtensor<operator_scalar_t<Op>, 4>> initial = std::nullopt) {
  using T = operator_scalar_t<Op>;
  using Function = std::remove_cvref_t<G>;
  static_assert(ProximalOperator<Function, T>,
                "proximal_gradient: the proximal operator g must act on batches of the operator's scalar type "
                "(with a float operator use TvProx<float>, with a double operator TvProx<double>).");
  constexpr bool has_value = ProximableFunction<Function, T>;
  EQR_EXPECTS(has_value || !options.record_objective(), value_error,
              "proximal_gradient: recording the objective needs g.value(u), which this proximal operator lacks");
  const std::size_t batch = y.shape()[0];
  detail::solver::expect_batch_shape(y, a.range_shape(batch), "proximal_gradient: measurements y");
  detail::solver::expect_finite(y, "proximal_gradient: measurements y");
  xt::xtensor<T, 4> u = initial ? std::move(*initial) : detail::solver::zeros<T>(a.domain_shape(batch));
  detail::solver::expect_batch_shape(u, a.domain_shape(batch), "proximal_gradient: initial guess");
  detail::solver::expect_finite(u, "proximal_gradient: initial guess");

  const double lipschitz =
      options.lipschitz() > 0.0 ? options.lipschitz() : data_term_lipschitz(a, options.power_iterations());
  const T step = static_cast<T>(1.0 / lipschitz);
  const StoppingRule& stop = options.stopping();

  SolverResult<T> result;
  auto au = a.apply(u);
  xt::xtensor<T, 4> z = u;
  auto az = au;
  double t = 1.0;
  for (int k = 0; k < stop.iterations; ++k) {
    // Gradient step at z: w = z − (1/L) Aᵀ(Az − y).
    auto residual = az;
    residual -= y;
    const auto gradient = a.adjoint(residual);
    xt::xtensor<T, 4> w = z;
    {
      T* pw = w.data();
      const T* pg = gradient.data();
      for (std::size_t e = 0; e < w.size(); ++e) pw[e] -= step * pg[e];
    }
    xt::xtensor<T, 4> u_next = g.prox(std::as_const(w), step);
    detail::solver::expect_batch_shape(u_next, a.domain_shape(batch), "proximal_gradient: prox output");
    auto au_next = a.apply(u_next);
    const double change = detail::solver::relative_change(u_next, u);
    if constexpr (has_value) {
      if (options.record_objective()) {
        auto r = au_next;
        r -= y;
        result.history.objective.push_back(detail::solver::half_squared_norm(r) + static_cast<double>(g.value(u_next)));
      }
    }
    double beta = 0.0;
    if (options.accelerated()) {
      beta = detail::solver::nesterov_momentum(t);
      if (options.restart()) {
        // ⟨z − u_{k+1}, u_{k+1} − u_k⟩ > 0: the momentum points uphill; restart it.
        double s = 0;
        for (std::size_t e = 0; e < u.size(); ++e)
          s += (double(z.data()[e]) - double(u_next.data()[e])) * (double(u_next.data()[e]) - double(u.data()[e]));
        if (s > 0.0) {
          t = 1.0;
          beta = 0.0;
        }
      }
    }
    // z = u_{k+1} + β(u_{k+1} − u_k) and A z by linearity.
    const T b = static_cast<T>(beta);
    for (std::size_t e = 0; e < u.size(); ++e) z.data()[e] = u_next.data()[e] + b * (u_next.data()[e] - u.data()[e]);
    for (std::size_t e = 0; e < au.size(); ++e)
      az.data()[e] = au_next.data()[e] + b * (au_next.data()[e] - au.data()[e]);
    u = std::move(u_next);
    au = std::move(au_next);
    if (detail::solver::record(result.history, stop, change)) break;
  }
  result.solution = std::move(u);
  return result;
}

}  // namespace eqr
