/// @file algorithms/tv_backend.hpp
/// The total-variation building blocks on a tensor backend B, written on B's primitives only, so that the TV
/// solvers run where B's tensors live (LibTorch's CPU and CUDA devices) without a host round trip:
///
/// | math (tv.hpp)                                   | on backend B                                             |
/// |-------------------------------------------------|----------------------------------------------------------|
/// | ∇u, forward differences, Neumann boundary        | `conv2d(u, D, replicate)`, D: 2C × C × 3 × 3 (below)      |
/// | div p = −∇ᵀp                                     | `−conv2d_backward_data(p, D, replicate)` (exact adjoint)  |
/// | Π_{|·|≤r}(z) = z·min(1, r/|z|), pointwise         | z − ReLU(|z| − r)/|z|·z: the norm ReLU with bias −r       |
/// | Π_[lo,hi](u)                                     | lo + ReLU(u − lo), then hi − ReLU(hi − ·)                |
///
/// D holds, for each channel c, the stencils −u[i,j] + u[i+1,j] (output channel 2c, ∂ᵢ) and
/// −u[i,j] + u[i,j+1] (output channel 2c+1, ∂ⱼ) at the centre of a 3 × 3 kernel. Replicate padding repeats
/// the last row and column, so ∂ᵢ vanishes on the last row and ∂ⱼ on the last column: exactly the Neumann
/// gradient of `discrete_gradient`, and a gradient field N × 2C × H × W here has the memory layout of the
/// host's N × C × 2 × H × W. The pointwise magnitude is taken over all 2C channels, as in tv.hpp (vectorial
/// TV). The ball projection is computed as z minus the norm ReLU of z, which loses relative precision when
/// |z| ≫ r; in the TV solvers z is the previous dual point (|p| ≤ r) plus one step, so |z| stays of order r.
///
/// `BackendTvProx<B>` is the TV prox of tv_prox.hpp (FGP on Chambolle's dual, Beck & Teboulle 2009) on these
/// blocks: the same iteration, options and warm start as the host's `TvProx<T>`, for the proximal gradient
/// method on a backend (algorithms/prox_gradient_backend.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/solver_result.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/backends/concepts.hpp"
#include "eqr/backends/norm_kernels.hpp"
#include "eqr/config.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// The discrete gradient ∇ and divergence div = −∇ᵀ of C-channel images on backend B (see the file comment).
template <TensorBackend B>
class BackendGradient {
 public:
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;

  /// The gradient of images with `channels` channels; throws value_error for zero channels.
  explicit BackendGradient(std::size_t channels) : channels_(channels) {
    EQR_EXPECTS(channels >= 1, value_error, "BackendGradient: expected at least one channel, found 0");
    std::vector<scalar> d(2 * channels * channels * 9, scalar(0));
    const auto at = [&](std::size_t out, std::size_t in, std::size_t a, std::size_t b) -> scalar& {
      return d[((out * channels + in) * 3 + a) * 3 + b];
    };
    for (std::size_t c = 0; c < channels; ++c) {
      at(2 * c, c, 1, 1) = scalar(-1);  // ∂ᵢ: u[i+1, j] − u[i, j]
      at(2 * c, c, 2, 1) = scalar(1);
      at(2 * c + 1, c, 1, 1) = scalar(-1);  // ∂ⱼ: u[i, j+1] − u[i, j]
      at(2 * c + 1, c, 1, 2) = scalar(1);
    }
    stencils_ = B::from_host(Shape4{2 * channels, channels, 3, 3}, std::span<const scalar>(d));
  }

  /// The channels C of the images.
  [[nodiscard]] std::size_t channels() const { return channels_; }
  /// The shape N × 2C × H × W of the gradient field of images of shape `image`.
  [[nodiscard]] Shape4 field_shape(const Shape4& image) const {
    return Shape4{image.n, 2 * channels_, image.h, image.w};
  }

  /// ∇u for images u (N × C × H × W): N × 2C × H × W, channel 2c = ∂ᵢu_c, 2c+1 = ∂ⱼu_c.
  [[nodiscard]] tensor gradient(const tensor& u) const {
    expect_channels(B::shape(u).c, channels_, "BackendGradient::gradient (images N×C×H×W)");
    return B::conv2d(u, stencils_, Padding::replicate);
  }
  /// div p = −∇ᵀp for a gradient field p (N × 2C × H × W): N × C × H × W.
  [[nodiscard]] tensor divergence(const tensor& p) const {
    expect_channels(B::shape(p).c, 2 * channels_, "BackendGradient::divergence (fields N×2C×H×W)");
    tensor out = B::conv2d_backward_data(p, stencils_, Padding::replicate);
    B::scale(out, scalar(-1));
    return out;
  }

 private:
  static void expect_channels(std::size_t found, std::size_t want, const char* what) {
    EQR_EXPECTS(found == want, shape_error, what, ": expected ", want, " channels, found ", found);
  }

  std::size_t channels_;
  tensor stencils_;
};

/// Π_{|·|≤radius}(z) for a gradient field z (N × 2C × H × W): each pixel's 2C values scaled onto the ball
/// of `radius` ≥ 0 when they lie outside it (see the file comment).
template <TensorBackend B>
[[nodiscard]] typename B::tensor_type project_to_balls(const typename B::tensor_type& z, double radius) {
  using scalar = typename B::scalar_type;
  EQR_EXPECTS(std::isfinite(radius) && radius >= 0.0, value_error,
              "project_to_balls: expected a finite radius >= 0, found ", radius);
  const Shape4 s = B::shape(z);
  const FieldRun all{0, s.c, 1, 0};
  const auto bias = B::full(Shape4{1, 1, 1, 1}, static_cast<scalar>(-radius));
  const auto outside = norm_kernels<B>::forward(std::span<const FieldRun>(&all, 1), z, bias,
                                                 static_cast<double>(std::numeric_limits<scalar>::min()));
  return B::subtract(z, outside);
}

/// Π_C(u) for the box C = [lower, upper] of `box`, entry by entry (a bound at ±∞ is not applied; a nonzero
/// lower bound shifts u and back, one rounding away from the host's exact clamp).
template <TensorBackend B>
[[nodiscard]] typename B::tensor_type project_to_box(typename B::tensor_type u, const Box& box) {
  using scalar = typename B::scalar_type;
  const Shape4 s = B::shape(u);
  const auto relu = Activation::relu();
  if (std::isfinite(box.lower())) {  // lo + ReLU(u − lo)
    const auto lo = static_cast<scalar>(box.lower());
    if (lo != scalar(0)) B::axpy(scalar(-1), B::full(s, lo), u);
    u = B::activation_forward(u, relu);
    if (lo != scalar(0)) B::axpy(scalar(1), B::full(s, lo), u);
  }
  if (std::isfinite(box.upper())) {  // hi − ReLU(hi − u)
    const auto hi = static_cast<scalar>(box.upper());
    auto gap = B::full(s, hi);
    B::axpy(scalar(-1), u, gap);
    u = B::full(s, hi);
    B::axpy(scalar(-1), B::activation_forward(gap, relu), u);
  }
  return u;
}

/// A host copy (N × C × H × W xtensor) of a tensor of backend B, for the host-side values (TV, the box).
template <TensorBackend B>
[[nodiscard]] xt::xtensor<typename B::scalar_type, 4> host_batch(const typename B::tensor_type& t) {
  const Shape4 s = B::shape(t);
  const auto values = B::to_host(t);
  auto x = xt::xtensor<typename B::scalar_type, 4>::from_shape({s.n, s.c, s.h, s.w});
  std::copy(values.begin(), values.end(), x.begin());
  return x;
}

/// The proximable function g = w·TV + ι_C on batches of backend B (the host's `TvProx<T>` on the device):
/// `prox(v, τ)` = argmin_{u ∈ C} ½‖u − v‖² + τ w TV(u) by FGP with the options' iterations, tolerance, box
/// and warm start; `value(u)` = w·TV(u) + ι_C(u), evaluated on a host copy of u. Keeps its last dual variable
/// (N × 2C × H × W, |p| ≤ 1), so one object is not to be shared between threads.
template <TensorBackend B>
class BackendTvProx {
 public:
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;

  /// g = weight·TV + ι_C; throws value_error unless the weight is finite and ≥ 0.
  explicit BackendTvProx(double weight, TvProxOptions options = {}) : weight_(weight), options_(std::move(options)) {
    EQR_EXPECTS(std::isfinite(weight) && weight >= 0.0, value_error,
                "BackendTvProx: expected a finite TV weight >= 0, found ", weight);
  }

  /// prox_{τg}(v) by FGP (tv_prox.hpp): u_k = Π_C(v + λ div r_k), p_k = Π_{|·|≤1}(r_k + ∇u_k/(8λ)),
  /// r_{k+1} = p_k + ((t_k − 1)/t_{k+1})(p_k − p_{k−1}), λ = τw; the result is Π_C(v + λ div p).  Throws
  /// shape_error for an empty batch and value_error for τ not finite and positive.
  [[nodiscard]] tensor prox(const tensor& v, scalar tau) {
    EQR_EXPECTS(std::isfinite(tau) && tau > scalar(0), value_error,
                "BackendTvProx::prox: expected a finite step tau > 0, found ", tau);
    const Shape4 s = B::shape(v);
    EQR_EXPECTS(s.n >= 1 && s.c >= 1 && s.h >= 1 && s.w >= 1, shape_error,
                "BackendTvProx::prox: expected a non-empty N×C×H×W batch, found ", s);
    const Box& box = options_.bounds();
    const auto lambda = static_cast<scalar>(double(tau) * weight_);
    last_iterations_ = 0;
    if (!(lambda > scalar(0))) return project_to_box<B>(B::clone(v), box);  // the prox of the box alone
    if (!nabla_ || nabla_->channels() != s.c) nabla_.emplace(s.c);  // kept: its stencils live on the device
    const BackendGradient<B>& nabla = *nabla_;
    const Shape4 field = nabla.field_shape(s);
    if (!options_.warm_start() || !dual_ || B::shape(*dual_) != field) dual_ = B::zeros(field);
    const auto primal = [&](const tensor& q) {
      tensor u = B::clone(v);
      B::axpy(lambda, nabla.divergence(q), u);
      return project_to_box<B>(std::move(u), box);
    };
    const auto step = scalar(1) / (scalar(8) * lambda);  // 1/(8λ²)·λ: the dual gradient is −λ∇u
    const bool track = options_.tolerance() > 0.0;
    tensor r = B::clone(*dual_);  // the extrapolated dual point r_k
    std::optional<tensor> u;
    double t = 1.0;
    for (int k = 0; k < options_.iterations(); ++k) {
      tensor next = primal(r);
      double change = 0, size = 0;
      if (track && k > 0) {
        change = B::squared_norm(B::subtract(next, *u));
        size = B::squared_norm(next);
      }
      u = std::move(next);
      const auto beta = static_cast<scalar>(detail::solver::nesterov_momentum(t));
      tensor fresh = std::move(r);
      B::axpy(step, nabla.gradient(*u), fresh);
      fresh = project_to_balls<B>(fresh, 1.0);
      r = B::subtract(fresh, *dual_);
      B::scale(r, beta);
      B::axpy(scalar(1), fresh, r);
      dual_ = std::move(fresh);
      last_iterations_ = k + 1;
      if (track && k > 0 && size > 0.0 && std::sqrt(change / size) < options_.tolerance()) break;
    }
    return primal(*dual_);  // the primal solution from the last dual iterate
  }

  /// g(u) = w·TV(u) + ι_C(u) (+∞ when u leaves the box).
  [[nodiscard]] double value(const tensor& u) const {
    const auto x = host_batch<B>(u);
    const double box = options_.bounds().value(x);
    if (box != 0.0) return box;
    return weight_ == 0.0 ? 0.0 : weight_ * total_variation(x);
  }
  /// The TV weight w.
  [[nodiscard]] double weight() const { return weight_; }
  /// The options.
  [[nodiscard]] const TvProxOptions& options() const { return options_; }
  /// The dual variable of the last call (N × 2C × H × W, |p| ≤ 1), empty before the first call.
  [[nodiscard]] const std::optional<tensor>& dual() const { return dual_; }
  /// The FGP iterations the last call ran.
  [[nodiscard]] int last_iterations() const { return last_iterations_; }
  /// Forgets the stored dual variable (the next call starts from p = 0).
  void reset() { dual_.reset(); }

 private:
  double weight_;
  TvProxOptions options_;
  std::optional<tensor> dual_;
  std::optional<BackendGradient<B>> nabla_;
  int last_iterations_ = 0;
};

}  // namespace eqr
