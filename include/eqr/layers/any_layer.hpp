/// @file layers/any_layer.hpp
/// `AnyLayer<B>`: a layer of backend B whose concrete type is chosen at run time — an architecture, a group
/// or a width read from a configuration — behind one value type, so that the code around it (an unrolled
/// method, the training loop, checkpoints) is compiled once instead of once per network type.
///
/// Type erasure costs one virtual call per forward or backward of the whole held layer (a proximal network
/// of three convolutions), never inside it, so the hot loops stay static (DESIGN.md §3b). Layers are
/// values: copying an AnyLayer copies the layer it holds.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr {

/// A type-erased `Layer` on backend B (see the file comment). Models `Layer` itself; its parameters keep the
/// held layer's names.
template <TensorBackend B>
class AnyLayer {
  struct ContextBase {
    virtual ~ContextBase() = default;
  };

 public:
  using backend = B;
  using tensor = typename B::tensor_type;
  using visitor = std::function<void(const std::string&, nn::Parameter<B>&)>;

  /// What `forward` keeps for `backward`: the held layer's own context.
  struct context {
    std::unique_ptr<ContextBase> state;
  };

  /// Holds a copy of `layer`.
  template <Layer L>
    requires(!std::same_as<std::remove_cvref_t<L>, AnyLayer>)
  explicit AnyLayer(L layer) : self_(std::make_unique<Model<L>>(std::move(layer))) {
    static_assert(std::same_as<typename L::backend, B>,
                  "AnyLayer<B> holds layers of backend B only: the layer runs on another backend.");
  }
  AnyLayer(const AnyLayer& other) : self_(other.self_->clone()) {}
  AnyLayer& operator=(const AnyLayer& other) {
    if (this != &other) self_ = other.self_->clone();
    return *this;
  }
  AnyLayer(AnyLayer&&) noexcept = default;
  AnyLayer& operator=(AnyLayer&&) noexcept = default;
  ~AnyLayer() = default;

  /// Inference.
  [[nodiscard]] tensor forward(const tensor& x) const { return self_->forward(x); }
  /// Training forward pass, filling ctx.
  tensor forward(const tensor& x, context& ctx) { return self_->forward(x, ctx); }
  /// dx, adding the held layer's parameter gradients.
  tensor backward(const context& ctx, const tensor& dy) {
    EQR_EXPECTS(ctx.state != nullptr, value_error,
                "AnyLayer::backward: expected the context of a training forward pass, found an empty one");
    return self_->backward(ctx, dy);
  }
  /// Calls f(name, parameter) for every parameter of the held layer.
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    self_->visit(prefix, visitor(std::ref(f)));
  }
  /// The held layer with its equivariant convolutions exported to plain ones (`export_network`).
  [[nodiscard]] AnyLayer exported() const { return self_->exported(); }

  /// The held layer if it is an `L`, else nullptr.
  template <Layer L>
  [[nodiscard]] const L* target() const {
    const auto* model = dynamic_cast<const Model<L>*>(self_.get());
    return model == nullptr ? nullptr : &model->layer;
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual std::unique_ptr<Concept> clone() const = 0;
    virtual tensor forward(const tensor& x) const = 0;
    virtual tensor forward(const tensor& x, context& ctx) = 0;
    virtual tensor backward(const context& ctx, const tensor& dy) = 0;
    virtual void visit(const std::string& prefix, const visitor& f) = 0;
    virtual AnyLayer exported() const = 0;
  };
  template <class L>
  struct Model final : Concept {
    struct Context final : ContextBase {
      typename L::context value;
    };
    explicit Model(L l) : layer(std::move(l)) {}
    std::unique_ptr<Concept> clone() const override { return std::make_unique<Model>(layer); }
    tensor forward(const tensor& x) const override { return layer.forward(x); }
    tensor forward(const tensor& x, context& ctx) override {
      auto state = std::make_unique<Context>();
      tensor y = layer.forward(x, state->value);
      ctx.state = std::move(state);
      return y;
    }
    tensor backward(const context& ctx, const tensor& dy) override {
      const auto* state = dynamic_cast<const Context*>(ctx.state.get());
      EQR_EXPECTS(state != nullptr, value_error,
                  "AnyLayer::backward: expected a context of this layer's forward pass, found another layer's");
      return layer.backward(state->value, dy);
    }
    void visit(const std::string& prefix, const visitor& f) override { layer.visit_parameters(prefix, f); }
    AnyLayer exported() const override { return AnyLayer(export_network(layer)); }
    L layer;
  };

  std::unique_ptr<Concept> self_;
};

/// An AnyLayer exported: the held layer's export, again type-erased.
template <TensorBackend B>
[[nodiscard]] AnyLayer<B> export_network(const AnyLayer<B>& layer) {
  return layer.exported();
}

}  // namespace eqr
