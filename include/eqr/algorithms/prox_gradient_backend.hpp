/// @file algorithms/prox_gradient_backend.hpp
/// `proximal_gradient` (FISTA) for an operator on any tensor backend whose tensors are not host xtensors
/// (LibTorch's CPU and CUDA devices): the method, options and guarantees of algorithms/prox_gradient.hpp
/// (Beck & Teboulle 2009; the paper's Algorithm 1 with τ = 1/L), written on the backend's primitives, with a
/// proximal operator on the backend's tensors — `BackendTvProx<B>` (algorithms/tv_backend.hpp) for TV.
///
///    u_{k+1} = prox_{g/L}(z_k − (1/L) Aᵀ(A z_k − y)),   z_{k+1} = u_{k+1} + β_k (u_{k+1} − u_k)
///
/// with the same momentum, optional adaptive restart and A z_k combined from the projections already made.
/// The relative change and the restart test are backend reductions (a host synchronisation each per
/// iteration). The two solvers agree to rounding (tests/unit/test_torch_tv.cpp compares them in double).
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// A proximal operator on the tensors of backend B: `g.prox(x, τ)` = prox_{τg}(x) for a batch x and a step
/// τ > 0 of B's scalar type (used as an lvalue: it may keep a warm start).
template <class P, class B>
concept BackendProximalOperator =
    TensorBackend<B> && requires(P& p, const typename B::tensor_type& x, typename B::scalar_type tau) {
      { p.prox(x, tau) } -> std::same_as<typename B::tensor_type>;
    };

/// A `BackendProximalOperator` whose value g(u) (a double, +∞ outside its domain) can be evaluated.
template <class P, class B>
concept BackendProximableFunction =
    BackendProximalOperator<P, B> && requires(const P& g, const typename B::tensor_type& x) {
      { g.value(x) } -> std::convertible_to<double>;
    };

/// Minimises ½‖Au − y‖² + g(u) by proximal gradient (FISTA by default) on the operator's backend; the
/// contract (shapes, finite values, options, errors) is that of the host `proximal_gradient`.
template <LinearOperator Op, class G>
  requires(!HostLinearOperator<Op> && BackendProximalOperator<std::remove_cvref_t<G>, typename Op::backend>)
[[nodiscard]] BackendSolverResult<typename Op::backend> proximal_gradient(
    const Op& a, const typename Op::backend::tensor_type& y, G&& g, const ProximalGradientOptions& options = {},
    std::optional<typename Op::backend::tensor_type> initial = std::nullopt) {
  using B = typename Op::backend;
  using T = typename B::scalar_type;
  using Tensor = typename B::tensor_type;
  constexpr bool has_value = BackendProximableFunction<std::remove_cvref_t<G>, B>;
  EQR_EXPECTS(has_value || !options.record_objective(), value_error,
              "proximal_gradient: recording the objective needs g.value(u), which this proximal operator lacks");
  const std::size_t batch = B::shape(y).n;
  Tensor u = detail::solver::checked_start(a, y, std::move(initial), "proximal_gradient");

  const double lipschitz =
      options.lipschitz() > 0.0 ? options.lipschitz() : data_term_lipschitz(a, options.power_iterations());
  const T step = static_cast<T>(1.0 / lipschitz);
  const StoppingRule& stop = options.stopping();

  BackendSolverResult<B> result;
  Tensor au = a.apply(u);
  Tensor z = B::clone(u);
  Tensor az = B::clone(au);
  double t = 1.0;
  for (int k = 0; k < stop.iterations; ++k) {
    // Gradient step at z: w = z − (1/L) Aᵀ(Az − y).
    Tensor w = B::clone(z);
    B::axpy(-step, a.adjoint(B::subtract(az, y)), w);
    Tensor u_next = g.prox(std::as_const(w), step);
    expect_shape(B::shape(u_next), a.domain_shape(batch), "proximal_gradient: prox output");
    Tensor au_next = a.apply(u_next);
    const Tensor delta = B::subtract(u_next, u);  // u_{k+1} − u_k
    const double diff = B::squared_norm(delta), size = B::squared_norm(u_next);
    const double change = size > 0.0 ? std::sqrt(diff / size) : (diff == 0.0 ? 0.0 : INFINITY);
    if constexpr (has_value) {
      if (options.record_objective())
        result.history.objective.push_back(0.5 * B::squared_norm(B::subtract(au_next, y)) +
                                           static_cast<double>(g.value(u_next)));
    }
    double beta = 0.0;
    if (options.accelerated()) {
      beta = detail::solver::nesterov_momentum(t);
      // ⟨z − u_{k+1}, u_{k+1} − u_k⟩ > 0: the momentum points uphill; restart it.
      if (options.restart() && B::dot(B::subtract(z, u_next), delta) > 0.0) {
        t = 1.0;
        beta = 0.0;
      }
    }
    // z = u_{k+1} + β(u_{k+1} − u_k) and A z by linearity.
    const T b = static_cast<T>(beta);
    z = B::clone(delta);
    B::scale(z, b);
    B::axpy(T(1), u_next, z);
    az = B::subtract(au_next, au);
    B::scale(az, b);
    B::axpy(T(1), au_next, az);
    u = std::move(u_next);
    au = std::move(au_next);
    if (detail::solver::record(result.history, stop, change)) break;
  }
  result.solution = std::move(u);
  return result;
}

}  // namespace eqr
