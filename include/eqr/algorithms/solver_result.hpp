/// @file algorithms/solver_result.hpp
/// What the classical solvers (proximal gradient / FISTA, PDHG) return: the final iterate and a small history
/// (objective and relative change per iteration, iterations run, whether the tolerance stopped the run), plus
/// the input checks and vector updates they share.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// A linear operator on host batches `xt::xtensor<T, 4>` — an operator of the CPU backend `cpu::CpuBackend<T>`
/// — which is what the classical solvers (proximal gradient, PDHG, the TV prox) are written on.
template <class Op>
concept HostLinearOperator =
    LinearOperator<Op> &&
    std::same_as<typename Op::backend::tensor_type, xt::xtensor<typename Op::backend::scalar_type, 4>>;

/// The scalar type of an operator's tensors.
template <LinearOperator Op>
using operator_scalar_t = typename Op::backend::scalar_type;

/// The per-iteration record of an iterative solver.
///  - `objective[k]`: the objective after iteration k+1 (filled only when the options ask for it);
///  - `relative_change[k]`: ‖u_{k+1} − u_k‖ / ‖u_{k+1}‖ (0 when both vanish);
///  - `iterations`: the iterations run; `converged`: true if the relative change fell below the tolerance.
struct SolverHistory {
  std::vector<double> objective;
  std::vector<double> relative_change;
  int iterations = 0;
  bool converged = false;
};

/// A solver's result: the final iterate (same shape as the unknown) and its history.
template <Real T>
struct SolverResult {
  xt::xtensor<T, 4> solution;
  SolverHistory history;
};

/// A solver's result on tensor backend B (the solvers of algorithms/pdhg_backend.hpp): the final iterate as a
/// tensor of B and the history.
template <TensorBackend B>
struct BackendSolverResult {
  typename B::tensor_type solution;
  SolverHistory history;
};

/// The stopping rule shared by the solvers: at most `iterations` iterations, or stop as soon as the relative
/// change ‖u_{k+1} − u_k‖/‖u_{k+1}‖ falls below `tolerance` (0 disables the test).
struct StoppingRule {
  int iterations = 100;
  double tolerance = 0.0;

  /// Throws value_error unless iterations ≥ 1 and the tolerance is finite and ≥ 0; `who` names the solver.
  void validate(const char* who) const {
    EQR_EXPECTS(iterations >= 1, value_error, who, ": expected at least 1 iteration, found ", iterations);
    EQR_EXPECTS(std::isfinite(tolerance) && tolerance >= 0.0, value_error, who,
                ": expected a finite tolerance >= 0, found ", tolerance);
  }
};

namespace detail::solver {

/// Throws value_error naming `what` if any entry of `x` is NaN or infinite.
template <Real T>
void expect_finite(const xt::xtensor<T, 4>& x, const char* what) {
  const T* p = x.data();
  for (std::size_t k = 0; k < x.size(); ++k)
    EQR_EXPECTS(std::isfinite(p[k]), value_error, what, ": expected finite values, found ", p[k], " at flat index ", k);
}

/// ‖a − b‖ / ‖a‖ in double (0 when a = b = 0; ∞ when only a = 0).
template <Real T>
[[nodiscard]] double relative_change(const xt::xtensor<T, 4>& a, const xt::xtensor<T, 4>& b) {
  double diff = 0, size = 0;
  const T* pa = a.data();
  const T* pb = b.data();
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double d = double(pa[k]) - double(pb[k]);
    diff += d * d;
    size += double(pa[k]) * double(pa[k]);
  }
  if (size == 0.0) return diff == 0.0 ? 0.0 : INFINITY;
  return std::sqrt(diff / size);
}

/// ½‖r‖² in double.
template <Real T>
[[nodiscard]] double half_squared_norm(const xt::xtensor<T, 4>& r) {
  double s = 0;
  const T* p = r.data();
  for (std::size_t k = 0; k < r.size(); ++k) s += double(p[k]) * double(p[k]);
  return 0.5 * s;
}

/// A zero tensor of the given shape.
template <Real T>
[[nodiscard]] xt::xtensor<T, 4> zeros(const Shape4& s) {
  return xt::zeros<T>(std::array<std::size_t, 4>{s.n, s.c, s.h, s.w});
}

/// Throws shape_error unless the host batch x has shape `want`; `what` names the argument.
template <Real T>
void expect_batch_shape(const xt::xtensor<T, 4>& x, const Shape4& want, const char* what) {
  const auto& s = x.shape();
  expect_shape(Shape4{s[0], s[1], s[2], s[3]}, want, what);
}

/// Nesterov's momentum sequence (Beck & Teboulle 2009): advances t_k to t_{k+1} = (1 + √(1 + 4t_k²))/2
/// and returns the extrapolation weight β_k = (t_k − 1)/t_{k+1} (FISTA and the FGP TV prox).
inline double nesterov_momentum(double& t) {
  const double t_next = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
  const double beta = (t - 1.0) / t_next;
  t = t_next;
  return beta;
}

/// Checks the measurements `y` of a solver on backend B (shape `a.range_shape(N)` for their batch size N,
/// finite values) and returns its starting iterate: `initial`, or zeros, of shape `a.domain_shape(N)` with
/// finite values. Throws shape_error / value_error naming the solver `who`.
template <LinearOperator Op>
[[nodiscard]] typename Op::backend::tensor_type checked_start(const Op& a, const typename Op::backend::tensor_type& y,
                                                              std::optional<typename Op::backend::tensor_type> initial,
                                                              const std::string& who) {
  using B = typename Op::backend;
  const std::size_t batch = B::shape(y).n;
  expect_shape(B::shape(y), a.range_shape(batch), (who + ": measurements y").c_str());
  // Σ y² accumulated in double is finite exactly when every entry is (a float squared cannot overflow it).
  EQR_EXPECTS(std::isfinite(B::squared_norm(y)), value_error, who,
              ": measurements y: expected finite values, found NaN or infinity");
  auto u = initial ? std::move(*initial) : B::zeros(a.domain_shape(batch));
  expect_shape(B::shape(u), a.domain_shape(batch), (who + ": initial guess").c_str());
  EQR_EXPECTS(std::isfinite(B::squared_norm(u)), value_error, who,
              ": initial guess: expected finite values, found NaN or infinity");
  return u;
}

/// Records one iteration in `history` and says whether the tolerance stops the run.
inline bool record(SolverHistory& history, const StoppingRule& rule, double change) {
  history.relative_change.push_back(change);
  ++history.iterations;
  if (rule.tolerance > 0.0 && change < rule.tolerance) {
    history.converged = true;
    return true;
  }
  return false;
}

}  // namespace detail::solver

}  // namespace eqr
