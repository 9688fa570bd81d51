// The paper's learned proximal gradient network on three backends: CpuBackend<float>, TorchBackend<float>
// on the CPU (LibTorch) and, when a GPU is present, TorchBackend<float, cuda>. CT with 50 angles and the
// default detector count, C4-equivariant prox (width 96 = 24 regular fields), 8 iterations, 5 memory
// channels, batch 1, at 128² and 320². Per backend and size: inference (forward only) and one training step
// (forward with contexts, backward through all iterations, one Adam update), with the convolution
// throughput in GFLOP/s and, on the CPU, as a fraction of the measured FP32 FMA peak (peak_flops.hpp).
// All backends start from the same weights (the CPU model's, copied by name), and the relative difference
// of their reconstructions is printed as a sanity check.
//
// Usage: bench_torch_learned [--quick] [--reps N] [--sizes 128,320] [--no-cpu-backend] [--omp-default]
//   --quick: one timed repetition per case and no warm-up (bounds a CPU run at 320²); otherwise best of N
//   (default 3) after one warm-up. EQR_NUM_THREADS caps the threads of both CPU backends.
// Before the network rows, each size also times the parts: one 96→96 3×3 convolution (replicate padding)
// forward / data gradient / weight gradient, and one Radon apply + adjoint, per backend.
//
// OpenMP wait policy: LibTorch's intra-op pool is libgomp, whose idle threads spin-wait after every
// parallel region. On cores shared with oneTBB's workers and with other processes (2 vCPUs, load > 2)
// a spinning or descheduled thread stalls each of the many small LibTorch operators of a forward
// pass; measured at 128² under two extra busy processes, torch-cpu inference took 890–1220 ms of
// process CPU time (unloaded: ~400) and 2.3–2.6× the CPU backend's wall time with libgomp's default, and
// 340–365 ms and 0.7–1.2× with OMP_WAIT_POLICY=PASSIVE. libgomp reads the policy
// once when it is loaded, so unless OMP_WAIT_POLICY is already set the benchmark sets it to PASSIVE and
// re-executes itself; --omp-default keeps libgomp's default (a bounded spin) to measure it.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/backends/torch/training.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/operators/radon.hpp"
#include "peak_flops.hpp"

namespace {

using CpuF = eqr::cpu::CpuBackend<float>;
using TorchCpu = eqr::libtorch::TorchBackend<float, eqr::DeviceKind::cpu>;
using TorchCuda = eqr::libtorch::TorchBackend<float, eqr::DeviceKind::cuda>;
constexpr int kIterations = 8, kMemory = 5, kFields = 24, kWidth = 96, kAngles = 50;

template <class B>
using Net = eqr::EquivariantProx<eqr::C4, 7, kFields, 6, B>;

using HostWeights = std::vector<std::pair<std::string, std::vector<float>>>;

/// Convolution FLOPs of one inference at size n×n: per iteration lift 7→96, intermediate 96→96 and project
/// 96→6, each 3×3 (2 FLOPs per multiply-add). A training step does three times as much (forward, data
/// gradient, weight gradient); the Radon transform, activations and Adam are not counted.
double conv_flops(std::size_t n) {
  const double pixels = static_cast<double>(n * n);
  return kIterations * 2.0 * 9.0 * pixels * (7.0 * kWidth + kWidth * kWidth + kWidth * 6.0);
}

struct Timing {
  double infer_ms = 0, infer_cpu_ms = 0, train_ms = 0, train_cpu_ms = 0;
  std::vector<float> output;  // the last inference
};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Times inference and a training step of the LPG on backend B with operator `op` (best of `reps`, after
/// one untimed warm-up of each when `warmup`), starting from `weights`.  `Timing::output` is the first
/// inference, made before any Adam update, so it can be compared across backends.
template <class B, class Op>
Timing run(const Op& op, double norm, std::size_t n, const HostWeights& weights, int reps, bool warmup) {
  std::vector<Net<B>> nets;
  for (int i = 0; i < kIterations; ++i)
    nets.push_back(eqr::make_equivariant_prox<eqr::C4, 7, kFields, 6, B>(static_cast<std::uint64_t>(3 * i)));
  eqr::LearnedProximalGradient<B, Op, Net<B>> lpg(
      op, norm, 1, std::move(nets), eqr::LearnedProximalGradientOptions().iterations(kIterations).memory(kMemory));
  std::size_t k = 0;
  lpg.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    if (weights.at(k).first != name) throw std::runtime_error("parameter order differs: " + name);
    p.value = B::from_host(B::shape(p.value), std::span<const float>(weights[k++].second));
  });
  eqr::Random rng(11);
  const eqr::Shape4 ys{1, 1, kAngles, eqr::default_detector_count(n, n)}, us{1, 1, n, n};
  std::vector<float> yh(ys.numel()), th(us.numel());
  for (auto& v : yh) v = static_cast<float>(rng.normal());
  for (auto& v : th) v = static_cast<float>(rng.normal());
  const auto y = B::from_host(ys, std::span<const float>(yh));
  const auto target = B::from_host(us, std::span<const float>(th));
  eqr::nn::Adam<B> adam(eqr::nn::AdamOptions().lr(1e-4));
  Timing t;
  t.infer_ms = t.train_ms = 1e300;
  const int first = warmup ? 0 : 1;
  for (int r = first; r <= reps; ++r) {  // r = 0 is the warm-up
    B::synchronize();
    double w0 = now_seconds(), c0 = eqr::bench::process_cpu_seconds();
    auto u = lpg.forward(y);
    B::synchronize();
    double wall = now_seconds() - w0, cpu = eqr::bench::process_cpu_seconds() - c0;
    if (r > 0 && wall * 1e3 < t.infer_ms) {
      t.infer_ms = wall * 1e3;
      t.infer_cpu_ms = cpu * 1e3;
    }
    if (r == first) t.output = B::to_host(u);
    // Training step: ½·MSE loss, its gradient (u − t)/numel, backward, one Adam update.
    w0 = now_seconds();
    c0 = eqr::bench::process_cpu_seconds();
    eqr::nn::zero_grad(lpg);
    typename decltype(lpg)::context ctx;
    auto ut = lpg.forward(y, ctx);
    auto du = B::subtract(ut, target);
    B::scale(du, static_cast<float>(1.0 / static_cast<double>(us.numel())));
    (void)lpg.backward(ctx, du);
    (void)adam.step(lpg);
    B::synchronize();
    wall = now_seconds() - w0;
    cpu = eqr::bench::process_cpu_seconds() - c0;
    if (r > 0 && wall * 1e3 < t.train_ms) {
      t.train_ms = wall * 1e3;
      t.train_cpu_ms = cpu * 1e3;
    }
  }
  return t;
}

/// Best wall time in ms of `f` over `reps` calls (after one warm-up call), synchronising backend B.
template <class B, class F>
double best_ms(int reps, F&& f) {
  double best = 1e300;
  for (int r = 0; r <= reps; ++r) {
    B::synchronize();
    const double w0 = now_seconds();
    f();
    B::synchronize();
    if (r > 0) best = std::min(best, (now_seconds() - w0) * 1e3);
  }
  return best;
}

/// Times the parts on backend B: a 96→96 3×3 convolution (forward, data gradient, weight gradient) at n×n
/// and the Radon transform's apply + adjoint, printing one row.
template <class B, class Op>
void time_parts(const char* backend, const Op& op, std::size_t n, int reps, double peak) {
  eqr::Random rng(5);
  auto random = [&](eqr::Shape4 s) {
    std::vector<float> v(s.numel());
    for (auto& e : v) e = static_cast<float>(rng.normal());
    return B::from_host(s, std::span<const float>(v));
  };
  const auto pad = eqr::Padding::replicate;
  const auto x = random({1, kWidth, n, n}), w = random({kWidth, kWidth, 3, 3}), dy = random({1, kWidth, n, n});
  const auto u = random({1, 1, n, n});
  const double fwd = best_ms<B>(reps, [&] { (void)B::conv2d(x, w, pad); });
  const double bwd_data = best_ms<B>(reps, [&] { (void)B::conv2d_backward_data(dy, w, pad); });
  const double bwd_weights = best_ms<B>(reps, [&] { (void)B::conv2d_backward_weights(x, dy, 3, pad); });
  const double radon = best_ms<B>(reps, [&] { (void)op.adjoint(op.apply(u)); });
  const double flops = 2.0 * kWidth * kWidth * 9.0 * static_cast<double>(n * n);
  auto gf = [&](double ms) { return flops / (ms * 1e-3) / 1e9; };
  std::printf(
      "parts %-10s %4zu²: conv fwd %.1f ms (%.1f GFLOP/s%s) ; bwd data %.1f ms (%.1f); bwd weights %.1f ms (%.1f); "
      "Radon A then Aᵀ %.1f ms\n",
      backend, n, fwd, gf(fwd),
      peak > 0 ? (", " + std::to_string(static_cast<int>(100 * gf(fwd) / peak + 0.5)) + "% of peak").c_str() : "",
      bwd_data, gf(bwd_data), bwd_weights, gf(bwd_weights), radon);
  std::fflush(stdout);
}

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return a.size() == b.size() && scale > 0 ? worst / scale : NAN;
}

/// The first line of a command's output, or "" (used for nvidia-smi's device name and lscpu).
std::string first_line(const char* command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command, "r"), pclose);
  if (!pipe) return "";
  char buffer[256] = {};
  if (std::fgets(buffer, sizeof buffer, pipe.get()) == nullptr) return "";
  std::string s(buffer);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void print_row(const char* backend, std::size_t n, const Timing& t, double peak) {
  const double f = conv_flops(n);
  const double infer_gf = f / (t.infer_ms * 1e-3) / 1e9, train_gf = 3 * f / (t.train_ms * 1e-3) / 1e9;
  std::printf("| %-10s | %4zu² | %10.1f | %10.1f | %8.1f", backend, n, t.infer_ms, t.train_ms, infer_gf);
  if (peak > 0) std::printf(" (%4.1f%%)", 100 * infer_gf / peak);
  else std::printf("        ");
  std::printf(" | %8.1f", train_gf);
  if (peak > 0) std::printf(" (%4.1f%%)", 100 * train_gf / peak);
  else std::printf("        ");
  std::printf(" | %9.1f | %9.1f |\n", t.infer_cpu_ms, t.train_cpu_ms);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool omp_default = false;
  for (int i = 1; i < argc; ++i) omp_default = omp_default || std::strcmp(argv[i], "--omp-default") == 0;
  if (!omp_default && std::getenv("OMP_WAIT_POLICY") == nullptr) {  // see the file comment; on failure go on
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);
  }
  int reps = 3;
  bool warmup = true, cpu_backend = true;
  std::vector<std::size_t> sizes = {128, 320};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      reps = 1;
      warmup = false;
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--omp-default") {
      // handled above
    } else if (a == "--no-cpu-backend") {
      cpu_backend = false;
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      for (char* s = std::strtok(argv[++i], ","); s != nullptr; s = std::strtok(nullptr, ","))
        sizes.push_back(static_cast<std::size_t>(std::atoi(s)));
    } else {
      std::fprintf(stderr,
                   "usage: bench_torch_learned [--quick] [--reps N] [--sizes 128,320] [--no-cpu-backend]"
                   " [--omp-default]\n");
      return 2;
    }
  }
  const int threads = eqr::cpu::max_threads();
  at::set_num_threads(threads);  // LibTorch's intra-op pool gets the same thread count as the CPU backend
  const bool cuda = torch::cuda::is_available();
  std::printf("LPG (C4, %d regular fields = width %d, %d iterations, %d memory channels), CT %d angles, batch 1\n",
              kFields, kWidth, kIterations, kMemory, kAngles);
  std::printf("CPU: %s; threads: CPU backend %d, LibTorch %d; LibTorch %s\n",
              first_line("lscpu | sed -n 's/^Model name: *//p'").c_str(), threads, at::get_num_threads(),
              TORCH_VERSION);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("OpenMP wait policy (LibTorch's pool): OMP_WAIT_POLICY=%s\n",
              policy != nullptr ? policy : "unset (libgomp default)");
  std::printf("GPU: %s\n", cuda ? first_line("nvidia-smi --query-gpu=name --format=csv,noheader").c_str()
                                : "none (torch::cuda::is_available() is false): CUDA rows skipped");
  const double peak = eqr::bench::measure_peak(threads).wall_gflops;
  std::printf("Measured FP32 FMA peak, %d threads: %.1f GFLOP/s (percentages below are of this)\n", threads, peak);
  std::printf("Reps: best of %d%s. conv GFLOP/s = 3x3 convolution FLOPs / wall time (training: 3x"
              " the forward FLOPs).\n\n",
              reps, warmup ? " after one warm-up" : ", no warm-up (--quick)");
  std::printf(
      "| backend    | size | infer ms   | train ms   | infer conv GFLOP/s | train conv GFLOP/s | infer CPU ms | train "
      "CPU ms |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const std::size_t n : sizes) {
    const auto g = eqr::parallel_beam(n, kAngles);
    const eqr::Radon<CpuF> cpu_op(g);
    const double norm = eqr::opnorm(cpu_op, 30, 0);
    // The reference weights: the CPU model's initialisation (He / e2cnn, intermediate layers zero).
    HostWeights weights;
    {
      std::vector<Net<CpuF>> nets;
      for (int i = 0; i < kIterations; ++i)
        nets.push_back(eqr::make_equivariant_prox<eqr::C4, 7, kFields, 6, CpuF>(static_cast<std::uint64_t>(3 * i)));
      eqr::LearnedProximalGradient<CpuF, eqr::Radon<CpuF>, Net<CpuF>> lpg(
          cpu_op, norm, 1, std::move(nets),
          eqr::LearnedProximalGradientOptions().iterations(kIterations).memory(kMemory));
      lpg.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<CpuF>& p) {
        weights.emplace_back(name, CpuF::to_host(p.value));
      });
    }
    const eqr::Radon<TorchCpu> torch_op(g);
    if (cpu_backend) time_parts<CpuF>("cpu", cpu_op, n, reps, peak);
    time_parts<TorchCpu>("torch-cpu", torch_op, n, reps, peak);
    Timing reference;
    if (cpu_backend) {
      reference = run<CpuF>(cpu_op, norm, n, weights, reps, warmup);
      print_row("cpu", n, reference, peak);
    }
    const Timing tc = run<TorchCpu>(torch_op, norm, n, weights, reps, warmup);
    print_row("torch-cpu", n, tc, peak);
    if (cpu_backend)
      std::printf(
          "|   ratio torch-cpu / cpu: inference %.2f, training step %.2f; outputs differ by %.1e (relative) |\n",
          tc.infer_ms / reference.infer_ms, tc.train_ms / reference.train_ms,
          relative_difference(tc.output, reference.output));
    if (cuda) {
      const eqr::Radon<TorchCuda> cuda_op(g);
      time_parts<TorchCuda>("torch-cuda", cuda_op, n, std::max(reps, 10), 0.0);
      const Timing tg = run<TorchCuda>(cuda_op, norm, n, weights, std::max(reps, 10), true);
      print_row("torch-cuda", n, tg, 0.0);
      std::printf("|   torch-cuda vs torch-cpu outputs differ by %.1e (relative); training step target on an H100 at"
                  " 320²: < 25 ms (paper: ~420 ms on a P100) |\n",
                  relative_difference(tg.output, tc.output));
    }
  }
  return 0;
}
