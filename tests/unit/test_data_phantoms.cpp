// Phantoms: the modified Shepp–Logan values at points worked out by hand from its ellipse table, the area
// formula for the rendered mean, analytic rotation (exact quarter turns, point-wise invariance), the
// reproducibility and ranges of random-ellipse phantoms, and smooth ellipse profiles intensity·(1 − ρ²)^p
// (closed-form values, the closed-form integral I·π·a·b/(p + 1), p = 0 as the constant rendering, rotation).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/data/phantoms.hpp"
#include "eqr/groups/image_action.hpp"

using namespace eqr;
using namespace eqr::data;
using std::numbers::pi;

TEST_CASE("modified Shepp-Logan: values at hand-checked points") {
  const auto e = shepp_logan_ellipses();
  REQUIRE(e.size() == 10);
  // (0, 0): skull 1 + brain −0.8                                  → 0.2
  CHECK(phantom_value(e, 0.0, 0.0) == doctest::Approx(0.2));
  // (0, 0.9): inside the skull (b = 0.92) above the brain (top at −0.0184 + 0.874) → 1
  CHECK(phantom_value(e, 0.0, 0.9) == doctest::Approx(1.0));
  // (±0.22, 0): the ventricles' centres, 1 − 0.8 − 0.2              → 0
  CHECK(phantom_value(e, 0.22, 0.0) == doctest::Approx(0.0));
  CHECK(phantom_value(e, -0.22, 0.0) == doctest::Approx(0.0));
  // (0, 0.35): ellipse 5's centre, 0.2 + 0.1                        → 0.3
  CHECK(phantom_value(e, 0.0, 0.35) == doctest::Approx(0.3));
  // (0, 0.12): inside ellipse 5 ((0.23/0.25)² < 1) and ellipse 6 ((0.02/0.046)² < 1) → 0.4
  CHECK(phantom_value(e, 0.0, 0.12) == doctest::Approx(0.4));
  // (0, −0.606): ellipse 9's centre; not in 8 or 10 (|dx| ≥ 0.06 > their x-semi-axes) → 0.3
  CHECK(phantom_value(e, 0.0, -0.606) == doctest::Approx(0.3));
  // (0.8, 0): outside the skull (a = 0.69)                           → 0
  CHECK(phantom_value(e, 0.8, 0.0) == 0.0);
  // The left ventricle is the larger one (a = 0.16 at x = −0.22): (−0.35, 0) is inside it, (0.35, 0) is not
  // inside the right one (a = 0.11, tilted by −18°) but inside the brain.
  CHECK(phantom_value(e, -0.35, 0.0) == doctest::Approx(0.0));
  CHECK(phantom_value(e, 0.35, 0.0) == doctest::Approx(0.2));
}

TEST_CASE("rendering: pixel centres, range, orientation on screen, and the mean equals the ellipse areas") {
  const std::size_t n = 201;  // odd: the centre pixel sits at (0, 0)
  const auto img = shepp_logan<double>(n);
  CHECK(img(100, 100) == doctest::Approx(0.2));
  CHECK(xt::amin(img)() >= 0.0);
  CHECK(xt::amax(img)() == doctest::Approx(1.0));
  // y points up: the three small bottom features (y ≈ −0.605) are in the lower half of the image, i.e. at
  // rows below the centre: row of y = −0.606 is 100 + 0.606·100.5 ≈ 161.
  CHECK(img(161, 100) == doctest::Approx(0.3));
  CHECK(img(39, 100) == doctest::Approx(0.2));  // mirror position y = +0.606 is plain brain
  // Mean over the square [−1, 1]² = Σ intensity·π·a·b / 4 (every ellipse lies inside the square).  A pixel
  // can be wrong only where a boundary crosses it; with 4×4 supersampling the error is a small fraction of
  // the boundary strip, well below 0.5% of the mean here.
  double exact = 0;
  for (const auto& el : shepp_logan_ellipses()) exact += el.intensity * pi * el.a * el.b / 4.0;
  const auto fine = shepp_logan<double>(128, 4);
  CHECK(xt::mean(fine)() == doctest::Approx(exact).epsilon(5e-3));
  CHECK(std::abs(xt::mean(fine)() - exact) < std::abs(xt::mean(shepp_logan<double>(16))() - exact) + 1e-3);
}

TEST_CASE("non-square images use one pixel pitch 2/max(H, W): a disc stays round") {
  const std::vector<Ellipse> disc = {{1.0, 0.5, 0.5, 0.0, 0.0, 0.0}};
  const auto img = render_ellipses<double>(disc, 32, 48, {8});
  // Radius 0.5 in normalised units is 12 pixels (pitch 2/48); area π·12² pixels.
  CHECK(xt::sum(img)() == doctest::Approx(pi * 144.0).epsilon(5e-3));
  // Symmetric under both mirrors (the grid is symmetric about the centre).
  CHECK(xt::allclose(img, mirror(img)));
  CHECK(xt::allclose(img, rot90(img, 2)));
  // 12 pixels from the centre column (23.5) horizontally and vertically (centre row 15.5): edges cut there.
  CHECK(img(15, 23 + 11) > 0.9);
  CHECK(img(15, 23 + 14) == 0.0);
  CHECK(img(15 - 11, 23) > 0.9);
  CHECK(img(15 - 13, 23) == 0.0);
}

TEST_CASE("analytic rotation: quarter turns match rot90, any angle preserves point values and areas") {
  for (std::size_t n : {64u, 65u}) {
    const auto up = shepp_logan<double>(n, 2);
    CHECK_FALSE(xt::allclose(up, rot90(up, 1)));  // the phantom is not rotation invariant
    for (int k = 1; k <= 3; ++k) {
      const auto turned = shepp_logan<double>(n, 2, k * pi / 2);
      const auto expected = rot90(up, k);
      // Ellipses tilted by ±18° get rounded cosines at 108°, 198°, …: a boundary sample may flip.
      std::size_t differ = 0;
      for (std::size_t i = 0; i < turned.size(); ++i) differ += std::abs(turned.flat(i) - expected.flat(i)) > 1e-12;
      CHECK(differ <= 3);
    }
  }
  // Point-wise: the rotated phantom at R·p equals the phantom at p.
  const auto e = shepp_logan_ellipses();
  const double theta = 0.7;
  const auto r = rotate_ellipses(e, theta);
  Random rng(7);
  for (int k = 0; k < 2000; ++k) {
    const double x = 2 * rng.uniform() - 1, y = 2 * rng.uniform() - 1;
    const double xr = std::cos(theta) * x - std::sin(theta) * y, yr = std::sin(theta) * x + std::cos(theta) * y;
    CHECK(phantom_value(r, xr, yr) == doctest::Approx(phantom_value(e, x, y)));
  }
  // The rendered mean (area) is the same at every angle, up to the discretisation error.
  const double m0 = xt::mean(shepp_logan<double>(128, 4))();
  CHECK(xt::mean(shepp_logan<double>(128, 4, 0.7))() == doctest::Approx(m0).epsilon(5e-3));
}

TEST_CASE("random ellipse phantoms: reproducible by seed, values in [0, 1], shapes as specified") {
  const auto a = random_ellipses(42), b = random_ellipses(42), c = random_ellipses(43);
  REQUIRE(a.size() == 16);
  bool same = true, differ = false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    same = same && a[k].x0 == b[k].x0 && a[k].a == b[k].a && a[k].intensity == b[k].intensity;
    differ = differ || a[k].x0 != c[k].x0;
  }
  CHECK(same);
  CHECK(differ);
  const RandomEllipsesOptions defaults;
  for (std::size_t k = 1; k < a.size(); ++k) {
    CHECK(a[k].a >= defaults.min_axis);
    CHECK(a[k].a <= defaults.max_axis);
    CHECK(a[k].intensity >= defaults.min_intensity);
    CHECK(a[k].intensity <= defaults.max_intensity);
    // The centre lies in the body shrunk to 80%: in body coordinates (x/a)² + (y/b)² ≤ 0.64.
    const double cb = std::cos(a[0].angle), sb = std::sin(a[0].angle);
    const double u = (cb * a[k].x0 + sb * a[k].y0) / a[0].a, v = (-sb * a[k].x0 + cb * a[k].y0) / a[0].b;
    CHECK(u * u + v * v <= 0.64 + 1e-12);
  }
  const auto img = random_ellipse_phantom<float>(64, 42, {}, 2);
  CHECK(xt::amin(img)() >= 0.f);
  CHECK(xt::amax(img)() <= 1.f);
  CHECK(xt::amax(img)() > 0.f);
  CHECK(img == random_ellipse_phantom<float>(64, 42, {}, 2));

  RandomEllipsesOptions oriented;
  oriented.oriented = true;
  const auto o = random_ellipses(5, oriented);
  CHECK(o[0].a > o[0].b);
  CHECK(o[0].angle == 0.0);
  for (std::size_t k = 1; k < o.size(); ++k) {
    CHECK(o[k].a >= o[k].b);
    CHECK(std::abs(o[k].angle) <= oriented.angle_spread / 2);
  }
}

TEST_CASE("bad arguments are reported") {
  const std::vector<Ellipse> flat = {{1.0, 0.0, 0.5, 0.0, 0.0, 0.0}};
  CHECK_THROWS_AS(render_ellipses<double>(flat, 8, 8), value_error);
  CHECK_THROWS_AS(shepp_logan<double>(0), shape_error);
  CHECK_THROWS_AS(render_ellipses<double>(shepp_logan_ellipses(), 8, 8, {0}), value_error);
  RandomEllipsesOptions bad;
  bad.min_axis = 0.5;
  bad.max_axis = 0.1;
  CHECK_THROWS_AS(random_ellipses(1, bad), value_error);
}

namespace {
/// A direct reference renderer for constant ellipses at one sample per pixel: the sum, in list order, of the
/// intensities of the ellipses containing the pixel centre, clamped to [0, 1].
xt::xtensor<double, 2> constant_reference(const std::vector<Ellipse>& ellipses, std::size_t n) {
  xt::xtensor<double, 2> img = xt::zeros<double>({n, n});
  const double h = 2.0 / static_cast<double>(n), c = 0.5 * static_cast<double>(n - 1);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double x = (static_cast<double>(j) - c) * h, y = (c - static_cast<double>(i)) * h;
      double v = 0;
      for (const auto& e : ellipses)
        if (e.contains(x, y)) v += e.intensity;
      img(i, j) = std::clamp(v, 0.0, 1.0);
    }
  return img;
}
}  // namespace

TEST_CASE("smooth profile: intensity*(1 - rho^2)^p at hand-picked points") {
  // Intensity 2, semi-axes 0.4 (along x) and 0.2, centre (0.1, -0.2), profile p = 2.
  const Ellipse e{2.0, 0.4, 0.2, 0.1, -0.2, 0.0, 2.0};
  CHECK(e.value_at(0.1, -0.2) == 2.0);                                   // centre: the intensity
  CHECK(e.value_at(0.1 + 0.2, -0.2) == doctest::Approx(2.0 * 0.5625));  // rho = 0.5 on the a axis: (3/4)^2
  CHECK(e.value_at(0.1, -0.2 - 0.1) == doctest::Approx(2.0 * 0.5625));  // rho = 0.5 on the b axis
  // rho = 0.6 on the diagonal direction (u, v) = (0.6, 0.6)/sqrt(2): 1 - 0.36 = 0.64, squared 0.4096.
  const double d = 0.6 / std::sqrt(2.0);
  CHECK(e.value_at(0.1 + 0.4 * d, -0.2 + 0.2 * d) == doctest::Approx(2.0 * 0.4096));
  // Towards the boundary the value falls to 0 continuously; on and outside it, 0.
  // rho = 1 - 1e-6: 1 - rho^2 ≈ 2e-6, so the value is ≈ 2·(2e-6)^2 = 8e-12.
  CHECK(e.value_at(0.1 + 0.4 * (1 - 1e-6), -0.2) == doctest::Approx(8e-12).epsilon(1e-5));
  CHECK(e.value_at(0.1 + 0.4, -0.2) < 1e-20);  // on the boundary (up to rounding of rho)
  CHECK(e.value_at(0.1 + 0.4 * 1.01, -0.2) == 0.0);
  // Other exponents at rho = 0.6 (1 - rho^2 = 0.64): p = 1 gives 0.64, p = 1/2 gives 0.8, p = 0 gives 1.
  for (const auto& pf : {std::pair{1.0, 0.64}, std::pair{0.5, 0.8}, std::pair{0.0, 1.0}, std::pair{3.0, 0.262144}}) {
    Ellipse f = e;
    f.profile = pf.first;
    CAPTURE(f.profile);
    CHECK(f.value_at(0.1 + 0.4 * 0.6, -0.2) == doctest::Approx(2.0 * pf.second));
  }
  // A turned ellipse (angle pi/6): the point at rho = 0.5 along its own a axis.
  Ellipse t = e;
  t.angle = pi / 6;
  CHECK(t.value_at(0.1 + 0.5 * 0.4 * std::cos(pi / 6), -0.2 + 0.5 * 0.4 * std::sin(pi / 6)) ==
        doctest::Approx(2.0 * 0.5625));
  // phantom_value sums the ellipses: a constant disc of 0.3 under the smooth ellipse's centre.
  const std::vector<Ellipse> both = {e, {0.3, 0.5, 0.5, 0.0, 0.0, 0.0}};
  CHECK(phantom_value(both, 0.1, -0.2) == doctest::Approx(2.3));
  CHECK(phantom_value(both, 0.1 + 0.2, -0.2) == doctest::Approx(1.125 + 0.3));
}

TEST_CASE("smooth profile: the rendered integral is intensity*pi*a*b/(p + 1)") {
  // In ellipse coordinates the integral of (1 - rho^2)^p over the unit disc is 2*pi * int_0^1 (1 - r^2)^p r dr
  // = pi/(p + 1); the ellipse scales it by a*b.  The image spans [-1, 1]^2 (area 4), so mean = integral/4.
  for (const double p : {0.5, 1.0, 2.0, 3.0}) {
    CAPTURE(p);
    const std::vector<Ellipse> one = {{0.7, 0.6, 0.35, -0.1, 0.2, 0.4, p}};
    const auto img = render_ellipses<double>(one, 128, 128, {4});
    CHECK(xt::mean(img)() * 4.0 == doctest::Approx(0.7 * pi * 0.6 * 0.35 / (p + 1.0)).epsilon(1e-4));
  }
}

TEST_CASE("profile 0 renders exactly as constant ellipses, and constant phantoms draw no profiles") {
  const auto e = random_ellipses(11);
  for (const auto& el : e) CHECK(el.profile == 0.0);
  for (std::size_t n : {31u, 32u}) {
    const auto img = render_ellipses<double>(e, n, n, {1, true, 0.0, 1.0});
    CHECK(img == constant_reference(e, n));
  }
  const auto sl = shepp_logan_ellipses();
  CHECK(render_ellipses<double>(sl, 40, 40, {1, true, 0.0, 1.0}) == constant_reference(sl, 40));
}

TEST_CASE("random phantoms with profiles: the same geometry as the constant phantom, profiles in range") {
  RandomEllipsesOptions constant, smooth;
  constant.oriented = smooth.oriented = true;
  smooth.min_profile = 1.0;
  smooth.max_profile = 3.0;
  const auto c = random_ellipses(21, constant), s = random_ellipses(21, smooth);
  REQUIRE(c.size() == s.size());
  CHECK(s[0].profile == 0.0);  // the body stays constant
  double low = 10, high = 0;
  for (std::size_t k = 0; k < c.size(); ++k) {
    CHECK(s[k].intensity == c[k].intensity);
    CHECK(s[k].a == c[k].a);
    CHECK(s[k].b == c[k].b);
    CHECK(s[k].x0 == c[k].x0);
    CHECK(s[k].y0 == c[k].y0);
    CHECK(s[k].angle == c[k].angle);
    if (k > 0) {
      CHECK(s[k].profile >= 1.0);
      CHECK(s[k].profile <= 3.0);
      low = std::min(low, s[k].profile);
      high = std::max(high, s[k].profile);
    }
  }
  CHECK(high - low > 1.0);  // 15 draws spread over the range, not one value
  CHECK(random_ellipses(22, smooth)[1].profile != s[1].profile);
}

TEST_CASE("analytic rotation carries the profiles: point values, quarter turns and rendered integral") {
  RandomEllipsesOptions o;
  o.oriented = true;
  o.min_profile = 0.5;
  o.max_profile = 3.0;
  const auto e = random_ellipses(8, o);
  const double theta = 2.1;
  const auto r = rotate_ellipses(e, theta);
  for (std::size_t k = 0; k < e.size(); ++k) CHECK(r[k].profile == e[k].profile);
  Random rng(3);
  for (int k = 0; k < 1000; ++k) {
    const double x = 2 * rng.uniform() - 1, y = 2 * rng.uniform() - 1;
    const double xr = std::cos(theta) * x - std::sin(theta) * y, yr = std::sin(theta) * x + std::cos(theta) * y;
    CHECK(phantom_value(r, xr, yr) == doctest::Approx(phantom_value(e, x, y)).epsilon(1e-9));
  }
  for (std::size_t n : {32u, 33u}) {
    const auto up = random_ellipse_phantom<double>(n, 8, o, 2);
    for (int q = 1; q <= 3; ++q) {
      const auto turned = random_ellipse_phantom<double>(n, 8, o, 2, q * pi / 2);
      CHECK(xt::amax(xt::abs(turned - rot90(up, q)))() < 1e-12);
    }
  }
}

TEST_CASE("bad profile exponents are refused with what was expected and found") {
  for (const double p : {-0.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    CAPTURE(p);
    const std::vector<Ellipse> bad = {{1.0, 0.5, 0.5, 0.0, 0.0, 0.0, p}};
    CHECK_THROWS_WITH_AS(render_ellipses<double>(bad, 8, 8), doctest::Contains("expected a finite profile exponent p >= 0"),
                         value_error);
    CHECK_THROWS_WITH_AS(phantom_value(bad, 0.0, 0.0), doctest::Contains("phantom_value: expected a finite profile exponent"),
                         value_error);
  }
  RandomEllipsesOptions reversed;
  reversed.min_profile = 2.0;
  reversed.max_profile = 1.0;
  CHECK_THROWS_WITH_AS(random_ellipses(1, reversed), doctest::Contains("found [2, 1]"), value_error);
  RandomEllipsesOptions negative;
  negative.min_profile = -1.0;
  negative.max_profile = 1.0;
  CHECK_THROWS_AS(random_ellipses(1, negative), value_error);
}
