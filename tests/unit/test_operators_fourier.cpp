// The centred orthonormal DFT and the masked Fourier (MRI) operator (operators/fft.hpp,
// operators/masked_fourier.hpp) on the CPU backend: a slow direct DFT on odd and even sizes, unitarity, the
// inverse, masking, thread safety of the plans, and errors. The adjoint test is the conformance suite's.
#include <doctest/doctest.h>

#include <complex>
#include <numbers>
#include <thread>
#include <vector>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/fft.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/sampling_patterns.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

/// fftshift(fft2(ifftshift(x)))/√(HW) written out from the definitions: index i of a centred axis of
/// length n stands for the frequency/position i − ⌊n/2⌋, so F[k][l] = Σ x[i][j]·e^{−2πi((k−ch)(i−ch)/H +
/// (l−cw)(j−cw)/W)}/√(HW) with ch = ⌊H/2⌋, cw = ⌊W/2⌋.
std::vector<std::complex<double>> slow_centered_dft(const xt::xtensor<double, 4>& x, std::size_t n) {
  const std::size_t H = x.shape()[2], W = x.shape()[3];
  const double ch = static_cast<double>(H / 2), cw = static_cast<double>(W / 2);
  std::vector<std::complex<double>> out(H * W);
  for (std::size_t k = 0; k < H; ++k)
    for (std::size_t l = 0; l < W; ++l) {
      std::complex<double> s = 0.0;
      for (std::size_t i = 0; i < H; ++i)
        for (std::size_t j = 0; j < W; ++j) {
          const double phase = -2.0 * std::numbers::pi *
                               ((static_cast<double>(k) - ch) * (static_cast<double>(i) - ch) / static_cast<double>(H) +
                                (static_cast<double>(l) - cw) * (static_cast<double>(j) - cw) / static_cast<double>(W));
          s += std::complex<double>(x(n, 0, i, j), x(n, 1, i, j)) * std::polar(1.0, phase);
        }
      out[k * W + l] = s / std::sqrt(static_cast<double>(H * W));
    }
  return out;
}

}  // namespace

TEST_CASE("centred FFT matches a slow direct DFT on odd and even sizes") {
  for (const auto& size : {std::pair<std::size_t, std::size_t>{6, 8}, {7, 5}, {5, 6}, {1, 4}, {9, 9}}) {
    const std::size_t h = size.first, w = size.second;
    CAPTURE(h);
    CAPTURE(w);
    eqr::Random rng(h * 10 + w);
    const auto x = eqr::random_normal<Cpu<double>>({2, 2, h, w}, rng);
    const auto y = eqr::centered_fft<Cpu<double>>(x);
    for (std::size_t n = 0; n < 2; ++n) {
      const auto ref = slow_centered_dft(x, n);
      for (std::size_t k = 0; k < h; ++k)
        for (std::size_t l = 0; l < w; ++l) {
          CHECK(y(n, 0, k, l) == doctest::Approx(ref[k * w + l].real()).epsilon(1e-12).scale(1.0));
          CHECK(y(n, 1, k, l) == doctest::Approx(ref[k * w + l].imag()).epsilon(1e-12).scale(1.0));
        }
    }
  }
}

TEST_CASE("the DC component sits at the centre: a constant image maps to a single centred peak") {
  for (const std::size_t n : {4u, 5u}) {
    xt::xtensor<double, 4> x = xt::zeros<double>({std::size_t{1}, std::size_t{2}, n, n});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) x(0, 0, i, j) = 1.0;
    const auto y = eqr::centered_fft<Cpu<double>>(x);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        CHECK(y(0, 0, i, j) == doctest::Approx(i == n / 2 && j == n / 2 ? static_cast<double>(n) : 0.0).scale(1.0));
  }
}

TEST_CASE_TEMPLATE("centred FFT is unitary and centred IFFT inverts it", T, float, double) {
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  for (const auto& size : {std::pair<std::size_t, std::size_t>{32, 32}, {33, 20}, {15, 17}}) {
    const std::size_t h = size.first, w = size.second;
    eqr::Random rng(h + w);
    const auto x = eqr::random_normal<Cpu<T>>({3, 2, h, w}, rng);
    const auto y = eqr::centered_fft<Cpu<T>>(x);
    CHECK(Cpu<T>::squared_norm(y) == doctest::Approx(Cpu<T>::squared_norm(x)).epsilon(2 * tol));
    const auto back = eqr::centered_ifft<Cpu<T>>(y);
    double worst = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(double(back.data()[i] - x.data()[i])));
    CHECK(worst < 10 * tol);
  }
}

TEST_CASE_TEMPLATE("MaskedFourier masks k-space columns, and a full mask makes it unitary", T, float, double) {
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  for (const auto& size : {std::pair<std::size_t, std::size_t>{16, 16}, {15, 13}, {8, 11}}) {
    const std::size_t h = size.first, w = size.second;
    const auto mask = eqr::random_line_mask<T>(w, 3.0, 0.2, h);
    const eqr::MaskedFourier<Cpu<T>> op(h, mask);
    eqr::Random rng(9);
    const auto x = eqr::random_normal<Cpu<T>>(op.domain_shape(1), rng);
    const auto y = op.apply(x);
    const auto full = eqr::centered_fft<Cpu<T>>(x);
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) CHECK(y(0, c, i, j) == (mask(j) != T(0) ? full(0, c, i, j) : T(0)));
    // A full mask makes A unitary: AᵀA = I and ‖A‖ = 1.
    const eqr::MaskedFourier<Cpu<T>> all(h, std::vector<double>(w, 1.0));
    const auto round_trip = all.adjoint(all.apply(x));
    double worst = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(double(round_trip.data()[i] - x.data()[i])));
    CHECK(worst < 1e3 * tol);
    CHECK(eqr::opnorm(all, 5, 1) == doctest::Approx(1.0).epsilon(10 * tol));
    // With a 0/1 mask, AᵀA is an orthogonal projection: ‖A‖ = 1 as well.
    CHECK(eqr::opnorm(op, 20, 2) == doctest::Approx(1.0).epsilon(1e-4));
  }
}

TEST_CASE_TEMPLATE("MaskedFourier with a 2-D pattern masks k-space points; a pattern of equal rows is the line mask", T, float,
                   double) {
  const std::size_t h = 12, w = 10;
  const auto line = eqr::random_line_mask<double>(w, 3.0, 0.2, 4);
  const eqr::MaskedFourier<Cpu<T>> by_columns(h, line);
  const eqr::MaskedFourier<Cpu<T>> by_plane(h, w, eqr::expand_line_mask(xt::xtensor<double, 1>(line), h));
  const eqr::MaskedFourier<Cpu<T>> by_columns_width(h, w, line);
  eqr::Random rng(3);
  const auto x = eqr::random_normal<Cpu<T>>(by_plane.domain_shape(2), rng);
  CHECK(by_plane.apply(x) == by_columns.apply(x));
  CHECK(by_columns_width.apply(x) == by_columns.apply(x));
  CHECK(by_plane.adjoint(x) == by_columns.adjoint(x));
  CHECK(by_columns.is_line_mask());
  CHECK_FALSE(by_plane.is_line_mask());
  CHECK(by_plane.sampling_fraction() == doctest::Approx(by_columns.sampling_fraction()));
  const auto pattern = eqr::radial_pattern<double>(h, w, 3.0);
  const eqr::MaskedFourier<Cpu<T>> radial(h, w, pattern);
  const auto y = radial.apply(x);
  const auto full = eqr::centered_fft<Cpu<T>>(x);
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t c = 0; c < 2; ++c)
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) CHECK(y(n, c, i, j) == (pattern(i, j) != 0.0 ? full(n, c, i, j) : T(0)));
  CHECK(radial.sampling_fraction() == doctest::Approx(xt::sum(pattern)() / double(h * w)));
  CHECK_THROWS_WITH(eqr::MaskedFourier<Cpu<T>>(h, w, std::vector<double>(h * w - 1, 1.0)),
                    doctest::Contains("expected a mask of 10 column values or 12x10 = 120 values, found 119"));
}

TEST_CASE("FFT plans are safe to use from several threads at once") {
  eqr::Random rng(1);
  const auto x = eqr::random_normal<Cpu<double>>({1, 2, 24, 18}, rng);
  const auto reference = eqr::centered_fft<Cpu<double>>(x);
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      bool same = true;
      for (int k = 0; k < 20; ++k) {
        // New sizes force planning (under the mutex) while other threads execute.
        eqr::Random local(static_cast<std::uint64_t>(t));
        const std::size_t h = 10 + static_cast<std::size_t>(t), w = 7 + static_cast<std::size_t>(k);
        const auto z = eqr::random_normal<Cpu<double>>({1, 2, h, w}, local);
        const double nz = Cpu<double>::squared_norm(z);
        same = same && std::abs(Cpu<double>::squared_norm(eqr::centered_fft<Cpu<double>>(z)) - nz) < 1e-12 * nz;
        same = same && eqr::centered_fft<Cpu<double>>(x) == reference;
      }
      ok[t] = same;
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) CHECK(ok[t] == 1);
}

TEST_CASE("Fourier operators report wrong shapes") {
  CHECK_THROWS_AS((void)eqr::centered_fft<Cpu<float>>(xt::zeros<float>({1, 1, 4, 4})), eqr::shape_error);
  const eqr::MaskedFourier<Cpu<float>> op(8, std::vector<double>(6, 1.0));
  CHECK_THROWS_WITH((void)op.apply(xt::zeros<float>({1, 2, 6, 8})),
                    doctest::Contains("expected a batch of shape 1×2×8×6, found 1×2×6×8"));
  CHECK_THROWS_AS((void)op.adjoint(xt::zeros<float>({1, 1, 8, 6})), eqr::shape_error);
  xt::xtensor<float, 1> bad = xt::ones<float>({6});
  bad(2) = std::nanf("");
  CHECK_THROWS_AS(eqr::MaskedFourier<Cpu<float>>(8, bad), eqr::value_error);
}
