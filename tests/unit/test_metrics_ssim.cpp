// SSIM with scikit-image's conventions: single-window images whose statistics are worked out by hand,
// constant images (closed form), a 9×9 image against a slow two-pass textbook implementation, and the
// identities SSIM(x, x) = 1, symmetry, range, locality of the map.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "eqr/metrics/ssim.hpp"
#include "eqr/core/random.hpp"

using namespace eqr;
using namespace eqr::metrics;

namespace {

constexpr double c1 = 1e-4;  // (0.01·1)²
constexpr double c2 = 9e-4;  // (0.03·1)²

/// The 7×7 ramp x(i, j) = (7i + j)/48, values 0, 1/48, …, 1.
xt::xtensor<double, 2> ramp7() {
  xt::xtensor<double, 2> x = xt::xtensor<double, 2>::from_shape({7, 7});
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t j = 0; j < 7; ++j) x(i, j) = double(7 * i + j) / 48.0;
  return x;
}

/// Textbook SSIM of one window, two-pass: means first, then centred sums divided by n − 1.
double window_ssim(const xt::xtensor<double, 2>& a, const xt::xtensor<double, 2>& b, std::size_t r0, std::size_t c0,
                   double range) {
  const double n = 49;
  double ma = 0, mb = 0;
  for (std::size_t i = r0; i < r0 + 7; ++i)
    for (std::size_t j = c0; j < c0 + 7; ++j) {
      ma += a(i, j) / n;
      mb += b(i, j) / n;
    }
  double va = 0, vb = 0, cab = 0;
  for (std::size_t i = r0; i < r0 + 7; ++i)
    for (std::size_t j = c0; j < c0 + 7; ++j) {
      va += (a(i, j) - ma) * (a(i, j) - ma) / (n - 1);
      vb += (b(i, j) - mb) * (b(i, j) - mb) / (n - 1);
      cab += (a(i, j) - ma) * (b(i, j) - mb) / (n - 1);
    }
  const double k1 = (0.01 * range) * (0.01 * range), k2 = (0.03 * range) * (0.03 * range);
  return (2 * ma * mb + k1) * (2 * cab + k2) / ((ma * ma + mb * mb + k1) * (va + vb + k2));
}

xt::xtensor<double, 2> random_image(std::size_t h, std::size_t w, std::uint64_t seed) {
  Random rng(seed);
  xt::xtensor<double, 2> x = xt::xtensor<double, 2>::from_shape({h, w});
  for (auto& v : x) v = rng.uniform();
  return x;
}

}  // namespace

TEST_CASE("one 7x7 window: the ramp against its negative and against an affine copy, by hand") {
  const auto x = ramp7();
  // Mean 1/2; the values k/48, k = 0..48, have population variance ((49² − 1)/12)/48² = 200/2304, and the
  // sample variance is 49/48 of that.
  const double var = 200.0 / 2304.0 * 49.0 / 48.0;
  const xt::xtensor<double, 2> neg = 1.0 - x;  // mean 1/2, same variance, covariance −var
  const double expected_neg = (2 * 0.25 + c1) * (-2 * var + c2) / ((0.5 + c1) * (2 * var + c2));
  CHECK(ssim(x, neg, 1.0) == doctest::Approx(expected_neg).epsilon(1e-12));
  CHECK(ssim(x, neg, 1.0) < -0.98);
  // y = 0.5·x + 0.1: mean 0.35, variance 0.25·var, covariance 0.5·var.
  const xt::xtensor<double, 2> affine = 0.5 * x + 0.1;
  const double expected_affine =
      (2 * 0.5 * 0.35 + c1) * (2 * 0.5 * var + c2) / ((0.25 + 0.35 * 0.35 + c1) * (var + 0.25 * var + c2));
  CHECK(ssim(x, affine, 1.0) == doctest::Approx(expected_affine).epsilon(1e-12));
  // The default data range is max(ref) = 1 here.
  CHECK(ssim(x, affine) == doctest::Approx(expected_affine).epsilon(1e-12));
  // Population instead of sample covariance: both variances and the covariance shrink by 48/49.
  SsimOptions population;
  population.sample_covariance = false;
  const double pv = var * 48.0 / 49.0;
  CHECK(ssim(x, neg, 1.0, population) ==
        doctest::Approx((0.5 + c1) * (-2 * pv + c2) / ((0.5 + c1) * (2 * pv + c2))).epsilon(1e-12));
}

TEST_CASE("constant images: SSIM = (2ab + C1)/(a² + b² + C1)") {
  const xt::xtensor<double, 2> a = xt::ones<double>({9, 9}) * 0.8, b = xt::ones<double>({9, 9}) * 0.3;
  CHECK(ssim(a, b, 1.0) == doctest::Approx((2 * 0.8 * 0.3 + c1) / (0.64 + 0.09 + c1)).epsilon(1e-12));
  CHECK(ssim(a, a, 1.0) == doctest::Approx(1.0));
}

TEST_CASE("9x9 images: the mean over the 9 valid windows equals a slow two-pass reference") {
  const auto a = random_image(9, 9, 11), b = random_image(9, 9, 12);
  const auto map = ssim_map(a, b, 1.0);
  REQUIRE(map.shape() == std::array<std::size_t, 2>{3, 3});
  double mean = 0;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      CHECK(map(i, j) == doctest::Approx(window_ssim(a, b, i, j, 1.0)).epsilon(1e-10));
      mean += window_ssim(a, b, i, j, 1.0) / 9;
    }
  CHECK(ssim(a, b, 1.0) == doctest::Approx(mean).epsilon(1e-10));
  CHECK(ssim(a, b, 2.0) == doctest::Approx([&] {
          double m = 0;
          for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 3; ++j) m += window_ssim(a, b, i, j, 2.0) / 9;
          return m;
        }()).epsilon(1e-10));
}

TEST_CASE("identities: SSIM(x, x) = 1, symmetry, range, locality of the map") {
  const auto a = random_image(16, 12, 1);
  auto b = a + 0.2 * random_image(16, 12, 2);
  xt::xtensor<double, 2> bb = b;
  CHECK(ssim(a, a, 1.0) == doctest::Approx(1.0).epsilon(1e-14));
  CHECK(ssim(a, bb, 1.2) == doctest::Approx(ssim(bb, a, 1.2)).epsilon(1e-14));
  const double s = ssim(a, bb, 1.2);
  CHECK(s < 1.0);
  CHECK(s > -1.0);
  // A pixel at the corner lies in exactly one window: only the map's corner entry changes.
  xt::xtensor<double, 2> c = bb;
  c(0, 0) += 0.5;
  const auto m1 = ssim_map(a, bb, 1.2), m2 = ssim_map(a, c, 1.2);
  CHECK(m1(0, 0) != m2(0, 0));
  xt::xtensor<double, 2> diff = m1 - m2;
  diff(0, 0) = 0;
  CHECK(xt::amax(xt::abs(diff))() == 0.0);
  // float images give the same value to float precision.
  const xt::xtensor<float, 2> af = xt::cast<float>(a), bf = xt::cast<float>(bb);
  CHECK(ssim(af, bf, 1.2) == doctest::Approx(s).epsilon(1e-5));
}

TEST_CASE("batches average over planes; bad inputs are reported") {
  xt::xtensor<double, 4> ra = xt::xtensor<double, 4>::from_shape({2, 1, 8, 8}), rb = ra;
  const auto p0 = random_image(8, 8, 3), p1 = random_image(8, 8, 4), q0 = random_image(8, 8, 5),
             q1 = random_image(8, 8, 6);
  xt::view(ra, 0, 0, xt::all(), xt::all()) = p0;
  xt::view(ra, 1, 0, xt::all(), xt::all()) = p1;
  xt::view(rb, 0, 0, xt::all(), xt::all()) = q0;
  xt::view(rb, 1, 0, xt::all(), xt::all()) = q1;
  CHECK(ssim(ra, rb, 1.0) == doctest::Approx((ssim(p0, q0, 1.0) + ssim(p1, q1, 1.0)) / 2));
  const xt::xtensor<double, 2> tiny = xt::ones<double>({6, 9});
  CHECK_THROWS_AS(ssim(tiny, tiny, 1.0), shape_error);
  CHECK_THROWS_AS(ssim(p0, random_image(8, 9, 1), 1.0), shape_error);
  CHECK_THROWS_AS(ssim(p0, q0, -1.0), value_error);
}
