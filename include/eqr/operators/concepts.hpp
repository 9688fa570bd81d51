/// @file operators/concepts.hpp
/// The `LinearOperator` concept and the algebra every forward operator shares: composition, scaling, the
/// adjoint view, the operator norm by the power method, the adjoint (dot-product) test, and the data term
/// E(u) = ½‖Au − y‖² with its gradient and the vector–Jacobian product of that gradient (DESIGN.md §3).
///
/// Tensors are batched N×C×H×W; on the CPU they are `xt::xtensor<T, 4>` (row-major), T = float or double.
/// Every operator acts on each of the N batch items independently, so `apply` and `adjoint` take a batch of
/// any size n and `domain_shape(n)` / `range_shape(n)` give the full 4-d shapes for that batch.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/core/random.hpp"

namespace eqr {

/// The full shape of a batched operator tensor: {N, C, H, W} (distinct from the backends' Shape4 struct).
using TensorShape = std::array<std::size_t, 4>;

/// A floating-point scalar type the operators are instantiated for (float or double).
template <class T>
concept RealScalar = std::same_as<T, float> || std::same_as<T, double>;

/// A dense 4-d CPU tensor of a real scalar: `xt::xtensor<T, 4>`.
template <class X>
concept Tensor4 = RealScalar<typename X::value_type> && std::same_as<X, xt::xtensor<typename X::value_type, 4>>;

/// A linear map A between batched tensors, acting on each batch item independently.
///
/// Requirements, for `const Op& a`, a domain batch `x` and a range batch `y`:
/// - `Op::value_type` (float or double), `Op::domain_type`, `Op::range_type` (4-d tensors of that scalar);
/// - `a.domain_shape(n)`, `a.range_shape(n)`: the 4-d shapes of a batch of n inputs and outputs;
/// - `a.apply(x)` = A x and `a.adjoint(y)` = Aᵀ y, batched; both throw `eqr::shape_error` for a batch whose
///   shape is not `domain_shape(N)` / `range_shape(N)` for its own N.
/// The adjoint is the transpose for the plain Euclidean inner products ⟨x, x'⟩ = Σ x·x' over all entries
/// (for complex images stored as two real channels this equals Re⟨x, x'⟩ of the complex vectors).
template <class Op>
concept LinearOperator =
    requires {
      typename Op::value_type;
      typename Op::domain_type;
      typename Op::range_type;
    } && RealScalar<typename Op::value_type> && Tensor4<typename Op::domain_type> &&
    Tensor4<typename Op::range_type> &&
    std::same_as<typename Op::value_type, typename Op::domain_type::value_type> &&
    std::same_as<typename Op::value_type, typename Op::range_type::value_type> &&
    requires(const Op& a, const typename Op::domain_type& x, const typename Op::range_type& y, std::size_t n) {
      { a.apply(x) } -> std::same_as<typename Op::range_type>;
      { a.adjoint(y) } -> std::same_as<typename Op::domain_type>;
      { a.domain_shape(n) } -> std::same_as<TensorShape>;
      { a.range_shape(n) } -> std::same_as<TensorShape>;
    };

/// Two linear operators that can be composed as A∘B: B's range is A's domain, scalars equal.
template <class A, class B>
concept ComposableOperators = LinearOperator<A> && LinearOperator<B> &&
    std::same_as<typename A::domain_type, typename B::range_type>;

// ------------------------------------------------------------------------------------------------------------
// Small tensor helpers (double accumulation).
// ------------------------------------------------------------------------------------------------------------

namespace detail {

/// Formats a shape as "(a, b, c, d)" for error messages.
template <class S>
std::string shape_string(const S& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

}  // namespace detail

/// Checks that a batch `x` has shape `expected`, else throws shape_error naming `what` and both shapes.
template <Tensor4 X>
void expect_shape(const X& x, const TensorShape& expected, const char* what) {
  const auto& s = x.shape();
  const bool ok = s[0] == expected[0] && s[1] == expected[1] && s[2] == expected[2] && s[3] == expected[3];
  EQR_EXPECTS(ok, shape_error, what, ": expected a batch of shape ", detail::shape_string(expected), ", found ",
              detail::shape_string(s));
}

/// The Euclidean inner product Σ xᵢ yᵢ of two equally shaped tensors, accumulated in double.
template <Tensor4 X>
double inner(const X& x, const X& y) {
  EQR_EXPECTS(x.shape() == y.shape(), shape_error, "inner: expected equal shapes, found ",
              detail::shape_string(x.shape()), " and ", detail::shape_string(y.shape()));
  double s = 0.0;
  const auto* a = x.data();
  const auto* b = y.data();
  for (std::size_t i = 0; i < x.size(); ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

/// The Euclidean norm ‖x‖ of a tensor, accumulated in double.
template <Tensor4 X>
double norm(const X& x) {
  return std::sqrt(inner(x, x));
}

/// A tensor of the given shape with independent standard normal entries from `rng`.
template <RealScalar T>
xt::xtensor<T, 4> random_normal(const TensorShape& shape, Random& rng) {
  xt::xtensor<T, 4> x = xt::xtensor<T, 4>::from_shape(shape);
  for (auto& v : x) v = static_cast<T>(rng.normal());
  return x;
}

// ------------------------------------------------------------------------------------------------------------
// Operator algebra: composition, scaling, adjoint view.
// ------------------------------------------------------------------------------------------------------------

/// The composition A∘B (apply B first): (A∘B)x = A(Bx), (A∘B)ᵀy = Bᵀ(Aᵀy).  Holds copies of both operators
/// (operators are cheap to copy: large tables and FFT plans are shared).
template <LinearOperator A, LinearOperator B>
class Composed {
  static_assert(std::same_as<typename A::domain_type, typename B::range_type>,
                "compose(A, B) applies B first: B's range tensor type must equal A's domain tensor type.");

 public:
  using value_type = typename A::value_type;
  using domain_type = typename B::domain_type;
  using range_type = typename A::range_type;

  /// Creates A∘B; throws shape_error if B's range shape is not A's domain shape.
  Composed(A a, B b) : a_(std::move(a)), b_(std::move(b)) {
    EQR_EXPECTS(a_.domain_shape(1) == b_.range_shape(1), shape_error,
                "compose(A, B): expected B's range shape to equal A's domain shape, found B range ",
                detail::shape_string(b_.range_shape(1)), " and A domain ", detail::shape_string(a_.domain_shape(1)));
  }
  TensorShape domain_shape(std::size_t n) const { return b_.domain_shape(n); }
  TensorShape range_shape(std::size_t n) const { return a_.range_shape(n); }
  range_type apply(const domain_type& x) const { return a_.apply(b_.apply(x)); }
  domain_type adjoint(const range_type& y) const { return b_.adjoint(a_.adjoint(y)); }
  /// The outer operator A.
  const A& outer() const { return a_; }
  /// The inner operator B.
  const B& inner() const { return b_; }

 private:
  A a_;
  B b_;
};

/// The composition A∘B (apply B first).
template <LinearOperator A, LinearOperator B>
Composed<A, B> compose(A a, B b) {
  return Composed<A, B>(std::move(a), std::move(b));
}

/// The scaled operator αA: (αA)x = α·Ax, (αA)ᵀy = α·Aᵀy.
template <LinearOperator A>
class Scaled {
 public:
  using value_type = typename A::value_type;
  using domain_type = typename A::domain_type;
  using range_type = typename A::range_type;

  /// Creates αA; α must be finite.
  Scaled(double alpha, A a) : alpha_(alpha), a_(std::move(a)) {
    EQR_EXPECTS(std::isfinite(alpha), value_error, "scale(alpha, A): expected a finite alpha, found ", alpha);
  }
  TensorShape domain_shape(std::size_t n) const { return a_.domain_shape(n); }
  TensorShape range_shape(std::size_t n) const { return a_.range_shape(n); }
  range_type apply(const domain_type& x) const {
    range_type y = a_.apply(x);
    for (auto& v : y) v = static_cast<value_type>(alpha_ * v);
    return y;
  }
  domain_type adjoint(const range_type& y) const {
    domain_type x = a_.adjoint(y);
    for (auto& v : x) v = static_cast<value_type>(alpha_ * v);
    return x;
  }
  /// The factor α.
  double factor() const { return alpha_; }
  /// The unscaled operator A.
  const A& base() const { return a_; }

 private:
  double alpha_;
  A a_;
};

/// The scaled operator αA (e.g. A/‖A‖ for a learned method, DESIGN.md §3).
template <LinearOperator A>
Scaled<A> scale(double alpha, A a) {
  return Scaled<A>(alpha, std::move(a));
}

/// The adjoint operator Aᵀ as an operator of its own: apply and adjoint swapped, domain and range swapped.
template <LinearOperator A>
class Adjoint {
 public:
  using value_type = typename A::value_type;
  using domain_type = typename A::range_type;
  using range_type = typename A::domain_type;

  /// Creates the view Aᵀ of A.
  explicit Adjoint(A a) : a_(std::move(a)) {}
  TensorShape domain_shape(std::size_t n) const { return a_.range_shape(n); }
  TensorShape range_shape(std::size_t n) const { return a_.domain_shape(n); }
  range_type apply(const domain_type& y) const { return a_.adjoint(y); }
  domain_type adjoint(const range_type& x) const { return a_.apply(x); }
  /// The operator A whose adjoint this is.
  const A& base() const { return a_; }

 private:
  A a_;
};

/// The adjoint Aᵀ as an operator (apply ↔ adjoint swapped).
template <LinearOperator A>
Adjoint<A> adjoint(A a) {
  return Adjoint<A>(std::move(a));
}

// ------------------------------------------------------------------------------------------------------------
// Operator norm and the adjoint test.
// ------------------------------------------------------------------------------------------------------------

/// The operator norm ‖A‖ = σ_max(A) estimated by the power method on AᵀA: v ← AᵀA v / ‖AᵀA v‖ from a seeded
/// random start (one batch item), returning √(‖AᵀA v‖) after `iterations` steps.  The estimate increases
/// towards ‖A‖ from below; 50–100 iterations give 3–4 digits for the operators here.  ‖0‖ = 0.
template <LinearOperator A>
double opnorm(const A& a, int iterations = 100, std::uint64_t seed = 0) {
  using T = typename A::value_type;
  EQR_EXPECTS(iterations >= 1, value_error, "opnorm: expected at least 1 iteration, found ", iterations);
  Random rng(seed);
  auto v = random_normal<T>(a.domain_shape(1), rng);
  double nv = norm(v);
  double lambda = 0.0;
  for (int it = 0; it < iterations; ++it) {
    for (auto& e : v) e = static_cast<T>(e / nv);
    auto w = a.adjoint(a.apply(v));
    const double nw = norm(w);
    lambda = nw;  // ‖AᵀA v‖ with ‖v‖ = 1 → largest eigenvalue of AᵀA
    if (nw == 0.0) return 0.0;
    v = std::move(w);
    nv = nw;
  }
  return std::sqrt(lambda);
}

/// The adjoint (dot-product) test: |⟨Ax, y⟩ − ⟨x, Aᵀy⟩| / (‖Ax‖·‖y‖) for seeded standard normal x, y with a
/// batch of `batch` items, all sums accumulated in double.  For an exact transpose this is rounding only:
/// about 1e-7 in float, 1e-15 in double.  Returns 0 when Ax = 0 and Aᵀy = 0 both vanish exactly.
template <LinearOperator A>
double adjoint_mismatch(const A& a, std::uint64_t seed = 0, std::size_t batch = 2) {
  using T = typename A::value_type;
  Random rng(seed);
  const auto x = random_normal<T>(a.domain_shape(batch), rng);
  const auto y = random_normal<T>(a.range_shape(batch), rng);
  const auto ax = a.apply(x);
  const auto aty = a.adjoint(y);
  const double lhs = inner(ax, y), rhs = inner(x, aty);
  const double scale_ = norm(ax) * norm(y);
  if (scale_ == 0.0) return std::abs(lhs - rhs) == 0.0 ? 0.0 : std::abs(lhs - rhs) / (norm(x) * norm(aty));
  return std::abs(lhs - rhs) / scale_;
}

// ------------------------------------------------------------------------------------------------------------
// The data term.
// ------------------------------------------------------------------------------------------------------------

/// The data-fidelity term E(u) = ½‖Au − y‖² of a linear inverse problem (the E of the paper's Eq. (9), as
/// defined for CT and MRI in §5.1) with its gradient ∇E(u) = Aᵀ(Au − y)
/// and the vector–Jacobian product of that gradient, AᵀA v (the gradient is affine in u, so its Jacobian is
/// the symmetric AᵀA; DESIGN.md §3, used by the backward pass of Algorithm 2).
template <LinearOperator A>
class DataTerm {
 public:
  using value_type = typename A::value_type;
  using domain_type = typename A::domain_type;
  using range_type = typename A::range_type;

  /// Creates E for the operator `a` and the measured batch `y` (shape `a.range_shape(N)`).
  DataTerm(A a, range_type y) : a_(std::move(a)), y_(std::move(y)) {
    expect_shape(y_, a_.range_shape(y_.shape()[0]), "DataTerm: measurement y");
  }
  /// The batch size N of the measurements.
  std::size_t batch() const { return y_.shape()[0]; }
  /// E(u) = ½‖Au − y‖² summed over the batch, in double.
  double value(const domain_type& u) const {
    const auto r = residual(u);
    return 0.5 * inner(r, r);
  }
  /// ∇E(u) = Aᵀ(Au − y).
  domain_type gradient(const domain_type& u) const { return a_.adjoint(residual(u)); }
  /// The vector–Jacobian product of ∇E: (∂∇E/∂u)ᵀ v = AᵀA v.
  domain_type gradient_vjp(const domain_type& v) const {
    expect_shape(v, a_.domain_shape(batch()), "DataTerm::gradient_vjp: v");
    return a_.adjoint(a_.apply(v));
  }
  /// The residual Au − y.
  range_type residual(const domain_type& u) const {
    expect_shape(u, a_.domain_shape(batch()), "DataTerm: u");
    range_type r = a_.apply(u);
    r -= y_;
    return r;
  }
  /// The operator A.
  const A& op() const { return a_; }
  /// The measurements y.
  const range_type& data() const { return y_; }

 private:
  A a_;
  range_type y_;
};

}  // namespace eqr
