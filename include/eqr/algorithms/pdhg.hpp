/// @file algorithms/pdhg.hpp
/// The primal–dual hybrid gradient method (Chambolle & Pock 2011, Algorithm 1) for TV-regularised linear
/// inverse problems,
///    min_u  ½‖Au − y‖² + λ TV(u) + ι_C(u),        C = [lower, upper]^n (e.g. u ≥ 0) or the whole space,
/// written as min_u F(Ku) + G(u) with K = [A; μ∇], F(q, z) = ½‖q − y‖² + (λ/μ)‖z‖_{2,1}, G = ι_C.
///
/// μ > 0 scales the gradient block: λ TV(u) = (λ/μ)‖μ∇u‖_{2,1} for every μ, so μ changes nothing but the
/// balance of the two blocks of K, whose norm obeys ‖K‖² ≤ ‖A‖² + 8μ² (‖∇‖² ≤ 8).  The default μ = ‖A‖/√8
/// equalises the blocks; it matters for CT, where ‖A‖² is in the thousands in pixel units (DESIGN.md §3).
///
/// Iteration (steps τσ‖K‖² < 1: τ = ρ·0.99/κ, σ = 0.99/(ρκ), κ² = ‖A‖² + 8μ² ≥ ‖K‖², balance ρ > 0; ‖A‖ as
/// given, or √1.01 × the power-method estimate, which approaches ‖A‖ from below):
///    q_{k+1} = (q_k + σ(A ū_k − y)) / (1 + σ)                        prox of σF₁*, F₁*(q) = ½‖q‖² + ⟨q, y⟩
///    p_{k+1} = Π_{|·| ≤ λ/μ}(p_k + σμ ∇ū_k)                           prox of σF₂* (pointwise, over channels)
///    u_{k+1} = Π_C(u_k − τ Aᵀq_{k+1} + τμ div p_{k+1})                prox of τG, div = −∇ᵀ
///    ū_{k+1} = 2u_{k+1} − u_k
/// The ergodic primal–dual gap decays like O(1/k) (Chambolle & Pock 2011, Thm. 1).  The best step balance
/// ρ (τ/σ = ρ²) depends on the problem (≈ 3 for 20 % MRI; small denoising / inpainting problems prefer ≈ 0.2
/// with μ ≈ 2), so by default τ/σ is adapted while iterating by residual balancing (Goldstein et al. 2015,
/// `PdhgOptions::adaptive`), with ξ = (q, p) the dual pair and
///    primal residual ‖u_k − u_{k+1}‖/τ,   dual residual ‖(ξ_k − ξ_{k+1})/σ + K(ū_k − u_{k+1})‖,
/// the two sides of the saddle-point conditions 0 ∈ ∂G(u) + Kᵀξ, 0 ∈ ∂F*(ξ) − Ku at the new iterate.
/// A is applied once and Aᵀ once per iteration: A ū_k = 2 A u_k − A u_{k−1} is combined from the forward
/// projections already made, and the objective ½‖Au − y‖² + λ TV(u) comes for the price of one TV
/// evaluation.  The pointwise magnitude of ∇ and p is taken over all channels, so a complex image (two
/// channels) is one vectorial-TV image; the operator may mix channels freely (MRI).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/algorithms/detail/tv_kernels.hpp"
#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/algebra.hpp"

namespace eqr {

/// Options of `pdhg_tv`; setters chain: `PdhgOptions{}.iterations(200).bounds(Box::non_negative())`.
class PdhgOptions {
 public:
  /// The maximum number of iterations (default 300, at least 1).
  PdhgOptions& iterations(int n) {
    stop_.iterations = n;
    stop_.validate("PdhgOptions::iterations");
    return *this;
  }
  /// Stop when ‖u_{k+1} − u_k‖/‖u_{k+1}‖ < tol (default 0: never).
  PdhgOptions& tolerance(double tol) {
    stop_.tolerance = tol;
    stop_.validate("PdhgOptions::tolerance");
    return *this;
  }
  /// The box constraint C (default: none; `Box::non_negative()` for u ≥ 0).
  PdhgOptions& bounds(Box box) {
    bounds_ = box;
    return *this;
  }
  /// Record ½‖Au − y‖² + λ TV(u) after every iteration (default off).
  PdhgOptions& record_objective(bool on) {
    record_objective_ = on;
    return *this;
  }
  /// ‖A‖ (an upper bound is fine); 0 (default) estimates it by the power method.
  PdhgOptions& operator_norm(double n) {
    EQR_EXPECTS(std::isfinite(n) && n >= 0.0, value_error,
                "PdhgOptions::operator_norm: expected a finite norm >= 0 (0 = estimate), found ", n);
    operator_norm_ = n;
    return *this;
  }
  /// The gradient-block scale μ > 0; 0 (default) chooses μ = ‖A‖/√8.
  PdhgOptions& gradient_scale(double mu) {
    EQR_EXPECTS(std::isfinite(mu) && mu >= 0.0, value_error,
                "PdhgOptions::gradient_scale: expected a finite scale >= 0 (0 = automatic), found ", mu);
    gradient_scale_ = mu;
    return *this;
  }
  /// The step balance ρ = τκ/0.99 = 0.99/(σκ), so τ/σ = ρ² (larger: larger primal steps; default 1).
  PdhgOptions& step_ratio(double rho) {
    EQR_EXPECTS(std::isfinite(rho) && rho > 0.0, value_error, "PdhgOptions::step_ratio: expected a finite ratio > 0, found ",
                rho);
    step_ratio_ = rho;
    return *this;
  }
  /// Adapt the step ratio while iterating by residual balancing (Goldstein, Li, Yuan, Esser, Baraniuk 2015):
  /// τ/σ grows when the primal residual dominates the dual one by 1.5× and shrinks in the opposite case, by
  /// factors (1 − α_k)^{±1} with α_k = 0.5·0.95^(adaptations) → 0, checked every 4th iteration (the
  /// residuals cost about half an iteration), keeping τσ constant, so the step condition
  /// and convergence are kept (default on; `step_ratio` is then the starting ratio).  The residuals are
  /// summed over the batch, so with adaptation the items of a batch share their step sizes.
  PdhgOptions& adaptive(bool on) {
    adaptive_ = on;
    return *this;
  }
  /// Power-method iterations for estimating ‖A‖ (default 50).
  PdhgOptions& power_iterations(int n) {
    EQR_EXPECTS(n >= 1, value_error, "PdhgOptions::power_iterations: expected at least 1, found ", n);
    power_iterations_ = n;
    return *this;
  }

  [[nodiscard]] const StoppingRule& stopping() const { return stop_; }
  [[nodiscard]] const Box& bounds() const { return bounds_; }
  [[nodiscard]] bool record_objective() const { return record_objective_; }
  [[nodiscard]] double operator_norm() const { return operator_norm_; }
  [[nodiscard]] double gradient_scale() const { return gradient_scale_; }
  [[nodiscard]] double step_ratio() const { return step_ratio_; }
  [[nodiscard]] int power_iterations() const { return power_iterations_; }
  [[nodiscard]] bool adaptive() const { return adaptive_; }

 private:
  StoppingRule stop_{300, 0.0};
  Box bounds_ = Box::unbounded();
  bool record_objective_ = false;
  double operator_norm_ = 0.0;
  double gradient_scale_ = 0.0;
  double step_ratio_ = 1.0;
  int power_iterations_ = 50;
  bool adaptive_ = true;
};

namespace detail::pdhg {

/// The steps of PDHG (see the file comment): the gradient-block scale μ, the primal and dual steps τ, σ
/// (τσκ² = 0.99², κ² = ‖A‖² + 8μ² ≥ ‖K‖²) and the strength α of the adaptive step balance.
struct Steps {
  double mu = 0, tau = 0, sigma = 0;
  double alpha = 0.5;

  /// Residual balancing (Goldstein et al. 2015): τ/σ grows by (1 − α)⁻² when the primal residual exceeds the
  /// dual one by 1.5×, shrinks by (1 − α)² in the opposite case (τσ kept), and α then decays by 0.95.
  void balance(double primal, double dual) {
    if (primal > 1.5 * dual) {  // primal lags: larger primal steps
      tau /= 1.0 - alpha;
      sigma *= 1.0 - alpha;
      alpha *= 0.95;
    } else if (dual > 1.5 * primal) {  // dual lags: larger dual steps
      tau *= 1.0 - alpha;
      sigma /= 1.0 - alpha;
      alpha *= 0.95;
    }
  }
};

/// The starting steps for operator A: ‖A‖ as given by the options, or √1.01 × the power-method estimate
/// (which approaches ‖A‖ from below); μ as given or ‖A‖/√8; τ = ρ·0.99/κ, σ = 0.99/(ρκ). Throws value_error
/// for a zero operator whose norm is to be estimated.
template <LinearOperator Op>
[[nodiscard]] Steps initial_steps(const Op& a, const PdhgOptions& options) {
  double a_norm = options.operator_norm();
  if (a_norm == 0.0) {
    a_norm = opnorm(a, options.power_iterations());
    EQR_EXPECTS(a_norm > 0.0 && std::isfinite(a_norm), value_error,
                "pdhg_tv: expected a nonzero operator with a finite norm, found ||A|| = ", a_norm);
    a_norm *= std::sqrt(1.01);
  }
  Steps s;
  s.mu = options.gradient_scale() > 0.0 ? options.gradient_scale()
                                        : std::max(a_norm, 1e-12) / std::sqrt(gradient_norm_squared_bound);
  const double kappa = std::sqrt(a_norm * a_norm + gradient_norm_squared_bound * s.mu * s.mu);
  s.tau = options.step_ratio() * 0.99 / kappa;
  s.sigma = 0.99 / (options.step_ratio() * kappa);
  return s;
}

}  // namespace detail::pdhg

/// Minimises ½‖Au − y‖² + λ TV(u) (+ the box of the options) by PDHG; see the file comment.  `y` must have the
/// shape `a.range_shape(N)` for its batch size N and finite values, `initial` (default 0) the shape
/// `a.domain_shape(N)`; λ must be finite and ≥ 0.  Throws shape_error / value_error otherwise, and
/// value_error for a zero operator whose norm is to be estimated.
template <HostLinearOperator Op>
[[nodiscard]] SolverResult<operator_scalar_t<Op>> pdhg_tv(const Op& a, const xt::xtensor<operator_scalar_t<Op>, 4>& y,
                                                            double lambda, const PdhgOptions& options = {},
                                                            std::optional<xt::xtensor<operator_scalar_t<Op>, 4>> initial = std::nullopt) {
  using T = operator_scalar_t<Op>;
  EQR_EXPECTS(std::isfinite(lambda) && lambda >= 0.0, value_error, "pdhg_tv: expected a finite lambda >= 0, found ",
              lambda);
  const std::size_t batch = y.shape()[0];
  detail::solver::expect_batch_shape(y, a.range_shape(batch), "pdhg_tv: measurements y");
  detail::solver::expect_finite(y, "pdhg_tv: measurements y");
  xt::xtensor<T, 4> u = initial ? std::move(*initial) : detail::solver::zeros<T>(a.domain_shape(batch));
  detail::solver::expect_batch_shape(u, a.domain_shape(batch), "pdhg_tv: initial guess");
  detail::solver::expect_finite(u, "pdhg_tv: initial guess");
  const auto d = detail::tv::dims_of(u, "pdhg_tv: unknown");

  detail::pdhg::Steps steps = detail::pdhg::initial_steps(a, options);
  const double mu = steps.mu;
  const T radius = static_cast<T>(lambda / mu);
  const Box& box = options.bounds();
  box.project_in_place(u);
  const T lo = box.limits<T>().first, hi = box.limits<T>().second;
  const StoppingRule& stop = options.stopping();

  SolverResult<T> result;
  xt::xtensor<T, 4> u_bar = u;
  auto au = a.apply(u);
  auto au_bar = au;
  auto q = detail::solver::zeros<T>(a.range_shape(batch));
  GradientField<T> p = detail::tv::zero_field<T>(d);
  const T* py = y.data();
  const bool adaptive = options.adaptive();
  xt::xtensor<T, 4> dq, du;  // adaptive only: q_k − q_{k+1} and ū_k − u_{k+1}
  GradientField<T> p_old;    // adaptive only: p_k

  for (int k = 0; k < stop.iterations; ++k) {
    const T tau = static_cast<T>(steps.tau), sigma = static_cast<T>(steps.sigma);
    const T tau_mu = static_cast<T>(steps.tau * mu), sigma_mu = static_cast<T>(steps.sigma * mu);
    const T inv = T(1) / (T(1) + sigma);
    const bool balance = adaptive && k % 4 == 0;  // residuals cost ~half an iteration: balance every 4th
    if (balance) {
      dq = q;
      p_old = p;
      du = u_bar;
    }
    // Dual steps: q ← (q + σ(Aū − y))/(1 + σ);  p ← Π_{λ/μ}(p + σμ∇ū).
    {
      T* pq = q.data();
      const T* pab = au_bar.data();
      for (std::size_t e = 0; e < q.size(); ++e) pq[e] = (pq[e] + sigma * (pab[e] - py[e])) * inv;
    }
    detail::tv::for_each_row(d, [&](std::size_t n, std::size_t i) {
      detail::tv::ascend_project_row(u_bar.data(), p.data(), sigma_mu, radius, d, n, i);
    });
    // Primal step: u ← Π_C(u − τAᵀq + τμ div p), ū ← 2u_new − u_old, fused row by row.
    const auto atq = a.adjoint(q);
    const auto [diff, size] = detail::tv::sum_pairs_over_rows(d, [&](std::size_t n, std::size_t i) {
      T* __restrict div = detail::tv::scratch_row<T>(d.w);
      double change = 0, norm2 = 0;
      for (std::size_t c = 0; c < d.c; ++c) {
        detail::tv::divergence_row(p.data(), div, d, n, c, i);
        const std::size_t at = d.image(n, c) + i * d.w;
        T* __restrict pu = u.data() + at;
        T* __restrict pub = u_bar.data() + at;
        const T* __restrict pa = atq.data() + at;
        for (std::size_t j = 0; j < d.w; ++j) {
          const T next = std::min(std::max(pu[j] - tau * pa[j] + tau_mu * div[j], lo), hi);
          const double delta = double(next) - double(pu[j]);
          change += delta * delta;
          norm2 += double(next) * double(next);
          pub[j] = T(2) * next - pu[j];
          pu[j] = next;
        }
      }
      return std::pair<double, double>{change, norm2};
    });
    // A u_{k+1}, and A ū_{k+1} = 2A u_{k+1} − A u_k by linearity.
    auto au_next = a.apply(u);
    if (balance) {
      // Residuals of the saddle-point conditions at (u_{k+1}; q_{k+1}, p_{k+1}) (see the file comment):
      //   primal ‖u_k − u_{k+1}‖/τ,   dual ‖(y_k − y_{k+1})/σ + K(ū_k − u_{k+1})‖ over both dual blocks.
      const double primal = std::sqrt(diff) / steps.tau;
      double dual2 = 0;
      for (std::size_t e = 0; e < q.size(); ++e) {
        const double r = (double(dq.data()[e]) - double(q.data()[e])) / steps.sigma + double(au_bar.data()[e]) -
                         double(au_next.data()[e]);
        dual2 += r * r;
      }
      for (std::size_t e = 0; e < u.size(); ++e) du.data()[e] -= u.data()[e];
      // The gradient block (p_k − p_{k+1})/σ + μ∇(ū_k − u_{k+1}), row by row without storing ∇.
      dual2 += detail::tv::sum_over_rows(d, [&](std::size_t n, std::size_t i) {
        const bool last_row = i + 1 == d.h;
        double acc = 0;
        for (std::size_t c = 0; c < d.c; ++c) {
          const T* row = du.data() + d.image(n, c) + i * d.w;
          const T* below = last_row ? row : row + d.w;
          const T* o0 = p_old.data() + d.field(n, c, 0) + i * d.w;
          const T* o1 = p_old.data() + d.field(n, c, 1) + i * d.w;
          const T* n0 = p.data() + d.field(n, c, 0) + i * d.w;
          const T* n1 = p.data() + d.field(n, c, 1) + i * d.w;
          for (std::size_t j = 0; j < d.w; ++j) {
            const double gi = double(below[j]) - double(row[j]);
            const double gj = j + 1 < d.w ? double(row[j + 1]) - double(row[j]) : 0.0;
            const double r0 = (double(o0[j]) - double(n0[j])) / steps.sigma + mu * gi;
            const double r1 = (double(o1[j]) - double(n1[j])) / steps.sigma + mu * gj;
            acc += r0 * r0 + r1 * r1;
          }
        }
        return acc;
      });
      const double dual = std::sqrt(dual2);
      steps.balance(primal, dual);
    }
    {
      T* pab = au_bar.data();
      const T* pn = au_next.data();
      const T* po = au.data();
      for (std::size_t e = 0; e < au_bar.size(); ++e) pab[e] = T(2) * pn[e] - po[e];
    }
    au = std::move(au_next);
    if (options.record_objective()) {
      double fit = 0;
      for (std::size_t e = 0; e < au.size(); ++e) {
        const double r = double(au.data()[e]) - double(py[e]);
        fit += r * r;
      }
      result.history.objective.push_back(0.5 * fit + (lambda == 0.0 ? 0.0 : lambda * total_variation(u)));
    }
    const double change = size > 0.0 ? std::sqrt(diff / size) : (diff == 0.0 ? 0.0 : INFINITY);
    if (detail::solver::record(result.history, stop, change)) break;
  }
  result.solution = std::move(u);
  return result;
}

}  // namespace eqr
