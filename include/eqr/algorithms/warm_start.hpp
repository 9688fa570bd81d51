/// @file algorithms/warm_start.hpp
/// `WarmStart`: a learned iterative method started from a linear reconstruction u₀ = W y of its own
/// measurements (filtered back-projection for CT, the zero-filled inverse DFT for MRI) instead of the
/// paper's u₀ = 0 (Algorithm 2, first line). The learned iterations then refine a classical reconstruction
/// rather than build one from nothing, which matters when the training budget is small.
#pragma once

#include <concepts>
#include <string>
#include <utility>

#include "eqr/layers/concepts.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// A learned method that can start from a given u₀: besides the `Layer` interface (which starts at
/// u₀ = 0) it has `forward(y, u0, ctx)`, `forward(y, u0)` and `backward(ctx, dū, &dū₀)`, which returns ȳ and
/// stores ū₀ = ∂L/∂u₀ (`LearnedProximalGradient` is one).
template <class M>
concept WarmStartable =
    Layer<M> && requires(M& m, const M& const_m, const typename M::backend::tensor_type& t, typename M::context& ctx,
                         const typename M::context& const_ctx, typename M::backend::tensor_type* du0) {
      { m.forward(t, t, ctx) } -> std::same_as<typename M::backend::tensor_type>;
      { const_m.forward(t, t) } -> std::same_as<typename M::backend::tensor_type>;
      { m.backward(const_ctx, t, du0) } -> std::same_as<typename M::backend::tensor_type>;
    };

/// The method M started from u₀ = W y, where W is a linear map from measurements to images: a `Layer`
/// from measurements to images. Its parameters are M's under the same names, so a checkpoint of M loads
/// into WarmStart<M, W> and back. Because W is linear, the gradient with respect to the measurements is
/// exact: ȳ = ȳ_M + Wᵀ ū₀.
template <WarmStartable M, LinearOperatorOn<typename M::backend> W>
class WarmStart {
 public:
  using backend = typename M::backend;
  using tensor_type = typename backend::tensor_type;
  using context = typename M::context;

  /// Starts `method` from `initial.apply(y)`; `initial.adjoint` must be its transpose.
  WarmStart(M method, W initial) : method_(std::move(method)), initial_(std::move(initial)) {}

  /// Inference: M from u₀ = W y; stores nothing.
  [[nodiscard]] tensor_type forward(const tensor_type& y) const { return method_.forward(y, initial_.apply(y)); }
  /// Training forward pass, filling ctx for `backward`.
  tensor_type forward(const tensor_type& y, context& ctx) { return method_.forward(y, initial_.apply(y), ctx); }
  /// Accumulates M's parameter gradients and returns ȳ = ȳ_M + Wᵀ ū₀.
  tensor_type backward(const context& ctx, const tensor_type& du) {
    tensor_type du0;
    tensor_type dy = method_.backward(ctx, du, &du0);
    return backend::add(dy, initial_.adjoint(du0));
  }

  /// M's parameters, under M's names.
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    method_.visit_parameters(prefix, std::forward<F>(f));
  }

  [[nodiscard]] M& method() { return method_; }
  [[nodiscard]] const M& method() const { return method_; }
  [[nodiscard]] const W& initial() const { return initial_; }

 private:
  M method_;
  W initial_;
};

/// The warm-started method with its networks exported (layers/export.hpp); the initial reconstruction is kept.
template <WarmStartable M, LinearOperatorOn<typename M::backend> W>
[[nodiscard]] auto export_network(const WarmStart<M, W>& w) {
  return WarmStart<exported_t<M>, W>(export_network(w.method()), w.initial());
}

}  // namespace eqr
