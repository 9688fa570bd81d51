// The timing loop shared by the CPU benchmarks of the unrolled learned methods (bench_learned: learned
// proximal gradient, bench_learned_primal_dual): one training step (forward with a context, then backward
// through every iteration) or one inference pass per benchmark iteration, with the counters cpu_ms
// (process CPU time per iteration, robust on a shared machine) and, for training, held_MiB (heap bytes in
// use right after the training forward pass, i.e. the saved activations, by glibc's mallinfo2 relative to
// before the pass).
#pragma once

#include <benchmark/benchmark.h>

#include <malloc.h>

#include "peak_flops.hpp"

namespace eqr::bench {

/// Heap bytes currently allocated through malloc (glibc's mallinfo2().uordblks).
inline double heap_in_use() { return static_cast<double>(mallinfo2().uordblks); }

/// Times `method` on the measurement `y`: with `train`, forward with a context and backward of the output
/// as the loss gradient (and records the heap held by the context); without, forward only.
template <class Method, class Tensor>
void time_unrolled_method(benchmark::State& state, Method& method, const Tensor& y, bool train) {
  const double c0 = process_cpu_seconds();
  double held = 0;
  for (auto _ : state) {
    if (train) {
      typename Method::context ctx;
      const double before = heap_in_use();
      auto u = method.forward(y, ctx);
      held = heap_in_use() - before;
      benchmark::DoNotOptimize(method.backward(ctx, u));
    } else {
      benchmark::DoNotOptimize(method.forward(y));
    }
  }
  state.counters["cpu_ms"] = 1e3 * (process_cpu_seconds() - c0) / static_cast<double>(state.iterations());
  if (train) state.counters["held_MiB"] = held / (1024.0 * 1024.0);
}

}  // namespace eqr::bench
