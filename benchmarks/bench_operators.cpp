// Benchmarks of the forward operators (never run by the test suite; results in benchmarks/results/).
// Radon projection and back-projection at the sizes of the field (512² with 50 and 1000 angles × 725
// detectors, LoDoPaB's 362² with 1000 × 513), reporting interpolation steps per second (ray samples: one
// per ray and crossed image line), FBP, and the centred FFT / MRI operator at fastMRI's 320².
#include <benchmark/benchmark.h>


#include <cstdint>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/fft.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/radon.hpp"
#include "peak_flops.hpp"

namespace {

using CpuF = eqr::cpu::CpuBackend<float>;

eqr::Radon<CpuF> make_radon(const benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)), a = static_cast<std::size_t>(state.range(1)),
             d = static_cast<std::size_t>(state.range(2));
  return eqr::Radon<CpuF>(eqr::parallel_beam(n, a, d));
}

using eqr::bench::process_cpu_seconds;

void set_counters(benchmark::State& state, const eqr::Radon<CpuF>& radon, double cpu_seconds) {
  const auto& g = radon.geometry();
  // Steps per CPU-second of all threads: the per-core rate, independent of how busy the machine is.
  state.counters["steps/cpu-s"] =
      static_cast<double>(radon.steps_per_image()) * static_cast<double>(state.iterations()) / cpu_seconds;
  // steps: the interpolations actually made (rays outside the image cost none); nominal: A·D·N.
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(radon.steps_per_image()),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["nominal/s"] = benchmark::Counter(
      static_cast<double>(g.num_angles() * g.detectors * g.height), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = eqr::cpu::max_threads();
}

void bm_radon_forward(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto radon = make_radon(state);
  eqr::Random rng(1);
  const auto x = eqr::random_normal<eqr::cpu::CpuBackend<float>>(radon.domain_shape(1), rng);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) benchmark::DoNotOptimize(radon.apply(x));
  set_counters(state, radon, process_cpu_seconds() - cpu0);
}

void bm_radon_backward(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto radon = make_radon(state);
  eqr::Random rng(2);
  const auto y = eqr::random_normal<eqr::cpu::CpuBackend<float>>(radon.range_shape(1), rng);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) benchmark::DoNotOptimize(radon.adjoint(y));
  set_counters(state, radon, process_cpu_seconds() - cpu0);
}

void bm_fbp(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto radon = make_radon(state);
  const eqr::FilteredBackProjection<CpuF> fbp(radon.geometry(), eqr::FbpFilter::hann);
  eqr::Random rng(3);
  const auto y = eqr::random_normal<eqr::cpu::CpuBackend<float>>(radon.range_shape(1), rng);
  for (auto _ : state) benchmark::DoNotOptimize(fbp.apply(y));
}

void bm_centered_fft(benchmark::State& state) {
  const eqr::cpu::ThreadLimit limit;
  const auto n = static_cast<std::size_t>(state.range(0)), batch = static_cast<std::size_t>(state.range(1));
  eqr::Random rng(4);
  const auto x = eqr::random_normal<eqr::cpu::CpuBackend<float>>({batch, 2, n, n}, rng);
  for (auto _ : state) benchmark::DoNotOptimize(eqr::centered_fft<CpuF>(x));
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void bm_masked_fourier_normal(benchmark::State& state) {
  // One application of AᵀA (forward and adjoint), the cost of a data-term gradient.
  const eqr::cpu::ThreadLimit limit;
  const auto n = static_cast<std::size_t>(state.range(0)), batch = static_cast<std::size_t>(state.range(1));
  const eqr::MaskedFourier<CpuF> op(n, eqr::variable_density_line_mask<float>(n, 5.0, 0.08, 1));
  eqr::Random rng(5);
  const auto x = eqr::random_normal<eqr::cpu::CpuBackend<float>>(op.domain_shape(batch), rng);
  for (auto _ : state) benchmark::DoNotOptimize(op.adjoint(op.apply(x)));
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(bm_radon_forward)->Args({512, 50, 725})->Args({512, 1000, 725})->Args({362, 1000, 513})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_radon_backward)->Args({512, 50, 725})->Args({512, 1000, 725})->Args({362, 1000, 513})
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_fbp)->Args({512, 50, 725})->Args({362, 1000, 513})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_centered_fft)->Args({320, 1})->Args({320, 8})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_masked_fourier_normal)->Args({320, 1})->Args({320, 8})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
