/// @file layers/conv.hpp
/// `Conv<B>`: the plain 2-D convolution layer (the ordinary CNN baseline of the paper), stride 1, "same"
/// size, odd k×k kernels, zeros or replicate padding, optional bias — and `ConvOptions`, its libtorch-style
/// options.  It is also what an `EquivariantConv` exports to for inference (layers/equivariant_conv.hpp).
///
/// Forward  y = w ⋆ x̃ + b (cross-correlation of the padded input, backends/concepts.hpp);
/// backward dx = (∂y/∂x)ᵀ dy, ∇w += Σ dy ⊗ x̃, ∇b += Σ_{n,i,j} dy — all through the backend's engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/init.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/core/random.hpp"

namespace eqr {

/// The options of a plain convolution: the channel counts and kernel size are required (constructor), the
/// rest are chained setters with defaults — `ConvOptions(96, 96, 3).padding(Padding::replicate).bias(true)
/// .init(nn::Init::he).seed(7)`.  Defaults: zeros padding, with bias, PyTorch's default init, seed 0.
class ConvOptions {
 public:
  /// C_in → C_out channels with a k×k kernel (k odd; checked by `validate`).
  ConvOptions(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size)
      : in_(in_channels), out_(out_channels), k_(kernel_size) {}

  /// How the input is extended beyond its border (default zeros).
  ConvOptions& padding(Padding p) { padding_ = p; return *this; }
  /// Whether the layer adds a learnable bias per output channel (default true).
  ConvOptions& bias(bool b) { bias_ = b; return *this; }
  /// The initialiser of `reset_parameters` (default PyTorch's; e2cnn is refused for plain convolutions).
  ConvOptions& init(nn::Init i) { init_ = i; return *this; }
  /// The seed of the initialiser's random source.
  ConvOptions& seed(std::uint64_t s) { seed_ = s; return *this; }

  std::size_t in_channels() const { return in_; }
  std::size_t out_channels() const { return out_; }
  std::size_t kernel_size() const { return k_; }
  Padding padding() const { return padding_; }
  bool bias() const { return bias_; }
  nn::Init init() const { return init_; }
  std::uint64_t seed() const { return seed_; }

  /// Throws value_error naming the first unusable option.
  void validate() const {
    EQR_EXPECTS(in_ > 0 && out_ > 0, value_error, "Conv: expected at least one input and one output channel, found ",
                in_, " -> ", out_);
    EQR_EXPECTS(k_ % 2 == 1, value_error, "Conv: expected an odd kernel size k, found ", k_);
    EQR_EXPECTS(init_ != nn::Init::e2cnn, value_error,
                "Conv: expected init 'pytorch_default', 'he' or 'zeros', found 'e2cnn' (equivariant layers only)");
  }

 private:
  std::size_t in_, out_, k_;
  Padding padding_ = Padding::zeros;
  bool bias_ = true;
  nn::Init init_ = nn::Init::pytorch_default;
  std::uint64_t seed_ = 0;
};

/// A plain convolution layer C_in → C_out (a `Layer`): parameters "weight" (C_out × C_in × k × k) and, with
/// bias, "bias" (1 × C_out × 1 × 1).  A value type; copies are independent networks (parameters copy deeply on every backend).
template <TensorBackend B>
class Conv {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;

  /// What `backward` needs: the forward input.
  struct context {
    tensor x;
  };

  /// A layer with freshly initialised parameters (`reset_parameters`).
  explicit Conv(ConvOptions options) : options_(std::move(options)) {
    options_.validate();
    reset_parameters();
  }

  /// A layer with the given weights and optional bias (shapes checked against the options).
  Conv(ConvOptions options, tensor weight, std::optional<tensor> bias) : options_(std::move(options)) {
    options_.validate();
    EQR_EXPECTS(B::shape(weight) == weight_shape(), shape_error, "Conv: expected weights of shape ", weight_shape(),
                ", found ", B::shape(weight));
    EQR_EXPECTS(bias.has_value() == options_.bias(), value_error, "Conv: the options say bias = ", options_.bias(),
                " but a bias was ", bias ? "given" : "not given");
    weight_ = nn::Parameter<B>(std::move(weight));
    if (bias) {
      ConvShapes::bias(B::shape(*bias), options_.out_channels(), "Conv");
      bias_ = nn::Parameter<B>(std::move(*bias));
    }
  }

  /// Re-draws the parameters from the options' initialiser and seed (the same seed gives the same values).
  void reset_parameters() {
    Random rng(options_.seed());
    const Shape4 ws = weight_shape();
    const std::size_t fan_in = ws.c * ws.h * ws.w;
    const auto w = nn::init_weights<scalar>(options_.init(), rng, ws.numel(), fan_in);
    weight_ = nn::Parameter<B>(B::from_host(ws, w));
    if (options_.bias()) {
      const auto b = nn::init_bias<scalar>(options_.init(), rng, ws.n, fan_in);
      bias_ = nn::Parameter<B>(B::from_host(bias_shape(ws.n), b));
    } else {
      bias_.reset();
    }
  }

  /// y = w ⋆ x̃ + b; stores x in ctx.
  tensor forward(const tensor& x, context& ctx) const {
    ctx.x = x;
    return forward(x);
  }
  /// y = w ⋆ x̃ + b (inference: stores nothing).
  tensor forward(const tensor& x) const {
    check_input(x);
    return bias_ ? B::conv2d(x, weight_.value, bias_->value, options_.padding())
                 : B::conv2d(x, weight_.value, options_.padding());
  }
  /// dx = (∂y/∂x)ᵀ dy; adds ∂L/∂w and ∂L/∂b to the parameters' gradients.
  tensor backward(const context& ctx, const tensor& dy) {
    B::axpy(scalar(1), B::conv2d_backward_weights(ctx.x, dy, options_.kernel_size(), options_.padding()), weight_.grad);
    if (bias_) B::axpy(scalar(1), B::conv2d_backward_bias(dy), bias_->grad);
    return B::conv2d_backward_data(dy, weight_.value, options_.padding());
  }

  /// Visits "prefix.weight" and, with bias, "prefix.bias".
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    f(nn::child_name(prefix, "weight"), weight_);
    if (bias_) f(nn::child_name(prefix, "bias"), *bias_);
  }

  const ConvOptions& options() const { return options_; }
  const nn::Parameter<B>& weight() const { return weight_; }
  nn::Parameter<B>& weight() { return weight_; }
  /// The bias parameter; throws value_error if the layer has none.
  const nn::Parameter<B>& bias() const {
    EQR_EXPECTS(bias_.has_value(), value_error, "Conv::bias: expected a layer with bias, found one without");
    return *bias_;
  }
  nn::Parameter<B>& bias() {
    EQR_EXPECTS(bias_.has_value(), value_error, "Conv::bias: expected a layer with bias, found one without");
    return *bias_;
  }
  bool has_bias() const { return bias_.has_value(); }

 private:
  Shape4 weight_shape() const {
    return {options_.out_channels(), options_.in_channels(), options_.kernel_size(), options_.kernel_size()};
  }
  void check_input(const tensor& x) const {
    EQR_EXPECTS(B::shape(x).c == options_.in_channels(), shape_error, "Conv: expected an input with ",
                options_.in_channels(), " channels (N×", options_.in_channels(), "×H×W), found ", B::shape(x));
  }

  ConvOptions options_;
  nn::Parameter<B> weight_;
  std::optional<nn::Parameter<B>> bias_;
};

}  // namespace eqr
