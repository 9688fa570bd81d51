// TV reconstruction end to end with the library's operators at small sizes: MRI (MaskedFourier, complex, 20%
// variable-density lines) and CT (parallel-beam Radon, few angles, non-negativity).  FISTA and PDHG must agree on
// the objective, beat the naive reconstruction (zero-filled / back-projection) on a phantom, and keep their
// constraints.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/data/phantoms.hpp"
#include "eqr/metrics/psnr.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/noise.hpp"
#include "eqr/operators/radon.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

template <class Op>
double objective(const Op& a, const xt::xtensor<double, 4>& y, const xt::xtensor<double, 4>& u, double lambda) {
  auto r = a.apply(u);
  r -= y;
  return 0.5 * Cpu<double>::squared_norm(r) + lambda * eqr::total_variation(u);
}

xt::xtensor<double, 4> phantom_batch(std::size_t n, std::size_t channels) {
  const auto p = eqr::data::shepp_logan<double>(n);
  xt::xtensor<double, 4> x = xt::zeros<double>({std::size_t{1}, channels, n, n});
  std::copy(p.begin(), p.end(), x.begin());
  return x;
}

}  // namespace

TEST_CASE("TV-MRI at 64x64: FISTA and PDHG agree and beat zero-filling by a wide margin") {
  // (At this size the phantom's small ellipses are a few pixels wide; a third of the lines keeps them.)
  const std::size_t n = 64;
  const auto mask = eqr::variable_density_line_mask<double>(n, 3.0, 0.08, 11);
  const eqr::MaskedFourier<eqr::cpu::CpuBackend<double>> a(n, mask);
  CHECK(a.sampling_fraction() == doctest::Approx(1.0 / 3).epsilon(0.05));
  const auto truth = phantom_batch(n, 2);
  const auto y = eqr::complex_gaussian_noise(a.apply(truth), 0.005, 3, &mask);
  const xt::xtensor<double, 4> reference = phantom_batch(n, 1);
  const double lambda = 0.002;
  eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(20));
  const auto fista = eqr::proximal_gradient(a, y, g, eqr::ProximalGradientOptions{}.iterations(400).lipschitz(1.0));
  const auto pdhg = eqr::pdhg_tv(a, y, lambda, eqr::PdhgOptions{}.iterations(2000).operator_norm(1.0).step_ratio(3.0));
  const double f1 = objective(a, y, fista.solution, lambda), f2 = objective(a, y, pdhg.solution, lambda);
  CHECK(f1 == doctest::Approx(f2).epsilon(1e-4));
  const double zero_filled = eqr::metrics::psnr(reference, eqr::metrics::magnitude(a.adjoint(y)), 1.0);
  const double tv = eqr::metrics::psnr(reference, eqr::metrics::magnitude(fista.solution), 1.0);
  MESSAGE("64x64 MRI: zero-filled ", zero_filled, " dB, TV ", tv, " dB");
  CHECK(tv > zero_filled + 5.0);
}

TEST_CASE("TV-CT at 32x32, 16 angles: non-negative FISTA and PDHG agree and beat unregularised least squares") {
  const std::size_t n = 32;
  const eqr::Radon<eqr::cpu::CpuBackend<double>> a(eqr::parallel_beam(n, 16, 46));
  const auto truth = phantom_batch(n, 1);
  const auto y = eqr::gaussian_noise(a.apply(truth), 0.2, 5);
  const double lambda = 1.0;
  eqr::TvProx<double> g(lambda, eqr::TvProxOptions{}.iterations(20).bounds(eqr::Box::non_negative()));
  const auto fista = eqr::proximal_gradient(a, y, g, eqr::ProximalGradientOptions{}.iterations(600).restart(true));
  const auto pdhg = eqr::pdhg_tv(a, y, lambda, eqr::PdhgOptions{}.iterations(3000).bounds(eqr::Box::non_negative()));
  for (const double v : fista.solution) CHECK(v >= 0.0);
  for (const double v : pdhg.solution) CHECK(v >= 0.0);
  const double f1 = objective(a, y, fista.solution, lambda), f2 = objective(a, y, pdhg.solution, lambda);
  CHECK(f1 == doctest::Approx(f2).epsilon(1e-3));
  // Unregularised least squares (Landweber, same iterations) fits the noise; TV does better.
  const auto ls = eqr::proximal_gradient(a, y, eqr::ZeroFunction{}, eqr::ProximalGradientOptions{}.iterations(600));
  const double p_ls = eqr::metrics::psnr(truth, ls.solution, 1.0), p_tv = eqr::metrics::psnr(truth, fista.solution, 1.0);
  MESSAGE("32x32 CT: least squares ", p_ls, " dB, TV ", p_tv, " dB");
  CHECK(p_tv > p_ls + 3.0);
}
