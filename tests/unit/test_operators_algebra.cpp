// Operator algebra (operators/algebra.hpp) and the image-domain operators (operators/image_operators.hpp) on
// the CPU backend: hand-computed values, a wrong adjoint caught, opnorm against known norms, the data term
// against finite differences, and the errors for bad shapes. The adjoint test of every operator on every
// backend is the conformance suite (tests/support/operator_suite.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/image_operators.hpp"

namespace {

using CpuF = eqr::cpu::CpuBackend<float>;
using CpuD = eqr::cpu::CpuBackend<double>;

static_assert(eqr::LinearOperator<eqr::Identity<CpuF>> && eqr::LinearOperatorOn<eqr::Blur<CpuD>, CpuD>);
static_assert(eqr::LinearOperator<eqr::PixelMask<CpuF>>);
static_assert(eqr::LinearOperator<eqr::Adjoint<eqr::Blur<CpuD>>>);
static_assert(eqr::LinearOperator<eqr::Composed<eqr::Blur<CpuD>, eqr::PixelMask<CpuD>>>);
static_assert(eqr::LinearOperator<eqr::Scaled<eqr::Identity<CpuD>>>);
static_assert(!eqr::LinearOperator<int>);
static_assert(!eqr::ComposableOperators<eqr::Blur<CpuD>, eqr::Blur<CpuF>>, "float and double operators do not compose.");

/// A 3×3 kernel with distinct entries (row-major), so flips and transposes show.
const std::vector<double> kernel = {0.1, 0.2, 0.05, 0.3, -0.4, 0.25, 0.0, 0.7, 0.15};
double k(std::size_t i, std::size_t j) { return kernel[i * 3 + j]; }

}  // namespace

TEST_CASE("an operator with a wrong adjoint fails the adjoint test") {
  // The blur paired with itself instead of the correlation: the test must detect it.
  struct WrongBlur : eqr::Blur<CpuD> {
    using eqr::Blur<CpuD>::Blur;
    tensor_type adjoint(const tensor_type& y) const { return apply(y); }
  };
  const WrongBlur wrong(kernel, 3, 3, 6, 6);
  CHECK(eqr::adjoint_mismatch(wrong, 4) > 1e-3);
}

TEST_CASE("blur matches a hand-computed convolution with zero boundary") {
  // x is a single 1 at (1, 1) of a 3×3 image: the convolution reproduces the kernel itself.
  const eqr::Blur<CpuD> b(kernel, 3, 3, 3, 3);
  xt::xtensor<double, 4> x = xt::zeros<double>({1, 1, 3, 3});
  x(0, 0, 1, 1) = 1.0;
  const auto y = b.apply(x);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) CHECK(y(0, 0, i, j) == doctest::Approx(k(i, j)).epsilon(1e-15));
  // A 1 at the corner (0, 0): only k(1..2, 1..2) lands inside, at (0..1, 0..1).
  x(0, 0, 1, 1) = 0.0;
  x(0, 0, 0, 0) = 1.0;
  const auto z = b.apply(x);
  CHECK(z(0, 0, 0, 0) == doctest::Approx(k(1, 1)));
  CHECK(z(0, 0, 1, 1) == doctest::Approx(k(2, 2)));
  CHECK(z(0, 0, 0, 1) == doctest::Approx(k(1, 2)));
  CHECK(z(0, 0, 2, 2) == 0.0);
  // The adjoint of a 1 at (1, 1) is the kernel flipped in both axes.
  xt::xtensor<double, 4> e = xt::zeros<double>({1, 1, 3, 3});
  e(0, 0, 1, 1) = 1.0;
  const auto w = b.adjoint(e);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) CHECK(w(0, 0, i, j) == doctest::Approx(k(2 - i, 2 - j)));
}

TEST_CASE("a wide blur kernel convolves along rows only, and channels stay apart") {
  // A 1×3 kernel (a, b, c) on a 2-channel image with one 1 per channel: each channel gets the reversed
  // kernel read at its own impulse, nothing else.
  const std::vector<double> row = {0.5, 2.0, -1.0};
  const eqr::Blur<CpuD> b(row, 1, 3, 3, 5, 2);
  xt::xtensor<double, 4> x = xt::zeros<double>({1, 2, 3, 5});
  x(0, 0, 1, 2) = 1.0;
  x(0, 1, 0, 0) = 1.0;
  const auto y = b.apply(x);
  // (Bx)(i, j) = Σ_b k(b)·x(i, j − b + 1): the impulse at column 2 spreads to columns 1, 2, 3 as k(0), k(1), k(2).
  CHECK(y(0, 0, 1, 1) == doctest::Approx(row[0]));
  CHECK(y(0, 0, 1, 2) == doctest::Approx(row[1]));
  CHECK(y(0, 0, 1, 3) == doctest::Approx(row[2]));
  CHECK(y(0, 0, 0, 2) == 0.0);
  CHECK(y(0, 1, 0, 0) == doctest::Approx(row[1]));  // the impulse at column 0: k(0) falls off the border
  CHECK(y(0, 1, 0, 1) == doctest::Approx(row[2]));
  CHECK(y(0, 1, 1, 0) == 0.0);
  double other = 0.0;  // channel 0's impulse leaves nothing in channel 1 away from its own
  for (std::size_t j = 2; j < 5; ++j) other += std::abs(y(0, 1, 0, j));
  CHECK(other == 0.0);
}

TEST_CASE("opnorm recovers known operator norms") {
  CHECK(eqr::opnorm(eqr::Identity<CpuD>(8, 8), 20, 1) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(eqr::opnorm(eqr::scale(-3.5, eqr::Identity<CpuD>(8, 5, 2)), 20, 1) == doctest::Approx(3.5).epsilon(1e-12));
  // A mask with weights in [-1.5, 2]: the norm is the largest |weight|.
  const std::vector<double> m = {0.5, 2.0, 1.0, -1.5, 0.0, 0.25};
  CHECK(eqr::opnorm(eqr::PixelMask<CpuD>(2, 3, m), 200, 3) == doctest::Approx(2.0).epsilon(1e-6));
  // A blur by a non-negative kernel of sum s on a large image: the norm tends to s (attained by the constant
  // image far from the boundary), and is below s on a finite image.
  const std::vector<double> box(9, 1.0 / 9.0);
  const double n = eqr::opnorm(eqr::Blur<CpuD>(box, 3, 3, 40, 40), 300, 5);
  CHECK(n <= 1.0 + 1e-12);
  CHECK(n > 0.99);
  // normalised(A, ‖A‖) has norm 1.
  CHECK(eqr::opnorm(eqr::normalised(eqr::Blur<CpuD>(box, 3, 3, 40, 40), n), 300, 5) == doctest::Approx(1.0).epsilon(1e-9));
}

TEST_CASE("data term: value, gradient against central differences, and both vector–Jacobian products") {
  const eqr::Blur<CpuD> b(kernel, 3, 3, 5, 4);
  eqr::Random rng(11);
  const auto y = eqr::random_normal<CpuD>(b.range_shape(2), rng);
  const auto u = eqr::random_normal<CpuD>(b.domain_shape(2), rng);
  const eqr::DataTerm<eqr::Blur<CpuD>> e(b, y);
  const xt::xtensor<double, 4> r = b.apply(u) - y;
  CHECK(e.value(u) == doctest::Approx(0.5 * CpuD::squared_norm(r)));
  const auto g = e.gradient(u);
  const double h = 1e-5;
  for (std::size_t idx : {0u, 7u, 19u, 23u, 39u}) {
    auto up = u, um = u;
    up.data()[idx] += h;
    um.data()[idx] -= h;
    const double fd = (e.value(up) - e.value(um)) / (2 * h);
    CHECK(g.data()[idx] == doctest::Approx(fd).epsilon(1e-7));
  }
  // The gradient is affine in u: ∇E(u + t v) − ∇E(u) = t·AᵀA v.
  const auto v = eqr::random_normal<CpuD>(b.domain_shape(2), rng);
  const auto jv = e.gradient_vjp(v);
  const xt::xtensor<double, 4> diff = e.gradient(u + 0.5 * v) - g;
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(diff.data()[i] == doctest::Approx(0.5 * jv.data()[i]).epsilon(1e-10));
  // And in y: ⟨w, ∇E_{y + t z}(u) − ∇E_y(u)⟩ = t·⟨z, −A w⟩ for any w, i.e. the VJP in y is −A w.
  const auto z = eqr::random_normal<CpuD>(b.range_shape(2), rng);
  const eqr::DataTerm<eqr::Blur<CpuD>> shifted(b, y + 0.5 * z);
  const auto w = eqr::random_normal<CpuD>(b.domain_shape(2), rng);
  const double lhs = CpuD::dot(w, CpuD::subtract(shifted.gradient(u), g));
  CHECK(lhs == doctest::Approx(0.5 * CpuD::dot(z, e.gradient_vjp_data(w))).epsilon(1e-10));
}

TEST_CASE("wrong shapes are reported with expected and found shapes") {
  const eqr::Blur<CpuF> b(kernel, 3, 3, 5, 4);
  const xt::xtensor<float, 4> x = xt::zeros<float>({1, 1, 4, 5});
  CHECK_THROWS_AS((void)b.apply(x), eqr::shape_error);
  CHECK_THROWS_WITH((void)b.apply(x), doctest::Contains("expected a batch of shape 1×1×5×4, found 1×1×4×5"));
  CHECK_THROWS_AS(eqr::Blur<CpuF>(std::vector<double>(6, 1.0), 2, 3, 5, 5), eqr::shape_error);
  CHECK_THROWS_AS(eqr::Blur<CpuF>(std::vector<double>(9, 1.0), 3, 3, 5, 5, 0), eqr::shape_error);
  CHECK_THROWS_AS(eqr::PixelMask<CpuF>(3, 3, std::vector<double>(8, 1.0)), eqr::shape_error);
  CHECK_THROWS_AS(eqr::PixelMask<CpuF>(1, 2, std::vector<double>{1.0, NAN}), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::compose(eqr::Identity<CpuF>(4, 4), eqr::Identity<CpuF>(4, 5)), eqr::shape_error);
  CHECK_THROWS_AS(eqr::DataTerm<eqr::Identity<CpuF>>(eqr::Identity<CpuF>(4, 4), xt::zeros<float>({1, 1, 4, 3})),
                  eqr::shape_error);
  CHECK_THROWS_AS((void)eqr::scale(std::nan(""), eqr::Identity<CpuF>(4, 4)), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::normalised(eqr::Identity<CpuF>(4, 4), 0.0), eqr::value_error);
}
