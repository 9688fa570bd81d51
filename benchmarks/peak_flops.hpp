// The machine's FP32 FMA peak, measured rather than looked up: a loop of independent vector FMAs run on
// `threads` threads at once (GFLOP/s by the wall clock) and per CPU-second of one thread (robust on a shared
// machine), plus the process CPU clock. Shared by the benchmarks that report convolution GFLOP/s against the
// peak (bench_conv, bench_torch_learned).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

namespace eqr::bench {

#if defined(__AVX512F__)
inline constexpr int fma_lanes = 16;
#elif defined(__AVX__)
inline constexpr int fma_lanes = 8;
#else
inline constexpr int fma_lanes = 4;
#endif
using FmaVec = float __attribute__((vector_size(fma_lanes * sizeof(float))));
inline constexpr int fma_chains = 12;  // independent accumulators: latency (4–5 cycles) × 2 FMA pipes, with margin

/// Runs `rounds` × `fma_chains` independent vector FMAs (acc ← acc·a + b); returns a value that depends on them.
inline float fma_loop(long rounds) {
  FmaVec acc[fma_chains];
  FmaVec a, b;
  for (int l = 0; l < fma_lanes; ++l) {
    a[l] = 0.999999f;
    b[l] = 1e-7f;
  }
  for (int c = 0; c < fma_chains; ++c)
    for (int l = 0; l < fma_lanes; ++l) acc[c][l] = static_cast<float>(c + l);
  for (long r = 0; r < rounds; ++r) {
#pragma GCC unroll 12
    for (int c = 0; c < fma_chains; ++c) acc[c] = acc[c] * a + b;  // contracted to one FMA with -mfma
    __asm__ volatile("" : "+x"(a));                                 // keep a, b opaque: no constant folding
  }
  float s = 0;
  for (int c = 0; c < fma_chains; ++c)
    for (int l = 0; l < fma_lanes; ++l) s += acc[c][l];
  return s;
}

/// CPU seconds used by the calling thread so far.
inline double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// CPU seconds used by the whole process so far (all threads).
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// A measured FP32 FMA peak: all threads together by the wall clock, and one core per CPU-second.
struct Peak {
  double wall_gflops = 0;      ///< GFLOP/s of `threads` threads running the loop at once (wall clock)
  double per_core_gflops = 0;  ///< GFLOP per CPU-second of one thread (time it was not scheduled excluded)
};

/// Measures the FMA peak with `threads` threads running the loop at once (best of `trials`, each
/// `rounds` × 12 vector FMAs per thread).
inline Peak measure_peak(int threads, int trials = 5, long rounds = 20'000'000) {
  const double flops_per_thread = 2.0 * fma_lanes * fma_chains * static_cast<double>(rounds);
  Peak best;
  for (int trial = 0; trial < trials; ++trial) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    std::vector<float> sink(static_cast<std::size_t>(threads));
    std::vector<double> cpu(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load()) {
        }
        const double start = thread_cpu_seconds();
        sink[static_cast<std::size_t>(t)] = fma_loop(rounds);
        cpu[static_cast<std::size_t>(t)] = thread_cpu_seconds() - start;
      });
    while (ready.load() < threads) {
    }
    const auto start = std::chrono::steady_clock::now();
    go.store(true);
    for (auto& th : pool) th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(sink.data());
    best.wall_gflops = std::max(best.wall_gflops, flops_per_thread * threads / seconds / 1e9);
    for (double c : cpu) best.per_core_gflops = std::max(best.per_core_gflops, flops_per_thread / c / 1e9);
  }
  return best;
}

}  // namespace eqr::bench
