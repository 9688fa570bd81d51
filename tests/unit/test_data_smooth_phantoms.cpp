// The smooth oriented phantom family ("oriented-smooth"): its name round-trips and bad names list every
// family; it is the oriented family's geometry with smooth inner profiles from a separate stream (the
// oriented phantoms themselves unchanged); its images lie in [0, 1], are reproducible by seed, are not
// piecewise constant, keep the preferred orientation, and a quarter turn of the analytic phantom is rot90
// of the upright image (so rotated test sets differ from upright ones only in orientation).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <set>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/groups/image_action.hpp"
#include "eqr/operators/image_operators.hpp"

using namespace eqr;
using namespace eqr::data;
using std::numbers::pi;

TEST_CASE("phantom kinds: every name parses back to its kind, an unknown one lists all four") {
  for (auto kind : {PhantomKind::ellipses, PhantomKind::oriented, PhantomKind::shepp_logan, PhantomKind::oriented_smooth})
    CHECK(parse_phantom_kind(name(kind)) == kind);
  CHECK(name(PhantomKind::oriented_smooth) == "oriented-smooth");
  CHECK_THROWS_WITH_AS((void)parse_phantom_kind("smooth"),
                       doctest::Contains("expected 'ellipses', 'oriented', 'shepp-logan' or 'oriented-smooth', found 'smooth'"),
                       value_error);
}

TEST_CASE("oriented-smooth: the oriented phantom of the same seed with inner profiles in [1, 3]") {
  for (std::uint64_t seed : {0ull, 1'000'000'007ull, 3'000'000'002ull}) {
    CAPTURE(seed);
    const auto o = phantom_ellipses(PhantomKind::oriented, seed);
    const auto s = phantom_ellipses(PhantomKind::oriented_smooth, seed);
    REQUIRE(o.size() == 16);
    REQUIRE(s.size() == o.size());
    CHECK(s[0].profile == 0.0);  // constant body: its outline stays an edge
    CHECK(s[0].a > s[0].b);      // wide and horizontal
    CHECK(s[0].angle == 0.0);
    for (std::size_t k = 0; k < o.size(); ++k) {
      CHECK(o[k].profile == 0.0);  // the oriented family stays piecewise constant
      CHECK(s[k].intensity == o[k].intensity);
      CHECK(s[k].a == o[k].a);
      CHECK(s[k].b == o[k].b);
      CHECK(s[k].x0 == o[k].x0);
      CHECK(s[k].y0 == o[k].y0);
      CHECK(s[k].angle == o[k].angle);
      if (k > 0) {
        CHECK(s[k].profile >= smooth_profile_min);
        CHECK(s[k].profile <= smooth_profile_max);
        CHECK(std::abs(s[k].angle) <= pi / 16);  // aligned with the body within ±π/16
      }
    }
  }
}

TEST_CASE("oriented-smooth images: in [0, 1], reproducible, seed-dependent, not piecewise constant") {
  const std::uint64_t seed = image_seed(Split::train, 0);
  const auto a = phantom<double>(PhantomKind::oriented_smooth, 32, seed);
  CHECK(a == phantom<double>(PhantomKind::oriented_smooth, 32, seed));
  CHECK(a != phantom<double>(PhantomKind::oriented_smooth, 32, seed + 1));
  CHECK(xt::amin(a)() >= 0.0);
  CHECK(xt::amax(a)() <= 1.0);
  CHECK(xt::amax(a)() > 0.0);
  // One sample per pixel: a piecewise-constant phantom takes one value per region (a few dozen values),
  // a smooth one a different value at almost every pixel inside the inner ellipses.
  for (std::uint64_t s = 0; s < 4; ++s) {
    CAPTURE(s);
    const auto smooth = phantom<double>(PhantomKind::oriented_smooth, 32, s, 0.0, 1);
    const auto constant = phantom<double>(PhantomKind::oriented, 32, s, 0.0, 1);
    std::set<double> smooth_values(smooth.begin(), smooth.end()), constant_values(constant.begin(), constant.end());
    CHECK(constant_values.size() < 80);
    CHECK(smooth_values.size() > 3 * constant_values.size());
    // Outside every inner ellipse both are the same constant body (or 0 outside it); inside, they differ.
    const auto e = phantom_ellipses(PhantomKind::oriented_smooth, s);
    std::size_t outside = 0, inside_differ = 0, inside = 0;
    for (std::size_t i = 0; i < 32; ++i)
      for (std::size_t j = 0; j < 32; ++j) {
        const double x = (static_cast<double>(j) - 15.5) / 16, y = (15.5 - static_cast<double>(i)) / 16;
        bool in_inner = false;
        for (std::size_t k = 1; k < e.size(); ++k) in_inner = in_inner || e[k].contains(x, y);
        if (!in_inner) outside += smooth(i, j) == constant(i, j);
        else {
          ++inside;
          inside_differ += smooth(i, j) != constant(i, j);
        }
      }
    CHECK(outside + inside == 32 * 32);
    CHECK(inside_differ > inside / 2);
  }
}

TEST_CASE("oriented-smooth: a quarter turn of the analytic phantom is rot90 of the upright image") {
  for (std::size_t n : {32u, 33u}) {
    for (const std::uint64_t seed : {std::uint64_t{5}, image_seed(Split::test, 3)}) {
      CAPTURE(n);
      CAPTURE(seed);
      const auto up = phantom<double>(PhantomKind::oriented_smooth, n, seed);
      CHECK_FALSE(xt::allclose(up, rot90(up, 1)));
      for (int q = 1; q <= 3; ++q) {
        const auto turned = phantom<double>(PhantomKind::oriented_smooth, n, seed, q * pi / 2);
        CHECK(xt::amax(xt::abs(turned - rot90(up, q)))() < 1e-12);
      }
    }
  }
}

TEST_CASE("oriented-smooth keeps the preferred (horizontal) orientation") {
  // Intensity-weighted second moments about the centre: the horizontal one exceeds the vertical one, as for
  // the oriented family (a body of semi-axes 0.8–0.9 by 0.45–0.6 and inner ellipses aligned to it).
  double wide = 0, tall = 0;
  for (std::uint64_t s = 0; s < 6; ++s) {
    const auto img = phantom<double>(PhantomKind::oriented_smooth, 32, s);
    for (std::size_t i = 0; i < 32; ++i)
      for (std::size_t j = 0; j < 32; ++j) {
        wide += img(i, j) * (static_cast<double>(j) - 15.5) * (static_cast<double>(j) - 15.5);
        tall += img(i, j) * (static_cast<double>(i) - 15.5) * (static_cast<double>(i) - 15.5);
      }
  }
  CHECK(wide > 1.5 * tall);
}

TEST_CASE("synthetic sets of the smooth family: targets are the phantoms, rotated ones at their test angles") {
  using FB = cpu::CpuBackend<float>;
  const Identity<eqr::cpu::CpuBackend<float>> op(16, 16, 1);
  const auto noise = [](const FB::tensor_type& x, std::uint64_t) { return x; };
  SyntheticSpec spec{PhantomKind::oriented_smooth, 16, Split::test, 3, 2, true, 2};
  const auto pairs = make_pairs<FB>(op, noise, spec);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto img = phantom<float>(PhantomKind::oriented_smooth, 16, image_seed(Split::test, k, 2), test_rotation(k, 2));
    CHECK(std::vector<float>(img.begin(), img.end()) == FB::to_host(pairs.pair(k).target));
  }
}
