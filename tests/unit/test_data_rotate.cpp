// Image rotation: numpy's rot90/fliplr on hand-written arrays, direction and centre of the bilinear rotation
// by hand, exact quarter turns, exact reproduction of linear functions, batches, and the grid action.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "eqr/data/rotate.hpp"
#include "eqr/groups/image_action.hpp"
#include "eqr/core/random.hpp"

using namespace eqr;
using namespace eqr::data;
using std::numbers::pi;

namespace {
xt::xtensor<double, 2> random_image(std::size_t h, std::size_t w, std::uint64_t seed) {
  Random rng(seed);
  xt::xtensor<double, 2> x = xt::xtensor<double, 2>::from_shape({h, w});
  for (auto& v : x) v = rng.uniform();
  return x;
}
}  // namespace

TEST_CASE("rot90 and mirror agree with numpy on hand-written arrays") {
  const xt::xtensor<int, 2> a = {{1, 2, 3}, {4, 5, 6}};
  CHECK(rot90(a, 1) == xt::xtensor<int, 2>{{3, 6}, {2, 5}, {1, 4}});   // numpy.rot90(a)
  CHECK(rot90(a, 2) == xt::xtensor<int, 2>{{6, 5, 4}, {3, 2, 1}});
  CHECK(rot90(a, -1) == xt::xtensor<int, 2>{{4, 1}, {5, 2}, {6, 3}});  // numpy.rot90(a, -1)
  CHECK(rot90(a, 4) == a);
  CHECK(mirror(a) == xt::xtensor<int, 2>{{3, 2, 1}, {6, 5, 4}});      // numpy.fliplr(a)
  CHECK(transform<D4>(a, D4::element_at(4 + 1)) == rot90(mirror(a), 1));  // g = R_1 F: flip, then turn
}

TEST_CASE("rotation by any angle: identity, counter-clockwise direction, hand-computed bilinear value") {
  const auto x = random_image(7, 9, 1);
  CHECK(rotate(x, 0.0) == x);
  // A pixel 2 to the right of the centre (x = 2, y = 0) turns to 2 above it (x = 0, y = 2).
  xt::xtensor<double, 2> dot = xt::zeros<double>({9, 9});
  dot(4, 6) = 1.0;
  const auto up = rotate(dot, pi / 2);
  CHECK(up(2, 4) == 1.0);
  CHECK(xt::sum(up)() == 1.0);
  // 3×3 image turned by 45°: the corner (i, j) = (0, 0), at p = (−1, 1), pulls R(−45°)p = (0, √2), i.e. row
  // 1 − √2 ≈ −0.414 of column 1: between row −1 (zero) and row 0, weight 2 − √2 on pixel (0, 1).
  const xt::xtensor<double, 2> small = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  const auto turned = rotate(small, pi / 4);
  CHECK(turned(1, 1) == doctest::Approx(5.0));
  CHECK(turned(0, 0) == doctest::Approx((2 - std::sqrt(2.0)) * 2.0));
  // The top centre (0, 1), at p = (0, 1), pulls (sin45, cos45) = (0.707, 0.707): row 0.293, column 1.707.
  const double t = 1 - std::sqrt(0.5), u = std::sqrt(0.5);  // fractional row and column
  const double expect = (1 - t) * ((1 - u) * 2 + u * 3) + t * ((1 - u) * 5 + u * 6);
  CHECK(turned(0, 1) == doctest::Approx(expect));
}

TEST_CASE("quarter turns by rotate() equal rot90 exactly on square images") {
  for (std::size_t n : {6u, 7u}) {
    const auto x = random_image(n, n, n);
    for (int k = -1; k <= 4; ++k) CHECK(rotate(x, k * pi / 2) == rot90(x, k));
  }
}

TEST_CASE("bilinear rotation reproduces linear functions exactly where the source is inside") {
  const std::size_t n = 21;
  const double c = 10.0, alpha = 0.3, beta = -1.7, gamma = 2.0, theta = 0.5236;
  xt::xtensor<double, 2> f = xt::xtensor<double, 2>::from_shape({n, n});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) f(i, j) = alpha * (double(j) - c) + beta * (c - double(i)) + gamma;
  const auto g = rotate(f, theta);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double x = double(j) - c, y = c - double(i);
      const double xs = std::cos(theta) * x + std::sin(theta) * y, ys = -std::sin(theta) * x + std::cos(theta) * y;
      if (std::abs(xs) > c - 1 || std::abs(ys) > c - 1) continue;  // all four neighbours inside
      CHECK(g(i, j) == doctest::Approx(alpha * xs + beta * ys + gamma).epsilon(1e-12));
      ++checked;
    }
  }
  CHECK(checked > 200);
}

TEST_CASE("batches rotate plane by plane; a smooth image survives a turn and back") {
  xt::xtensor<float, 4> batch = xt::xtensor<float, 4>::from_shape({2, 3, 8, 8});
  Random rng(3);
  for (auto& v : batch) v = static_cast<float>(rng.uniform());
  const auto r = rotate(batch, 0.3);
  const xt::xtensor<float, 2> plane = xt::view(batch, 1, 2, xt::all(), xt::all());
  const xt::xtensor<float, 2> r_plane = xt::view(r, 1, 2, xt::all(), xt::all());
  CHECK(r_plane == rotate(plane, 0.3));
  CHECK(rot90(batch, 1).shape() == batch.shape());
  // A wide Gaussian: turning by 0.4 and back changes the interior by far less than its range.
  const std::size_t n = 33;
  xt::xtensor<double, 2> blob = xt::xtensor<double, 2>::from_shape({n, n});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      blob(i, j) = std::exp(-((double(i) - 16) * (double(i) - 16) + (double(j) - 16) * (double(j) - 16)) / 50.0);
  const auto back = rotate(rotate(blob, 0.4), -0.4);
  CHECK(std::abs(back(16, 16) - blob(16, 16)) < 1e-2);
  CHECK(xt::amax(xt::abs(xt::view(back - blob, xt::range(8, 25), xt::range(8, 25))))() < 2e-2);
}

TEST_CASE("the group action on images: composition law, and refusal of off-grid elements") {
  const auto x = random_image(5, 5, 9);
  for (int a = 0; a < D4::order(); ++a)
    for (int b = 0; b < D4::order(); ++b) {
      const auto g = D4::element_at(a), h = D4::element_at(b);
      CHECK(transform<D4>(transform<D4>(x, h), g) == transform<D4>(x, D4::compose(g, h)));
    }
  CHECK_THROWS_AS(transform<C8>(x, C8::element_at(1)), value_error);
  CHECK(transform<C8>(x, C8::element_at(2)) == rot90(x, 1));
  CHECK_THROWS_AS(rotate(x, std::nan("")), value_error);
}
