// TV-regularised MRI reconstruction (issue 4's target): a 320×320 modified Shepp–Logan image as a complex image
// (imaginary part 0), a variable-density Cartesian line mask with 20% of the k-space columns (acceleration 5,
// 8% fully sampled centre), complex white Gaussian noise σ = 0.01 per real component on the acquired entries.
// Reports wall time and PSNR of |u| against the phantom (data range 1), with the zero-filled reconstruction
// Aᵀy as the baseline in the same run.  Target: ≥ 29.5 dB in under 0.5 s.
//
// Solvers: FISTA with the warm-started FGP TV prox (a few inner iterations per outer step; L = ‖A‖² = 1 since
// the centred DFT is orthonormal and the mask is 0/1), and PDHG for comparison.  Run with
// `--benchmark_repetitions=N` for spread; the "min" statistic is the least-disturbed time on a shared machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/data/phantoms.hpp"
#include "eqr/metrics/psnr.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/noise.hpp"

namespace {

/// The fixed MRI test problem: phantom, operator and noisy k-space.
struct MriProblem {
  static constexpr std::size_t size = 320;
  xt::xtensor<float, 4> truth;  // 1 × 1 × 320 × 320, values in [0, 1]
  eqr::MaskedFourier<eqr::cpu::CpuBackend<float>> op;
  xt::xtensor<float, 4> kspace;  // 1 × 2 × 320 × 320, zero off the mask
  double sampling = 0.0;

  MriProblem()
      : truth(xt::xtensor<float, 4>::from_shape({1, 1, size, size})),
        op(size, eqr::variable_density_line_mask<float>(size, 5.0, 0.08, 2026)) {
    const auto phantom = eqr::data::shepp_logan<float>(size);
    std::copy(phantom.begin(), phantom.end(), truth.begin());
    xt::xtensor<float, 4> image = xt::zeros<float>({std::size_t{1}, std::size_t{2}, size, size});
    std::copy(phantom.begin(), phantom.end(), image.begin());  // channel 0: real part
    kspace = eqr::complex_gaussian_noise(op.apply(image), 0.01, 7, &op.mask());
    sampling = op.sampling_fraction();
  }
  /// PSNR of the magnitude of a complex reconstruction against the phantom, data range 1.
  double psnr(const xt::xtensor<float, 4>& complex_image) const {
    return eqr::metrics::psnr(truth, eqr::metrics::magnitude(complex_image), 1.0);
  }
};

const MriProblem& problem() {
  static const MriProblem p;
  return p;
}

void add_counters(benchmark::State& state, double psnr) {
  const auto& p = problem();
  state.counters["psnr_db"] = psnr;
  state.counters["zero_filled_psnr_db"] = p.psnr(p.op.adjoint(p.kspace));
  state.counters["sampled"] = p.sampling;
  state.counters["threads"] = eqr::cpu::max_threads();
}

/// The zero-filled reconstruction Fᴴ M y (the baseline).
void bm_mri_zero_filled(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto& p = problem();
  xt::xtensor<float, 4> u;
  for (auto _ : state) {
    u = p.op.adjoint(p.kspace);
    benchmark::DoNotOptimize(u.data());
  }
  add_counters(state, p.psnr(u));
}

/// FISTA + FGP TV prox; arguments: λ·10⁴, outer iterations, inner (FGP) iterations.
void bm_mri_tv_fista(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto& p = problem();
  const double lambda = double(state.range(0)) * 1e-4;
  const auto options = eqr::ProximalGradientOptions{}.iterations(int(state.range(1))).lipschitz(1.0);
  xt::xtensor<float, 4> u;
  for (auto _ : state) {
    eqr::TvProx<float> g(lambda, eqr::TvProxOptions{}.iterations(int(state.range(2))));
    u = eqr::proximal_gradient(p.op, p.kspace, g, options).solution;
    benchmark::DoNotOptimize(u.data());
  }
  add_counters(state, p.psnr(u));
}

/// PDHG; arguments: λ·10⁴, iterations, (starting) step ratio ρ·10, adaptive step balancing 0/1 (‖A‖ = 1 given).
void bm_mri_tv_pdhg(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto& p = problem();
  const double lambda = double(state.range(0)) * 1e-4;
  const auto options = eqr::PdhgOptions{}
                           .iterations(int(state.range(1)))
                           .operator_norm(1.0)
                           .step_ratio(double(state.range(2)) * 0.1)
                           .adaptive(state.range(3) != 0);
  xt::xtensor<float, 4> u;
  for (auto _ : state) {
    u = eqr::pdhg_tv(p.op, p.kspace, lambda, options).solution;
    benchmark::DoNotOptimize(u.data());
  }
  add_counters(state, p.psnr(u));
}

double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

}  // namespace

BENCHMARK(bm_mri_zero_filled)->Unit(benchmark::kMillisecond)->UseRealTime()->ComputeStatistics("min", minimum);
// The tuned configuration for the target first, then neighbours that show the trade-off.
BENCHMARK(bm_mri_tv_fista)
    ->ArgNames({"lambda_e4", "iterations", "inner"})
    ->Args({60, 25, 2})
    ->Args({60, 30, 3})
    ->Args({80, 20, 2})
    ->Args({50, 40, 4})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", minimum);
BENCHMARK(bm_mri_tv_pdhg)
    ->ArgNames({"lambda_e4", "iterations", "rho_e1", "adaptive"})
    ->Args({50, 80, 10, 1})
    ->Args({50, 80, 10, 0})
    ->Args({50, 80, 30, 0})
    ->Args({50, 160, 10, 1})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", minimum);

BENCHMARK_MAIN();
