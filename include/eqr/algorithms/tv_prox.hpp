/// @file algorithms/tv_prox.hpp
/// The proximal operator of the total variation, optionally with a box constraint:
///    prox_{τ(w·TV + ι_C)}(v) = argmin_{u ∈ C} ½‖u − v‖² + λ TV(u),   λ = τ·w,   C = [lower, upper]^n,
/// computed by the fast gradient projection (FGP) of Beck & Teboulle (2009, "Fast gradient-based algorithms
/// for constrained total variation image denoising and deblurring problems", Sec. 4) on Chambolle's dual.
///
/// The dual problem (Chambolle 2004) is, with div = −∇ᵀ and the pointwise ball |p| ≤ 1,
///    min_{|p| ≤ 1}  h(p) = −½‖H_C(v + λ div p)‖² + ½‖v + λ div p‖²,  H_C(x) = x − Π_C(x),
/// whose gradient −λ∇Π_C(v + λ div p) is Lipschitz with constant λ²‖∇‖² ≤ 8λ².  FGP is Nesterov-accelerated
/// projected gradient descent on it with step 1/(8λ²):
///    u_k     = Π_C(v + λ div r_k)
///    p_k     = Π_{|·|≤1}(r_k + ∇u_k / (8λ))
///    t_{k+1} = (1 + sqrt(1 + 4t_k²)) / 2,   r_{k+1} = p_k + ((t_k − 1)/t_{k+1}) (p_k − p_{k−1}),
/// and the primal solution is u = Π_C(v + λ div p).  Without a box (C = whole space) this is Chambolle's
/// projection method accelerated, and the duality gap
///    G(u, p) = λ (TV(u) − ⟨∇u, p⟩) ≥ P(u) − P(u*) ≥ 0,   P(u) = ½‖u − v‖² + λ TV(u),
/// certifies the accuracy of u = v + λ div p (see `tv_duality_gap`).
///
/// The magnitude |p| is taken over all channels together (vectorial TV, see tv.hpp), so a complex image stored
/// as two real channels is handled as one complex image.  The dual variable is kept between calls (warm
/// start): inside proximal gradient the successive prox inputs are close, and a handful of inner iterations
/// from the previous dual then suffices.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/algorithms/detail/tv_kernels.hpp"
#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// The options of the TV prox: inner FGP iterations, a stopping tolerance, a box constraint and warm starts.
/// Setters chain: `TvProxOptions{}.iterations(20).bounds(Box::non_negative())`.
class TvProxOptions {
 public:
  /// The maximum number of FGP iterations per prox call (default 100; at least 1).
  TvProxOptions& iterations(int n) {
    EQR_EXPECTS(n >= 1, value_error, "TvProxOptions::iterations: expected at least 1, found ", n);
    iterations_ = n;
    return *this;
  }
  [[nodiscard]] int iterations() const { return iterations_; }

  /// Stop early when the relative change ‖u_k − u_{k−1}‖/‖u_k‖ of the primal iterate falls below `tol`
  /// (default 0: always run all iterations).
  TvProxOptions& tolerance(double tol) {
    EQR_EXPECTS(std::isfinite(tol) && tol >= 0.0, value_error,
                "TvProxOptions::tolerance: expected a finite tolerance >= 0, found ", tol);
    tolerance_ = tol;
    return *this;
  }
  [[nodiscard]] double tolerance() const { return tolerance_; }

  /// The box C that u is constrained to (default: unbounded; `Box::non_negative()` for u ≥ 0).
  TvProxOptions& bounds(Box box) {
    bounds_ = box;
    return *this;
  }
  [[nodiscard]] const Box& bounds() const { return bounds_; }

  /// Start each call from the previous call's dual variable when the shapes agree (default true).
  TvProxOptions& warm_start(bool on) {
    warm_start_ = on;
    return *this;
  }
  [[nodiscard]] bool warm_start() const { return warm_start_; }

 private:
  int iterations_ = 100;
  double tolerance_ = 0.0;
  Box bounds_ = Box::unbounded();
  bool warm_start_ = true;
};

/// The proximable function g = w·TV + ι_C (weight w ≥ 0, box C from the options) for batches of `T`.
/// `prox(v, τ)` solves argmin_{u ∈ C} ½‖u − v‖² + τ w TV(u) by FGP (see the file comment); `value(u)` is
/// w·TV(u) + ι_C(u).  The object keeps the last dual variable p (|p| ≤ 1 pointwise) for warm starts and for
/// inspection; it is therefore not safe to share one object between threads.
template <Real T>
class TvProx {
 public:
  /// g = weight·TV + ι_C with the given options; throws value_error unless weight is finite and ≥ 0.
  explicit TvProx(double weight, TvProxOptions options = {}) : weight_(weight), options_(std::move(options)) {
    EQR_EXPECTS(std::isfinite(weight) && weight >= 0.0, value_error,
                "TvProx: expected a finite TV weight >= 0, found ", weight);
  }

  /// prox_{τg}(v) by FGP: argmin_{u ∈ C} ½‖u − v‖² + τ·w·TV(u).  Throws shape_error for an empty batch and
  /// value_error for τ not finite and positive.
  [[nodiscard]] xt::xtensor<T, 4> prox(const xt::xtensor<T, 4>& v, T tau);

  /// g(u) = w·TV(u) + ι_C(u) (+∞ when u leaves the box).
  [[nodiscard]] double value(const xt::xtensor<T, 4>& u) const {
    const double box = options_.bounds().value(u);
    if (box != 0.0) return box;
    return weight_ == 0.0 ? 0.0 : weight_ * total_variation(u);
  }

  /// The TV weight w.
  [[nodiscard]] double weight() const { return weight_; }
  /// The options.
  [[nodiscard]] const TvProxOptions& options() const { return options_; }
  /// The dual variable of the last call (N × C × 2 × H × W, |p| ≤ 1), empty before the first call.
  [[nodiscard]] const GradientField<T>& dual() const { return dual_; }
  /// The FGP iterations the last call ran.
  [[nodiscard]] int last_iterations() const { return last_iterations_; }
  /// Forgets the stored dual variable (the next call starts from p = 0).
  void reset() { dual_ = GradientField<T>{}; }

 private:
  double weight_;
  TvProxOptions options_;
  GradientField<T> dual_;
  int last_iterations_ = 0;
};

/// The duality gap λ(TV(u) − ⟨∇u, p⟩) of the unconstrained TV denoising problem min ½‖u − v‖² + λ TV(u) at
/// u = v + λ div p with |p| ≤ 1: an upper bound on P(u) − min P that is 0 exactly at the solution.  Throws
/// shape_error if u and p do not belong together.
template <Real T>
[[nodiscard]] double tv_duality_gap(const xt::xtensor<T, 4>& u, const GradientField<T>& p, double lambda) {
  const auto du = detail::tv::dims_of(u, "tv_duality_gap: u");
  const auto dp = detail::tv::dims_of(p, "tv_duality_gap: p");
  EQR_EXPECTS(du.n == dp.n && du.c == dp.c && du.h == dp.h && du.w == dp.w, shape_error,
              "tv_duality_gap: expected p of shape N×C×2×H×W matching u ", extents_string(u.shape()),
              ", found ", extents_string(p.shape()));
  const auto g = discrete_gradient(u);
  double pairing = 0;
  for (std::size_t k = 0; k < g.size(); ++k) pairing += double(g.data()[k]) * double(p.data()[k]);
  return lambda * (total_variation(u) - pairing);
}

/// TV denoising argmin_{u ∈ C} ½‖u − v‖² + λ TV(u) (the ROF model) in one call, by FGP from p = 0.
template <Real T>
[[nodiscard]] xt::xtensor<T, 4> tv_denoise(const xt::xtensor<T, 4>& v, double lambda, TvProxOptions options = {}) {
  TvProx<T> g(lambda, options.warm_start(false));
  return g.prox(v, T(1));
}

// ============================================================================================================
// Implementation
// ============================================================================================================

template <Real T>
xt::xtensor<T, 4> TvProx<T>::prox(const xt::xtensor<T, 4>& v, T tau) {
  EQR_EXPECTS(std::isfinite(tau) && tau > T(0), value_error, "TvProx::prox: expected a finite step tau > 0, found ",
              tau);
  const auto d = detail::tv::dims_of(v, "TvProx::prox");
  const Box& box = options_.bounds();
  const T lambda = static_cast<T>(double(tau) * weight_);
  last_iterations_ = 0;
  if (!(lambda > T(0))) {  // λ = 0 (or underflow): the prox of the box alone
    xt::xtensor<T, 4> u = v;
    box.project_in_place(u);
    return u;
  }
  const bool shape_ok = dual_.dimension() == 5 && dual_.shape()[0] == d.n && dual_.shape()[1] == d.c &&
                        dual_.shape()[3] == d.h && dual_.shape()[4] == d.w;
  if (!options_.warm_start() || !shape_ok) dual_ = detail::tv::zero_field<T>(d);

  GradientField<T> r = dual_;  // the extrapolated dual point r_k
  xt::xtensor<T, 4> u = xt::xtensor<T, 4>::from_shape({d.n, d.c, d.h, d.w});
  const T* vp = v.data();
  T* up = u.data();
  T* pp = dual_.data();
  T* rp = r.data();
  const T step = T(1) / (T(8) * lambda);  // 1/(8λ²)·λ: the dual gradient is −λ∇u
  const bool track = options_.tolerance() > 0.0;

  // u = Π_C(v + λ div q), row by row; returns Σ (u_new − u_old)² over the row when tracking changes.
  const T lo = box.limits<T>().first, hi = box.limits<T>().second;
  auto primal_row = [&](const T* q, std::size_t n, std::size_t i) {
    double change = 0, size = 0;
    T* __restrict div = detail::tv::scratch_row<T>(d.w);
    for (std::size_t c = 0; c < d.c; ++c) {
      detail::tv::divergence_row(q, div, d, n, c, i);
      const std::size_t at = d.image(n, c) + i * d.w;
      const T* __restrict vr = vp + at;
      T* __restrict ur = up + at;
      if (track) {
        for (std::size_t j = 0; j < d.w; ++j) {
          const T value = std::min(std::max(vr[j] + lambda * div[j], lo), hi);
          const double delta = double(value) - double(ur[j]);
          change += delta * delta;
          size += double(value) * double(value);
          ur[j] = value;
        }
      } else {
        for (std::size_t j = 0; j < d.w; ++j) ur[j] = std::min(std::max(vr[j] + lambda * div[j], lo), hi);
      }
    }
    return std::pair<double, double>{change, size};
  };

  double t = 1.0;
  const int iterations = options_.iterations();
  for (int k = 0; k < iterations; ++k) {
    double change = 0, size = 0;
    if (track && k > 0) {
      std::tie(change, size) =
          detail::tv::sum_pairs_over_rows(d, [&](std::size_t n, std::size_t i) { return primal_row(rp, n, i); });
    } else {
      detail::tv::for_each_row(d, [&](std::size_t n, std::size_t i) { (void)primal_row(rp, n, i); });
    }
    const T beta = static_cast<T>(detail::solver::nesterov_momentum(t));
    // p_k = Π(r_k + ∇u_k/(8λ)),  r_{k+1} = p_k + β (p_k − p_{k−1}),  pointwise over all channels.
    detail::tv::for_each_row(d, [&](std::size_t n, std::size_t i) {
      detail::tv::ascend_project_row(up, rp, step, T(1), d, n, i);
      detail::tv::momentum_row(rp, pp, beta, d, n, i);
    });
    last_iterations_ = k + 1;
    if (track && k > 0 && size > 0.0 && std::sqrt(change / size) < options_.tolerance()) break;
  }
  // The primal solution from the last dual iterate p_k.
  detail::tv::for_each_row(d, [&](std::size_t n, std::size_t i) { (void)primal_row(pp, n, i); });
  return u;
}

}  // namespace eqr
