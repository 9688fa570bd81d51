// Layer benchmark: an equivariant C4 convolution, 24 regular fields → 24 regular fields (96 channels), 3×3,
// replicate padding, batch 1, against its exported plain convolution and against a plain 96 → 96 Conv, at
// 128² and 320².  Cases:
//   equivariant_forward   training-mode forward: expand the filter from the coefficients, then convolve
//   exported_forward      the Conv returned by export_conv() (the inference path)
//   plain_forward         an ordinary Conv(96, 96, 3) — must cost the same as exported_forward
//   equivariant_step      training-mode forward + backward (incl. Eᵀ on the weight gradient)
//   plain_step            forward + backward of the plain Conv
//   expansion_only        the coefficient → filter expansion alone (the training-mode overhead per forward)
// Counters: ms per iteration (wall) and cpu_ms (process CPU time per iteration, robust on a shared machine).
// After the run, main prints the overheads equivariant/plain and exported/plain.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/core/random.hpp"
#include "eqr/reps/reps.hpp"
#include "peak_flops.hpp"

namespace {

using B = eqr::cpu::CpuBackend<float>;
using Tensor = B::tensor_type;
using G = eqr::C4;
using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 24>>;
using EqConv = eqr::EquivariantConv<G, Reg, Reg, B>;

Tensor random_tensor(eqr::Shape4 s, std::uint64_t seed) {
  eqr::Random rng(seed);
  std::vector<float> v(s.numel());
  for (float& x : v) x = static_cast<float>(2.0 * rng.uniform() - 1.0);
  return B::from_host(s, v);
}

using eqr::bench::process_cpu_seconds;

/// Process CPU milliseconds per iteration, by (case, image size).
std::map<std::pair<std::string, long>, double>& cpu_ms_by_case() {
  static std::map<std::pair<std::string, long>, double> m;
  return m;
}

const auto options = eqr::EquivariantConvOptions(3).padding(eqr::Padding::replicate).seed(1);
const auto plain_options = eqr::ConvOptions(96, 96, 3).padding(eqr::Padding::replicate).init(eqr::nn::Init::he).seed(1);

template <class Body>
void run(benchmark::State& state, const std::string& name, Body&& body) {
  const double cpu0 = process_cpu_seconds();
  long iterations = 0;
  for (auto _ : state) {
    body();
    ++iterations;
  }
  const double cpu_ms = 1e3 * (process_cpu_seconds() - cpu0) / static_cast<double>(iterations);
  state.counters["cpu_ms"] = cpu_ms;
  cpu_ms_by_case()[{name, static_cast<long>(state.range(0))}] = cpu_ms;
}

void equivariant_forward(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  EqConv conv(options);
  const Tensor x = random_tensor({1, 96, n, n}, 2);
  EqConv::context ctx;
  run(state, "equivariant_forward", [&] { benchmark::DoNotOptimize(conv.forward(x, ctx)); });
}

void exported_forward(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto conv = EqConv(options).export_conv();
  const Tensor x = random_tensor({1, 96, n, n}, 2);
  run(state, "exported_forward", [&] { benchmark::DoNotOptimize(conv.forward(x)); });
}

void plain_forward(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  eqr::Conv<B> conv(plain_options);
  const Tensor x = random_tensor({1, 96, n, n}, 2);
  run(state, "plain_forward", [&] { benchmark::DoNotOptimize(conv.forward(x)); });
}

void equivariant_step(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  EqConv conv(options);
  const Tensor x = random_tensor({1, 96, n, n}, 2), dy = random_tensor({1, 96, n, n}, 3);
  EqConv::context ctx;
  run(state, "equivariant_step", [&] {
    benchmark::DoNotOptimize(conv.forward(x, ctx));
    benchmark::DoNotOptimize(conv.backward(ctx, dy));
  });
}

void plain_step(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  eqr::Conv<B> conv(plain_options);
  const Tensor x = random_tensor({1, 96, n, n}, 2), dy = random_tensor({1, 96, n, n}, 3);
  eqr::Conv<B>::context ctx;
  run(state, "plain_step", [&] {
    benchmark::DoNotOptimize(conv.forward(x, ctx));
    benchmark::DoNotOptimize(conv.backward(ctx, dy));
  });
}

void expansion_only(benchmark::State& state) {
  EqConv conv(options);
  run(state, "expansion_only", [&] { benchmark::DoNotOptimize(conv.expanded_filter()); });
}

BENCHMARK(equivariant_forward)->Arg(128)->Arg(320)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(exported_forward)->Arg(128)->Arg(320)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(plain_forward)->Arg(128)->Arg(320)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(equivariant_step)->Arg(128)->Arg(320)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(plain_step)->Arg(128)->Arg(320)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(expansion_only)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  auto& m = cpu_ms_by_case();
  std::printf("\nCPU-time ratios (process CPU ms per iteration):\n");
  const auto has = [&](const char* c, long n) { return m.count({c, n}) > 0; };
  const auto at = [&](const char* c, long n) { return m[{c, n}]; };
  for (long n : {128L, 320L}) {
    if (!has("plain_forward", n)) continue;
    const double plain = at("plain_forward", n);
    if (has("exported_forward", n))
      std::printf("  %ld^2: exported / plain forward          = %.3f\n", n, at("exported_forward", n) / plain);
    if (has("equivariant_forward", n))
      std::printf("  %ld^2: training-mode / plain forward     = %.3f (overhead %+.1f%%)\n", n,
                  at("equivariant_forward", n) / plain, 100 * (at("equivariant_forward", n) / plain - 1));
    if (has("equivariant_step", n) && has("plain_step", n))
      std::printf("  %ld^2: training-mode / plain fwd+bwd     = %.3f (overhead %+.1f%%)\n", n,
                  at("equivariant_step", n) / at("plain_step", n),
                  100 * (at("equivariant_step", n) / at("plain_step", n) - 1));
  }
  if (has("expansion_only", 0)) std::printf("  expansion alone: %.3f ms CPU\n", at("expansion_only", 0));
  return 0;
}
