// The parallel-beam Radon transform (operators/radon.hpp) on the CPU backend: the adjoint test at a realistic
// size, closed forms for a single pixel (Joseph's triangle footprint), a disc (chord lengths) and a Gaussian,
// the 90° rotation symmetry, determinism across thread counts, the explicit matrix of both directions against
// for_each_entry's, and geometry validation. The adjoint test over every geometry variant and backend is the
// conformance suite (tests/support/operator_suite.hpp).
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>
#include <numbers>
#include <span>

#include <oneapi/tbb/global_control.h>
#include <xtensor/xview.hpp>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/operators/radon.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

eqr::ParallelBeamGeometry geometry(std::size_t h, std::size_t w, std::size_t angles, std::size_t detectors,
                                   double pixel = 1.0, double spacing = 1.0) {
  return eqr::parallel_beam(h, w, eqr::default_angles(angles), detectors, pixel, spacing);
}

/// A disc of radius `radius` (physical units) and value 1 at the centre of an n×n image, each pixel the
/// covered fraction estimated on a 16×16 sub-grid.
template <class T>
xt::xtensor<T, 4> disc(std::size_t n, double radius, double pixel) {
  xt::xtensor<T, 4> x = xt::zeros<T>({std::size_t{1}, std::size_t{1}, n, n});
  const double c = (static_cast<double>(n) - 1.0) / 2.0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < n; ++k) {
      int inside = 0;
      for (int a = 0; a < 16; ++a)
        for (int b = 0; b < 16; ++b) {
          const double px = (static_cast<double>(k) - c + (b + 0.5) / 16.0 - 0.5) * pixel;
          const double py = (c - static_cast<double>(r) + (a + 0.5) / 16.0 - 0.5) * pixel;
          inside += px * px + py * py <= radius * radius;
        }
      x(0, 0, r, k) = static_cast<T>(inside / 256.0);
    }
  return x;
}

}  // namespace

TEST_CASE("float32 Radon passes the adjoint test at a realistic size") {
  // 256², 60 angles, 363 detectors: sums of hundreds of float products per entry, accumulated in double
  // by the test helper.
  const eqr::Radon<Cpu<float>> radon(eqr::parallel_beam(256, 60));
  CHECK(eqr::adjoint_mismatch(radon, 11, 1) <= 1e-6);
}

TEST_CASE("Radon of a single pixel is Joseph's triangle footprint") {
  // With linear interpolation along the sampled lines, pixel (r0, c0) of side p seen at angle θ gives the
  // triangle  p/m · max(0, 1 − |u − u0|/(p·m)),  m = max(|cos θ|, |sin θ|),  u0 = x0 cos θ + y0 sin θ.
  const std::size_t n = 21, d = 50;
  const double p = 0.8, s = 0.37;
  auto g = geometry(n, n, 1, d, p, s);
  g.angles = {0.0, 0.3, 0.9, 1.2, std::numbers::pi / 2, 2.0, 2.8};
  const eqr::Radon<Cpu<double>> radon(g);
  const std::size_t r0 = 7, c0 = 12;
  xt::xtensor<double, 4> x = xt::zeros<double>({std::size_t{1}, std::size_t{1}, n, n});
  x(0, 0, r0, c0) = 1.0;
  const auto y = radon.apply(x);
  const double x0 = (static_cast<double>(c0) - (n - 1) / 2.0) * p, y0 = ((n - 1) / 2.0 - static_cast<double>(r0)) * p;
  for (std::size_t a = 0; a < g.angles.size(); ++a) {
    const double th = g.angles[a];
    const double m = std::max(std::abs(std::cos(th)), std::abs(std::sin(th)));
    const double u0 = x0 * std::cos(th) + y0 * std::sin(th);
    for (std::size_t j = 0; j < d; ++j) {
      const double u = (static_cast<double>(j) - (d - 1) / 2.0) * s;
      const double expected = p / m * std::max(0.0, 1.0 - std::abs(u - u0) / (p * m));
      CHECK(y(0, 0, a, j) == doctest::Approx(expected).epsilon(1e-9).scale(1.0));
    }
  }
}

TEST_CASE("Radon of a disc gives the chord lengths 2·sqrt(R² − u²) in length units") {
  for (const double pixel : {1.0, 0.25}) {
    CAPTURE(pixel);
    const std::size_t n = 96;
    const double radius = 30.0 * pixel;
    const double spacing = 0.9 * pixel;
    const eqr::Radon<Cpu<double>> radon(geometry(n, n, 17, 150, pixel, spacing));
    const auto y = radon.apply(disc<double>(n, radius, pixel));
    double worst_inner = 0.0, worst = 0.0;
    for (std::size_t a = 0; a < 17; ++a)
      for (std::size_t j = 0; j < 150; ++j) {
        const double u = (static_cast<double>(j) - 74.5) * spacing;
        const double chord = std::abs(u) < radius ? 2.0 * std::sqrt(radius * radius - u * u) : 0.0;
        const double error = std::abs(y(0, 0, a, j) - chord);
        worst = std::max(worst, error);
        // Away from the rim, where the chord's slope is bounded (≤ 2.7 for |u| ≤ 0.8 R), the pixelated disc
        // gives the chord to within a small fraction of a pixel.
        if (std::abs(u) <= 0.8 * radius) worst_inner = std::max(worst_inner, error);
      }
    // Inside, the error is the pixelation of the rim crossed twice by each ray (a fraction of a pixel, so
    // 0.3 % of the diameter here); it scales with the pixel size, as line integrals in length units must.
    CHECK(worst_inner < 0.3 * pixel);
    CHECK(worst_inner > 0.0);
    // The area under each projection is the disc's mass π R² (midpoint sums over the detector row).
    for (std::size_t a = 0; a < 17; ++a) {
      double area = 0.0;
      for (std::size_t j = 0; j < 150; ++j) area += y(0, 0, a, j) * spacing;
      CHECK(area == doctest::Approx(std::numbers::pi * radius * radius).epsilon(3e-3));
    }
  }
}

TEST_CASE("Radon of a smooth Gaussian matches its closed-form line integrals") {
  // f(x, y) = exp(−(x² + y²)/(2σ²)) sampled at the pixel centres; its line integral at any angle is
  // √(2π)·σ·exp(−u²/(2σ²)).  Linear interpolation errs by at most h²/8·max|f″| = p²/(8σ²) ≈ 0.2 % of the
  // peak here (h ≤ p the interpolation step); the bound is 0.3 %.
  const std::size_t n = 64, d = 91;
  const double pixel = 0.5, sigma = 4.0, spacing = 0.3;
  auto g = geometry(n, n, 1, d, pixel, spacing);
  g.angles = {0.0, 0.2, 0.7, 1.1, std::numbers::pi / 2, 2.3, 3.0};
  const eqr::Radon<Cpu<double>> radon(g);
  xt::xtensor<double, 4> x = xt::zeros<double>({std::size_t{1}, std::size_t{1}, n, n});
  const double c = (n - 1) / 2.0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < n; ++k) {
      const double px = (static_cast<double>(k) - c) * pixel, py = (c - static_cast<double>(r)) * pixel;
      x(0, 0, r, k) = std::exp(-(px * px + py * py) / (2 * sigma * sigma));
    }
  const auto y = radon.apply(x);
  const double peak = std::sqrt(2 * std::numbers::pi) * sigma;
  for (std::size_t a = 0; a < g.angles.size(); ++a)
    for (std::size_t j = 0; j < d; ++j) {
      const double u = (static_cast<double>(j) - (d - 1) / 2.0) * spacing;
      CHECK(std::abs(y(0, 0, a, j) - peak * std::exp(-u * u / (2 * sigma * sigma))) < 3e-3 * peak);
    }
}

TEST_CASE_TEMPLATE("rotating the image by 90° shifts the sinogram by A/2 angles", T, float, double) {
  // θ_{a+A/2} = θ_a + π/2 and A(rot90 u)_θ(u) = (A u)_{θ−π/2}(u); for a < A/2, θ_a − π/2 < 0 wraps to
  // θ_{a+A/2} − π, which reverses the detector axis.  Angle counts with and without a 45° angle.
  for (const std::size_t angles : {10u, 12u, 50u}) {
    for (const std::size_t n : {16u, 17u}) {
      CAPTURE(angles);
      CAPTURE(n);
      const std::size_t d = 2 * n + 1;
      const eqr::Radon<Cpu<T>> radon(geometry(n, n, angles, d));
      eqr::Random rng(angles + n);
      const auto x = eqr::random_normal<Cpu<T>>(radon.domain_shape(1), rng);
      xt::xtensor<T, 4> rotated = xt::zeros<T>(x.shape());
      eqr::transform_plane<eqr::C4>(eqr::C4::element_at(1), std::span<const T>(x.data(), n * n), n, n,
                                    std::span<T>(rotated.data(), n * n));
      // The group's rotation by 90° is numpy.rot90: the top row becomes the left column read upwards.
      CHECK(rotated(0, 0, n - 1, 0) == x(0, 0, 0, 0));
      CHECK(rotated(0, 0, 0, 0) == x(0, 0, 0, n - 1));
      const auto y = radon.apply(x);
      const auto yr = radon.apply(rotated);
      double worst = 0.0, scale = 0.0;
      const std::size_t half = angles / 2;
      for (std::size_t a = 0; a < angles; ++a)
        for (std::size_t j = 0; j < d; ++j) {
          const double expected = a >= half ? y(0, 0, a - half, j) : y(0, 0, a + half, d - 1 - j);
          worst = std::max(worst, std::abs(static_cast<double>(yr(0, 0, a, j)) - expected));
          scale = std::max(scale, std::abs(expected));
        }
      CHECK(worst <= scale * (std::is_same_v<T, float> ? 2e-5 : 1e-11));
    }
  }
}

TEST_CASE("Radon is deterministic and batched items are independent") {
  const eqr::Radon<Cpu<float>> radon(geometry(33, 33, 40, 0));
  eqr::Random rng(3);
  const auto x = eqr::random_normal<Cpu<float>>(radon.domain_shape(3), rng);
  const auto y1 = radon.apply(x);
  const auto y2 = radon.apply(x);
  CHECK(y1 == y2);
  const auto b1 = radon.adjoint(y1);
  CHECK(b1 == radon.adjoint(y1));
  {
    // The same bits with one thread as with all: no result depends on how the work was scheduled.
    const oneapi::tbb::global_control one(oneapi::tbb::global_control::max_allowed_parallelism, 1);
    CHECK(radon.apply(x) == y1);
    CHECK(radon.adjoint(y1) == b1);
  }
  // Item 1 alone equals item 1 of the batch.
  xt::xtensor<float, 4> one = xt::view(x, xt::range(1, 2), xt::all(), xt::all(), xt::all());
  const auto y_one = radon.apply(one);
  for (std::size_t i = 0; i < y_one.size(); ++i) CHECK(y_one.data()[i] == y1.data()[y_one.size() + i]);
}

TEST_CASE("opnorm of a small Radon transform equals the largest singular value of its matrix") {
  const eqr::Radon<Cpu<double>> radon(geometry(8, 7, 6, 11, 1.0, 0.8));
  const std::size_t cols = 8 * 7, rows = 6 * 11;
  Eigen::MatrixXd m(rows, cols);
  for (std::size_t k = 0; k < cols; ++k) {
    xt::xtensor<double, 4> e = Cpu<double>::zeros(radon.domain_shape(1));
    e.data()[k] = 1.0;
    const auto col = radon.apply(e);
    for (std::size_t i = 0; i < rows; ++i) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = col.data()[i];
  }
  // The explicit matrix of the back-projection is the transpose of the projection's matrix.
  for (std::size_t i = 0; i < rows; i += 5) {
    xt::xtensor<double, 4> e = Cpu<double>::zeros(radon.range_shape(1));
    e.data()[i] = 1.0;
    const auto row = radon.adjoint(e);
    for (std::size_t k = 0; k < cols; ++k)
      CHECK(row.data()[k] == doctest::Approx(m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k))).epsilon(1e-14));
  }
  const double sigma = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues()(0);
  CHECK(eqr::opnorm(radon, 500, 1) == doctest::Approx(sigma).epsilon(1e-6));
}

TEST_CASE_TEMPLATE("for_each_entry lists the matrix that apply multiplies by", T, float, double) {
  // Odd and even sizes, a non-square image and a detector row wider than the image, so that rays of both
  // line kinds leave the image and the skipped padding entries matter.
  const eqr::Radon<Cpu<T>> radon(geometry(9, 6, 8, 13, 0.9, 0.7));
  const std::size_t h = 9, w = 6, angles = 8, detectors = 13;
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(angles * detectors), static_cast<Eigen::Index>(h * w));
  radon.for_each_entry([&](std::size_t a, std::size_t j, std::size_t r, std::size_t c, T weight) {
    REQUIRE(a < angles);
    REQUIRE(j < detectors);
    REQUIRE(r < h);
    REQUIRE(c < w);
    m(static_cast<Eigen::Index>(a * detectors + j), static_cast<Eigen::Index>(r * w + c)) += static_cast<double>(weight);
  });
  eqr::Random rng(3);
  const auto x = eqr::random_normal<Cpu<T>>(radon.domain_shape(1), rng);
  const auto y = radon.apply(x);
  Eigen::VectorXd xv(static_cast<Eigen::Index>(h * w));
  for (std::size_t k = 0; k < h * w; ++k) xv(static_cast<Eigen::Index>(k)) = static_cast<double>(x.data()[k]);
  const Eigen::VectorXd expected = m * xv;
  for (std::size_t i = 0; i < angles * detectors; ++i)
    CHECK(static_cast<double>(y.data()[i]) ==
          doctest::Approx(expected(static_cast<Eigen::Index>(i))).epsilon(tolerance<T>() * 10).scale(expected.norm()));
}

TEST_CASE_TEMPLATE("adjoint multiplies by the transpose of the matrix for_each_entry lists", T, float, double) {
  // Lines long enough for the eight-ray vector paths, with rays closer than a pixel (0.6), one to two pixels
  // apart (1.0, 1.3: the 16-value windows), and further apart (2.2: past a window), on a non-square image, at
  // angles of both line kinds and both ray directions (unsorted, past π).
  struct Case {
    std::size_t h, w, detectors;
    double spacing;
  };
  const Case cases[] = {{40, 37, 90, 0.6}, {40, 37, 57, 1.0}, {33, 48, 45, 1.3}, {40, 40, 27, 2.2}};
  for (const auto& c : cases) {
    CAPTURE(c.spacing);
    auto g = geometry(c.h, c.w, 1, c.detectors, 1.0, c.spacing);
    g.angles = {0.0, 0.3, 1.1, 2.0, 2.9, -0.4, 3.6, std::numbers::pi / 4, 3 * std::numbers::pi / 4};
    const eqr::Radon<Cpu<T>> radon(g);
    eqr::Random rng(5);
    const auto y = eqr::random_normal<Cpu<T>>(radon.range_shape(2), rng);
    const auto x = radon.adjoint(y);
    const std::size_t per_image = g.angles.size() * c.detectors;
    std::vector<double> expected(2 * c.h * c.w, 0.0);
    radon.for_each_entry([&](std::size_t a, std::size_t j, std::size_t r, std::size_t col, T weight) {
      for (std::size_t n = 0; n < 2; ++n)
        expected[(n * c.h + r) * c.w + col] +=
            static_cast<double>(weight) * static_cast<double>(y.data()[n * per_image + a * c.detectors + j]);
    });
    double scale = 0.0;
    for (const double e : expected) scale = std::max(scale, std::abs(e));
    for (std::size_t k = 0; k < expected.size(); ++k)
      CHECK(std::abs(static_cast<double>(x.data()[k]) - expected[k]) <= tolerance<T>() * 10 * scale);
  }
}

TEST_CASE("Radon geometry defaults and validation") {
  const auto g = eqr::parallel_beam(512, 50);
  CHECK(g.detectors == 725);
  CHECK(eqr::parallel_beam(362, 10).detectors == 512);
  CHECK(g.angles.size() == 50);
  CHECK(g.angles[25] == doctest::Approx(std::numbers::pi / 2));
  CHECK(g.angles[0] == 0.0);
  CHECK_THROWS_AS(eqr::parallel_beam(0, 10), eqr::shape_error);
  CHECK_THROWS_AS(eqr::parallel_beam(16, 0), eqr::shape_error);
  CHECK_THROWS_AS(eqr::parallel_beam(16, 10, 0, -1.0), eqr::value_error);
  CHECK_THROWS_WITH(eqr::parallel_beam(16, 10, 0, 1.0, 0.0), doctest::Contains("detector spacing"));
  auto bad = eqr::parallel_beam(16, 10);
  bad.angles[3] = std::nan("");
  CHECK_THROWS_AS(eqr::Radon<Cpu<float>>{bad}, eqr::value_error);
  const eqr::Radon<Cpu<float>> radon(eqr::parallel_beam(16, 10));
  CHECK_THROWS_WITH((void)radon.apply(xt::zeros<float>({1, 1, 16, 15})),
                    doctest::Contains("expected a batch of shape 1×1×16×16, found 1×1×16×15"));
  CHECK_THROWS_AS((void)radon.adjoint(xt::zeros<float>({2, 1, 16, 23})), eqr::shape_error);
}
