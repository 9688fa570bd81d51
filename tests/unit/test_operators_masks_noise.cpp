// Line masks (operators/masks.hpp) and noise models (operators/noise.hpp): hand-computed masks, sampling
// statistics against fastMRI's formulas, reproducibility, and noise moments against their closed forms.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "eqr/operators/masks.hpp"
#include "eqr/operators/sampling_patterns.hpp"
#include "eqr/operators/noise.hpp"

namespace {

std::set<std::size_t> sampled(const xt::xtensor<double, 1>& m) {
  std::set<std::size_t> s;
  for (std::size_t k = 0; k < m.size(); ++k) {
    REQUIRE((m(k) == 0.0 || m(k) == 1.0));
    if (m(k) != 0.0) s.insert(k);
  }
  return s;
}

}  // namespace

TEST_CASE("equispaced mask equals fastMRI's formula worked by hand") {
  // W = 10, R = 2, f = 0.2: n_low = 2 centre columns at pad = ⌊(10 − 2 + 1)/2⌋ = 4, i.e. {4, 5};
  // R' = 2·(2 − 10)/(2·2 − 10) = 8/3, offsets {0, 1, 2}; arange(offset, 9, 8/3) rounded half-to-even:
  // 0 → {0, 3, 5, 8}; 1 → {1, 4, 6}; 2 → {2, 5, 7}.
  const std::set<std::size_t> expected[] = {{0, 3, 4, 5, 8}, {1, 4, 5, 6}, {2, 4, 5, 7}};
  std::set<int> seen;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const auto s = sampled(eqr::equispaced_line_mask<double>(10, 2.0, 0.2, seed));
    int which = -1;
    for (int i = 0; i < 3; ++i)
      if (s == expected[i]) which = i;
    CHECK(which >= 0);
    seen.insert(which);
  }
  CHECK(seen.size() == 3);
}

TEST_CASE("random mask: centre always sampled, other columns with p = (W/R − n_low)/(W − n_low)") {
  // W = 10, R = 2, f = 0.2: p = (5 − 2)/(10 − 2) = 0.375.
  std::vector<int> hits(10, 0);
  const int trials = 8000;
  for (int t = 0; t < trials; ++t) {
    const auto s = sampled(eqr::random_line_mask<double>(10, 2.0, 0.2, static_cast<std::uint64_t>(t)));
    for (const auto k : s) ++hits[k];
  }
  CHECK(hits[4] == trials);
  CHECK(hits[5] == trials);
  for (const std::size_t k : {0u, 1u, 2u, 3u, 6u, 7u, 8u, 9u}) {
    const double freq = hits[k] / double(trials);
    CHECK(std::abs(freq - 0.375) < 4 * std::sqrt(0.375 * 0.625 / trials));
  }
}

TEST_CASE("masks at fastMRI sizes reach the requested acceleration") {
  const std::size_t w = 320;
  const double accel = 4.0, fraction = 0.08;  // n_low = round(25.6) = 26 at pad 147
  double random_total = 0.0;
  const int trials = 300;
  for (int t = 0; t < trials; ++t) {
    const auto seed = static_cast<std::uint64_t>(t);
    const auto r = eqr::random_line_mask<double>(w, accel, fraction, seed);
    const auto e = eqr::equispaced_line_mask<double>(w, accel, fraction, seed);
    const auto v = eqr::variable_density_line_mask<double>(w, accel, fraction, seed);
    for (std::size_t k = 147; k < 147 + 26; ++k) {
      CHECK(r(k) == 1.0);
      CHECK(e(k) == 1.0);
      CHECK(v(k) == 1.0);
    }
    random_total += static_cast<double>(sampled(r).size());
    // Equispaced: the adjusted spacing 5.44 gives ≈ W/R lines in all (overlaps with the centre aside).
    const double e_count = static_cast<double>(sampled(e).size());
    CHECK(e_count >= 0.9 * w / accel);
    CHECK(e_count <= 1.05 * w / accel);
    // Variable density: exactly round(W/R) = 80 lines.
    CHECK(sampled(v).size() == 80);
  }
  // Random: expected count W/R = 80; the mean over 300 masks has standard error ≈ 0.45.
  CHECK(random_total / trials == doctest::Approx(80.0).epsilon(0.03));
}

TEST_CASE("variable-density mask is denser near the centre and reproducible by seed") {
  const std::size_t w = 256;
  std::vector<int> hits(w, 0);
  for (std::uint64_t seed = 0; seed < 400; ++seed)
    for (const auto k : sampled(eqr::variable_density_line_mask<double>(w, 5.0, 0.04, seed))) ++hits[k];
  auto band = [&](std::size_t lo, std::size_t hi) {
    double s = 0;
    for (std::size_t k = lo; k < hi; ++k) s += hits[k];
    return s / static_cast<double>(hi - lo);
  };
  // Weights (1 − |k − c|/(W/2))²: the band next to the centre is sampled far more often than the edges.
  CHECK(band(96, 120) > 2.0 * band(16, 40));
  CHECK(band(136, 160) > 2.0 * band(216, 240));
  CHECK(eqr::variable_density_line_mask<float>(w, 5.0, 0.04, 7) == eqr::variable_density_line_mask<float>(w, 5.0, 0.04, 7));
  CHECK(eqr::random_line_mask<float>(w, 4.0, 0.08, 7) == eqr::random_line_mask<float>(w, 4.0, 0.08, 7));
  CHECK(eqr::random_line_mask<float>(w, 4.0, 0.08, 7) != eqr::random_line_mask<float>(w, 4.0, 0.08, 8));
  const auto grid = eqr::expand_line_mask(eqr::random_line_mask<float>(w, 4.0, 0.08, 7), 5);
  CHECK(grid.shape()[0] == 5);
  CHECK(grid(3, 128) == 1.0f);
}

TEST_CASE("mask arguments are validated") {
  CHECK_THROWS_AS(eqr::random_line_mask<float>(0, 4.0, 0.08, 1), eqr::shape_error);
  CHECK_THROWS_AS(eqr::random_line_mask<float>(64, 0.5, 0.08, 1), eqr::value_error);
  CHECK_THROWS_WITH(eqr::equispaced_line_mask<float>(64, 4.0, 1.5, 1), doctest::Contains("found 1.5"));
  CHECK_THROWS_AS(eqr::variable_density_line_mask<float>(64, 4.0, 0.1, 1, -1.0), eqr::value_error);
  CHECK(eqr::parse_line_mask_kind("variable-density") == eqr::LineMaskKind::variable_density);
  CHECK_THROWS_AS(eqr::parse_line_mask_kind("poisson-disc"), eqr::value_error);
}

TEST_CASE("the Poisson sampler has mean and variance λ for small and large λ") {
  for (const double lambda : {0.7, 3.5, 29.0, 31.0, 200.0, 3678.8}) {
    CAPTURE(lambda);
    eqr::Random rng(static_cast<std::uint64_t>(lambda * 10));
    const int n = 200000;
    double s = 0.0, s2 = 0.0;
    int zeros = 0;
    for (int i = 0; i < n; ++i) {
      const double k = rng.poisson(lambda);
      REQUIRE(k == std::floor(k));
      s += k;
      s2 += k * k;
      zeros += k == 0.0;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    CHECK(std::abs(mean - lambda) < 5 * std::sqrt(lambda / n));
    CHECK(var == doctest::Approx(lambda).epsilon(0.02));
    if (lambda < 5) CHECK(zeros / double(n) == doctest::Approx(std::exp(-lambda)).epsilon(0.03));
  }
}

TEST_CASE("Gaussian and complex Gaussian noise have the requested moments") {
  const xt::xtensor<double, 4> zero = xt::zeros<double>({4, 2, 64, 64});
  const double sigma = 0.3;
  const auto y = eqr::gaussian_noise(zero, sigma, 5);
  double s = 0.0, s2 = 0.0;
  for (const double v : y) {
    s += v;
    s2 += v * v;
  }
  const double n = static_cast<double>(y.size());
  CHECK(std::abs(s / n) < 4 * sigma / std::sqrt(n));
  CHECK(s2 / n == doctest::Approx(sigma * sigma).epsilon(0.02));
  CHECK(eqr::gaussian_noise(zero, sigma, 5) == y);
  CHECK(eqr::gaussian_noise(zero, sigma, 6) != y);

  xt::xtensor<double, 1> mask = xt::zeros<double>({64});
  for (std::size_t k = 0; k < 64; k += 3) mask(k) = 1.0;
  const auto z = eqr::complex_gaussian_noise(zero, sigma, 9, &mask);
  double re2 = 0.0, im2 = 0.0, cross = 0.0;
  std::size_t count = 0;
  for (std::size_t b = 0; b < 4; ++b)
    for (std::size_t i = 0; i < 64; ++i)
      for (std::size_t j = 0; j < 64; ++j) {
        if (mask(j) == 0.0) {
          CHECK(z(b, 0, i, j) == 0.0);
          CHECK(z(b, 1, i, j) == 0.0);
          continue;
        }
        re2 += z(b, 0, i, j) * z(b, 0, i, j);
        im2 += z(b, 1, i, j) * z(b, 1, i, j);
        cross += z(b, 0, i, j) * z(b, 1, i, j);
        ++count;
      }
  // Each component N(0, σ²), independent: E|ε|² = 2σ².
  CHECK(re2 / count == doctest::Approx(sigma * sigma).epsilon(0.04));
  CHECK(im2 / count == doctest::Approx(sigma * sigma).epsilon(0.04));
  CHECK(std::abs(cross / count) < 5 * sigma * sigma / std::sqrt(double(count)));
  CHECK_THROWS_AS(eqr::complex_gaussian_noise(xt::xtensor<double, 4>(xt::zeros<double>({1, 1, 4, 4})), 0.1, 1),
                  eqr::shape_error);
}

TEST_CASE("CT post-log Poisson noise: mean and variance by the delta method, and the η floor") {
  // Constant line integral p0 with μ = 1: n ~ Pois(λ), λ = N_in e^{−p0}; y = −log(n/N_in) has mean
  // p0 + 1/(2λ) + O(λ⁻²) and variance 1/λ + O(λ⁻²).
  const double p0 = 1.0;
  const eqr::CtPoissonNoise model{1e4, 1.0, 1e-8};
  const xt::xtensor<double, 4> proj = xt::ones<double>({2, 1, 100, 500}) * p0;
  const auto y = eqr::ct_poisson_noise(proj, model, 3);
  double s = 0.0, s2 = 0.0;
  for (const double v : y) {
    s += v;
    s2 += v * v;
  }
  const double n = static_cast<double>(y.size()), lambda = 1e4 * std::exp(-p0);
  const double mean = s / n, var = s2 / n - mean * mean;
  CHECK(std::abs(mean - (p0 + 0.5 / lambda)) < 5 * std::sqrt(1.0 / (lambda * n)));
  CHECK(var == doctest::Approx(1.0 / lambda).epsilon(0.02));
  CHECK(eqr::ct_poisson_noise(proj, model, 3) == y);
  // No photons arrive through 30 attenuation lengths (λ ≈ 9e−10): y = −log(η)/μ exactly.
  const xt::xtensor<float, 2> opaque = xt::ones<float>({3, 3}) * 30.0f;
  const auto floor = eqr::ct_poisson_noise(opaque, model, 1);
  for (const float v : floor) CHECK(v == doctest::Approx(-std::log(1e-8)).epsilon(1e-6));
  // The paper's defaults.
  const eqr::CtPoissonNoise paper;
  CHECK(paper.photons == 1e4);
  CHECK(paper.eta == 1e-8);
  CHECK_THROWS_AS(eqr::ct_poisson_noise(proj, eqr::CtPoissonNoise{1e4, -1.0, 1e-8}, 1), eqr::value_error);
}

TEST_CASE("radial pattern: golden-angle spokes through the centre, acceleration at most R and close to it") {
  for (const auto& shape : {std::pair<std::size_t, std::size_t>{64, 64}, {48, 40}, {33, 31}}) {
    const std::size_t h = shape.first, w = shape.second;
    for (const double r : {2.0, 4.0, 8.0}) {
      CAPTURE(h);
      CAPTURE(r);
      const auto m = eqr::radial_pattern<double>(h, w, r);
      const double sampled = xt::sum(m)(), wanted = std::nearbyint(static_cast<double>(h * w) / r);
      CHECK(sampled >= wanted);
      CHECK(sampled <= wanted + static_cast<double>(2 * (h + w)));  // at most one spoke more than needed
      CHECK(m(h / 2, w / 2) == 1.0);                                 // every spoke crosses the zero frequency
      // A spoke through the centre is symmetric under k → −k: so is the gridded pattern, wherever −k is on
      // the grid (even sides have no mirror for their first row and column).
      std::size_t asymmetric = 0;
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
          const std::size_t mi = 2 * (h / 2) - i, mj = 2 * (w / 2) - j;  // wraps past the end when −k is off the grid
          if (mi < h && mj < w && m(i, j) != m(mi, mj)) ++asymmetric;
        }
      CHECK(asymmetric == 0);
    }
  }
  // The first spokes are the golden-angle ones: spoke 0 horizontal, so the centre row is fully sampled.
  const auto m = eqr::radial_pattern<double>(32, 32, 30.0);
  for (std::size_t j = 0; j < 32; ++j) CHECK(m(16, j) == 1.0);
  CHECK(eqr::radial_pattern<double>(32, 32, 4.0, 3) != eqr::radial_pattern<double>(32, 32, 4.0, 0));  // seed turns it
  CHECK(xt::sum(eqr::radial_pattern<double>(8, 8, 1.0))() == 64.0);  // R = 1: everything
  CHECK_THROWS_AS(eqr::radial_pattern<double>(8, 8, 0.5), eqr::value_error);
  CHECK_THROWS_AS(eqr::radial_pattern<double>(0, 8, 2.0), eqr::shape_error);
}

TEST_CASE("variable-density 2-D pattern: exact count, full centre disc, density falling with the radius") {
  const std::size_t h = 64, w = 64;
  const auto m = eqr::variable_density_2d_pattern<double>(h, w, 4.0, 0.1, 7);
  CHECK(xt::sum(m)() == 1024.0);  // round(64·64/4)
  double inner = 0, inner_n = 0, outer = 0, outer_n = 0;
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) {
      const double r = std::hypot(static_cast<double>(i) - 32.0, static_cast<double>(j) - 32.0);
      if (r <= 3.2) CHECK(m(i, j) == 1.0);  // the disc of radius 0.1·64/2
      if (r > 4 && r < 12) inner += m(i, j), inner_n += 1;
      if (r > 24 && r < 32) outer += m(i, j), outer_n += 1;
    }
  CHECK(inner / inner_n > 2 * (outer / outer_n));
  CHECK(eqr::variable_density_2d_pattern<double>(h, w, 4.0, 0.1, 7) == m);  // reproducible by seed
  CHECK(eqr::variable_density_2d_pattern<double>(h, w, 4.0, 0.1, 8) != m);
  CHECK(eqr::sampling_pattern<double>(eqr::parse_pattern_kind("variable-density-2d"), h, w, 4.0, 0.1, 7) == m);
  CHECK(eqr::is_pattern_kind("radial"));
  CHECK_FALSE(eqr::is_pattern_kind("random"));
  CHECK_THROWS_AS(eqr::parse_pattern_kind("spiral"), eqr::value_error);
  CHECK_THROWS_AS(eqr::variable_density_2d_pattern<double>(h, w, 4.0, 1.5, 7), eqr::value_error);
}

TEST_CASE("complex Gaussian noise with a 2-D pattern leaves the skipped points exactly zero") {
  const xt::xtensor<double, 4> zero = xt::zeros<double>({2, 2, 16, 12});
  const auto pattern = eqr::variable_density_2d_pattern<double>(16, 12, 3.0, 0.2, 4);
  const auto z = eqr::complex_gaussian_noise(zero, 0.5, 2, &pattern);
  std::size_t noisy = 0;
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t i = 0; i < 16; ++i)
        for (std::size_t j = 0; j < 12; ++j) {
          if (pattern(i, j) == 0.0) CHECK(z(b, c, i, j) == 0.0);
          noisy += z(b, c, i, j) != 0.0;
        }
  CHECK(noisy == static_cast<std::size_t>(4 * xt::sum(pattern)()));
  const xt::xtensor<double, 1> wrong = xt::ones<double>({7});
  CHECK_THROWS_AS(eqr::complex_gaussian_noise(zero, 0.5, 2, &wrong), eqr::shape_error);
}
