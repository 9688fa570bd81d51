/// @file algorithms/pdhg_backend.hpp
/// `pdhg_tv` for an operator on any tensor backend whose tensors are not host xtensors (LibTorch's CPU and
/// CUDA devices): the same method, options and step rules as the host solver of algorithms/pdhg.hpp
/// (Chambolle & Pock 2011, Algorithm 1, with residual balancing), written on the backend's primitives and the
/// TV blocks of algorithms/tv_backend.hpp, so the iterates never leave the device.
///
///    q_{k+1} = (q_k + σ(A ū_k − y)) / (1 + σ)
///    p_{k+1} = Π_{|·| ≤ λ/μ}(p_k + σμ ∇ū_k)
///    u_{k+1} = Π_C(u_k − τ Aᵀq_{k+1} + τμ div p_{k+1}),    ū_{k+1} = 2u_{k+1} − u_k
///
/// The host solver fuses these loops row by row; here each line is a few backend calls. The scalars the
/// method needs (the relative change for the stopping rule and the history, the residuals of the adaptive
/// step balance) are backend reductions, one host synchronisation each per iteration. The objective, when
/// recorded, evaluates TV(u) on a host copy of u (tv.hpp). The two solvers agree to rounding
/// (tests/unit/test_torch_tv.cpp compares them in double).
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <utility>

#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/algorithms/tv_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/algebra.hpp"

namespace eqr {

/// Minimises ½‖Au − y‖² + λ TV(u) (+ the box of the options) by PDHG on the operator's backend; the contract
/// (shapes, finite values, λ ≥ 0, errors) is that of the host `pdhg_tv`.
template <LinearOperator Op>
  requires(!HostLinearOperator<Op>)
[[nodiscard]] BackendSolverResult<typename Op::backend> pdhg_tv(
    const Op& a, const typename Op::backend::tensor_type& y, double lambda, const PdhgOptions& options = {},
    std::optional<typename Op::backend::tensor_type> initial = std::nullopt) {
  using B = typename Op::backend;
  using T = typename B::scalar_type;
  using Tensor = typename B::tensor_type;
  EQR_EXPECTS(std::isfinite(lambda) && lambda >= 0.0, value_error, "pdhg_tv: expected a finite lambda >= 0, found ",
              lambda);
  const std::size_t batch = B::shape(y).n;
  Tensor u = detail::solver::checked_start(a, y, std::move(initial), "pdhg_tv");

  detail::pdhg::Steps steps = detail::pdhg::initial_steps(a, options);
  const double mu = steps.mu;
  const double radius = lambda / mu;
  const Box& box = options.bounds();
  const StoppingRule& stop = options.stopping();
  const BackendGradient<B> nabla(B::shape(u).c);

  BackendSolverResult<B> result;
  u = project_to_box<B>(std::move(u), box);
  Tensor u_bar = B::clone(u);
  Tensor au = a.apply(u);
  Tensor au_bar = B::clone(au);
  Tensor q = B::zeros(a.range_shape(batch));
  Tensor p = B::zeros(nabla.field_shape(B::shape(u)));
  const bool adaptive = options.adaptive();

  for (int k = 0; k < stop.iterations; ++k) {
    const T tau = static_cast<T>(steps.tau), sigma = static_cast<T>(steps.sigma);
    const bool balance = adaptive && k % 4 == 0;  // residuals cost ~half an iteration: balance every 4th
    std::optional<Tensor> q_old, p_old, u_bar_old;
    if (balance) {
      q_old = B::clone(q);
      p_old = B::clone(p);
      u_bar_old = B::clone(u_bar);
    }
    // Dual steps: q ← (q + σ(Aū − y))/(1 + σ);  p ← Π_{λ/μ}(p + σμ∇ū).
    B::axpy(sigma, au_bar, q);
    B::axpy(-sigma, y, q);
    B::scale(q, T(1) / (T(1) + sigma));
    B::axpy(static_cast<T>(steps.sigma * mu), nabla.gradient(u_bar), p);
    p = project_to_balls<B>(p, radius);
    // Primal step: u ← Π_C(u − τAᵀq + τμ div p), ū ← 2u_new − u_old.
    Tensor next = B::clone(u);
    B::axpy(-tau, a.adjoint(q), next);
    B::axpy(static_cast<T>(steps.tau * mu), nabla.divergence(p), next);
    next = project_to_box<B>(std::move(next), box);
    const double diff = B::squared_norm(B::subtract(next, u));
    const double size = B::squared_norm(next);
    u_bar = B::clone(next);
    B::scale(u_bar, T(2));
    B::axpy(T(-1), u, u_bar);
    u = std::move(next);
    // A u_{k+1}, and A ū_{k+1} = 2A u_{k+1} − A u_k by linearity.
    Tensor au_next = a.apply(u);
    if (balance) {
      // Residuals of the saddle-point conditions at (u_{k+1}; q_{k+1}, p_{k+1}):
      //   primal ‖u_k − u_{k+1}‖/τ,   dual ‖(ξ_k − ξ_{k+1})/σ + K(ū_k − u_{k+1})‖ over both dual blocks.
      const double primal = std::sqrt(diff) / steps.tau;
      Tensor rq = B::subtract(*q_old, q);
      B::scale(rq, static_cast<T>(1.0 / steps.sigma));
      B::axpy(T(1), au_bar, rq);
      B::axpy(T(-1), au_next, rq);
      Tensor rp = B::subtract(*p_old, p);
      B::scale(rp, static_cast<T>(1.0 / steps.sigma));
      B::axpy(static_cast<T>(mu), nabla.gradient(B::subtract(*u_bar_old, u)), rp);
      const double dual = std::sqrt(B::squared_norm(rq) + B::squared_norm(rp));
      steps.balance(primal, dual);
    }
    au_bar = B::clone(au_next);
    B::scale(au_bar, T(2));
    B::axpy(T(-1), au, au_bar);
    au = std::move(au_next);
    if (options.record_objective()) {
      const double fit = B::squared_norm(B::subtract(au, y));
      double tv = 0.0;
      if (lambda != 0.0) tv = total_variation(host_batch<B>(u));
      result.history.objective.push_back(0.5 * fit + lambda * tv);
    }
    const double change = size > 0.0 ? std::sqrt(diff / size) : (diff == 0.0 ? 0.0 : INFINITY);
    if (detail::solver::record(result.history, stop, change)) break;
  }
  result.solution = std::move(u);
  return result;
}

}  // namespace eqr
