// Operator algebra (operators/concepts.hpp) and the image-domain operators (operators/image_operators.hpp):
// adjoint tests, hand-computed values, opnorm against known norms, the data term against finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "eqr/operators/concepts.hpp"
#include "eqr/operators/image_operators.hpp"

using eqr::TensorShape;

static_assert(eqr::LinearOperator<eqr::Identity<float>>);
static_assert(eqr::LinearOperator<eqr::Blur<double>>);
static_assert(eqr::LinearOperator<eqr::PixelMask<float>>);
static_assert(eqr::LinearOperator<eqr::Adjoint<eqr::Blur<double>>>);
static_assert(eqr::LinearOperator<eqr::Composed<eqr::Blur<double>, eqr::PixelMask<double>>>);
static_assert(eqr::LinearOperator<eqr::Scaled<eqr::Identity<double>>>);
static_assert(!eqr::LinearOperator<int>);
static_assert(!eqr::ComposableOperators<eqr::Blur<double>, eqr::Blur<float>>);

namespace {

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

template <class T>
xt::xtensor<T, 2> test_kernel() {
  xt::xtensor<T, 2> k = {{0.1, 0.2, 0.05}, {0.3, -0.4, 0.25}, {0.0, 0.7, 0.15}};
  return k;
}

template <class T>
xt::xtensor<T, 2> test_mask(std::size_t h, std::size_t w) {
  xt::xtensor<T, 2> m = xt::xtensor<T, 2>::from_shape({h, w});
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) m(i, j) = static_cast<T>((i * 7 + j * 3) % 5 < 3 ? 1 : 0);
  return m;
}

}  // namespace

TEST_CASE_TEMPLATE("image operators pass the adjoint test", T, float, double) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    CHECK(eqr::adjoint_mismatch(eqr::Identity<T>(5, 7, 2), seed) <= tolerance<T>());
    CHECK(eqr::adjoint_mismatch(eqr::PixelMask<T>(test_mask<T>(6, 5), 2), seed) <= tolerance<T>());
    CHECK(eqr::adjoint_mismatch(eqr::Blur<T>(test_kernel<T>(), 9, 6, 1), seed) <= tolerance<T>());
    xt::xtensor<T, 2> wide = xt::ones<T>({1, 5});
    CHECK(eqr::adjoint_mismatch(eqr::Blur<T>(wide, 4, 7, 2), seed) <= tolerance<T>());
    const auto composed = eqr::compose(eqr::PixelMask<T>(test_mask<T>(9, 6)), eqr::Blur<T>(test_kernel<T>(), 9, 6));
    CHECK(eqr::adjoint_mismatch(composed, seed) <= tolerance<T>());
    CHECK(eqr::adjoint_mismatch(eqr::adjoint(composed), seed) <= tolerance<T>());
    CHECK(eqr::adjoint_mismatch(eqr::scale(-2.5, composed), seed) <= tolerance<T>());
  }
}

TEST_CASE("an operator with a wrong adjoint fails the adjoint test") {
  // The blur paired with itself instead of the correlation: the test must detect it.
  struct WrongBlur : eqr::Blur<double> {
    using eqr::Blur<double>::Blur;
    range_type adjoint(const domain_type& y) const { return apply(y); }
  };
  const WrongBlur wrong(test_kernel<double>(), 6, 6);
  CHECK(eqr::adjoint_mismatch(wrong, 4) > 1e-3);
}

TEST_CASE("blur matches a hand-computed convolution with zero boundary") {
  // x is a single 1 at (1, 1) of a 3×3 image: the convolution reproduces the kernel itself.
  const auto k = test_kernel<double>();
  eqr::Blur<double> b(k, 3, 3);
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

TEST_CASE("opnorm recovers known operator norms") {
  CHECK(eqr::opnorm(eqr::Identity<double>(8, 8), 20, 1) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(eqr::opnorm(eqr::scale(-3.5, eqr::Identity<double>(8, 5, 2)), 20, 1) == doctest::Approx(3.5).epsilon(1e-12));
  // A mask with weights in [0, 2]: the norm is the largest |weight|.
  xt::xtensor<double, 2> m = {{0.5, 2.0, 1.0}, {-1.5, 0.0, 0.25}};
  CHECK(eqr::opnorm(eqr::PixelMask<double>(m), 200, 3) == doctest::Approx(2.0).epsilon(1e-6));
  // A blur by a non-negative kernel of sum s on a large image: the norm tends to s (attained by the constant
  // image far from the boundary), and is below s on a finite image.
  xt::xtensor<double, 2> box = xt::ones<double>({3, 3}) / 9.0;
  const double n = eqr::opnorm(eqr::Blur<double>(box, 40, 40), 300, 5);
  CHECK(n <= 1.0 + 1e-12);
  CHECK(n > 0.99);
}

TEST_CASE("data term: value, gradient against central differences, and the vector–Jacobian product") {
  const auto k = test_kernel<double>();
  const eqr::Blur<double> b(k, 5, 4);
  eqr::Random rng(11);
  const auto y = eqr::random_normal<double>(b.range_shape(2), rng);
  const auto u = eqr::random_normal<double>(b.domain_shape(2), rng);
  const eqr::DataTerm<eqr::Blur<double>> e(b, y);
  xt::xtensor<double, 4> r = b.apply(u) - y;
  CHECK(e.value(u) == doctest::Approx(0.5 * eqr::inner<xt::xtensor<double, 4>>(r, r)));
  const auto g = e.gradient(u);
  const double h = 1e-5;
  for (std::size_t idx : {0u, 7u, 19u, 23u, 39u}) {
    auto up = u, um = u;
    up.data()[idx] += h;
    um.data()[idx] -= h;
    const double fd = (e.value(up) - e.value(um)) / (2 * h);
    CHECK(g.data()[idx] == doctest::Approx(fd).epsilon(1e-7));
  }
  // The gradient is affine: ∇E(u + t v) − ∇E(u) = t·AᵀA v.
  const auto v = eqr::random_normal<double>(b.domain_shape(2), rng);
  const auto jv = e.gradient_vjp(v);
  const xt::xtensor<double, 4> diff = e.gradient(u + 0.5 * v) - g;
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(diff.data()[i] == doctest::Approx(0.5 * jv.data()[i]).epsilon(1e-10));
}

TEST_CASE("wrong shapes are reported with expected and found shapes") {
  const eqr::Blur<float> b(test_kernel<float>(), 5, 4);
  xt::xtensor<float, 4> x = xt::zeros<float>({1, 1, 4, 5});
  CHECK_THROWS_AS(b.apply(x), eqr::shape_error);
  CHECK_THROWS_WITH(b.apply(x), doctest::Contains("expected a batch of shape (1, 1, 5, 4), found (1, 1, 4, 5)"));
  CHECK_THROWS_AS(eqr::Blur<float>(xt::ones<float>({2, 3}), 5, 5), eqr::shape_error);
  CHECK_THROWS_AS(eqr::compose(eqr::Identity<float>(4, 4), eqr::Identity<float>(4, 5)), eqr::shape_error);
  CHECK_THROWS_AS(eqr::DataTerm<eqr::Identity<float>>(eqr::Identity<float>(4, 4), xt::zeros<float>({1, 1, 4, 3})),
                  eqr::shape_error);
  CHECK_THROWS_AS(eqr::scale(std::nan(""), eqr::Identity<float>(4, 4)), eqr::value_error);
}
