/// @file layers/nonlinearities.hpp
/// Nonlinearities of equivariant networks (paper, §3.2):
/// - `ActivationLayer<B>`: a pointwise φ on plain channels (the ordinary CNN);
/// - `PointwiseNonlinearity<F, B>`: the same φ on a feature map of type F — admitted only when every field of F
///   is a permutation representation (trivial, regular): then ρ(g) permutes channels and φ(ρ(g)f) = ρ(g)φ(f).
///   On any other field (an irrep) it does not commute with the action, so it does not compile;
/// - `NormNonlinearity<F, B>`: for any orthogonal field, f ↦ ReLU(|f| + b)·f/|f| with a learnable bias b per
///   field: |ρ(g)f| = |f|, so it is equivariant for every field type.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/norm_kernels.hpp"
#include "eqr/config.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/reps/field_type.hpp"

namespace eqr {

/// A pointwise nonlinearity y = φ(x) on plain channels (a `Layer` without field types, no parameters).
template <TensorBackend B>
class ActivationLayer {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;
  /// What `backward` needs: the forward input (φ' is evaluated there).
  struct context {
    tensor x;
  };

  /// φ = `activation` (default: the paper's leaky ReLU with slope 0.01). Throws value_error for a bad parameter.
  explicit ActivationLayer(Activation activation = Activation::leaky_relu(0.01)) : phi_(activation) {
    expect_valid(phi_);
  }

  tensor forward(const tensor& x, context& ctx) const {
    ctx.x = x;
    return B::activation_forward(x, phi_);
  }
  tensor forward(const tensor& x) const { return B::activation_forward(x, phi_); }
  /// dx = φ'(x) ⊙ dy.
  tensor backward(const context& ctx, const tensor& dy) const { return B::activation_backward(ctx.x, dy, phi_); }
  /// No parameters.
  template <class F>
  void visit_parameters(const std::string&, F&&) {}

  const Activation& activation() const { return phi_; }

 private:
  Activation phi_;
};

namespace detail {
/// Instantiated with the field type, so that the diagnostic names it.
template <class F, bool Permutation = F::permutation>
struct pointwise_admissible {
  static_assert(Permutation,
                "PointwiseNonlinearity<F, B>: a pointwise nonlinearity is equivariant only on fields whose "
                "representation permutes the channels (trivial or regular fields); this field type contains an "
                "irrep or another non-permutation field - use NormNonlinearity for it.");
  static constexpr bool value = true;
};
}  // namespace detail

/// φ applied to every channel of a feature map of type F, F made only of permutation fields (an
/// `EquivariantLayer`, type F → F).  Applying it to an irrep field is a compile-time error.
template <FieldTypeLike F, TensorBackend B>
class PointwiseNonlinearity : public ActivationLayer<B> {
  static_assert(detail::pointwise_admissible<F>::value);

 public:
  using in_type = F;
  using out_type = F;
  using typename ActivationLayer<B>::tensor;
  using typename ActivationLayer<B>::context;

  /// φ = `activation` (default: leaky ReLU, slope 0.01). Throws value_error for a bad parameter.
  explicit PointwiseNonlinearity(Activation activation = Activation::leaky_relu(0.01))
      : ActivationLayer<B>(activation) {}

  tensor forward(const tensor& x, context& ctx) const {
    check_input(x);
    return ActivationLayer<B>::forward(x, ctx);
  }
  tensor forward(const tensor& x) const {
    check_input(x);
    return ActivationLayer<B>::forward(x);
  }

 private:
  static void check_input(const tensor& x) {
    EQR_EXPECTS(B::shape(x).c == static_cast<std::size_t>(F::channels()), shape_error, "PointwiseNonlinearity on ",
                F::name(), ": expected ", F::channels(), " channels, found ", B::shape(x));
  }
};

/// The norm nonlinearity on a feature map of type F (any orthogonal fields; an `EquivariantLayer` F → F):
///
///     y_f = s(|x_f|) · x_f,   s(n) = ReLU(n + b_f) / n  for n > ε,   s(n) = 0 for n ≤ ε,
///
/// for each field f (its channels x_f ∈ R^d), with one learnable bias b_f per field (parameter "bias",
/// 1 × n_fields × 1 × 1, zero-initialised unless given). Derivative, for n > ε (u = x_f/n, ⟨·,·⟩ over the field):
/// dx_f = s·dy_f + s'(n)·⟨dy_f, x_f⟩·u,  s'(n) = (H(n + b)·n − ReLU(n + b))/n²;  ∇b_f += Σ H(n + b)·⟨dy_f, x_f⟩/n
/// (H(0) = 0, the left derivative, as for ReLU). At n ≤ ε (ε = 1e-6, e2cnn's convention of a zero
/// multiplier for vanishing norms) the output and the derivative are zero, so nothing divides by zero.
/// The arithmetic is the backend's `norm_kernels<B>` (backends/norm_kernels.hpp): on the host by default, on
/// the device for LibTorch. It is not part of the paper's networks, which use pointwise φ on regular fields.
template <FieldTypeLike F, TensorBackend B>
class NormNonlinearity {
 public:
  using backend = B;
  using in_type = F;
  using out_type = F;
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;
  struct context {
    tensor x;
  };

  /// The norm ReLU with every field's bias set to `initial_bias`.
  explicit NormNonlinearity(double initial_bias = 0.0)
      : bias_(B::full({1, static_cast<std::size_t>(F::field_count()), 1, 1}, static_cast<scalar>(initial_bias))),
        runs_(field_runs()) {
    EQR_EXPECTS(std::isfinite(initial_bias), value_error, "NormNonlinearity: expected a finite bias, found ",
                initial_bias);
  }

  tensor forward(const tensor& x, context& ctx) const {
    ctx.x = x;
    return forward(x);
  }
  tensor forward(const tensor& x) const {
    check_input(x);
    return norm_kernels<B>::forward(runs_, x, bias_.value, epsilon);
  }
  /// dx from dy; adds ∂L/∂b to the bias gradient (see the class comment for the formulas).
  tensor backward(const context& ctx, const tensor& dy) {
    expect_same_shape(B::shape(ctx.x), B::shape(dy), "NormNonlinearity::backward");
    auto [dx, db] = norm_kernels<B>::backward(runs_, ctx.x, dy, bias_.value, epsilon);
    B::axpy(scalar(1), db, bias_.grad);
    return dx;
  }

  /// Visits "prefix.bias".
  template <class Fn>
  void visit_parameters(const std::string& prefix, Fn&& f) {
    f(nn::child_name(prefix, "bias"), bias_);
  }
  nn::Parameter<B>& bias() { return bias_; }

  /// Norms at or below this give a zero output (and zero derivative).
  static constexpr double epsilon = 1e-6;

 private:
  /// F's fields as runs of consecutive fields of one size.
  static std::vector<FieldRun> field_runs() {
    std::vector<FieldRun> runs;
    const auto fields = F::fields();
    for (std::size_t f = 0; f < fields.size(); ++f) {
      const auto d = static_cast<std::size_t>(fields[f].representation.size);
      if (!runs.empty() && runs.back().size == d) {
        ++runs.back().fields;
      } else {
        runs.push_back({static_cast<std::size_t>(fields[f].offset), d, 1, f});
      }
    }
    return runs;
  }
  static void check_input(const tensor& x) {
    EQR_EXPECTS(B::shape(x).c == static_cast<std::size_t>(F::channels()), shape_error, "NormNonlinearity on ",
                F::name(), ": expected ", F::channels(), " channels, found ", B::shape(x));
  }

  nn::Parameter<B> bias_;
  std::vector<FieldRun> runs_;
};

}  // namespace eqr
