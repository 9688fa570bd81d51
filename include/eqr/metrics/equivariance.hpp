/// @file metrics/equivariance.hpp
/// How far a map f is from commuting with a group action:
///
///   err(f, g, x) = ‖f(g·x) − g·f(x)‖ / ‖g·f(x)‖     (Euclidean norms over all entries, in double),
///
/// 0 for an exactly equivariant f (paper, Eq. 8 makes each layer so; Prop. 2 gives it for proximal
/// operators of invariant regularisers).  The actions on the input and on the output are passed as callables,
/// so any field type can be tested; `grid_equivariance_error<G>` covers scalar images (trivial fields) under
/// every grid-preserving element of a finite group, acting on the last two axes by [g·f](p) = f(g⁻¹p).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/groups/action.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/groups/image_action.hpp"

namespace eqr::metrics {

namespace detail {
/// ‖a − b‖ and ‖b‖ over all entries of two containers of the same shape.
template <class A, class B>
std::pair<double, double> difference_and_norm(const A& a, const B& b) {
  EQR_EXPECTS(a.shape().size() == b.shape().size() && std::equal(a.shape().begin(), a.shape().end(), b.shape().begin()),
              shape_error, "equivariance error: expected f(g·x) and g·f(x) of the same shape, found ranks ",
              a.shape().size(), " and ", b.shape().size(), " with ", a.size(), " and ", b.size(), " elements");
  double d = 0, n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double u = static_cast<double>(a.flat(i)), v = static_cast<double>(b.flat(i));
    d += (u - v) * (u - v);
    n += v * v;
  }
  return {std::sqrt(d), std::sqrt(n)};
}
}  // namespace detail

/// ‖f(g·x) − g·f(x)‖ / ‖g·f(x)‖ with `act_in(x)` = g·x on inputs and `act_out(y)` = g·y on outputs.
/// Throws value_error if g·f(x) is zero (the relative error is then undefined).
template <class X, class F, class ActIn, class ActOut>
  requires std::invocable<F&, const X&> && std::invocable<ActIn&, const X&> &&
           std::invocable<ActOut&, std::invoke_result_t<F&, const X&>>
double equivariance_error(F&& f, ActIn&& act_in, ActOut&& act_out, const X& x) {
  const auto fx = f(x);
  const auto gx = act_in(x);
  const auto lhs = f(gx);
  const auto rhs = act_out(fx);
  const auto [diff, norm] = detail::difference_and_norm(lhs, rhs);
  EQR_EXPECTS(norm > 0, value_error, "equivariance error: expected g·f(x) to be non-zero, found a zero output");
  return diff / norm;
}

/// The same with one action for inputs and outputs (both of the same field type).
template <class X, class F, class Act>
  requires std::invocable<F&, const X&> && std::invocable<Act&, const X&>
double equivariance_error(F&& f, Act&& act, const X& x) {
  return equivariance_error(std::forward<F>(f), act, act, x);
}

/// The largest equivariance error of f over the grid-preserving elements of G (quarter turns and mirrors),
/// each acting on inputs and outputs as on scalar images.  Elements that do not map the grid onto itself
/// (e.g. 45° in C8) are skipped, since they have no exact action on pixels.
template <FiniteGroup G, std::copyable T, std::size_t N, class F>
  requires std::invocable<F&, const xt::xtensor<T, N>&>
double grid_equivariance_error(F&& f, const xt::xtensor<T, N>& x) {
  double worst = 0;
  for (int i = 0; i < G::order(); ++i) {
    const auto g = G::element_at(i);
    if (!preserves_grid<G>(g)) continue;
    const auto act = [g](const auto& y) { return eqr::transform<G>(y, g); };
    worst = std::max(worst, equivariance_error(f, act, act, x));
  }
  return worst;
}

}  // namespace eqr::metrics
