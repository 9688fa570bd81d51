// data/resize.hpp and data/intensity.hpp: resizing held against slow direct constructions (block means, the
// exact integral of a piecewise-constant image over the output footprints through a common refinement, the
// exactness of linear interpolation on a ramp), and the intensity mappings against their formulas.
#include <doctest/doctest.h>

#include <array>
#include <numeric>
#include <vector>

#include <xtensor/xmath.hpp>

#include "eqr/data/intensity.hpp"
#include "eqr/data/resize.hpp"

namespace {

using Image = xt::xtensor<double, 2>;

/// A deterministic test image with no symmetry: v(i, j) = sin(1.3 i + 0.7 j²) + 0.1 i.
Image pattern(std::size_t h, std::size_t w) {
  Image x = Image::from_shape({h, w});
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) x(i, j) = std::sin(1.3 * double(i) + 0.7 * double(j * j)) + 0.1 * double(i);
  return x;
}

/// The exact area average of the piecewise-constant image over each output pixel, computed directly: refine
/// both grids to a common one (lcm of the sizes per axis), where every fine cell lies in exactly one input
/// and one output pixel, and average the fine cells of each output pixel.
Image area_average(const Image& x, std::size_t height, std::size_t width) {
  const std::size_t h = x.shape(0), w = x.shape(1), fh = std::lcm(h, height), fw = std::lcm(w, width);
  Image out = xt::zeros<double>({height, width});
  for (std::size_t i = 0; i < fh; ++i)
    for (std::size_t j = 0; j < fw; ++j) out(i / (fh / height), j / (fw / width)) += x(i / (fh / h), j / (fw / w));
  return out / double((fh / height) * (fw / width));
}

}  // namespace

TEST_CASE("resize keeps an image of the same size exactly") {
  const Image x = pattern(7, 9);
  CHECK(eqr::data::resize(x, 7, 9) == x);
}

TEST_CASE("resize shrinks by the exact area average, for integer and non-integer factors") {
  const std::vector<std::array<std::size_t, 4>> cases{{8, 8, 4, 4},       {12, 10, 4, 5},      {5, 7, 3, 4},
                                                      {9, 6, 4, 5},       {512, 512, 128, 128}, {37, 30, 12, 12}};
  for (const auto& [h, w, oh, ow] : cases) {
    INFO(h, "x", w, " to ", oh, "x", ow);
    const Image x = pattern(h, w);
    const Image r = eqr::data::resize(x, oh, ow);
    const Image ref = area_average(x, oh, ow);
    REQUIRE(r.shape(0) == oh);
    REQUIRE(r.shape(1) == ow);
    CHECK(xt::amax(xt::abs(r - ref))() < 1e-12);
    // The mean of the image is kept: each output pixel has the same footprint area.
    CHECK(xt::mean(r)() == doctest::Approx(xt::mean(x)()).epsilon(1e-12));
  }
}

TEST_CASE("resize by 2 is the mean of each 2×2 block") {
  const Image x = pattern(6, 10);
  const Image r = eqr::data::resize(x, 3, 5);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 5; ++j)
      CHECK(r(i, j) == doctest::Approx(0.25 * (x(2 * i, 2 * j) + x(2 * i + 1, 2 * j) + x(2 * i, 2 * j + 1) +
                                                x(2 * i + 1, 2 * j + 1))).epsilon(1e-14));
}

TEST_CASE("resize grows by linear interpolation between pixel centres: exact on a ramp inside, edge value outside") {
  Image ramp = Image::from_shape({4, 6});
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 6; ++j) ramp(i, j) = 2.0 * double(i) - 3.0 * double(j);
  const Image r = eqr::data::resize(ramp, 10, 15);
  for (std::size_t i = 0; i < 10; ++i)
    for (std::size_t j = 0; j < 15; ++j) {
      // The input coordinate of the output centre, clamped to the outer input centres.
      const double y = std::clamp((double(i) + 0.5) * 0.4 - 0.5, 0.0, 3.0);
      const double x = std::clamp((double(j) + 0.5) * 0.4 - 0.5, 0.0, 5.0);
      CHECK(r(i, j) == doctest::Approx(2.0 * y - 3.0 * x).epsilon(1e-12));
    }
}

TEST_CASE("resize refuses empty images and targets") {
  CHECK_THROWS_AS(eqr::data::resize(pattern(4, 4), 0, 3), eqr::shape_error);
  CHECK_THROWS_AS(eqr::data::resize(Image::from_shape({0, 4}), 2, 2), eqr::shape_error);
}

TEST_CASE("centre_square cuts the longer axis evenly") {
  const Image x = pattern(7, 4);
  const Image c = eqr::data::centre_square(x);
  REQUIRE(c.shape(0) == 4);
  REQUIRE(c.shape(1) == 4);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j) CHECK(c(i, j) == x(i + 1, j));  // (7 − 4)/2 = 1 row off the top
  CHECK(eqr::data::centre_square(pattern(5, 5)) == pattern(5, 5));
}

TEST_CASE("intensity mappings follow their formulas") {
  using eqr::data::IntensityMap;
  const auto hu = IntensityMap::hu_to_mu();
  CHECK(hu(-1000) == 0.0);                                                   // air
  CHECK(hu(0) == doctest::Approx(20.0 / 81.35858).epsilon(1e-15));           // water, 0.2458
  CHECK(hu(1000) == doctest::Approx(40.0 / 81.35858).epsilon(1e-15));        // dense bone-like
  CHECK(hu(-3000) == 0.0);                                                   // padding values clip to 0
  CHECK(hu(4000) == 1.0);                                                    // clipped to 1
  CHECK(IntensityMap::hu_to_mu(19.0)(0) == doctest::Approx(19.0 / 81.35858).epsilon(1e-15));
  const auto w = IntensityMap::window(40, 400);                              // a soft-tissue window
  CHECK(w(-160) == 0.0);
  CHECK(w(240) == 1.0);
  CHECK(w(40) == doctest::Approx(0.5));
  CHECK(w(-1000) == 0.0);
  const auto m = IntensityMap::minmax(-2, 6);
  CHECK(m(-2) == 0.0);
  CHECK(m(6) == 1.0);
  CHECK(m(0) == doctest::Approx(0.25));
  CHECK(IntensityMap::minmax(3, 3)(3) == 0.0);
  const auto c = IntensityMap::scale(0.25);
  CHECK(c(-8) == -2.0);
  CHECK(c(4) == 1.0);
  CHECK(c.linear());
  CHECK_FALSE(m.linear());
  CHECK_FALSE(w.linear());
  CHECK_FALSE(hu.linear());
  CHECK_THROWS_AS(IntensityMap::scale(0), eqr::value_error);
  CHECK_THROWS_AS(IntensityMap::window(0, 0), eqr::value_error);
  CHECK_THROWS_AS(IntensityMap::hu_to_mu(-1), eqr::value_error);
  CHECK_THROWS_AS(IntensityMap::minmax(2, 1), eqr::value_error);
}
