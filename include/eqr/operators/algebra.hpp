/// @file operators/algebra.hpp
/// The algebra every forward operator shares, written once on the backend primitives so that it runs on
/// every backend: composition, scaling, the adjoint as an operator, the operator norm by the power method,
/// the adjoint (dot-product) test, and the data term E(u) = ½‖Au − y‖² with its gradient and the
/// vector–Jacobian products of that gradient (DESIGN.md §3).
///
/// Random test vectors are drawn on the host with the library's seeded `Random` and copied to the device
/// (`random_normal`), so the same seed gives the same vectors on every backend and a device operator can be
/// checked against the CPU one with identical inputs; every sum is accumulated in double (the backends'
/// reductions).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/core/random.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// A tensor of backend B and shape s with independent standard normal entries drawn from `rng` in row-major
/// order (the same values on every backend for the same `rng` state).
template <TensorBackend B>
[[nodiscard]] typename B::tensor_type random_normal(const Shape4& s, Random& rng) {
  using T = typename B::scalar_type;
  std::vector<T> host(s.numel());
  for (auto& v : host) v = static_cast<T>(rng.normal());
  return B::from_host(s, std::span<const T>(host));
}

// ------------------------------------------------------------------------------------------------------------
// Composition, scaling, adjoint view.
// ------------------------------------------------------------------------------------------------------------

/// The composition Outer∘Inner (apply Inner first): (O∘I)x = O(Ix), (O∘I)ᵀy = Iᵀ(Oᵀy). Holds copies of both
/// operators (operators are cheap to copy: large tables, plans and device matrices are shared).
template <LinearOperator Outer, LinearOperator Inner>
class Composed {
  static_assert(ComposableOperators<Outer, Inner>,
                "compose(outer, inner): both operators must run on the same tensor backend.");

 public:
  using backend = typename Outer::backend;
  using tensor_type = typename backend::tensor_type;

  /// Creates outer∘inner; throws shape_error if inner's range shape is not outer's domain shape.
  Composed(Outer outer, Inner inner) : outer_(std::move(outer)), inner_(std::move(inner)) {
    EQR_EXPECTS(outer_.domain_shape(1) == inner_.range_shape(1), shape_error,
                "compose(outer, inner): expected inner's range shape to equal outer's domain shape, found inner range ",
                inner_.range_shape(1), " and outer domain ", outer_.domain_shape(1));
  }
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return inner_.domain_shape(n); }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return outer_.range_shape(n); }
  [[nodiscard]] tensor_type apply(const tensor_type& x) const { return outer_.apply(inner_.apply(x)); }
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const { return inner_.adjoint(outer_.adjoint(y)); }
  /// The operator applied last.
  [[nodiscard]] const Outer& outer() const { return outer_; }
  /// The operator applied first.
  [[nodiscard]] const Inner& inner() const { return inner_; }

 private:
  Outer outer_;
  Inner inner_;
};

/// The composition outer∘inner (apply inner first).
template <LinearOperator Outer, LinearOperator Inner>
[[nodiscard]] Composed<Outer, Inner> compose(Outer outer, Inner inner) {
  return Composed<Outer, Inner>(std::move(outer), std::move(inner));
}

/// The scaled operator αA: (αA)x = α·Ax, (αA)ᵀy = α·Aᵀy (e.g. Ã = A/‖A‖ of a learned method, DESIGN.md §3).
template <LinearOperator A>
class Scaled {
 public:
  using backend = typename A::backend;
  using tensor_type = typename backend::tensor_type;

  /// Creates αA; α must be finite.
  Scaled(double alpha, A a) : alpha_(alpha), a_(std::move(a)) {
    EQR_EXPECTS(std::isfinite(alpha), value_error, "scale(alpha, A): expected a finite alpha, found ", alpha);
  }
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return a_.domain_shape(n); }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return a_.range_shape(n); }
  [[nodiscard]] tensor_type apply(const tensor_type& x) const { return scaled(a_.apply(x)); }
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const { return scaled(a_.adjoint(y)); }
  /// The factor α.
  [[nodiscard]] double factor() const { return alpha_; }
  /// The unscaled operator A.
  [[nodiscard]] const A& base() const { return a_; }

 private:
  [[nodiscard]] tensor_type scaled(tensor_type t) const {
    backend::scale(t, static_cast<typename backend::scalar_type>(alpha_));
    return t;
  }

  double alpha_;
  A a_;
};

/// The scaled operator αA.
template <LinearOperator A>
[[nodiscard]] Scaled<A> scale(double alpha, A a) {
  return Scaled<A>(alpha, std::move(a));
}

/// The normalised operator Ã = A/‖A‖ of a learned method (DESIGN.md §3) for a given norm ‖A‖ (e.g. from
/// `opnorm`, or stored with a trained model); throws value_error unless the norm is finite and positive.
template <LinearOperator A>
[[nodiscard]] Scaled<A> normalised(A a, double operator_norm) {
  EQR_EXPECTS(std::isfinite(operator_norm) && operator_norm > 0.0, value_error,
              "normalised(A, norm): expected a finite positive operator norm, found ", operator_norm);
  return Scaled<A>(1.0 / operator_norm, std::move(a));
}

/// The adjoint operator Aᵀ as an operator of its own: apply and adjoint swapped, domain and range swapped.
template <LinearOperator A>
class Adjoint {
 public:
  using backend = typename A::backend;
  using tensor_type = typename backend::tensor_type;

  /// Creates the view Aᵀ of A.
  explicit Adjoint(A a) : a_(std::move(a)) {}
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return a_.range_shape(n); }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return a_.domain_shape(n); }
  [[nodiscard]] tensor_type apply(const tensor_type& y) const { return a_.adjoint(y); }
  [[nodiscard]] tensor_type adjoint(const tensor_type& x) const { return a_.apply(x); }
  /// The operator A whose adjoint this is.
  [[nodiscard]] const A& base() const { return a_; }

 private:
  A a_;
};

/// The adjoint Aᵀ as an operator (apply ↔ adjoint swapped).
template <LinearOperator A>
[[nodiscard]] Adjoint<A> adjoint(A a) {
  return Adjoint<A>(std::move(a));
}

// ------------------------------------------------------------------------------------------------------------
// Operator norm and the adjoint test.
// ------------------------------------------------------------------------------------------------------------

/// The operator norm ‖A‖ = σ_max(A) estimated by the power method on AᵀA: v ← AᵀA v / ‖AᵀA v‖ from a seeded
/// standard normal start (one batch item), returning √‖AᵀA v‖ after `iterations` steps. The estimate
/// increases towards ‖A‖ from below; 50–100 iterations give 3–4 digits for the operators here. ‖0‖ = 0.
template <LinearOperator A>
[[nodiscard]] double opnorm(const A& a, int iterations = 100, std::uint64_t seed = 0) {
  using B = typename A::backend;
  using T = typename B::scalar_type;
  EQR_EXPECTS(iterations >= 1, value_error, "opnorm: expected at least 1 iteration, found ", iterations);
  Random rng(seed);
  auto v = random_normal<B>(a.domain_shape(1), rng);
  double lambda = 0.0;
  for (int it = 0; it < iterations; ++it) {
    const double nv = std::sqrt(B::squared_norm(v));
    if (nv == 0.0) return 0.0;
    B::scale(v, static_cast<T>(1.0 / nv));
    v = a.adjoint(a.apply(v));
    lambda = std::sqrt(B::squared_norm(v));  // ‖AᵀA v‖ with ‖v‖ = 1 → the largest eigenvalue of AᵀA
  }
  return std::sqrt(lambda);
}

/// The adjoint (dot-product) test: |⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖·‖y‖) for seeded standard normal x, y with a
/// batch of `batch` items, all sums accumulated in double. For an exact transpose this is rounding only:
/// about 1e-7 in float, 1e-15 in double. Returns 0 when Ax = 0 and Aᵀy = 0 both vanish exactly.
template <LinearOperator A>
[[nodiscard]] double adjoint_mismatch(const A& a, std::uint64_t seed = 0, std::size_t batch = 2) {
  using B = typename A::backend;
  Random rng(seed);
  const auto x = random_normal<B>(a.domain_shape(batch), rng);
  const auto y = random_normal<B>(a.range_shape(batch), rng);
  const auto ax = a.apply(x);
  const auto aty = a.adjoint(y);
  const double difference = std::abs(B::dot(ax, y) - B::dot(x, aty));
  const double terms = std::sqrt(B::squared_norm(ax) * B::squared_norm(y));
  if (terms == 0.0)
    return difference == 0.0 ? 0.0 : difference / std::sqrt(B::squared_norm(x) * B::squared_norm(aty));
  return difference / terms;
}

// ------------------------------------------------------------------------------------------------------------
// The data term.
// ------------------------------------------------------------------------------------------------------------

/// The data-fidelity term E(u) = ½‖Au − y‖² of a linear inverse problem (the E of the paper's Eq. (9), as
/// defined for CT and MRI in §5.1) with its gradient ∇E(u) = Aᵀ(Au − y) and the vector–Jacobian products of
/// that gradient: with respect to u, AᵀA v (the gradient is affine in u with the symmetric Jacobian AᵀA;
/// DESIGN.md §3, used by the backward pass of Algorithm 2), and with respect to y, −A v.
template <LinearOperator A>
class DataTerm {
 public:
  using backend = typename A::backend;
  using tensor_type = typename backend::tensor_type;

  /// Creates E for the operator `a` and the measured batch `y` (shape `a.range_shape(N)`).
  DataTerm(A a, tensor_type y) : a_(std::move(a)), y_(std::move(y)) {
    expect_batch<backend>(y_, [this](std::size_t n) { return a_.range_shape(n); }, "DataTerm: measurement y");
  }
  /// The batch size N of the measurements.
  [[nodiscard]] std::size_t batch() const { return backend::shape(y_).n; }
  /// E(u) = ½‖Au − y‖² summed over the batch, in double.
  [[nodiscard]] double value(const tensor_type& u) const { return 0.5 * backend::squared_norm(residual(u)); }
  /// ∇E(u) = Aᵀ(Au − y).
  [[nodiscard]] tensor_type gradient(const tensor_type& u) const { return a_.adjoint(residual(u)); }
  /// The vector–Jacobian product of ∇E with respect to u: (∂∇E/∂u)ᵀ v = AᵀA v.
  [[nodiscard]] tensor_type gradient_vjp(const tensor_type& v) const {
    expect_shape(backend::shape(v), a_.domain_shape(batch()), "DataTerm::gradient_vjp: v");
    return a_.adjoint(a_.apply(v));
  }
  /// The vector–Jacobian product of ∇E with respect to the measurements: (∂∇E/∂y)ᵀ v = −A v.
  [[nodiscard]] tensor_type gradient_vjp_data(const tensor_type& v) const {
    expect_shape(backend::shape(v), a_.domain_shape(batch()), "DataTerm::gradient_vjp_data: v");
    tensor_type r = a_.apply(v);
    backend::scale(r, typename backend::scalar_type(-1));
    return r;
  }
  /// The residual Au − y.
  [[nodiscard]] tensor_type residual(const tensor_type& u) const {
    expect_shape(backend::shape(u), a_.domain_shape(batch()), "DataTerm: u");
    return backend::subtract(a_.apply(u), y_);
  }
  /// The operator A.
  [[nodiscard]] const A& op() const { return a_; }
  /// The measurements y.
  [[nodiscard]] const tensor_type& data() const { return y_; }

 private:
  A a_;
  tensor_type y_;
};

}  // namespace eqr
