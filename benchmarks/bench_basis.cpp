// Benchmarks of the steerable kernel bases: building the basis and expansion matrices of the paper's hidden
// layer (24 regular fields of C4 → 24 regular fields, 3x3; target < 50 ms — the Python libraries take seconds),
// and one expansion coefficients → dense 96x96x3x3 filter (what every training step pays), and its transpose.

// GCC 12 reports a false -Wmaybe-uninitialized inside <immintrin.h> once Eigen's AVX-512 GEMM is inlined
// (-march=native; GCC bug 105593, fixed in GCC 13); the state must be set before the first include.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <benchmark/benchmark.h>

#include <vector>

#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"

namespace {

using Hidden = eqr::FieldType<eqr::C4, eqr::Copies<eqr::Regular<eqr::C4>, 24>>;
using Hidden8 = eqr::FieldType<eqr::C8, eqr::Copies<eqr::Regular<eqr::C8>, 12>>;

template <class F, class Solver>
void build_layer(benchmark::State& state) {
  for (auto _ : state) {
    const eqr::KernelExpansion<F, F> expansion(static_cast<int>(state.range(0)), Solver{});
    benchmark::DoNotOptimize(expansion.coefficient_count());
  }
}

template <class F>
void expand_layer(benchmark::State& state) {
  const eqr::KernelExpansion<F, F> expansion(static_cast<int>(state.range(0)));
  eqr::Random rng(1);
  std::vector<float> c(static_cast<std::size_t>(expansion.coefficient_count()));
  std::vector<float> w(static_cast<std::size_t>(expansion.filter_size()));
  eqr::initialize_coefficients(expansion, std::span<float>(c), rng);
  for (auto _ : state) {
    expansion.expand(c, w);
    benchmark::DoNotOptimize(w.data());
    benchmark::ClobberMemory();
  }
  state.counters["coefficients"] = static_cast<double>(c.size());
  state.counters["filter_values"] = static_cast<double>(w.size());
}

template <class F>
void expand_transpose_layer(benchmark::State& state) {
  const eqr::KernelExpansion<F, F> expansion(static_cast<int>(state.range(0)));
  std::vector<float> dc(static_cast<std::size_t>(expansion.coefficient_count()));
  std::vector<float> dw(static_cast<std::size_t>(expansion.filter_size()), 0.5f);
  for (auto _ : state) {
    expansion.expand_transpose(dw, dc);
    benchmark::DoNotOptimize(dc.data());
    benchmark::ClobberMemory();
  }
}

}  // namespace

BENCHMARK(build_layer<Hidden, eqr::HarmonicSolver>)->Name("build/C4/24reg->24reg/harmonic")->Arg(3)->Arg(5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(build_layer<Hidden, eqr::GridSolver>)->Name("build/C4/24reg->24reg/grid")->Arg(3)->Arg(5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(build_layer<Hidden8, eqr::HarmonicSolver>)->Name("build/C8/12reg->12reg/harmonic")->Arg(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(expand_layer<Hidden>)->Name("expand/C4/24reg->24reg")->Arg(3)->Arg(5)->Unit(benchmark::kMicrosecond);
BENCHMARK(expand_transpose_layer<Hidden>)->Name("expand_transpose/C4/24reg->24reg")->Arg(3)
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
