// WarmStart needs a method that can start from a given u₀ (forward(y, u0, ctx) and backward(ctx, du, &du0)):
// a plain layer, which always starts from its input alone, must not compile as its method, and the
// diagnostic names the unmet concept.
// expect-error: WarmStartable
#include <string>

#include "eqr/algorithms/warm_start.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/layers/detail/backend_archetype.hpp"

using A = eqr::detail::BackendArchetype;
using Tensor = A::tensor_type;

/// A layer without a warm-start interface.
struct PlainLayer {
  using backend = A;
  struct context {};
  Tensor forward(const Tensor& x, context&) { return x; }
  Tensor forward(const Tensor& x) const { return x; }
  Tensor backward(const context&, const Tensor& dy) { return dy; }
  template <class F>
  void visit_parameters(const std::string&, F&&) {}
};

/// A linear map from measurements to images.
struct Initial {
  eqr::Shape4 domain_shape(std::size_t n) const { return {n, 1, 4, 4}; }
  Tensor apply(const Tensor& y) const { return y; }
  Tensor adjoint(const Tensor& x) const { return x; }
};

int main() {
  eqr::WarmStart<PlainLayer, Initial> warm(PlainLayer{}, Initial{});
  (void)warm;
  return 0;
}
