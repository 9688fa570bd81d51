// Learned proximal gradient benchmark: one training step (forward with contexts + backward through all
// iterations) of the paper's CT method — 8 iterations, 5 memory channels, prox width 96 (C4: 24 regular
// fields) — on a 64² image with 50 angles, ordinary vs C4-equivariant, with and without gradient
// checkpointing (per-iteration recomputation). Inference (forward only) of both is timed as well.
// Counters: ms (wall per iteration), cpu_ms (process CPU time per iteration, robust on a shared machine),
// held_MiB (heap bytes in use right after the training forward pass, i.e. the saved activations, measured
// with glibc's mallinfo2 relative to before the pass).
#include <benchmark/benchmark.h>

#include <vector>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/operators/radon.hpp"
#include "unrolled_step.hpp"

namespace {

using B = eqr::cpu::CpuBackend<float>;
using Op = eqr::Radon<B>;
constexpr std::size_t n = 64;
constexpr int iterations = 8;

template <class Net, class Make>
void run_step(benchmark::State& state, Make&& make, bool checkpointing, bool train) {
  const Op op(eqr::parallel_beam(n, 50));
  std::vector<Net> nets;
  for (int i = 0; i < iterations; ++i) nets.push_back(make(static_cast<std::uint64_t>(i)));
  eqr::LearnedProximalGradient<B, Op, Net> lpg(op, eqr::opnorm(op, 30), 1, std::move(nets),
                                                eqr::LearnedProximalGradientOptions().iterations(iterations).memory(5)
                                                    .checkpointing(checkpointing));
  eqr::Random rng(1);
  eqr::bench::time_unrolled_method(state, lpg, eqr::random_normal<eqr::cpu::CpuBackend<float>>(op.range_shape(1), rng), train);
}

void ordinary(benchmark::State& state, bool checkpointing, bool train) {
  run_step<eqr::OrdinaryProx<B>>(state, [](std::uint64_t s) { return eqr::make_ordinary_prox<B>(7, 6, 96, s); },
                                 checkpointing, train);
}
void equivariant(benchmark::State& state, bool checkpointing, bool train) {
  using Net = eqr::EquivariantProx<eqr::C4, 7, 24, 6, B>;
  run_step<Net>(state, [](std::uint64_t s) { return eqr::make_equivariant_prox<eqr::C4, 7, 24, 6, B>(s); },
                checkpointing, train);
}

BENCHMARK_CAPTURE(ordinary, train_step, false, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(ordinary, train_step_checkpointed, true, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(equivariant, train_step, false, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(equivariant, train_step_checkpointed, true, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(ordinary, inference, false, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(equivariant, inference, false, false)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
