// Learned primal-dual benchmark: one training step (forward with contexts + backward through all
// iterations) of Adler & Öktem's configuration — 10 iterations, 5 primal and 5 dual memory groups, networks
// of width 32, the dual step reading f⁽²⁾ (the default) — on a 64² CT image with 50 angles; ordinary primal networks vs C4-equivariant ones (8
// regular fields, matched width 32), dual networks ordinary in both; with and without gradient
// checkpointing. Inference (forward only) of both is timed as well.
// Counters: cpu_ms (process CPU time per iteration, robust on a shared machine) and held_MiB (heap bytes
// in use right after the training forward pass, i.e. the saved activations, measured with glibc's
// mallinfo2 relative to before the pass).
#include <benchmark/benchmark.h>

#include "eqr/algorithms/learned_factories.hpp"
#include "eqr/algorithms/learned_primal_dual.hpp"
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

template <class Method>
void run_step(benchmark::State& state, Method& lpd, const Op& op, bool train) {
  eqr::Random rng(1);
  eqr::bench::time_unrolled_method(state, lpd, eqr::random_normal<eqr::cpu::CpuBackend<float>>(op.range_shape(1), rng), train);
}

eqr::LearnedPrimalDualOptions options(bool checkpointing) {
  return eqr::LearnedPrimalDualOptions().iterations(10).primal_memory(5).dual_memory(5).checkpointing(checkpointing);
}

void ordinary(benchmark::State& state, bool checkpointing, bool train) {
  const Op op(eqr::parallel_beam(n, 50));
  auto lpd = eqr::make_learned_primal_dual_ordinary<B>(op, eqr::opnorm(op, 30), 1, 1,
                                                       options(checkpointing), 32);
  run_step(state, lpd, op, train);
}
void equivariant(benchmark::State& state, bool checkpointing, bool train) {
  const Op op(eqr::parallel_beam(n, 50));
  auto lpd = eqr::make_learned_primal_dual_equivariant<eqr::C4, 1, 8, B>(op, eqr::opnorm(op, 30), 1,
                                                                          options(checkpointing), 32);
  run_step(state, lpd, op, train);
}

BENCHMARK_CAPTURE(ordinary, train_step, false, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(ordinary, train_step_checkpointed, true, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(equivariant, train_step, false, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(equivariant, train_step_checkpointed, true, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(ordinary, inference, false, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(equivariant, inference, false, false)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
