// Convolution engine benchmark: a 96→96 3×3 convolution (replicate padding, batch 1) at 128² and 320²,
// forward, backward-data and backward-weights, in GFLOP/s and as a fraction of this machine's FP32 FMA
// peak, which is measured first with a small FMA loop on every worker thread.
// Counters: GFLOP/s (wall clock), of_peak (GFLOP/s ÷ the all-thread peak measured at start), of_peak_now
// (÷ the all-thread peak measured again just before the case), cpu_eff (FLOPs per process CPU-second ÷
// one core's peak per CPU-second: the efficiency while the cores were ours, robust on a shared machine).
//
// Usage: bench_conv [--peak-only] [Google Benchmark flags]; EQR_NUM_THREADS caps the threads.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "peak_flops.hpp"
#include "eqr/backends/cpu/threads.hpp"

namespace {

using eqr::bench::measure_peak;
using eqr::bench::process_cpu_seconds;
using eqr::bench::Peak;
constexpr int lanes = eqr::bench::fma_lanes;
constexpr int chains = eqr::bench::fma_chains;

double peak_gflops = 0;    // all threads at once, wall clock
double peak_per_core = 0;  // one core, per CPU-second


// ---- convolution ----------------------------------------------------------------------------------------

using Micro = eqr::cpu::Im2colMicrokernel;
using Gemm = eqr::cpu::Im2colGemm;
using B = eqr::cpu::CpuBackend<float, Micro>;  // tensors are the same for every kernel

B::tensor_type random_tensor(eqr::Shape4 s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(s.numel());
  for (auto& x : v) x = u(rng);
  return B::from_host(s, v);
}

enum class Pass { forward, backward_data, backward_weights };

template <eqr::cpu::ConvKernel Kernel>
void bench_conv(benchmark::State& state, Pass pass) {
  using K = eqr::cpu::CpuBackend<float, Kernel>;
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t channels = 96, k = 3;
  const auto pad = eqr::Padding::replicate;
  const auto x = random_tensor({1, channels, size, size}, 1);
  const auto w = random_tensor({channels, channels, k, k}, 2);
  const auto dy = random_tensor({1, channels, size, size}, 3);
  const double flops = 2.0 * static_cast<double>(channels * channels * k * k * size * size);
  // The wall-clock peak just before this case: on a shared machine the cores available change over time.
  const double peak_now = measure_peak(eqr::cpu::max_threads(), 3, 5'000'000).wall_gflops;
  double seconds = 0;
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (pass == Pass::forward)
      benchmark::DoNotOptimize(K::conv2d(x, w, pad));
    else if (pass == Pass::backward_data)
      benchmark::DoNotOptimize(K::conv2d_backward_data(dy, w, pad));
    else
      benchmark::DoNotOptimize(K::conv2d_backward_weights(x, dy, k, pad));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const double cpu_seconds = process_cpu_seconds() - cpu_start;
  const double total = flops * static_cast<double>(state.iterations());
  const double gflops = total / seconds / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_peak"] = gflops / peak_gflops;
  state.counters["of_peak_now"] = gflops / peak_now;
  // Work per CPU-second against one core's peak: the efficiency while the cores were ours (robust when
  // other processes share the machine; spinning oneTBB workers count against it).
  state.counters["cpu_eff"] = total / cpu_seconds / 1e9 / peak_per_core;
}

}  // namespace

/// The im2col + microkernel engine (the default on AVX-512 targets).
void microkernel(benchmark::State& state, Pass pass) { bench_conv<Micro>(state, pass); }
/// The im2col + Eigen GEMM engine.
void eigen_gemm(benchmark::State& state, Pass pass) { bench_conv<Gemm>(state, pass); }

#define EQR_BENCH_CONV(engine)                                                                              \
  BENCHMARK_CAPTURE(engine, forward, Pass::forward)->Arg(128)->Arg(320)->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK_CAPTURE(engine, backward_data, Pass::backward_data)                                            \
      ->Arg(128)                                                                                           \
      ->Arg(320)                                                                                           \
      ->UseRealTime()                                                                                      \
      ->Unit(benchmark::kMillisecond);                                                                     \
  BENCHMARK_CAPTURE(engine, backward_weights, Pass::backward_weights)                                      \
      ->Arg(128)                                                                                           \
      ->Arg(320)                                                                                           \
      ->UseRealTime()                                                                                      \
      ->Unit(benchmark::kMillisecond)

EQR_BENCH_CONV(microkernel);
EQR_BENCH_CONV(eigen_gemm);

/// Before timing: the two kernels, as compiled here (with the host's vector instructions, unlike the unit
/// tests), agree on a problem with ragged register blocks; returns the largest relative difference.
double cross_check() {
  using G = eqr::cpu::CpuBackend<float, Gemm>;
  const auto x = random_tensor({2, 13, 9, 37}, 4), w = random_tensor({25, 13, 3, 3}, 5);
  const auto dy = random_tensor({2, 25, 9, 37}, 6);
  double worst = 0;
  auto compare = [&](const B::tensor_type& a, const B::tensor_type& b) {
    const double scale = std::sqrt(B::squared_norm(b));
    worst = std::max(worst, std::sqrt(B::squared_norm(B::subtract(a, b))) / scale);
  };
  for (auto pad : {eqr::Padding::zeros, eqr::Padding::replicate}) {
    compare(B::conv2d(x, w, pad), G::conv2d(x, w, pad));
    compare(B::conv2d_backward_data(dy, w, pad), G::conv2d_backward_data(dy, w, pad));
    compare(B::conv2d_backward_weights(x, dy, 3, pad), G::conv2d_backward_weights(x, dy, 3, pad));
  }
  return worst;
}

int main(int argc, char** argv) {
  const eqr::cpu::ThreadLimit limit;  // honours EQR_NUM_THREADS
  const int threads = eqr::cpu::max_threads();
  bool peak_only = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--peak-only") == 0)
      peak_only = true;
    else
      args.push_back(argv[i]);
  }
  const Peak single = measure_peak(1), all = measure_peak(threads);
  peak_gflops = all.wall_gflops;
  peak_per_core = std::max(single.per_core_gflops, all.per_core_gflops);
  std::printf("FP32 FMA peak (%d-lane vectors, %d chains): %.1f GFLOP/s wall on 1 thread, %.1f GFLOP/s wall on %d "
              "threads, %.1f GFLOP per core CPU-second\n",
              lanes, chains, single.wall_gflops, all.wall_gflops, threads, peak_per_core);
  std::printf("default convolution kernel here: %s\n", eqr::cpu::DefaultConvKernel::name());
  const double difference = cross_check();
  std::printf("%s vs %s: relative difference %.1e\n", Micro::name(), Gemm::name(), difference);
  if (!(difference < 1e-5)) {
    std::fprintf(stderr, "the convolution kernels disagree: relative difference %g\n", difference);
    return 1;
  }
  if (peak_only) return 0;
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
