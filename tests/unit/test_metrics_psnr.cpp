// PSNR, MSE, NMSE and magnitudes on values worked out by hand; the equivariance-error helper on maps whose
// (non-)equivariance is known exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <limits>

#include <xtensor/xtensor.hpp>

#include "eqr/groups/image_action.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/metrics/equivariance.hpp"
#include "eqr/metrics/psnr.hpp"

using namespace eqr;
using namespace eqr::metrics;

TEST_CASE("PSNR, MSE and NMSE by hand") {
  const xt::xtensor<double, 2> ref = {{0.0, 0.5}, {1.0, 0.25}};
  const xt::xtensor<double, 2> x = {{0.1, 0.4}, {1.0, 0.45}};
  // Differences 0.1, −0.1, 0, 0.2: MSE = 0.06/4 = 0.015; max(ref) = 1.
  CHECK(mse(ref, x) == doctest::Approx(0.015));
  CHECK(psnr(ref, x) == doctest::Approx(18.239087409443187));  // 10·log10(1/0.015)
  // Data range 2: + 20·log10(2) dB.
  CHECK(psnr(ref, x, 2.0) == doctest::Approx(18.239087409443187 + 6.020599913279624));
  // The default range is max(ref), not max(ref) − min(ref): a reference offset by +1 has max 2.
  const xt::xtensor<double, 2> ref1 = ref + 1.0, x1 = x + 1.0;
  CHECK(psnr(ref1, x1) == doctest::Approx(psnr(ref, x, 2.0)));
  // ‖d‖² = 0.06, ‖ref‖² = 0 + 0.25 + 1 + 0.0625 = 1.3125.
  CHECK(nmse(ref, x) == doctest::Approx(0.06 / 1.3125));
  CHECK(psnr(ref, ref) == std::numeric_limits<double>::infinity());
  CHECK(nmse(ref, ref) == 0.0);
  const xt::xtensor<float, 2> rf = {{0.f, 0.5f}, {1.f, 0.25f}}, xf = {{0.1f, 0.4f}, {1.f, 0.45f}};
  CHECK(psnr(rf, xf) == doctest::Approx(18.239087409443187).epsilon(1e-5));
}

TEST_CASE("metric inputs are checked") {
  const xt::xtensor<double, 2> a = {{1.0, 2.0}}, b = {{1.0}, {2.0}};
  CHECK_THROWS_AS(mse(a, b), shape_error);
  CHECK_THROWS_AS(psnr(a, a, 0.0), value_error);
  const xt::xtensor<double, 2> zero = xt::zeros<double>({2, 2});
  CHECK_THROWS_AS(psnr(zero, zero), value_error);  // default range max(ref) = 0
  CHECK_THROWS_AS(nmse(zero, zero), value_error);
  xt::xtensor<double, 2> nan = a;
  nan(0, 0) = std::nan("");
  CHECK_THROWS_AS(mse(a, nan), value_error);
}

TEST_CASE("magnitudes of complex images, as std::complex and as two channels") {
  const xt::xtensor<std::complex<double>, 2> z = {{{3.0, 4.0}, {0.0, -2.0}}};
  CHECK(magnitude(z) == xt::xtensor<double, 2>{{5.0, 2.0}});
  xt::xtensor<float, 4> two = xt::zeros<float>({2, 2, 1, 2});
  two(0, 0, 0, 0) = 3.f;
  two(0, 1, 0, 0) = -4.f;
  two(1, 0, 0, 1) = 0.6f;
  two(1, 1, 0, 1) = 0.8f;
  const auto m = magnitude(two);
  REQUIRE(m.shape() == std::array<std::size_t, 4>{2, 1, 1, 2});
  CHECK(m(0, 0, 0, 0) == 5.f);
  CHECK(m(0, 0, 0, 1) == 0.f);
  CHECK(m(1, 0, 0, 1) == doctest::Approx(1.0));
  CHECK_THROWS_AS(magnitude(xt::xtensor<float, 4>(xt::zeros<float>({1, 3, 2, 2}))), shape_error);
}

TEST_CASE("equivariance error: zero for equivariant maps, exact values for a shift") {
  xt::xtensor<double, 2> x = xt::xtensor<double, 2>::from_shape({6, 6});
  for (std::size_t i = 0; i < x.size(); ++i) x.flat(i) = std::sin(1.0 + 0.7 * double(i));
  const auto square = [](const xt::xtensor<double, 2>& y) { return xt::xtensor<double, 2>(y * y); };
  CHECK(grid_equivariance_error<D4>(square, x) == 0.0);
  // 3×3 box sum with zero padding: a D4-symmetric stencil, equivariant up to rounding.
  const auto box = [](const xt::xtensor<double, 2>& y) {
    xt::xtensor<double, 2> out = xt::zeros<double>(y.shape());
    const long n = long(y.shape(0)), m = long(y.shape(1));
    for (long i = 0; i < n; ++i)
      for (long j = 0; j < m; ++j)
        for (long di = -1; di <= 1; ++di)
          for (long dj = -1; dj <= 1; ++dj)
            if (i + di >= 0 && i + di < n && j + dj >= 0 && j + dj < m) out(i, j) += y(i + di, j + dj);
    return out;
  };
  CHECK(grid_equivariance_error<D4>(box, x) < 1e-15);
  // A circular shift one column to the right: for a single dot away from the border, f(g·x) and g·f(x)
  // are two different single dots under every rotation g ≠ e, so the error is ‖e1 − e2‖/‖e2‖ = √2; under
  // the identity it is 0.
  const auto shift = [](const xt::xtensor<double, 2>& y) {
    xt::xtensor<double, 2> out = xt::xtensor<double, 2>::from_shape(y.shape());
    const std::size_t m = y.shape(1);
    for (std::size_t i = 0; i < y.shape(0); ++i)
      for (std::size_t j = 0; j < m; ++j) out(i, (j + 1) % m) = y(i, j);
    return out;
  };
  xt::xtensor<double, 2> dot = xt::zeros<double>({5, 5});
  dot(1, 3) = 1.0;
  const auto quarter = [](const xt::xtensor<double, 2>& y) { return eqr::transform<C4>(y, C4::element_at(1)); };
  CHECK(equivariance_error(shift, quarter, dot) == doctest::Approx(std::sqrt(2.0)));
  CHECK(equivariance_error(shift, [](const auto& y) { return y; }, dot) == 0.0);
  CHECK(grid_equivariance_error<C4>(shift, dot) == doctest::Approx(std::sqrt(2.0)));
  // Separate input and output actions: a transpose maps rot90 of the input to rot90⁻¹ of the output.
  const auto transpose = [](const xt::xtensor<double, 2>& y) { return xt::xtensor<double, 2>(xt::transpose(y)); };
  const auto inverse_quarter = [](const xt::xtensor<double, 2>& y) {
    return eqr::transform<C4>(y, C4::element_at(3));
  };
  CHECK(equivariance_error(transpose, quarter, inverse_quarter, x) < 1e-15);
  CHECK(equivariance_error(transpose, quarter, quarter, x) > 0.1);
}
