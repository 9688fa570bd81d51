// The CPU backend's non-convolution primitives: allocation and transfer, elementwise ops and their
// derivatives (finite differences in double), channel concat/slice/split, bias, reductions, shape errors.
// Written against the TensorBackend interface only, so the same cases apply to any backend.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"

namespace {

using eqr::Activation;
using eqr::Shape4;

template <class T>
std::vector<T> iota_values(std::size_t n, T start = T(1)) {
  std::vector<T> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

template <class F>
std::string shape_error_message(F f) {
  try {
    f();
  } catch (const eqr::shape_error& e) {
    return e.what();
  }
  return "no shape_error";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE_TEMPLATE("allocation and host transfer", B, eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
  using T = typename B::scalar_type;
  const Shape4 s{2, 3, 4, 5};
  CHECK(B::shape(B::zeros(s)) == s);
  CHECK(B::shape(B::empty(s)) == s);
  CHECK(B::to_host(B::zeros(s)) == std::vector<T>(120, T(0)));
  CHECK(B::to_host(B::full(s, T(2.5))) == std::vector<T>(120, T(2.5)));
  const auto v = iota_values<T>(120);
  const auto t = B::from_host(s, v);
  CHECK(B::to_host(t) == v);
  // Row-major N × C × H × W: element (n, c, i, j) sits at ((n·C + c)·H + i)·W + j.
  CHECK(t(1, 2, 3, 4) == v.back());
  CHECK(t(1, 0, 2, 1) == v[((1 * 3 + 0) * 4 + 2) * 5 + 1]);
  auto copy = B::clone(t);
  B::fill(copy, T(0));
  CHECK(B::to_host(t) == v);  // the clone is independent
  const std::string msg = shape_error_message([&] { (void)B::from_host(s, std::vector<T>(7)); });
  CHECK(contains(msg, "120"));
  CHECK(contains(msg, "7"));
  CHECK(contains(msg, "2×3×4×5"));
  CHECK(B::device() == eqr::Device{eqr::DeviceKind::cpu, 0});
}

TEST_CASE_TEMPLATE("add, subtract, multiply, axpy, scale, fill (hand values, large sizes in parallel)", B,
                   eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
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
    B::fill(y, T(3));
    CHECK(B::to_host(y) == std::vector<T>(n, T(3)));
  }
  const auto x = B::zeros({1, 2, 3, 4});
  const auto z = B::zeros({1, 2, 4, 3});
  const std::string msg = shape_error_message([&] { (void)B::add(x, z); });
  CHECK(contains(msg, "1×2×3×4"));
  CHECK(contains(msg, "1×2×4×3"));
  auto xc = B::clone(x);
  CHECK_THROWS_AS(B::axpy(typename B::scalar_type(1), z, xc), eqr::shape_error);
  CHECK_THROWS_AS((void)B::multiply(x, z), eqr::shape_error);
}

TEST_CASE_TEMPLATE("activations: hand values", B, eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
  using T = typename B::scalar_type;
  const auto x = B::from_host({1, 1, 1, 4}, std::vector<T>{T(-2), T(-0.5), T(0), T(3)});
  auto values = [&](Activation phi) { return B::to_host(B::activation_forward(x, phi)); };
  CHECK(values(Activation::relu()) == std::vector<T>{0, 0, 0, 3});
  CHECK(values(Activation::identity()) == B::to_host(x));
  const auto leaky = values(Activation::leaky_relu(0.01));
  CHECK(leaky[0] == doctest::Approx(-0.02));
  CHECK(leaky[1] == doctest::Approx(-0.005));
  CHECK(leaky[3] == T(3));
  const auto elu = values(Activation::elu(2.0));
  CHECK(elu[0] == doctest::Approx(2.0 * (std::exp(-2.0) - 1.0)));
  CHECK(elu[3] == T(3));
  const auto th = values(Activation::tanh());
  CHECK(th[0] == doctest::Approx(-0.9640275800758169));
  CHECK(th[2] == T(0));
  // Derivatives at the kink take the left value: relu'(0) = 0, leaky'(0) = s.
  const auto ones = B::full({1, 1, 1, 4}, T(1));
  CHECK(B::to_host(B::activation_backward(x, ones, Activation::relu())) == std::vector<T>{0, 0, 0, 1});
  CHECK(B::to_host(B::activation_backward(x, ones, Activation::leaky_relu(0.25))) ==
        std::vector<T>{T(0.25), T(0.25), T(0.25), T(1)});
  CHECK_THROWS_AS((void)B::activation_forward(x, Activation::elu(-1.0)), eqr::value_error);
  CHECK_THROWS_AS((void)B::activation_backward(x, B::zeros({1, 1, 1, 3}), Activation::relu()), eqr::shape_error);
}

TEST_CASE("activation derivatives equal central finite differences in double") {
  using B = eqr::cpu::CpuBackend<double>;
  const Shape4 s{2, 3, 4, 5};
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

TEST_CASE_TEMPLATE("channel concat, slice, split and add_to_channels", B, eqr::cpu::CpuBackend<float>,
                   eqr::cpu::CpuBackend<double>) {
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

TEST_CASE_TEMPLATE("bias add and its gradient", B, eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
  using T = typename B::scalar_type;
  auto y = B::zeros({2, 3, 2, 2});
  const auto bias = B::from_host(eqr::bias_shape(3), std::vector<T>{1, -2, 4});
  B::add_bias(y, bias);
  const auto v = B::to_host(y);
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == std::vector<T>{1, -2, 4}[(i / 4) % 3]);
  // conv2d_backward_bias is the adjoint of add_bias: ⟨add_bias(0, b), g⟩ = ⟨b, backward_bias(g)⟩.
  const auto g = B::from_host({2, 3, 2, 2}, iota_values<T>(24, T(-7)));
  CHECK(B::dot(y, g) == doctest::Approx(B::dot(bias, B::conv2d_backward_bias(g))));
  // Hand value: channel 0 holds -7..-4 (image 0) and 5..8 (image 1): sum 4.
  CHECK(B::to_host(B::conv2d_backward_bias(g))[0] == T(4));
  CHECK(contains(shape_error_message([&] { B::add_bias(y, B::zeros({1, 2, 1, 1})); }), "1×3×1×1"));
}

TEST_CASE_TEMPLATE("reductions: closed forms, also above the parallel grain", B, eqr::cpu::CpuBackend<float>,
                   eqr::cpu::CpuBackend<double>) {
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

TEST_CASE_TEMPLATE("channel copies and bias above the parallel grain keep every element in place", B,
                   eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
  using T = typename B::scalar_type;
  const Shape4 sa{3, 3, 100, 70}, sb{3, 2, 100, 70};  // 63000 and 42000 elements, chunks cross image borders
  const auto a = B::from_host(sa, iota_values<T>(sa.numel(), T(0)));
  const auto b = B::from_host(sb, iota_values<T>(sb.numel(), T(-1e6)));
  const auto c = B::concat_channels({a, b});
  const auto v = B::to_host(c);
  bool ok = true;
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t ch = 0; ch < 5; ++ch)
      for (std::size_t q = 0; q < sa.plane(); ++q) {
        const T expected = ch < 3 ? T((n * 3 + ch) * sa.plane() + q) : T(-1e6) + T((n * 2 + ch - 3) * sa.plane() + q);
        ok = ok && v[(n * 5 + ch) * sa.plane() + q] == expected;
      }
  CHECK(ok);
  CHECK(B::to_host(B::slice_channels(c, 3, 2)) == B::to_host(b));
  auto y = B::zeros({3, 5, 100, 70});
  B::add_bias(y, B::from_host(eqr::bias_shape(5), std::vector<T>{1, 2, 3, 4, 5}));
  const auto yv = B::to_host(y);
  bool bias_ok = true;
  for (std::size_t i = 0; i < yv.size(); ++i) bias_ok = bias_ok && yv[i] == T((i / sa.plane()) % 5 + 1);
  CHECK(bias_ok);
}
