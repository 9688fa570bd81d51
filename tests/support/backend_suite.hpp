/// @file tests/support/backend_suite.hpp
/// The backend conformance suites, written against the `TensorBackend` interface only and defined with
/// doctest's TEST_CASE_TEMPLATE_DEFINE, so every backend runs the same cases: a test file includes this
/// header (after doctest) and instantiates them with
///
///     TEST_CASE_TEMPLATE_INVOKE(backend_suite, B1, B2, …);          // every backend, float and double
///     TEST_CASE_TEMPLATE_INVOKE(backend_suite_double, Bd1, Bd2, …); // double backends: finite differences
///
/// What they assert: allocation and host transfer, elementwise hand values, activations (hand values and
/// central finite differences in double), channel concat/slice/split and the adjointness of
/// add_to_channels, bias and its gradient, reductions (closed forms), and the three convolution passes
/// against a slow direct reference in double, as mutual adjoints, against finite differences, and on a
/// hand example of replicate padding's backward rule; shape errors name both shapes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"

#include "conv_reference.hpp"

namespace eqr::testing::suite {

/// 1, 2, …, n (or start, start + 1, …).
template <class T>
std::vector<T> iota_values(std::size_t n, T start = T(1)) {
  std::vector<T> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

/// The message of the shape_error f throws, or "no shape_error".
template <class F>
std::string shape_error_message(F f) {
  try {
    f();
  } catch (const eqr::shape_error& e) {
    return e.what();
  }
  return "no shape_error";
}

/// Whether `part` occurs in `s`.
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace eqr::testing::suite

TEST_CASE_TEMPLATE_DEFINE("allocation and host transfer", B, backend_suite_allocation) {
  using namespace eqr::testing::suite;
  using T = typename B::scalar_type;
  const eqr::Shape4 s{2, 3, 4, 5};
  CHECK(B::shape(B::zeros(s)) == s);
  CHECK(B::shape(B::empty(s)) == s);
  CHECK(B::to_host(B::zeros(s)) == std::vector<T>(120, T(0)));
  CHECK(B::to_host(B::full(s, T(2.5))) == std::vector<T>(120, T(2.5)));
  const auto v = iota_values<T>(120);
  const auto t = B::from_host(s, v);
  CHECK(B::to_host(t) == v);
  auto copy = B::clone(t);
  B::fill(copy, T(0));
  CHECK(B::to_host(t) == v);  // the clone is independent
  CHECK(B::to_host(copy) == std::vector<T>(120, T(0)));
  const std::string msg = shape_error_message([&] { (void)B::from_host(s, std::vector<T>(7)); });
  CHECK(contains(msg, "120"));
  CHECK(contains(msg, "7"));
  CHECK(contains(msg, "2×3×4×5"));
}

TEST_CASE_TEMPLATE_DEFINE("add, subtract, multiply, axpy, scale, fill (hand values, large sizes)", B,
                          backend_suite_elementwise) {
  using namespace eqr::testing::suite;
  using eqr::Shape4;
  using T = typename B::scalar_type;
  for (const Shape4 s : {Shape4{1, 2, 2, 3}, Shape4{2, 3, 110, 120}}) {  // the second is above the parallel grain
    const std::size_t n = s.numel();
    std::vector<T> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<T>(i % 17) - T(8);
      b[i] = static_cast<T>(i % 5) + T(1);
    }
    const auto ta = B::from_host(s, a), tb = B::from_host(s, b);
    const auto sum = B::to_host(B::add(ta, tb)), diff = B::to_host(B::subtract(ta, tb)),
               prod = B::to_host(B::multiply(ta, tb));
    auto y = B::clone(tb);
    B::axpy(T(-2), ta, y);
    const auto axpy = B::to_host(y);
    B::scale(y, T(0.5));
    const auto scaled = B::to_host(y);
    bool ok = true;
    for (std::size_t i = 0; i < n; ++i) {
      ok = ok && sum[i] == a[i] + b[i] && diff[i] == a[i] - b[i] && prod[i] == a[i] * b[i];
      ok = ok && axpy[i] == b[i] - 2 * a[i] && scaled[i] == (b[i] - 2 * a[i]) / 2;
    }
    CHECK(ok);
    CHECK(B::to_host(tb) == b);  // axpy and scale changed only the clone
    B::fill(y, T(3));
    CHECK(B::to_host(y) == std::vector<T>(n, T(3)));
  }
  const auto x = B::zeros({1, 2, 3, 4});
  const auto z = B::zeros({1, 2, 4, 3});
  const std::string msg = shape_error_message([&] { (void)B::add(x, z); });
  CHECK(contains(msg, "1×2×3×4"));
  CHECK(contains(msg, "1×2×4×3"));
  auto xc = B::clone(x);
  CHECK_THROWS_AS(B::axpy(T(1), z, xc), eqr::shape_error);
  CHECK_THROWS_AS((void)B::multiply(x, z), eqr::shape_error);
  CHECK_THROWS_AS((void)B::subtract(x, z), eqr::shape_error);
}

TEST_CASE_TEMPLATE_DEFINE("activations: hand values", B, backend_suite_activations) {
  using eqr::Activation;
  using T = typename B::scalar_type;
  const auto x = B::from_host({1, 1, 1, 4}, std::vector<T>{T(-2), T(-0.5), T(0), T(3)});
  auto values = [&](Activation phi) { return B::to_host(B::activation_forward(x, phi)); };
  CHECK(values(Activation::relu()) == std::vector<T>{0, 0, 0, 3});
  CHECK(values(Activation::identity()) == B::to_host(x));
  const auto leaky = values(Activation::leaky_relu(0.01));
  CHECK(leaky[0] == doctest::Approx(-0.02));
  CHECK(leaky[1] == doctest::Approx(-0.005));
  CHECK(leaky[2] == T(0));
  CHECK(leaky[3] == T(3));
  const auto elu = values(Activation::elu(2.0));
  CHECK(elu[0] == doctest::Approx(2.0 * (std::exp(-2.0) - 1.0)));
  CHECK(elu[2] == T(0));
  CHECK(elu[3] == T(3));
  const auto th = values(Activation::tanh());
  CHECK(th[0] == doctest::Approx(-0.9640275800758169));
  CHECK(th[2] == T(0));
  // Derivatives at the kink take the left value: relu'(0) = 0, leaky'(0) = s, elu'(0) = α.
  const auto ones = B::full({1, 1, 1, 4}, T(1));
  CHECK(B::to_host(B::activation_backward(x, ones, Activation::relu())) == std::vector<T>{0, 0, 0, 1});
  CHECK(B::to_host(B::activation_backward(x, ones, Activation::leaky_relu(0.25))) ==
        std::vector<T>{T(0.25), T(0.25), T(0.25), T(1)});
  CHECK(B::to_host(B::activation_backward(x, ones, Activation::elu(2.0)))[2] == T(2));
  CHECK(B::to_host(B::activation_backward(x, ones, Activation::identity())) == std::vector<T>{1, 1, 1, 1});
  CHECK_THROWS_AS((void)B::activation_forward(x, Activation::elu(-1.0)), eqr::value_error);
  CHECK_THROWS_AS((void)B::activation_backward(x, B::zeros({1, 1, 1, 3}), Activation::relu()), eqr::shape_error);
}

TEST_CASE_TEMPLATE_DEFINE("activation derivatives equal central finite differences in double", B,
                          backend_suite_activation_gradients) {
  using eqr::Activation;
  static_assert(std::is_same_v<typename B::scalar_type, double>, "finite differences need a double backend.");
  const eqr::Shape4 s{2, 3, 4, 5};
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::vector<double> xv(s.numel()), gv(s.numel());
  for (auto& v : xv) {
    do v = u(rng);
    while (std::abs(v) < 1e-2);  // away from the kink of relu / leaky relu / elu
  }
  for (auto& v : gv) v = u(rng);
  const auto x = B::from_host(s, xv), g = B::from_host(s, gv);
  const double eps = 1e-5;
  for (const Activation phi : {Activation::relu(), Activation::leaky_relu(0.01), Activation::leaky_relu(0.3),
                               Activation::elu(1.0), Activation::elu(0.5), Activation::tanh(), Activation::identity()}) {
    CAPTURE(eqr::to_string(phi));
    const auto analytic = B::to_host(B::activation_backward(x, g, phi));
    // Loss ⟨φ(x), g⟩: its gradient is φ'(x) ⊙ g; each coordinate's central difference, one at a time.
    double worst = 0.0, scale = 1e-30;
    for (std::size_t i = 0; i < xv.size(); ++i) {
      auto up = xv, down = xv;
      up[i] += eps;
      down[i] -= eps;
      const double fd = (B::dot(B::activation_forward(B::from_host(s, up), phi), g) -
                         B::dot(B::activation_forward(B::from_host(s, down), phi), g)) /
                        (2 * eps);
      worst = std::max(worst, std::abs(fd - analytic[i]));
      scale = std::max(scale, std::abs(analytic[i]));
    }
    CHECK(worst / scale <= 1e-6);
  }
}

TEST_CASE_TEMPLATE_DEFINE("channel concat, slice, split and add_to_channels", B, backend_suite_channels) {
  using namespace eqr::testing::suite;
  using eqr::Shape4;
  using T = typename B::scalar_type;
  const auto a = B::from_host({2, 1, 2, 2}, iota_values<T>(8, T(1)));    // values 1..8
  const auto b = B::from_host({2, 2, 2, 2}, iota_values<T>(16, T(101)));  // values 101..116
  const auto c = B::concat_channels({a, b});
  CHECK(B::shape(c) == Shape4{2, 3, 2, 2});
  // Image 0: a's channel 0 (1..4), then b's channels 0, 1 (101..108); image 1: 5..8, then 109..116.
  CHECK(B::to_host(c) == std::vector<T>{1,   2,   3,   4,   101, 102, 103, 104, 105, 106, 107, 108,
                                        5,   6,   7,   8,   109, 110, 111, 112, 113, 114, 115, 116});
  CHECK(B::to_host(B::slice_channels(c, 1, 2)) == B::to_host(b));
  CHECK(B::to_host(B::slice_channels(c, 2, 1)) == std::vector<T>{105, 106, 107, 108, 113, 114, 115, 116});
  const std::vector<std::size_t> counts{1, 2};
  const auto parts = B::split_channels(c, counts);
  REQUIRE(parts.size() == 2);
  CHECK(B::to_host(parts[0]) == B::to_host(a));
  CHECK(B::to_host(parts[1]) == B::to_host(b));
  // A slice is a new tensor: changing it leaves its source alone (also for N = 1, where a view would be
  // contiguous).
  const auto one = B::from_host({1, 3, 1, 2}, iota_values<T>(6, T(1)));
  auto slice = B::slice_channels(one, 1, 1);
  B::fill(slice, T(0));
  CHECK(B::to_host(one) == iota_values<T>(6, T(1)));
  // add_to_channels is the adjoint of slice_channels: ⟨slice(x), p⟩ = ⟨x, add_to_channels(0, c0, p)⟩.
  const auto x = B::from_host({2, 4, 3, 2}, iota_values<T>(48, T(-20)));
  const auto p = B::from_host({2, 2, 3, 2}, iota_values<T>(24, T(3)));
  auto y = B::zeros({2, 4, 3, 2});
  B::add_to_channels(y, 1, p);
  CHECK(B::dot(B::slice_channels(x, 1, 2), p) == doctest::Approx(B::dot(x, y)));
  CHECK(B::to_host(B::slice_channels(y, 1, 2)) == B::to_host(p));
  CHECK(B::sum(B::slice_channels(y, 0, 1)) == 0.0);
  CHECK(B::sum(B::slice_channels(y, 3, 1)) == 0.0);

  const auto taller = B::zeros({2, 1, 3, 2});
  const std::string msg = shape_error_message([&] { (void)B::concat_channels({a, taller}); });
  CHECK(contains(msg, "2×1×2×2"));
  CHECK(contains(msg, "2×1×3×2"));
  CHECK_THROWS_AS((void)B::slice_channels(c, 2, 2), eqr::shape_error);
  const std::vector<std::size_t> bad{1, 1};
  CHECK(contains(shape_error_message([&] { (void)B::split_channels(c, bad); }), "found a sum of 2"));
  CHECK_THROWS_AS(B::add_to_channels(y, 3, p), eqr::shape_error);
}

TEST_CASE_TEMPLATE_DEFINE("bias add and its gradient", B, backend_suite_bias) {
  using namespace eqr::testing::suite;
  using T = typename B::scalar_type;
  auto y = B::zeros({2, 3, 2, 2});
  const auto bias = B::from_host(eqr::bias_shape(3), std::vector<T>{1, -2, 4});
  B::add_bias(y, bias);
  const auto v = B::to_host(y);
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == std::vector<T>{1, -2, 4}[(i / 4) % 3]);
  // conv2d_backward_bias is the adjoint of add_bias: ⟨add_bias(0, b), g⟩ = ⟨b, backward_bias(g)⟩.
  const auto g = B::from_host({2, 3, 2, 2}, iota_values<T>(24, T(-7)));
  CHECK(B::shape(B::conv2d_backward_bias(g)) == eqr::bias_shape(3));
  CHECK(B::dot(y, g) == doctest::Approx(B::dot(bias, B::conv2d_backward_bias(g))));
  // Hand value: channel 0 holds -7..-4 (image 0) and 5..8 (image 1): sum 4.
  CHECK(B::to_host(B::conv2d_backward_bias(g))[0] == T(4));
  CHECK(contains(shape_error_message([&] { B::add_bias(y, B::zeros({1, 2, 1, 1})); }), "1×3×1×1"));
}

TEST_CASE_TEMPLATE_DEFINE("reductions: closed forms, also on large tensors", B, backend_suite_reductions) {
  using namespace eqr::testing::suite;
  using T = typename B::scalar_type;
  for (std::size_t n : {10u, 100000u}) {
    const auto t = B::from_host({1, 1, 1, n}, iota_values<T>(n, T(1)));
    const double dn = static_cast<double>(n);
    CHECK(B::sum(t) == doctest::Approx(dn * (dn + 1) / 2));                        // Σ i
    CHECK(B::squared_norm(t) == doctest::Approx(dn * (dn + 1) * (2 * dn + 1) / 6));  // Σ i²
    CHECK(B::dot(t, B::full({1, 1, 1, n}, T(2))) == doctest::Approx(dn * (dn + 1)));
  }
  CHECK_THROWS_AS((void)B::dot(B::zeros({1, 1, 2, 2}), B::zeros({1, 1, 1, 4})), eqr::shape_error);
}

TEST_CASE_TEMPLATE_DEFINE("conv2d passes match a direct reference and are mutual adjoints", B, backend_suite_conv) {
  using namespace eqr::testing::suite;
  using eqr::Padding;
  using eqr::Shape4;
  using T = typename B::scalar_type;
  struct Case {
    Shape4 x;
    std::size_t c_out, k;
  };
  // k = 1, 3, 5; non-square; N > 1; images smaller than the kernel and thinner than its radius.
  unsigned seed = 1;
  for (const Case& cs : {Case{{2, 3, 7, 10}, 4, 3}, Case{{1, 2, 6, 5}, 5, 5}, Case{{3, 4, 5, 9}, 2, 1},
                         Case{{1, 1, 1, 1}, 1, 3}, Case{{2, 2, 3, 4}, 3, 5}, Case{{1, 2, 1, 6}, 3, 5}}) {
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      CAPTURE(eqr::to_string(cs.x));
      CAPTURE(cs.k);
      CAPTURE(std::string(eqr::name(pad)));
      const Shape4 ws{cs.c_out, cs.x.c, cs.k, cs.k}, ys{cs.x.n, cs.c_out, cs.x.h, cs.x.w};
      const auto xv = random_values<T>(cs.x.numel(), seed++), wv = random_values<T>(ws.numel(), seed++);
      const auto bv = random_values<T>(cs.c_out, seed++), gv = random_values<T>(ys.numel(), seed++);
      const auto x = B::from_host(cs.x, xv), w = B::from_host(ws, wv), bias = B::from_host(eqr::bias_shape(cs.c_out), bv);
      const auto g = B::from_host(ys, gv);
      const DirectConv ref{cs.x, cs.c_out, cs.k, pad};
      const std::vector<T> no_bias(cs.c_out, T(0));
      CHECK(relative_error(B::to_host(B::conv2d(x, w, pad)), ref.forward(xv, wv, no_bias)) <= tolerance<T>());
      CHECK(relative_error(B::to_host(B::conv2d(x, w, bias, pad)), ref.forward(xv, wv, bv)) <= tolerance<T>());
      CHECK(relative_error(B::to_host(B::conv2d_backward_data(g, w, pad)), ref.backward_data(gv, wv)) <= tolerance<T>());
      CHECK(relative_error(B::to_host(B::conv2d_backward_weights(x, g, cs.k, pad)), ref.backward_weights(xv, gv)) <=
            tolerance<T>());
      // ⟨conv(x, w), g⟩ = ⟨x, bwd_data(g)⟩ = ⟨w, bwd_weights(x, g)⟩.
      const double lhs = B::dot(B::conv2d(x, w, pad), g);
      const double scale = std::sqrt(B::squared_norm(B::conv2d(x, w, pad)) * B::squared_norm(g)) + 1e-30;
      CHECK(std::abs(lhs - B::dot(x, B::conv2d_backward_data(g, w, pad))) <= 10 * tolerance<T>() * scale);
      CHECK(std::abs(lhs - B::dot(w, B::conv2d_backward_weights(x, g, cs.k, pad))) <= 10 * tolerance<T>() * scale);
    }
  }
}

TEST_CASE_TEMPLATE_DEFINE("replicate backward-data adds clamped taps onto the border (hand example)", B,
                          backend_suite_replicate_rule) {
  using eqr::Padding;
  using T = typename B::scalar_type;
  // One 1×3 row image, 3×3 all-ones kernel, replicate padding: the single row is read 3 times, so
  // y = 3·(x0+x0+x1, x0+x1+x2, x1+x2+x2); dy = (1, 0, 0) gives dx = (6, 3, 0), dy = (0, 0, 1) gives (0, 3, 6).
  const auto w = B::full({1, 1, 3, 3}, T(1));
  const std::vector<T> left{1, 0, 0}, right{0, 0, 1};
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, left), w, Padding::replicate)) ==
        std::vector<T>{6, 3, 0});
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, right), w, Padding::replicate)) ==
        std::vector<T>{0, 3, 6});
  // Zero padding drops those taps.
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, left), w, Padding::zeros)) ==
        std::vector<T>{1, 1, 0});
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, right), w, Padding::zeros)) ==
        std::vector<T>{0, 1, 1});
  // The weight gradient of the same example: dw[a, b] = Σ_j dy_j x̃(a − 1, j + b − 1) with x = (1, 2, 3),
  // dy = (1, 0, 0): the taps at j = 0 read (x0, x0, x1) in every row, so dw = [[1, 1, 2]] × 3 rows.
  const auto x = B::from_host({1, 1, 1, 3}, std::vector<T>{1, 2, 3});
  CHECK(B::to_host(B::conv2d_backward_weights(x, B::from_host({1, 1, 1, 3}, left), 3, Padding::replicate)) ==
        std::vector<T>{1, 1, 2, 1, 1, 2, 1, 1, 2});
}

TEST_CASE_TEMPLATE_DEFINE("conv2d backward passes equal central finite differences in double", B,
                          backend_suite_conv_gradients) {
  using eqr::testing::suite::ConvCase;
  eqr::testing::suite::check_conv_backward_by_central_differences<B>(
      {ConvCase{{2, 2, 5, 6}, 3, 3}, ConvCase{{1, 2, 3, 8}, 2, 5}, ConvCase{{1, 2, 6, 1}, 2, 5}});
}

TEST_CASE_TEMPLATE_DEFINE("convolution shape errors name both shapes", B, backend_suite_conv_errors) {
  using namespace eqr::testing::suite;
  using eqr::Padding;
  const auto x = B::zeros({2, 3, 5, 5});
  const std::string channels = shape_error_message([&] { (void)B::conv2d(x, B::zeros({4, 2, 3, 3}), Padding::zeros); });
  CHECK(contains(channels, "2×3×5×5"));
  CHECK(contains(channels, "4×2×3×3"));
  CHECK(contains(shape_error_message([&] { (void)B::conv2d(x, B::zeros({4, 3, 2, 2}), Padding::zeros); }), "4×3×2×2"));
  CHECK(contains(shape_error_message([&] { (void)B::conv2d(x, B::zeros({4, 3, 3, 3}), B::zeros({1, 3, 1, 1}), Padding::zeros); }),
                 "1×4×1×1"));
  CHECK_THROWS_AS((void)B::conv2d_backward_data(B::zeros({2, 3, 5, 5}), B::zeros({4, 3, 3, 3}), Padding::replicate),
                  eqr::shape_error);
  CHECK_THROWS_AS((void)B::conv2d_backward_weights(x, B::zeros({2, 4, 5, 6}), 3, Padding::zeros), eqr::shape_error);
  CHECK_THROWS_AS((void)B::conv2d_backward_weights(x, B::zeros({2, 4, 5, 5}), 2, Padding::zeros), eqr::shape_error);
}

/// Registers every float-and-double suite above for the given backends.
#define EQR_BACKEND_SUITES(...)                                               \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_allocation, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_elementwise, __VA_ARGS__);          \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_activations, __VA_ARGS__);          \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_channels, __VA_ARGS__);             \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_bias, __VA_ARGS__);                 \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_reductions, __VA_ARGS__);           \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_conv, __VA_ARGS__);                 \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_replicate_rule, __VA_ARGS__);       \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_conv_errors, __VA_ARGS__)

/// Registers the finite-difference suites (double backends only).
#define EQR_BACKEND_SUITES_DOUBLE(...)                                        \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_activation_gradients, __VA_ARGS__); \
  TEST_CASE_TEMPLATE_INVOKE(backend_suite_conv_gradients, __VA_ARGS__)
