// Filtered back-projection (operators/fbp.hpp): the ramp filter's closed-form response, fast FFT lengths,
// recovery of a disc's value in image units for every filter and for non-unit pixel size and spacing, and
// its shapes. Its adjoint (the transpose a warm-started learned method back-propagates through) is checked by
// the operator conformance suite on every backend.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/fbp.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

/// A disc of value `value` and radius `radius` (length units) centred in an n×n image of pixel size `pixel`,
/// each pixel the covered fraction on an 8×8 sub-grid.
xt::xtensor<double, 4> disc(std::size_t n, double radius, double pixel, double value) {
  xt::xtensor<double, 4> x = xt::zeros<double>({std::size_t{1}, std::size_t{1}, n, n});
  const double c = (static_cast<double>(n) - 1.0) / 2.0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < n; ++k) {
      int inside = 0;
      for (int a = 0; a < 8; ++a)
        for (int b = 0; b < 8; ++b) {
          const double px = (static_cast<double>(k) - c + (b + 0.5) / 8.0 - 0.5) * pixel;
          const double py = (c - static_cast<double>(r) + (a + 0.5) / 8.0 - 0.5) * pixel;
          inside += px * px + py * py <= radius * radius;
        }
      x(0, 0, r, k) = value * inside / 64.0;
    }
  return x;
}

/// Mean and largest deviation from `value` over the pixels within `fraction`·radius of the centre.
std::pair<double, double> interior_stats(const xt::xtensor<double, 4>& x, double radius, double pixel, double value,
                                         double fraction) {
  const std::size_t n = x.shape()[2];
  const double c = (static_cast<double>(n) - 1.0) / 2.0;
  double sum = 0.0, worst = 0.0;
  int count = 0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < n; ++k) {
      const double px = (static_cast<double>(k) - c) * pixel, py = (c - static_cast<double>(r)) * pixel;
      if (std::hypot(px, py) > fraction * radius) continue;
      sum += x(0, 0, r, k);
      worst = std::max(worst, std::abs(x(0, 0, r, k) - value));
      ++count;
    }
  return {sum / count, worst};
}

}  // namespace

TEST_CASE("fast FFT lengths are the smallest 2^a 3^b 5^c at or above n") {
  CHECK(eqr::fast_fft_length(7) == 8);
  CHECK(eqr::fast_fft_length(11) == 12);
  CHECK(eqr::fast_fft_length(1450) == 1458);
  CHECK(eqr::fast_fft_length(1024) == 1024);
  CHECK(eqr::fast_fft_length(1) == 1);
}

TEST_CASE("the discrete ramp filter has the closed-form response 0 at DC and 1/(2s) at Nyquist") {
  // Σ_n s·h(ns) = 1/(4s) − (2/(π²s))·Σ_{odd n>0} 1/n² = 1/(4s) − 1/(4s) = 0, and with alternating signs
  // 1/(4s) + 1/(4s) = 1/(2s) = |ω| at the Nyquist frequency 1/(2s); in between the response is close to |ω|.
  for (const double s : {1.0, 0.4}) {
    const eqr::FilteredBackProjection<Cpu<double>> fbp(eqr::parallel_beam(64, 10, 0, 1.0, s));
    const auto& r = fbp.frequency_response();
    const double L = static_cast<double>(fbp.padded_length());
    CHECK(fbp.padded_length() % 2 == 0);
    CHECK(fbp.padded_length() >= 2 * fbp.radon().geometry().detectors);
    // The truncated kernel misses Σ_{|n| > L/2} terms of order 1/(π² s L): tiny but not zero.
    CHECK(std::abs(r.front() * L) < 2.0 / (std::numbers::pi * std::numbers::pi * s * L));
    CHECK(std::abs(r.back() * L - 1.0 / (2.0 * s)) < 4.0 / (std::numbers::pi * std::numbers::pi * s * L));
    const std::size_t k = r.size() / 4;  // ω = k/(L s) cycles per length unit
    CHECK(r[k] * L == doctest::Approx(static_cast<double>(k) / (L * s)).epsilon(2e-3));
  }
}

TEST_CASE("FBP recovers the value of a disc in image units") {
  struct Case {
    double pixel, spacing;
  };
  for (const Case c : {Case{1.0, 1.0}, Case{0.5, 0.5}, Case{0.25, 0.2}}) {
    CAPTURE(c.pixel);
    CAPTURE(c.spacing);
    const std::size_t n = 128;
    const double radius = 40.0 * c.pixel, value = 2.5;
    const auto detectors = static_cast<std::size_t>(std::ceil(std::sqrt(2.0) * n * c.pixel / c.spacing));
    const auto g = eqr::parallel_beam(n, 180, detectors, c.pixel, c.spacing);
    const eqr::Radon<Cpu<double>> radon(g);
    const auto y = radon.apply(disc(n, radius, c.pixel, value));
    for (const auto filter : {eqr::FbpFilter::ram_lak, eqr::FbpFilter::shepp_logan, eqr::FbpFilter::cosine,
                              eqr::FbpFilter::hamming, eqr::FbpFilter::hann}) {
      CAPTURE(static_cast<int>(filter));
      const eqr::FilteredBackProjection<Cpu<double>> fbp(g, filter);
      const auto [mean, worst] = interior_stats(fbp.apply(y), radius, c.pixel, value, 0.8);
      CHECK(mean == doctest::Approx(value).epsilon(0.02));
      CHECK(worst < 0.05 * value);
    }
    // Outside the disc the reconstruction is close to zero.
    const eqr::FilteredBackProjection<Cpu<double>> fbp(g);
    const auto x = fbp.apply(y);
    CHECK(std::abs(x(0, 0, 3, 64)) < 0.05 * value);
  }
}

TEST_CASE("FBP frequency scaling lowers resolution but keeps the mean; float matches double") {
  const std::size_t n = 96;
  const auto g = eqr::parallel_beam(n, 120);
  const eqr::Radon<Cpu<double>> radon(g);
  const auto y = radon.apply(disc(n, 30.0, 1.0, 1.0));
  const eqr::FilteredBackProjection<Cpu<double>> sharp(g, eqr::FbpFilter::ram_lak, 1.0);
  const eqr::FilteredBackProjection<Cpu<double>> soft(g, eqr::FbpFilter::ram_lak, 0.3);
  const auto xs = sharp.apply(y), xb = soft.apply(y);
  CHECK(interior_stats(xb, 30.0, 1.0, 1.0, 0.7).first == doctest::Approx(1.0).epsilon(0.03));
  // At the rim (radius 30 along the middle row) the cut-off blurs the edge: the jump over 2 pixels is smaller.
  const auto edge = [](const xt::xtensor<double, 4>& x) { return x(0, 0, 47, 47 - 29) - x(0, 0, 47, 47 - 31); };
  CHECK(edge(xb) < edge(xs));
  const eqr::FilteredBackProjection<Cpu<float>> single(g);
  const xt::xtensor<float, 4> yf = xt::cast<float>(y);
  const auto xf = single.apply(yf);
  double worst = 0.0;
  for (std::size_t i = 0; i < xf.size(); ++i) worst = std::max(worst, std::abs(double(xf.data()[i]) - xs.data()[i]));
  CHECK(worst < 1e-4);
}

static_assert(eqr::LinearOperator<eqr::FilteredBackProjection<Cpu<float>>>,
              "Filtered back-projection must be a LinearOperator from sinograms to images.");

TEST_CASE("FBP maps sinograms to images: its shapes are the Radon transform's, swapped") {
  // Its adjoint test for every filter, scaling and geometry is the conformance suite's (FbpFamily).
  const auto g = eqr::parallel_beam(13, 7, 25, 0.5, 0.4);
  const eqr::FilteredBackProjection<Cpu<double>> fbp(g, eqr::FbpFilter::hann, 0.6);
  CHECK(fbp.domain_shape(2) == fbp.radon().range_shape(2));
  CHECK(fbp.range_shape(2) == fbp.radon().domain_shape(2));
}

TEST_CASE("FBP validates its arguments") {
  CHECK_THROWS_AS(eqr::FilteredBackProjection<Cpu<float>>(eqr::parallel_beam(16, 8), eqr::FbpFilter::hann, 0.0),
                  eqr::value_error);
  CHECK_THROWS_AS(eqr::FilteredBackProjection<Cpu<float>>(eqr::parallel_beam(16, 8), eqr::FbpFilter::hann, 1.5),
                  eqr::value_error);
  CHECK(eqr::parse_fbp_filter("shepp-logan") == eqr::FbpFilter::shepp_logan);
  CHECK_THROWS_WITH(eqr::parse_fbp_filter("ramp"), doctest::Contains("found 'ramp'"));
  const eqr::FilteredBackProjection<Cpu<float>> fbp(eqr::parallel_beam(16, 8));
  CHECK_THROWS_AS((void)fbp.apply(xt::zeros<float>({1, 1, 8, 16})), eqr::shape_error);
}
