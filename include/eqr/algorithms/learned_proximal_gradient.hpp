/// @file algorithms/learned_proximal_gradient.hpp
/// `LearnedProximalGradient`: the unrolled learned proximal gradient method of the paper (Algorithm 2),
/// with its hand-written reverse mode through every iteration and optional per-iteration recomputation
/// (gradient checkpointing).
///
/// The method (DESIGN.md §4, as the authors' code runs it):
/// ```
///   u ← u₀ (0 or e.g. FBP),  s ← 0 (memory channels)
///   for i = 1..I:   (u, s) ← prox_i([u, ∇E(u), s])        ∇E(u) = Ãᵀ(Ãu − ỹ)
/// ```
/// with the *normalised* operator Ã = A/‖A‖ and data ỹ = y/‖A‖ (DESIGN.md §3), so that
/// ∇E(u) = Aᵀ(Au − y)/‖A‖² does not depend on the geometry's units. ‖A‖ is estimated once by the power
/// method (`opnorm`, or given, e.g. when a trained model is reloaded) and stored with the model. The data
/// term is the library's `DataTerm` of Ã and ỹ (operators/algebra.hpp).
///
/// Reverse mode (DESIGN.md §3b): the data-term gradient is affine in u with the symmetric Jacobian ÃᵀÃ, so
/// a cotangent ḡ of ∇E(u) contributes ÃᵀÃ ḡ to ū (`DataTerm::gradient_vjp`) and −Ã ḡ to ỹ
/// (`DataTerm::gradient_vjp_data`), i.e. −Ã ḡ/‖A‖ to the measurement cotangent ȳ. The method is itself a `Layer` whose input is the measurement y and whose output is the
/// reconstruction u, so the training loop treats it like any other network.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// Settings of `LearnedProximalGradient` (chained setters; DESIGN.md §4 defaults: 8 iterations, 5 memory
/// channels, separate weights per iteration, no recomputation).
class LearnedProximalGradientOptions {
 public:
  /// Number of unrolled iterations I ≥ 1 (default 8).
  LearnedProximalGradientOptions& iterations(int v) { iterations_ = v; return *this; }
  /// Number of memory channels s (default 5; 0 is allowed).
  LearnedProximalGradientOptions& memory(int v) { memory_ = v; return *this; }
  /// One prox network shared by all iterations instead of one per iteration (default false).
  LearnedProximalGradientOptions& shared_weights(bool v) { shared_ = v; return *this; }
  /// Store only each iteration's input and recompute its forward pass during backward (default false).
  LearnedProximalGradientOptions& checkpointing(bool v) { checkpointing_ = v; return *this; }

  [[nodiscard]] int iterations() const { return iterations_; }
  [[nodiscard]] int memory() const { return memory_; }
  [[nodiscard]] bool shared_weights() const { return shared_; }
  [[nodiscard]] bool checkpointing() const { return checkpointing_; }
  /// The number of networks the method holds: one per iteration, or one with shared weights.
  [[nodiscard]] std::size_t networks() const { return shared_ ? 1 : static_cast<std::size_t>(iterations_); }

 private:
  int iterations_ = 8;
  int memory_ = 5;
  bool shared_ = false;
  bool checkpointing_ = false;
};

/// The learned proximal gradient method (paper, Algorithm 2) for a forward operator `Op` and proximal
/// networks of type `Net` (any `Layer`: equivariant, ordinary, or a user's own) on backend B.
///
/// Channel layout: an image has `c` channels (1 for CT and denoising, 2 for complex MRI); the network of
/// iteration i maps the 2c + m channels [u, ∇E(u), s] to the c + m channels [u, s] (new u, not a residual).
/// As a `Layer`, `forward(y)` reconstructs from measurements y (u₀ = 0); `forward(y, u0, ctx)` starts from
/// a given u₀; `backward(ctx, ū)` accumulates every network's parameter gradients and returns ȳ.
template <TensorBackend B, LinearOperatorOn<B> Op, Layer Net>
class LearnedProximalGradient {
  static_assert(std::same_as<typename Net::backend, B>,
                "LearnedProximalGradient: the proximal network must run on the same tensor backend as the method.");

 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;
  using network_type = Net;
  using operator_type = Op;

  /// What `forward` keeps for `backward`: per iteration either the network's context or (with
  /// checkpointing) only the network's input, from which the context is recomputed.
  struct context {
    std::vector<typename Net::context> nets;  ///< network contexts (empty with checkpointing)
    std::vector<tensor_type> inputs;          ///< network inputs [u, ∇E(u), s] (checkpointing only)
    std::size_t batch = 0;                    ///< batch size of the forward pass
  };

  /// Creates the method from the operator, its norm ‖A‖ (> 0, e.g. `opnorm(op)`, or
  /// the value stored with a trained model), the number of image channels c, the networks (one per
  /// iteration, or exactly one with shared weights) and the options.
  LearnedProximalGradient(Op op, double operator_norm, std::size_t image_channels, std::vector<Net> networks,
                          LearnedProximalGradientOptions options = {})
      : op_(std::move(op)),
        norm_(operator_norm),
        normalised_(normalised(op_, operator_norm)),
        c_(image_channels),
        nets_(std::move(networks)),
        opt_(options) {
    EQR_EXPECTS(opt_.iterations() >= 1, value_error, "LearnedProximalGradient: expected at least 1 iteration, found ",
                opt_.iterations());
    EQR_EXPECTS(opt_.memory() >= 0, value_error, "LearnedProximalGradient: expected a non-negative memory width, found ",
                opt_.memory());
    EQR_EXPECTS(c_ >= 1, value_error, "LearnedProximalGradient: expected at least one image channel, found ", c_);
    const std::size_t expected = opt_.networks();
    EQR_EXPECTS(nets_.size() == expected, value_error, "LearnedProximalGradient: expected ", expected,
                opt_.shared_weights() ? " shared network" : " networks (one per iteration)", ", found ",
                nets_.size());
    const Shape4 d = op_.domain_shape(1);
    EQR_EXPECTS(d.c == c_, shape_error, "LearnedProximalGradient: expected the operator's images to have ", c_,
                " channels, found ", d.c);
  }

  /// The operator norm ‖A‖ used for normalisation (stored with the model).
  [[nodiscard]] double operator_norm() const { return norm_; }
  /// The options.
  [[nodiscard]] const LearnedProximalGradientOptions& options() const { return opt_; }
  /// The operator A (unnormalised).
  [[nodiscard]] const Op& op() const { return op_; }
  /// Number of image channels c.
  [[nodiscard]] std::size_t image_channels() const { return c_; }
  /// Number of input channels each network must accept: 2c + m.
  [[nodiscard]] std::size_t network_in_channels() const { return 2 * c_ + memory(); }
  /// Number of output channels each network must produce: c + m.
  [[nodiscard]] std::size_t network_out_channels() const { return c_ + memory(); }
  /// The network of iteration i (0-based); with shared weights always the same one.
  [[nodiscard]] Net& network(std::size_t i) { return nets_[opt_.shared_weights() ? 0 : i]; }
  [[nodiscard]] const Net& network(std::size_t i) const { return nets_[opt_.shared_weights() ? 0 : i]; }

  /// The normalised data term E(u) = ½‖Ãu − ỹ‖² of measurements y, whose gradient the iterations read:
  /// ∇E(u) = Ãᵀ(Ãu − ỹ) = Aᵀ(Au − y)/‖A‖² (DESIGN.md §3).
  [[nodiscard]] DataTerm<Scaled<Op>> data_term(const tensor_type& y) const {
    tensor_type y_tilde = B::clone(y);
    B::scale(y_tilde, static_cast<scalar_type>(1.0 / norm_));
    return DataTerm<Scaled<Op>>(normalised_, std::move(y_tilde));
  }

  /// Inference from measurements y with u₀ = 0; stores nothing.
  [[nodiscard]] tensor_type forward(const tensor_type& y) const { return run(*this, y, nullptr, nullptr); }
  /// Inference from measurements y and an initial reconstruction u₀.
  [[nodiscard]] tensor_type forward(const tensor_type& y, const tensor_type& u0) const {
    return run(*this, y, &u0, nullptr);
  }
  /// Training forward pass with u₀ = 0, filling ctx for `backward`.
  tensor_type forward(const tensor_type& y, context& ctx) { return run(*this, y, nullptr, &ctx); }
  /// Training forward pass from u₀, filling ctx for `backward`.
  tensor_type forward(const tensor_type& y, const tensor_type& u0, context& ctx) { return run(*this, y, &u0, &ctx); }

  /// Reverse mode through all iterations: given ū = ∂L/∂u_I, adds every network's parameter gradients
  /// and returns ȳ = ∂L/∂y. With `du0` non-null, also stores ∂L/∂u₀ there.
  tensor_type backward(const context& ctx, const tensor_type& du, tensor_type* du0 = nullptr) {
    const std::size_t iters = static_cast<std::size_t>(opt_.iterations());
    const bool recompute = opt_.checkpointing();
    EQR_EXPECTS((recompute ? ctx.inputs.size() : ctx.nets.size()) == iters, value_error,
                "LearnedProximalGradient::backward: expected the context of a training forward pass with ", iters,
                " iterations, found one with ", recompute ? ctx.inputs.size() : ctx.nets.size());
    const Shape4 image = B::shape(du);
    EQR_EXPECTS(image.c == c_ && image.n == ctx.batch, shape_error,
                "LearnedProximalGradient::backward: expected ū of shape ", ctx.batch, "×", c_, "×H×W, found ", image);
    const std::size_t m = memory();
    const scalar_type inv_norm = static_cast<scalar_type>(1.0 / norm_);
    tensor_type du_cur = B::clone(du);
    tensor_type ds = B::zeros(Shape4{image.n, m, image.h, image.w});
    tensor_type dy;
    bool have_dy = false;
    for (std::size_t k = iters; k-- > 0;) {
      tensor_type dout = m > 0 ? B::concat_channels({std::cref(du_cur), std::cref(ds)}) : du_cur;
      tensor_type dx;
      if (recompute) {
        typename Net::context c;
        (void)network(k).forward(ctx.inputs[k], c);
        dx = network(k).backward(c, dout);
      } else {
        dx = network(k).backward(ctx.nets[k], dout);
      }
      // dx = [ū_direct, ḡ, s̄]; g = Ãᵀ(Ãu − ỹ) gives ū += ÃᵀÃ ḡ and ỹ̄ = −Ã ḡ, i.e. ȳ += −Ã ḡ/‖A‖.
      tensor_type du_direct = B::slice_channels(dx, 0, c_);
      const tensor_type dg = B::slice_channels(dx, c_, c_);
      const tensor_type a_dg = normalised_.apply(dg);  // Ã ḡ, read twice: ȳ and ÃᵀÃ ḡ
      if (have_dy) {
        B::axpy(-inv_norm, a_dg, dy);
      } else {
        dy = B::clone(a_dg);
        B::scale(dy, -inv_norm);
        have_dy = true;
      }
      B::axpy(scalar_type(1), normalised_.adjoint(a_dg), du_direct);
      du_cur = std::move(du_direct);
      if (m > 0) ds = B::slice_channels(dx, 2 * c_, m);
    }
    if (du0 != nullptr) *du0 = std::move(du_cur);
    return dy;
  }

  /// Calls f(name, parameter) for every parameter: "iteration<i>.<…>" per iteration, or "prox.<…>" when
  /// the weights are shared (the names checkpoints and optimiser state use).
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    if (opt_.shared_weights()) {
      nets_[0].visit_parameters(nn::child_name(prefix, "prox"), f);
      return;
    }
    for (std::size_t i = 0; i < nets_.size(); ++i)
      nets_[i].visit_parameters(nn::child_name(prefix, "iteration" + std::to_string(i)), f);
  }

 private:
  [[nodiscard]] std::size_t memory() const { return static_cast<std::size_t>(opt_.memory()); }

  /// The unrolled loop of Algorithm 2; with ctx non-null (Self non-const) it records what backward needs.
  template <class Self>
  static tensor_type run(Self& self, const tensor_type& y, const tensor_type* u0, context* ctx) {
    const auto& op_ = self.op_;
    const std::size_t c_ = self.c_;
    const auto& opt_ = self.opt_;
    const auto memory = [&self] { return self.memory(); };
    const std::size_t iters = static_cast<std::size_t>(opt_.iterations());
    const std::size_t n = B::shape(y).n;
    const Shape4 image = op_.domain_shape(n);
    const auto data = self.data_term(y);
    tensor_type u = u0 != nullptr ? B::clone(*u0) : B::zeros(image);
    EQR_EXPECTS(B::shape(u) == image, shape_error, "LearnedProximalGradient: expected u0 of shape ", image,
                ", found ", B::shape(u));
    tensor_type s = B::zeros(Shape4{n, memory(), image.h, image.w});
    if (ctx != nullptr) {
      ctx->nets.clear();
      ctx->inputs.clear();
      ctx->batch = n;
      if (opt_.checkpointing()) ctx->inputs.reserve(iters); else ctx->nets.resize(iters);
    }
    for (std::size_t k = 0; k < iters; ++k) {
      const tensor_type g = data.gradient(u);
      tensor_type x = memory() > 0 ? B::concat_channels({std::cref(u), std::cref(g), std::cref(s)})
                                   : B::concat_channels({std::cref(u), std::cref(g)});
      tensor_type out;
      if constexpr (std::is_const_v<Self>) {
        out = self.network(k).forward(x);
      } else {
        if (ctx == nullptr) {
          out = self.network(k).forward(x);
        } else if (opt_.checkpointing()) {
          out = self.network(k).forward(x);
          ctx->inputs.push_back(std::move(x));
        } else {
          out = self.network(k).forward(x, ctx->nets[k]);
        }
      }
      const Shape4 os = B::shape(out);
      EQR_EXPECTS(os.c == c_ + memory() && os.h == image.h && os.w == image.w, shape_error,
                  "LearnedProximalGradient: expected the network of iteration ", k, " to output ", n, "×",
                  c_ + memory(), "×", image.h, "×", image.w, " ([u, s]), found ", os);
      u = B::slice_channels(out, 0, c_);
      if (memory() > 0) s = B::slice_channels(out, c_, memory());
    }
    return u;
  }

  Op op_;
  double norm_;
  Scaled<Op> normalised_;
  std::size_t c_;
  std::vector<Net> nets_;
  LearnedProximalGradientOptions opt_;
};

/// The method with its networks exported to plain convolutions (layers/export.hpp): the same output at an
/// ordinary CNN's cost.
template <TensorBackend B, LinearOperatorOn<B> Op, Layer Net>
[[nodiscard]] auto export_network(const LearnedProximalGradient<B, Op, Net>& m) {
  std::vector<exported_t<Net>> nets;
  for (std::size_t i = 0; i < m.options().networks(); ++i) nets.push_back(export_network(m.network(i)));
  return LearnedProximalGradient<B, Op, exported_t<Net>>(m.op(), m.operator_norm(), m.image_channels(), std::move(nets),
                                                         m.options());
}

}  // namespace eqr
