/// @file tests/support/conv_reference.hpp
/// The convolution test references shared by the backend conformance suites (backend_suite.hpp) and the
/// CPU convolution engine's tests: seeded host values, a relative error, a slow direct convolution in
/// double for all three passes, and a check of the backward passes against central finite differences.
/// Include after doctest (in torch tests: after tests/support/torch_doctest.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "eqr/backends/concepts.hpp"

#include "finite_differences.hpp"

namespace eqr::testing::suite {

/// Uniform random values in [−1, 1) from a fixed seed.
template <class T>
std::vector<T> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(u(rng));
  return v;
}

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

/// A slow direct convolution in double straight from the concept's definitions (x̃ by clamping or zeros).
struct DirectConv {
  Shape4 xs;
  std::size_t c_out, k;
  Padding pad;

  /// Calls f(x index, y index, w index) for every multiply-add of y = conv2d(x, w, pad).
  template <class F>
  void for_each_tap(F f) const {
    const long r = static_cast<long>(k / 2), h = static_cast<long>(xs.h), w = static_cast<long>(xs.w);
    for (std::size_t n = 0; n < xs.n; ++n)
      for (std::size_t o = 0; o < c_out; ++o)
        for (long i = 0; i < h; ++i)
          for (long j = 0; j < w; ++j)
            for (std::size_t c = 0; c < xs.c; ++c)
              for (long a = 0; a < static_cast<long>(k); ++a)
                for (long b = 0; b < static_cast<long>(k); ++b) {
                  long si = i + a - r, sj = j + b - r;
                  if (pad == Padding::zeros && (si < 0 || si >= h || sj < 0 || sj >= w)) continue;
                  si = std::clamp(si, 0L, h - 1);
                  sj = std::clamp(sj, 0L, w - 1);
                  f(((n * xs.c + c) * xs.h + std::size_t(si)) * xs.w + std::size_t(sj),
                    ((n * c_out + o) * xs.h + std::size_t(i)) * xs.w + std::size_t(j),
                    ((o * xs.c + c) * k + std::size_t(a)) * k + std::size_t(b));
                }
  }
  /// y = conv2d(x, w, pad).
  template <class T>
  std::vector<double> forward(const std::vector<T>& x, const std::vector<T>& w) const {
    std::vector<double> y(xs.n * c_out * xs.plane(), 0.0);
    for_each_tap([&](std::size_t p, std::size_t q, std::size_t s) { y[q] += double(w[s]) * double(x[p]); });
    return y;
  }
  /// y = conv2d(x, w, pad) + bias (one value per output channel).
  template <class T>
  std::vector<double> forward(const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>& bias) const {
    std::vector<double> y = forward(x, w);
    for (std::size_t q = 0; q < y.size(); ++q) y[q] += double(bias[(q / xs.plane()) % c_out]);
    return y;
  }
  /// dx = conv2dᵀ dy (the adjoint in x).
  template <class T>
  std::vector<double> backward_data(const std::vector<T>& dy, const std::vector<T>& w) const {
    std::vector<double> dx(xs.numel(), 0.0);
    for_each_tap([&](std::size_t p, std::size_t q, std::size_t s) { dx[p] += double(w[s]) * double(dy[q]); });
    return dx;
  }
  /// dw = the adjoint in w of w ↦ conv2d(x, w).
  template <class T>
  std::vector<double> backward_weights(const std::vector<T>& x, const std::vector<T>& dy) const {
    std::vector<double> dw(c_out * xs.c * k * k, 0.0);
    for_each_tap([&](std::size_t p, std::size_t q, std::size_t s) { dw[s] += double(dy[q]) * double(x[p]); });
    return dw;
  }
};

/// 1e-5 for float, 1e-12 for double.
template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// One convolution test shape: input shape x, c_out output channels, k×k kernels.
struct ConvCase {
  Shape4 x;
  std::size_t c_out, k;
};

/// Checks, for every case and both paddings, that conv2d_backward_data and conv2d_backward_weights of the
/// double backend B equal the central finite differences (ε = 1e-3, exact up to rounding for a bilinear
/// loss) of L(x, w) = ⟨conv2d(x, w), g⟩ for a random g, to 1e-6 relative.
template <TensorBackend B>
void check_conv_backward_by_central_differences(std::initializer_list<ConvCase> cases) {
  static_assert(std::is_same_v<typename B::scalar_type, double>, "finite differences need a double backend.");
  const double eps = 1e-3;
  unsigned seed = 100;
  for (const ConvCase& cs : cases) {
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      CAPTURE(eqr::to_string(cs.x));
      CAPTURE(std::string(eqr::name(pad)));
      const Shape4 ws{cs.c_out, cs.x.c, cs.k, cs.k}, ys{cs.x.n, cs.c_out, cs.x.h, cs.x.w};
      auto xv = random_values<double>(cs.x.numel(), seed++);
      auto wv = random_values<double>(ws.numel(), seed++);
      const auto g = B::from_host(ys, random_values<double>(ys.numel(), seed++));
      // L(x, w) = ⟨conv2d(x, w), g⟩, so ∂L/∂x = backward_data(g) and ∂L/∂w = backward_weights(x, g).
      auto loss = [&] { return B::dot(B::conv2d(B::from_host(cs.x, xv), B::from_host(ws, wv), pad), g); };
      const auto dx = B::to_host(B::conv2d_backward_data(g, B::from_host(ws, wv), pad));
      const auto dw = B::to_host(B::conv2d_backward_weights(B::from_host(cs.x, xv), g, cs.k, pad));
      CHECK(relative_error(dx, central_differences(xv, loss, eps)) <= 1e-6);
      CHECK(relative_error(dw, central_differences(wv, loss, eps)) <= 1e-6);
    }
  }
}

}  // namespace eqr::testing::suite
