/// @file algorithms/prox.hpp
/// Proximal operators: the `ProximalOperator` / `ProximableFunction` concepts, the free function `prox`, and the
/// simple convex functions every classical solver needs (zero, box and non-negativity constraints, scaling).
///
/// The proximal operator of a proper convex lower-semicontinuous g with step τ > 0 is
///    prox_{τg}(x) = argmin_u ½‖u − x‖² + τ g(u)                                  (paper, Eq. (10))
/// — the map that the proximal gradient method (paper, Algorithm 1) applies after each gradient step on
/// Problem (9), and that the learned method (Algorithm 2) replaces by a CNN.  If g is invariant under a group
/// acting by isometries, its prox is equivariant (paper, Prop. 2): the zero function and the box indicators
/// are invariant under every pixel permutation, hence their proxes commute with rot90 and mirrors exactly;
/// the continuous TV is rotation invariant (paper, Example 2), but its forward-difference discretisation is
/// so only approximately (a rotation by 90° turns forward differences into backward ones).
///
/// Math ↔ code:
/// | math                                | code                                  |
/// |-------------------------------------|---------------------------------------|
/// | prox_{τg}(x)                        | `prox(g, x, τ)` = `g.prox(x, τ)`      |
/// | g(u)                                | `g.value(u)` (may be +∞ off the domain) |
/// | g = 0, prox = id                    | `ZeroFunction`                        |
/// | g = ι_{[a,b]}, prox = clamp          | `Box{a, b}`, `Box::non_negative()`    |
/// | ι_{[a,b]} + ι_{[c,d]} = ι_{[a,b]∩[c,d]} | `intersect(box1, box2)`          |
/// | g = w·f, prox_{τg} = prox_{(τw)f}   | `scaled_function(w, f)`               |
///
/// Composition: in general prox_{f+h} ≠ prox_h ∘ prox_f.  It holds for the sum of two box indicators (the
/// projection onto the intersection, `intersect`) and for a box plus a separable f; for TV plus a box it does
/// not, so `TvProx` (tv_prox.hpp) takes the box as an option and solves the constrained problem exactly
/// (Beck–Teboulle's constrained FGP).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"

namespace eqr {

/// A proximal operator for batches of scalar `T`: `p.prox(x, tau)` returns prox_{τg}(x) for an N×C×H×W
/// batch x and a step τ > 0.  `prox` may update internal state (e.g. a warm-started dual variable), so it is
/// called on a non-const object; its result must not depend on that state beyond the accuracy promised.
template <class P, class T>
concept ProximalOperator = Real<T> && requires(P& p, const xt::xtensor<T, 4>& x, T tau) {
  { p.prox(x, tau) } -> std::same_as<xt::xtensor<T, 4>>;
};

/// A convex function whose proximal operator is available and whose value can be evaluated:
/// `g.value(u)` returns g(u) as a double (+∞ outside the domain, e.g. for a violated constraint).
/// Solvers need the value only to record the objective.
template <class P, class T>
concept ProximableFunction = ProximalOperator<P, T> && requires(const P& g, const xt::xtensor<T, 4>& x) {
  { g.value(x) } -> std::convertible_to<double>;
};

/// A proximal operator for float or double batches (or both): what wrappers such as `ScaledFunction` accept.
template <class P>
concept AnyProximalOperator = ProximalOperator<P, float> || ProximalOperator<P, double>;

/// prox_{τg}(x) = argmin_u ½‖u − x‖² + τ g(u) (paper, Eq. (10)).  Throws value_error unless τ is finite and
/// positive.
template <class P, Real T>
  requires ProximalOperator<P, T>
[[nodiscard]] xt::xtensor<T, 4> prox(P& g, const xt::xtensor<T, 4>& x, T tau) {
  EQR_EXPECTS(std::isfinite(tau) && tau > T(0), value_error, "prox: expected a finite step tau > 0, found ", tau);
  return g.prox(x, tau);
}

/// The zero function g = 0, whose prox is the identity: proximal gradient with it is plain gradient descent
/// (Landweber iteration) on the data term.
struct ZeroFunction {
  /// prox_{τ·0}(x) = x.
  template <Real T>
  [[nodiscard]] xt::xtensor<T, 4> prox(const xt::xtensor<T, 4>& x, T /*tau*/) const {
    return x;
  }
  /// g(u) = 0.
  template <Real T>
  [[nodiscard]] double value(const xt::xtensor<T, 4>& /*u*/) const {
    return 0.0;
  }
};

/// The indicator ι_{[lower, upper]} of a box applied to every entry: 0 when lower ≤ u ≤ upper entrywise,
/// +∞ otherwise.  Its prox is the projection, the entrywise clamp (for any τ).  Infinite bounds are allowed,
/// so `Box::non_negative()` = [0, +∞) is the non-negativity constraint of CT and denoising.
class Box {
 public:
  /// The box [lower, upper]; throws value_error if a bound is NaN or lower > upper.
  Box(double lower, double upper) : lower_(lower), upper_(upper) {
    EQR_EXPECTS(!std::isnan(lower) && !std::isnan(upper) && lower <= upper, value_error,
                "Box: expected bounds lower <= upper (not NaN), found [", lower, ", ", upper, "]");
  }
  /// The non-negative orthant [0, +∞).
  [[nodiscard]] static Box non_negative() { return Box(0.0, std::numeric_limits<double>::infinity()); }
  /// The whole real line (−∞, +∞): no constraint.
  [[nodiscard]] static Box unbounded() {
    return Box(-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
  }

  /// The lower bound.
  [[nodiscard]] double lower() const { return lower_; }
  /// The upper bound.
  [[nodiscard]] double upper() const { return upper_; }
  /// True if the box is the whole line (projection is the identity).
  [[nodiscard]] bool is_unbounded() const { return std::isinf(lower_) && std::isinf(upper_); }

  /// The bounds as values of T, {lower, upper}, those beyond T's finite range replaced by its extremes
  /// (so that clamping with them never produces an infinity).
  template <Real T>
  [[nodiscard]] std::pair<T, T> limits() const {
    const T lo = lower_ < double(std::numeric_limits<T>::lowest()) ? std::numeric_limits<T>::lowest() : T(lower_);
    const T hi = upper_ > double(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max() : T(upper_);
    return {lo, hi};
  }
  /// The projection of one value onto [lower, upper] (bounds beyond T's range act as no bound).
  template <Real T>
  [[nodiscard]] T clamp(T v) const {
    const auto [lo, hi] = limits<T>();
    return std::min(std::max(v, lo), hi);
  }
  /// prox_{τ ι}(x) = Π_{[lower, upper]}(x), entrywise (independent of τ).
  template <Real T>
  [[nodiscard]] xt::xtensor<T, 4> prox(const xt::xtensor<T, 4>& x, T /*tau*/) const {
    xt::xtensor<T, 4> u = x;
    project_in_place(u);
    return u;
  }
  /// Projects every entry of `u` onto the box, in place.
  template <Real T>
  void project_in_place(xt::xtensor<T, 4>& u) const {
    if (is_unbounded()) return;
    const auto [lo, hi] = limits<T>();
    for (auto& v : u) v = std::min(std::max(v, lo), hi);
  }
  /// ι(u): 0 if every entry lies in the box, +∞ otherwise (NaN entries count as outside).
  template <Real T>
  [[nodiscard]] double value(const xt::xtensor<T, 4>& u) const {
    for (const T v : u)
      if (!(double(v) >= lower_ && double(v) <= upper_)) return std::numeric_limits<double>::infinity();
    return 0.0;
  }

 private:
  double lower_, upper_;
};

/// The intersection of two boxes, whose indicator is the sum of theirs: ι_A + ι_B = ι_{A∩B}, so its prox is
/// the composition of the two projections.  Throws value_error if the boxes do not overlap.
[[nodiscard]] inline Box intersect(const Box& a, const Box& b) {
  const double lo = std::max(a.lower(), b.lower()), hi = std::min(a.upper(), b.upper());
  EQR_EXPECTS(lo <= hi, value_error, "intersect: expected overlapping boxes, found [", a.lower(), ", ", a.upper(),
              "] and [", b.lower(), ", ", b.upper(), "]");
  return Box(lo, hi);
}

/// The function w·f for a weight w ≥ 0 and a proximable f: prox_{τ(wf)} = prox_{(τw)f}, value w·f(u).
/// With w = 0 the prox is the identity (f's domain constraint, if any, is dropped along with f).
template <AnyProximalOperator F>
class ScaledFunction {
 public:
  /// w·f; throws value_error unless w is finite and non-negative.
  ScaledFunction(double weight, F f) : weight_(weight), f_(std::move(f)) {
    EQR_EXPECTS(std::isfinite(weight) && weight >= 0.0, value_error,
                "scaled_function: expected a finite weight >= 0, found ", weight);
  }
  /// prox_{τ w f}(x) = prox_{(τw) f}(x).
  template <Real T>
    requires ProximalOperator<F, T>
  [[nodiscard]] xt::xtensor<T, 4> prox(const xt::xtensor<T, 4>& x, T tau) {
    if (weight_ == 0.0) return x;
    return f_.prox(x, static_cast<T>(tau * weight_));
  }
  /// w·f(u) (0 when w = 0).
  template <Real T>
    requires ProximableFunction<F, T>
  [[nodiscard]] double value(const xt::xtensor<T, 4>& u) const {
    return weight_ == 0.0 ? 0.0 : weight_ * static_cast<double>(f_.value(u));
  }
  /// The weight w.
  [[nodiscard]] double weight() const { return weight_; }
  /// The function f.
  [[nodiscard]] const F& function() const { return f_; }

 private:
  double weight_;
  F f_;
};

/// w·f as a proximable function (see `ScaledFunction`).
template <AnyProximalOperator F>
[[nodiscard]] ScaledFunction<F> scaled_function(double weight, F f) {
  return ScaledFunction<F>(weight, std::move(f));
}

}  // namespace eqr
