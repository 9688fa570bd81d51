// The CPU convolution engine (forward, backward-data, backward-weights, bias) against a slow direct
// reference written here, against central finite differences in double, and as adjoints.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/conv/im2col_microkernel.hpp"
#include "eqr/backends/cpu/threads.hpp"

namespace {

using eqr::Padding;
using eqr::Shape4;

/// Uniform random values in [−1, 1) from a fixed seed.
template <class T>
std::vector<T> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(u(rng));
  return v;
}

/// Slow direct reference for all three passes, in double, straight from the definitions.
struct Reference {
  Shape4 xs;
  std::size_t c_out, k;
  Padding pad;

  std::size_t r() const { return k / 2; }
  std::size_t xi(std::size_t n, std::size_t c, std::size_t i, std::size_t j) const {
    return ((n * xs.c + c) * xs.h + i) * xs.w + j;
  }
  std::size_t yi(std::size_t n, std::size_t o, std::size_t i, std::size_t j) const {
    return ((n * c_out + o) * xs.h + i) * xs.w + j;
  }
  std::size_t wi(std::size_t o, std::size_t c, std::size_t a, std::size_t b) const {
    return ((o * xs.c + c) * k + a) * k + b;
  }
  /// The pixel index that tap (i + a − r, j + b − r) reads, or false if it reads a zero.
  bool source(std::size_t i, std::size_t a, std::size_t j, std::size_t b, std::size_t& si, std::size_t& sj) const {
    const long ii = static_cast<long>(i + a) - static_cast<long>(r());
    const long jj = static_cast<long>(j + b) - static_cast<long>(r());
    const long h = static_cast<long>(xs.h), w = static_cast<long>(xs.w);
    if (pad == Padding::zeros && (ii < 0 || ii >= h || jj < 0 || jj >= w)) return false;
    si = static_cast<std::size_t>(std::clamp(ii, 0L, h - 1));
    sj = static_cast<std::size_t>(std::clamp(jj, 0L, w - 1));
    return true;
  }
  /// Calls f(x index, y index, w index) for every multiply-add of the convolution.
  template <class F>
  void for_each_tap(F f) const {
    for (std::size_t n = 0; n < xs.n; ++n)
      for (std::size_t o = 0; o < c_out; ++o)
        for (std::size_t i = 0; i < xs.h; ++i)
          for (std::size_t j = 0; j < xs.w; ++j)
            for (std::size_t c = 0; c < xs.c; ++c)
              for (std::size_t a = 0; a < k; ++a)
                for (std::size_t b = 0; b < k; ++b) {
                  std::size_t si = 0, sj = 0;
                  if (source(i, a, j, b, si, sj)) f(xi(n, c, si, sj), yi(n, o, i, j), wi(o, c, a, b));
                }
  }
  template <class T>
  std::vector<double> forward(const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>* bias = nullptr) const {
    std::vector<double> y(xs.n * c_out * xs.h * xs.w, 0.0);
    for_each_tap([&](std::size_t p, std::size_t q, std::size_t s) { y[q] += double(w[s]) * double(x[p]); });
    if (bias)
      for (std::size_t q = 0; q < y.size(); ++q) y[q] += double((*bias)[(q / (xs.h * xs.w)) % c_out]);
    return y;
  }
  template <class T>
  std::vector<double> backward_data(const std::vector<T>& dy, const std::vector<T>& w) const {
    std::vector<double> dx(xs.numel(), 0.0);
    for_each_tap([&](std::size_t p, std::size_t q, std::size_t s) { dx[p] += double(w[s]) * double(dy[q]); });
    return dx;
  }
  template <class T>
  std::vector<double> backward_weights(const std::vector<T>& x, const std::vector<T>& dy) const {
    std::vector<double> dw(c_out * xs.c * k * k, 0.0);
    for_each_tap([&](std::size_t p, std::size_t q, std::size_t s) { dw[s] += double(dy[q]) * double(x[p]); });
    return dw;
  }
};

/// max |a − b| / max(max |b|, 1e-30).
template <class T>
double relative_error(const std::vector<T>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0.0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return diff / scale;
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

struct Case {
  Shape4 x;
  std::size_t c_out, k;
};

// Odd kernel sizes 1, 3, 5; non-square images; N > 1; C_in ≠ C_out; images smaller than the kernel (and
// thinner than its radius, replicate's small-image path); channel counts and widths that are not multiples
// of the microkernel's register block (up to 12 channels × 32 pixels).
const std::vector<Case> cases = {{{2, 3, 7, 10}, 4, 3}, {{1, 2, 6, 5}, 5, 5},   {{3, 4, 5, 9}, 2, 1},
                                 {{1, 1, 1, 1}, 1, 3},  {{2, 2, 3, 4}, 3, 5},   {{1, 5, 9, 6}, 5, 3},
                                 {{1, 7, 4, 37}, 14, 3}, {{2, 13, 3, 33}, 25, 1}, {{1, 3, 4, 5}, 2, 5},
                                 {{2, 2, 2, 7}, 3, 3},   {{1, 2, 1, 6}, 3, 5}};

}  // namespace

// Every inner kernel, float and double (the default kernel is one of the two).
#define EQR_CONV_BACKENDS                                                                                    \
  eqr::cpu::CpuBackend<float, eqr::cpu::Im2colGemm>, eqr::cpu::CpuBackend<double, eqr::cpu::Im2colGemm>,     \
      eqr::cpu::CpuBackend<float, eqr::cpu::Im2colMicrokernel>, eqr::cpu::CpuBackend<double, eqr::cpu::Im2colMicrokernel>

TEST_CASE_TEMPLATE("conv2d forward, backward-data, backward-weights and bias match the direct reference", B,
                   EQR_CONV_BACKENDS) {
  using T = typename B::scalar_type;
  unsigned seed = 1;
  for (const Case& cs : cases) {
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      CAPTURE(eqr::to_string(cs.x));
      CAPTURE(cs.k);
      CAPTURE(std::string(eqr::name(pad)));
      const Shape4 ws{cs.c_out, cs.x.c, cs.k, cs.k};
      const Shape4 ys{cs.x.n, cs.c_out, cs.x.h, cs.x.w};
      const auto xv = random_values<T>(cs.x.numel(), seed++);
      const auto wv = random_values<T>(ws.numel(), seed++);
      const auto bv = random_values<T>(cs.c_out, seed++);
      const auto gv = random_values<T>(ys.numel(), seed++);
      const auto x = B::from_host(cs.x, xv), w = B::from_host(ws, wv), b = B::from_host(eqr::bias_shape(cs.c_out), bv);
      const auto g = B::from_host(ys, gv);
      const Reference ref{cs.x, cs.c_out, cs.k, pad};

      const auto y = B::conv2d(x, w, pad);
      CHECK(B::shape(y) == ys);
      CHECK(relative_error(B::to_host(y), ref.forward(xv, wv)) < tolerance<T>());
      CHECK(relative_error(B::to_host(B::conv2d(x, w, b, pad)), ref.forward(xv, wv, &bv)) < tolerance<T>());

      const auto dx = B::conv2d_backward_data(g, w, pad);
      CHECK(B::shape(dx) == cs.x);
      CHECK(relative_error(B::to_host(dx), ref.backward_data(gv, wv)) < tolerance<T>());

      const auto dw = B::conv2d_backward_weights(x, g, cs.k, pad);
      CHECK(B::shape(dw) == ws);
      CHECK(relative_error(B::to_host(dw), ref.backward_weights(xv, gv)) < tolerance<T>());

      // db[o] = Σ_{n,i,j} dy[n,o,i,j].
      std::vector<double> db(cs.c_out, 0.0);
      for (std::size_t q = 0; q < gv.size(); ++q) db[(q / ys.plane()) % cs.c_out] += double(gv[q]);
      CHECK(relative_error(B::to_host(B::conv2d_backward_bias(g)), db) < tolerance<T>());
    }
  }
}

TEST_CASE_TEMPLATE("the im2col tiling does not change the result", B, EQR_CONV_BACKENDS) {
  using T = typename B::scalar_type;
  using Kernel = typename B::kernel_type;
  const Shape4 xs{2, 3, 11, 8}, ws{4, 3, 3, 3};
  const auto xv = random_values<T>(xs.numel(), 7), wv = random_values<T>(ws.numel(), 8);
  const auto gv = random_values<T>(xs.n * ws.n * xs.plane(), 9);
  for (Padding pad : {Padding::zeros, Padding::replicate}) {
    const Reference ref{xs, ws.n, ws.h, pad};
    const auto y_ref = ref.forward(xv, wv);
    const auto dx_ref = ref.backward_data(gv, wv);
    const auto dw_ref = ref.backward_weights(xv, gv);
    for (std::size_t rows : {1, 2, 3, 4, 11, 50}) {
      CAPTURE(rows);
      std::vector<T> y(y_ref.size()), dx(xs.numel()), dw(ws.numel());
      eqr::cpu::conv2d_forward<Kernel>(xv.data(), xs, wv.data(), ws, static_cast<const T*>(nullptr), pad, y.data(), rows);
      eqr::cpu::conv2d_backward_data<Kernel>(gv.data(), {xs.n, ws.n, xs.h, xs.w}, wv.data(), ws, pad, dx.data(), rows);
      eqr::cpu::conv2d_backward_weights<Kernel>(xv.data(), xs, gv.data(), {xs.n, ws.n, xs.h, xs.w}, 3, pad, dw.data(),
                                                rows);
      CHECK(relative_error(y, y_ref) < tolerance<T>());
      CHECK(relative_error(dx, dx_ref) < tolerance<T>());
      CHECK(relative_error(dw, dw_ref) < tolerance<T>());
    }
  }
}

TEST_CASE_TEMPLATE("backward passes equal central finite differences in double (both paddings, k = 1, 3, 5)", B,
                   eqr::cpu::CpuBackend<double, eqr::cpu::Im2colGemm>,
                   eqr::cpu::CpuBackend<double, eqr::cpu::Im2colMicrokernel>) {
  const double eps = 1e-3;
  unsigned seed = 100;
  for (const Case& cs : {Case{{2, 2, 5, 6}, 3, 3}, Case{{1, 3, 4, 7}, 2, 5}, Case{{2, 2, 3, 5}, 2, 1},
                         Case{{1, 2, 3, 8}, 2, 5}, Case{{1, 2, 9, 8}, 3, 5}, Case{{1, 2, 6, 1}, 2, 5}}) {
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      CAPTURE(eqr::to_string(cs.x));
      CAPTURE(std::string(eqr::name(pad)));
      const Shape4 ws{cs.c_out, cs.x.c, cs.k, cs.k}, ys{cs.x.n, cs.c_out, cs.x.h, cs.x.w};
      auto xv = random_values<double>(cs.x.numel(), seed++);
      auto wv = random_values<double>(ws.numel(), seed++);
      const auto g = B::from_host(ys, random_values<double>(ys.numel(), seed++));
      // L(x, w) = ⟨conv2d(x, w), g⟩, so ∂L/∂x = backward_data(g) and ∂L/∂w = backward_weights(x, g).
      auto loss = [&] { return B::dot(B::conv2d(B::from_host(cs.x, xv), B::from_host(ws, wv), pad), g); };
      auto central = [&](std::vector<double>& v) {
        std::vector<double> d(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) {
          const double keep = v[i];
          v[i] = keep + eps;
          const double up = loss();
          v[i] = keep - eps;
          const double down = loss();
          v[i] = keep;
          d[i] = (up - down) / (2 * eps);
        }
        return d;
      };
      const auto dx = B::to_host(B::conv2d_backward_data(g, B::from_host(ws, wv), pad));
      const auto dw = B::to_host(B::conv2d_backward_weights(B::from_host(cs.x, xv), g, cs.k, pad));
      CHECK(relative_error(dx, central(xv)) <= 1e-6);
      CHECK(relative_error(dw, central(wv)) <= 1e-6);
    }
  }
}

TEST_CASE("replicate backward-data adds the gradient of clamped taps onto the border pixels (hand example)") {
  // One 1×3 row image, 3×3 all-ones kernel, replicate padding: y_j = Σ of the 3×3 clamped neighbourhood.
  // Row clamping reads the single row 3 times, so y = 3·(x0+x0+x1, x0+x1+x2, x1+x2+x2).
  // With dy = (1, 0, 0): dx = 3·(2, 1, 0). With dy = (0, 0, 1): dx = 3·(0, 1, 2).
  using B = eqr::cpu::CpuBackend<double>;
  const auto w = B::full({1, 1, 3, 3}, 1.0);
  const std::vector<double> left{1, 0, 0}, right{0, 0, 1};
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, left), w, Padding::replicate)) ==
        std::vector<double>{6, 3, 0});
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, right), w, Padding::replicate)) ==
        std::vector<double>{0, 3, 6});
  // Zero padding drops those taps: dx = (1, 1, 0) and (0, 1, 1).
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, left), w, Padding::zeros)) ==
        std::vector<double>{1, 1, 0});
  CHECK(B::to_host(B::conv2d_backward_data(B::from_host({1, 1, 1, 3}, right), w, Padding::zeros)) ==
        std::vector<double>{0, 1, 1});
}

TEST_CASE_TEMPLATE("adjoint identities ⟨conv(x, w), y⟩ = ⟨x, bwd_data(y)⟩ = ⟨w, bwd_weights(x, y)⟩", B,
                   EQR_CONV_BACKENDS) {
  using T = typename B::scalar_type;
  const Shape4 xs{2, 6, 13, 9}, ws{5, 6, 3, 3}, ys{2, 5, 13, 9};
  const auto x = B::from_host(xs, random_values<T>(xs.numel(), 21));
  const auto w = B::from_host(ws, random_values<T>(ws.numel(), 22));
  const auto y = B::from_host(ys, random_values<T>(ys.numel(), 23));
  for (Padding pad : {Padding::zeros, Padding::replicate}) {
    const double lhs = B::dot(B::conv2d(x, w, pad), y);
    const double via_data = B::dot(x, B::conv2d_backward_data(y, w, pad));
    const double via_weights = B::dot(w, B::conv2d_backward_weights(x, y, 3, pad));
    const double scale = std::sqrt(B::squared_norm(B::conv2d(x, w, pad)) * B::squared_norm(y));
    CHECK(std::abs(lhs - via_data) <= 10 * tolerance<T>() * scale);
    CHECK(std::abs(lhs - via_weights) <= 10 * tolerance<T>() * scale);
  }
}

TEST_CASE_TEMPLATE("results do not depend on the number of threads (bit for bit)", B,
                   eqr::cpu::CpuBackend<float, eqr::cpu::Im2colGemm>,
                   eqr::cpu::CpuBackend<float, eqr::cpu::Im2colMicrokernel>) {
  // Enough row tiles (3 images × 40 rows) that the weight gradient's reduction really splits.
  const Shape4 xs{3, 8, 40, 24}, ys{3, 6, 40, 24}, ws{6, 8, 3, 3};
  const auto x = B::from_host(xs, random_values<float>(xs.numel(), 31));
  const auto y = B::from_host(ys, random_values<float>(ys.numel(), 32));
  const auto w = B::from_host(ws, random_values<float>(ws.numel(), 33));
  auto run = [&] {
    std::vector<std::vector<float>> out;
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      out.push_back(B::to_host(B::conv2d(x, w, pad)));
      out.push_back(B::to_host(B::conv2d_backward_data(y, w, pad)));
      out.push_back(B::to_host(B::conv2d_backward_weights(x, y, 3, pad)));
    }
    return out;
  };
  const auto many = run();
  std::vector<std::vector<float>> one;
  {
    const eqr::cpu::ThreadLimit limit(1);
    one = run();
  }
  CHECK(one == many);
}

TEST_CASE("convolution shape errors name both shapes") {
  using B = eqr::cpu::CpuBackend<float>;
  const auto x = B::zeros({2, 3, 5, 5});
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const eqr::shape_error& e) {
      return std::string(e.what());
    }
    return std::string("no shape_error");
  };
  const std::string wrong_cin = message([&] { (void)B::conv2d(x, B::zeros({4, 2, 3, 3}), Padding::zeros); });
  CHECK(wrong_cin.find("2×3×5×5") != std::string::npos);
  CHECK(wrong_cin.find("4×2×3×3") != std::string::npos);
  const std::string even = message([&] { (void)B::conv2d(x, B::zeros({4, 3, 2, 2}), Padding::zeros); });
  CHECK(even.find("4×3×2×2") != std::string::npos);
  CHECK(even.find("odd") != std::string::npos);
  const std::string bias =
      message([&] { (void)B::conv2d(x, B::zeros({4, 3, 3, 3}), B::zeros({1, 3, 1, 1}), Padding::zeros); });
  CHECK(bias.find("1×4×1×1") != std::string::npos);
  CHECK(bias.find("1×3×1×1") != std::string::npos);
  const std::string data = message([&] { (void)B::conv2d_backward_data(x, B::zeros({4, 3, 3, 3}), Padding::zeros); });
  CHECK(data.find("2×3×5×5") != std::string::npos);
  CHECK(data.find("4×3×3×3") != std::string::npos);
  const std::string weights =
      message([&] { (void)B::conv2d_backward_weights(x, B::zeros({2, 4, 5, 6}), 3, Padding::zeros); });
  CHECK(weights.find("2×3×5×5") != std::string::npos);
  CHECK(weights.find("2×4×5×6") != std::string::npos);
  CHECK_THROWS_AS((void)B::conv2d_backward_weights(x, B::zeros({2, 4, 5, 5}), 4, Padding::zeros), eqr::shape_error);
}
