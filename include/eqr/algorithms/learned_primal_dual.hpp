/// @file algorithms/learned_primal_dual.hpp
/// `LearnedPrimalDual`: the learned primal-dual method of Adler & Öktem ("Learned primal-dual
/// reconstruction", IEEE TMI 37(6), 2018, Algorithm 3), with its hand-written reverse mode through every
/// iteration and optional per-iteration recomputation (gradient checkpointing); its factories, among them the
/// equivariant variant the paper's closing remark proposes (equivariant primal networks, ordinary dual
/// networks over the sinogram / k-space), are in algorithms/learned_factories.hpp.
///
/// The method, in the LPD paper's notation (primal f in image space, dual h in measurement space,
/// Np / Nd memory channel groups, Λ_i primal and Γ_i dual networks), with the *normalised* operator
/// Ã = A/‖A‖ and data ỹ = y/‖A‖ as in `LearnedProximalGradient` (DESIGN.md §3):
/// ```
///   f ← f₀ (N × Np·c: the image in the first c channels, e.g. FBP, or 0),   h ← 0 (N × Nd·c_y)
///   for i = 1..I:
///       h ← h + Γ_i([h, Ã f⁽ᵈ⁾, ỹ])       (Nd + 2)·c_y channels → Nd·c_y channels
///       f ← f + Λ_i([f, Ãᵀ h⁽¹⁾])         (Np + 1)·c   channels → Np·c   channels
///   return f⁽¹⁾
/// ```
/// f⁽ᵏ⁾ / h⁽ᵏ⁾ are the k-th image-sized (c channels) / measurement-sized (c_y channels) groups; c is 1
/// for CT and denoising, 2 for complex MRI; c_y is 1 for a sinogram, 2 for k-space. Both updates are
/// residual, as in Adler & Öktem's Algorithm 3 (unlike the paper's LPG prox, which outputs the new u):
/// each network learns a correction to its state, and a network whose output is zero leaves it as it is.
///
/// The group f⁽ᵈ⁾ the dual step reads is `LearnedPrimalDualOptions::dual_reads`:
/// - `PrimalChannel::second` (default, Adler & Öktem's Algorithm 3 and their published code): d = 2, i.e.
///   h ← Γ(h, K(f⁽²⁾), g), while the primal step uses f⁽¹⁾ through [∂K(f⁽¹⁾)]*(h⁽¹⁾) = Kᵀh⁽¹⁾ for linear K.
///   The primal network thus keeps a separate "operator input" f⁽²⁾ beside the reconstruction f⁽¹⁾. With a
///   primal memory Np = 1 there is no second group and the dual step reads f⁽¹⁾ (d = 1). An f₀ given as an
///   image fills only f⁽¹⁾, so with Np ≥ 2 the first dual step sees Ã f⁽²⁾ = 0; give a full primal state
///   (e.g. the image copied into every group) to start the operator input from it too.
/// - `PrimalChannel::first`: d = 1, the operator is evaluated on the current reconstruction f⁽¹⁾, so the dual
///   network always sees the data residual of the image it returns (this library's earlier choice).
///
/// A further difference from Adler & Öktem: their networks are three 3×3 convolutions with PReLU; here any
/// `Layer` can be used, and the factories build the paper's proximal network shape (lift, zero-initialised
/// residual block, projection; leaky ReLU).
/// Because Ã and ỹ carry the same factor 1/‖A‖, the method depends on A and y only through A/‖A‖ and
/// y/‖A‖, so rescaling the geometry's units leaves its output unchanged.
///
/// Reverse mode (DESIGN.md §3b): with f̄, h̄ the cotangents of the state after an iteration, the primal
/// step gives f̄ ← f̄ + x̄_p[f] and, through b = Ãᵀh⁽¹⁾, h̄⁽¹⁾ ← h̄⁽¹⁾ + Ã b̄; the dual step then gives
/// h̄ ← h̄ + x̄_d[h], f̄⁽ᵈ⁾ ← f̄⁽ᵈ⁾ + Ãᵀ ā through a = Ã f⁽ᵈ⁾, and ȳ ← ȳ + x̄_d[ỹ]/‖A‖.
///
/// Padding: the primal networks work on images and use replicate padding (the paper's choice, which
/// commutes with rot90); the dual networks work on sinograms / k-space, where neither border is an image
/// border — a sinogram vanishes beyond the object's shadow and its angle axis wraps around with a detector
/// flip, k-space is periodic — so the dual factory uses zero padding, as Adler & Öktem's 'same'
/// convolutions do. Neither choice makes an ordinary 3×3 dual network commute with the sinogram's rotation
/// rule (a half-turn shift of the angles with a detector flip), so equivariant primal networks alone do not
/// make the method exactly equivariant for CT; pointwise (1×1) dual networks do, as they commute with any
/// rearrangement of the sinogram's pixels (`make_lpd_dual_ordinary(…, kernel_size = 1)`). For denoising (A = id, measurement space = image space),
/// equivariant primal *and* dual networks make it exactly rot90-equivariant (tested).
///
/// Checkpointing keeps per iteration only the two network inputs, [f, Ãᵀh⁽¹⁾] ((Np + 1)·c image planes)
/// and [h, Ãf⁽ᵈ⁾, ỹ] ((Nd + 2)·c_y measurement planes), and recomputes each network's forward pass during
/// backward, so the activations held at once are those of one network; the gradients are bit for bit
/// those of the stored pass (tested).
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
#include "eqr/groups/concepts.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// Which image-sized group of the primal state the dual step of `LearnedPrimalDual` evaluates the operator
/// on: f⁽¹⁾ (`first`, the current reconstruction) or f⁽²⁾ (`second`, Adler & Öktem's choice; f⁽¹⁾ when the
/// primal memory is 1).
enum class PrimalChannel {
  first,   ///< dual step reads Ã f⁽¹⁾
  second,  ///< dual step reads Ã f⁽²⁾ (Ã f⁽¹⁾ when Np = 1)
};

/// Settings of `LearnedPrimalDual` (chained setters; Adler & Öktem's defaults: 10 iterations, 5 primal
/// and 5 dual memory channel groups, separate weights per iteration, the dual step reading f⁽²⁾, no
/// recomputation).
class LearnedPrimalDualOptions {
 public:
  /// Number of unrolled iterations I ≥ 1 (default 10).
  LearnedPrimalDualOptions& iterations(int v) { iterations_ = v; return *this; }
  /// Number Np ≥ 1 of image-sized channel groups of the primal state f (default 5).
  LearnedPrimalDualOptions& primal_memory(int v) { primal_memory_ = v; return *this; }
  /// Number Nd ≥ 1 of measurement-sized channel groups of the dual state h (default 5).
  LearnedPrimalDualOptions& dual_memory(int v) { dual_memory_ = v; return *this; }
  /// One primal and one dual network shared by all iterations instead of one pair per iteration.
  LearnedPrimalDualOptions& shared_weights(bool v) { shared_ = v; return *this; }
  /// Store only each iteration's network inputs and recompute their forward passes during backward.
  LearnedPrimalDualOptions& checkpointing(bool v) { checkpointing_ = v; return *this; }
  /// The primal group f⁽ᵈ⁾ the dual step h ← h + Γ([h, Ã f⁽ᵈ⁾, ỹ]) reads: `PrimalChannel::second` (default,
  /// Adler & Öktem's K(f⁽²⁾); f⁽¹⁾ when the primal memory is 1) or `PrimalChannel::first` (f⁽¹⁾).
  LearnedPrimalDualOptions& dual_reads(PrimalChannel v) { dual_reads_ = v; return *this; }

  [[nodiscard]] int iterations() const { return iterations_; }
  [[nodiscard]] int primal_memory() const { return primal_memory_; }
  [[nodiscard]] int dual_memory() const { return dual_memory_; }
  [[nodiscard]] bool shared_weights() const { return shared_; }
  [[nodiscard]] bool checkpointing() const { return checkpointing_; }
  [[nodiscard]] PrimalChannel dual_reads() const { return dual_reads_; }
  /// The number of primal (and of dual) networks the method holds: one per iteration, or one of each with
  /// shared weights.
  [[nodiscard]] std::size_t networks() const { return shared_ ? 1 : static_cast<std::size_t>(iterations_); }

 private:
  int iterations_ = 10;
  int primal_memory_ = 5;
  int dual_memory_ = 5;
  bool shared_ = false;
  bool checkpointing_ = false;
  PrimalChannel dual_reads_ = PrimalChannel::second;
};

/// The learned primal-dual method (Adler & Öktem 2018) for a forward operator `Op`, primal networks of
/// type `Primal` and dual networks of type `Dual` (any `Layer`s on backend B).
///
/// As a `Layer`, `forward(y)` reconstructs from measurements y (f₀ = 0); `forward(y, f0, ctx)` starts
/// from a given f₀, either an image (c channels; the memory starts at zero) or a full primal state
/// (Np·c channels); `backward(ctx, ū)` accumulates every network's parameter gradients and returns ȳ.
template <TensorBackend B, LinearOperatorOn<B> Op, Layer Primal, Layer Dual>
class LearnedPrimalDual {
  static_assert(std::same_as<typename Primal::backend, B>,
                "LearnedPrimalDual: the primal network must run on the same tensor backend as the method.");
  static_assert(std::same_as<typename Dual::backend, B>,
                "LearnedPrimalDual: the dual network must run on the same tensor backend as the method.");

 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;
  using primal_network_type = Primal;
  using dual_network_type = Dual;
  using operator_type = Op;

  /// What `forward` keeps for `backward`: per iteration either both networks' contexts or (with
  /// checkpointing) only their inputs, from which the contexts are recomputed.
  struct context {
    std::vector<typename Primal::context> primal;  ///< primal network contexts (empty with checkpointing)
    std::vector<typename Dual::context> dual;      ///< dual network contexts (empty with checkpointing)
    std::vector<tensor_type> primal_inputs;        ///< [f, Ãᵀh⁽¹⁾] per iteration (checkpointing only)
    std::vector<tensor_type> dual_inputs;          ///< [h, Ãf⁽ᵈ⁾, ỹ] per iteration (checkpointing only)
    std::size_t batch = 0;                         ///< batch size of the forward pass
    std::size_t initial_channels = 0;              ///< channels of the f₀ given (c when none was given)
  };

  /// Creates the method from the operator, its norm ‖A‖ (> 0, e.g. `opnorm(op)`, or
  /// the value stored with a trained model), the image channels c, the measurement channels c_y, the
  /// networks (one pair per iteration, or exactly one of each with shared weights) and the options.
  LearnedPrimalDual(Op op, double operator_norm, std::size_t image_channels, std::size_t measurement_channels,
                    std::vector<Primal> primal_networks, std::vector<Dual> dual_networks,
                    LearnedPrimalDualOptions options = {})
      : op_(std::move(op)),
        norm_(operator_norm),
        normalised_(normalised(op_, operator_norm)),
        c_(image_channels),
        cy_(measurement_channels),
        primal_(std::move(primal_networks)),
        dual_(std::move(dual_networks)),
        opt_(options) {
    EQR_EXPECTS(opt_.iterations() >= 1, value_error, "LearnedPrimalDual: expected at least 1 iteration, found ",
                opt_.iterations());
    EQR_EXPECTS(opt_.primal_memory() >= 1, value_error,
                "LearnedPrimalDual: expected a primal memory of at least 1 channel group, found ", opt_.primal_memory());
    EQR_EXPECTS(opt_.dual_memory() >= 1, value_error,
                "LearnedPrimalDual: expected a dual memory of at least 1 channel group, found ", opt_.dual_memory());
    EQR_EXPECTS(c_ >= 1, value_error, "LearnedPrimalDual: expected at least one image channel, found ", c_);
    EQR_EXPECTS(cy_ >= 1, value_error, "LearnedPrimalDual: expected at least one measurement channel, found ", cy_);
    const std::size_t expected = opt_.networks();
    EQR_EXPECTS(primal_.size() == expected, value_error, "LearnedPrimalDual: expected ", expected,
                opt_.shared_weights() ? " shared primal network, found " : " primal networks (one per iteration), found ",
                primal_.size());
    EQR_EXPECTS(dual_.size() == expected, value_error, "LearnedPrimalDual: expected ", expected,
                opt_.shared_weights() ? " shared dual network, found " : " dual networks (one per iteration), found ",
                dual_.size());
    const Shape4 d = op_.domain_shape(1);
    EQR_EXPECTS(d.c == c_, shape_error, "LearnedPrimalDual: expected the operator's images to have ", c_,
                " channels, found ", d.c);
    const Shape4 r = op_.range_shape(1);
    EQR_EXPECTS(r.c == cy_, shape_error, "LearnedPrimalDual: expected the operator's measurements to have ", cy_,
                " channels, found ", r.c);
  }

  /// The operator norm ‖A‖ used for normalisation (stored with the model).
  [[nodiscard]] double operator_norm() const { return norm_; }
  /// The options.
  [[nodiscard]] const LearnedPrimalDualOptions& options() const { return opt_; }
  /// The operator A (unnormalised).
  [[nodiscard]] const Op& op() const { return op_; }
  /// Number of image channels c.
  [[nodiscard]] std::size_t image_channels() const { return c_; }
  /// Number of measurement channels c_y.
  [[nodiscard]] std::size_t measurement_channels() const { return cy_; }
  /// Number of input channels each primal network must accept: (Np + 1)·c.
  [[nodiscard]] std::size_t primal_in_channels() const { return (primal_memory() + 1) * c_; }
  /// Number of output channels each primal network must produce: Np·c.
  [[nodiscard]] std::size_t primal_out_channels() const { return primal_memory() * c_; }
  /// Number of input channels each dual network must accept: (Nd + 2)·c_y.
  [[nodiscard]] std::size_t dual_in_channels() const { return (dual_memory() + 2) * cy_; }
  /// Number of output channels each dual network must produce: Nd·c_y.
  [[nodiscard]] std::size_t dual_out_channels() const { return dual_memory() * cy_; }
  /// The 0-based index d − 1 of the primal group f⁽ᵈ⁾ the dual step reads: 1 for `PrimalChannel::second`
  /// with Np ≥ 2, otherwise 0.
  [[nodiscard]] std::size_t dual_reads_group() const {
    return opt_.dual_reads() == PrimalChannel::second && primal_memory() >= 2 ? 1 : 0;
  }
  /// The primal network Λ of iteration i (0-based); with shared weights always the same one.
  [[nodiscard]] Primal& primal_network(std::size_t i) { return primal_[opt_.shared_weights() ? 0 : i]; }
  [[nodiscard]] const Primal& primal_network(std::size_t i) const { return primal_[opt_.shared_weights() ? 0 : i]; }
  /// The dual network Γ of iteration i (0-based); with shared weights always the same one.
  [[nodiscard]] Dual& dual_network(std::size_t i) { return dual_[opt_.shared_weights() ? 0 : i]; }
  [[nodiscard]] const Dual& dual_network(std::size_t i) const { return dual_[opt_.shared_weights() ? 0 : i]; }

  /// Inference from measurements y with f₀ = 0; stores nothing.
  [[nodiscard]] tensor_type forward(const tensor_type& y) const { return run(*this, y, nullptr, nullptr); }
  /// Inference from measurements y and an initial image (c channels) or primal state (Np·c channels) f₀.
  [[nodiscard]] tensor_type forward(const tensor_type& y, const tensor_type& f0) const {
    return run(*this, y, &f0, nullptr);
  }
  /// Training forward pass with f₀ = 0, filling ctx for `backward`.
  tensor_type forward(const tensor_type& y, context& ctx) { return run(*this, y, nullptr, &ctx); }
  /// Training forward pass from f₀, filling ctx for `backward`.
  tensor_type forward(const tensor_type& y, const tensor_type& f0, context& ctx) { return run(*this, y, &f0, &ctx); }

  /// Reverse mode through all iterations: given ū = ∂L/∂f⁽¹⁾ of the output, adds every network's
  /// parameter gradients and returns ȳ = ∂L/∂y. With `df0` non-null, also stores ∂L/∂f₀ there (of the
  /// shape of the f₀ given to forward, c channels when none was given).
  tensor_type backward(const context& ctx, const tensor_type& du, tensor_type* df0 = nullptr);

  /// Calls f(name, parameter) for every parameter: "iteration<i>.primal.<…>" and "iteration<i>.dual.<…>"
  /// per iteration, or "primal.<…>" and "dual.<…>" when the weights are shared (the names checkpoints
  /// and optimiser state use).
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    if (opt_.shared_weights()) {
      primal_[0].visit_parameters(nn::child_name(prefix, "primal"), f);
      dual_[0].visit_parameters(nn::child_name(prefix, "dual"), f);
      return;
    }
    for (std::size_t i = 0; i < primal_.size(); ++i) {
      const std::string it = nn::child_name(prefix, "iteration" + std::to_string(i));
      primal_[i].visit_parameters(nn::child_name(it, "primal"), f);
      dual_[i].visit_parameters(nn::child_name(it, "dual"), f);
    }
  }

 private:
  [[nodiscard]] std::size_t primal_memory() const { return static_cast<std::size_t>(opt_.primal_memory()); }
  [[nodiscard]] std::size_t dual_memory() const { return static_cast<std::size_t>(opt_.dual_memory()); }


  template <class Self>
  static tensor_type run(Self& self, const tensor_type& y, const tensor_type* f0, context* ctx);

  Op op_;
  double norm_;
  Scaled<Op> normalised_;
  std::size_t c_;
  std::size_t cy_;
  std::vector<Primal> primal_;
  std::vector<Dual> dual_;
  LearnedPrimalDualOptions opt_;
};

// ---------------------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------------------

/// The unrolled loop; with ctx non-null (Self non-const) it records what backward needs.
template <TensorBackend B, LinearOperatorOn<B> Op, Layer Primal, Layer Dual>
template <class Self>
typename B::tensor_type LearnedPrimalDual<B, Op, Primal, Dual>::run(Self& self, const tensor_type& y,
                                                                    const tensor_type* f0, context* ctx) {
  const std::size_t iters = static_cast<std::size_t>(self.opt_.iterations());
  const std::size_t c = self.c_, cy = self.cy_, np = self.primal_memory(), nd = self.dual_memory();
  const std::size_t read = self.dual_reads_group();
  const Shape4 ys = B::shape(y);
  const std::size_t n = ys.n;
  const Shape4 image = self.op_.domain_shape(n);
  const Shape4 meas = self.op_.range_shape(n);
  EQR_EXPECTS(ys == meas, shape_error, "LearnedPrimalDual: expected measurements y of shape ", meas, ", found ", ys);
  const Shape4 state_f{n, np * c, image.h, image.w};
  const Shape4 state_h{n, nd * cy, meas.h, meas.w};

  // f ← f₀: an image in the first c channels (memory zero), a full primal state, or zero.
  tensor_type f = B::zeros(state_f);
  if (f0 != nullptr) {
    const Shape4 s = B::shape(*f0);
    const bool as_image = s == image;
    EQR_EXPECTS(as_image || s == state_f, shape_error, "LearnedPrimalDual: expected f0 of shape ", image,
                " (an image) or ", state_f, " (a primal state), found ", s);
    if (as_image) B::add_to_channels(f, 0, *f0); else f = B::clone(*f0);
  }
  tensor_type h = B::zeros(state_h);
  // ỹ = y/‖A‖.
  tensor_type y_tilde = B::clone(y);
  B::scale(y_tilde, static_cast<scalar_type>(1.0 / self.norm_));

  if (ctx != nullptr) {
    ctx->primal.clear();
    ctx->dual.clear();
    ctx->primal_inputs.clear();
    ctx->dual_inputs.clear();
    ctx->batch = n;
    ctx->initial_channels = f0 != nullptr ? B::shape(*f0).c : c;
    if (self.opt_.checkpointing()) {
      ctx->primal_inputs.reserve(iters);
      ctx->dual_inputs.reserve(iters);
    } else {
      ctx->primal.resize(iters);
      ctx->dual.resize(iters);
    }
  }
  // One network evaluation: inference, recorded input (checkpointing) or recorded context.
  const auto apply = [ctx, &self](auto& net, tensor_type& x, std::vector<tensor_type>* inputs, auto* contexts,
                                  std::size_t k) -> tensor_type {
    if constexpr (std::is_const_v<Self>) {
      (void)ctx, (void)self, (void)inputs, (void)contexts, (void)k;
      return net.forward(x);
    } else {
      if (ctx == nullptr) return net.forward(x);
      if (self.opt_.checkpointing()) {
        tensor_type out = net.forward(x);
        inputs->push_back(std::move(x));
        return out;
      }
      return net.forward(x, (*contexts)[k]);
    }
  };

  for (std::size_t k = 0; k < iters; ++k) {
    // Dual step: h ← h + Γ_k([h, Ã f⁽ᵈ⁾, ỹ]).
    {
      const tensor_type a = self.normalised_.apply(B::slice_channels(f, read * c, c));
      tensor_type x = B::concat_channels({std::cref(h), std::cref(a), std::cref(y_tilde)});
      const tensor_type out = apply(self.dual_network(k), x, ctx ? &ctx->dual_inputs : nullptr,
                                    ctx ? &ctx->dual : nullptr, k);
      EQR_EXPECTS(B::shape(out) == state_h, shape_error, "LearnedPrimalDual: expected the dual network of iteration ",
                  k, " to output ", state_h, " (the dual update), found ", B::shape(out));
      B::axpy(scalar_type(1), out, h);
    }
    // Primal step: f ← f + Λ_k([f, Ãᵀ h⁽¹⁾]).
    {
      const tensor_type b = self.normalised_.adjoint(B::slice_channels(h, 0, cy));
      tensor_type x = B::concat_channels({std::cref(f), std::cref(b)});
      const tensor_type out = apply(self.primal_network(k), x, ctx ? &ctx->primal_inputs : nullptr,
                                    ctx ? &ctx->primal : nullptr, k);
      EQR_EXPECTS(B::shape(out) == state_f, shape_error,
                  "LearnedPrimalDual: expected the primal network of iteration ", k, " to output ", state_f,
                  " (the primal update), found ", B::shape(out));
      B::axpy(scalar_type(1), out, f);
    }
  }
  return B::slice_channels(f, 0, c);
}

template <TensorBackend B, LinearOperatorOn<B> Op, Layer Primal, Layer Dual>
typename B::tensor_type LearnedPrimalDual<B, Op, Primal, Dual>::backward(const context& ctx, const tensor_type& du,
                                                                         tensor_type* df0) {
  const std::size_t iters = static_cast<std::size_t>(opt_.iterations());
  const bool recompute = opt_.checkpointing();
  const std::size_t recorded = recompute ? ctx.primal_inputs.size() : ctx.primal.size();
  const std::size_t recorded_dual = recompute ? ctx.dual_inputs.size() : ctx.dual.size();
  EQR_EXPECTS(recorded == iters && recorded_dual == iters, value_error,
              "LearnedPrimalDual::backward: expected the context of a training forward pass with ", iters,
              " iterations, found one with ", recorded, " primal and ", recorded_dual, " dual steps");
  const std::size_t n = ctx.batch;
  const Shape4 image = op_.domain_shape(n);
  EQR_EXPECTS(B::shape(du) == image, shape_error, "LearnedPrimalDual::backward: expected ū of shape ", image,
              ", found ", B::shape(du));
  const Shape4 meas = op_.range_shape(n);
  const std::size_t np = primal_memory(), nd = dual_memory(), read = dual_reads_group();
  const scalar_type inv_norm = static_cast<scalar_type>(1.0 / norm_);

  // Cotangents of the state after the last iteration: f̄ = [ū, 0, …], h̄ = 0.
  tensor_type df = B::zeros(Shape4{n, np * c_, image.h, image.w});
  B::add_to_channels(df, 0, du);
  tensor_type dh = B::zeros(Shape4{n, nd * cy_, meas.h, meas.w});
  tensor_type dy = B::zeros(meas);

  for (std::size_t k = iters; k-- > 0;) {
    // Primal step f' = f + Λ([f, b]), b = Ãᵀ h⁽¹⁾ (h after this iteration's dual step).
    tensor_type dxp;
    if (recompute) {
      typename Primal::context pc;
      (void)primal_network(k).forward(ctx.primal_inputs[k], pc);
      dxp = primal_network(k).backward(pc, df);
    } else {
      dxp = primal_network(k).backward(ctx.primal[k], df);
    }
    B::axpy(scalar_type(1), B::slice_channels(dxp, 0, np * c_), df);                  // f̄ += x̄_p[f]
    B::add_to_channels(dh, 0, normalised_.apply(B::slice_channels(dxp, np * c_, c_)));  // h̄⁽¹⁾ += Ã b̄

    // Dual step h' = h + Γ([h, a, ỹ]), a = Ã f⁽ᵈ⁾ (f before this iteration's primal step).
    tensor_type dxd;
    if (recompute) {
      typename Dual::context dc;
      (void)dual_network(k).forward(ctx.dual_inputs[k], dc);
      dxd = dual_network(k).backward(dc, dh);
    } else {
      dxd = dual_network(k).backward(ctx.dual[k], dh);
    }
    B::axpy(scalar_type(1), B::slice_channels(dxd, 0, nd * cy_), dh);                       // h̄ += x̄_d[h]
    B::add_to_channels(df, read * c_, normalised_.adjoint(B::slice_channels(dxd, nd * cy_, cy_)));  // f̄⁽ᵈ⁾ += Ãᵀ ā
    B::axpy(inv_norm, B::slice_channels(dxd, (nd + 1) * cy_, cy_), dy);                     // ȳ += ȳ̃/‖A‖
  }
  if (df0 != nullptr) *df0 = ctx.initial_channels == c_ ? B::slice_channels(df, 0, c_) : std::move(df);
  return dy;
}

/// The method with its equivariant networks exported to plain convolutions (layers/export.hpp): the same
/// output at an ordinary CNN's cost.
template <TensorBackend B, LinearOperatorOn<B> Op, Layer Primal, Layer Dual>
[[nodiscard]] auto export_network(const LearnedPrimalDual<B, Op, Primal, Dual>& m) {
  using Method = LearnedPrimalDual<B, Op, exported_t<Primal>, exported_t<Dual>>;
  std::vector<exported_t<Primal>> primal;
  std::vector<exported_t<Dual>> dual;
  for (std::size_t i = 0; i < m.options().networks(); ++i) {
    primal.push_back(export_network(m.primal_network(i)));
    dual.push_back(export_network(m.dual_network(i)));
  }
  return Method(m.op(), m.operator_norm(), m.image_channels(), m.measurement_channels(), std::move(primal),
                std::move(dual), m.options());
}

}  // namespace eqr
