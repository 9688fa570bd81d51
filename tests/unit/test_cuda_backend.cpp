// The LibTorch backend on CUDA (device 0): the backend conformance suites for TorchBackend<float, cuda> and
// TorchBackend<double, cuda>, and agreement with the CPU backend (same parameters and inputs → outputs and
// gradients equal to 1e-5 relative in float) for convolutions, equivariant convolutions, both prox networks,
// optimiser steps, the Module wrapper and the export. Without a CUDA device the program exits with 77,
// which CTest reports as skipped (never as passed).
//
// cuDNN may run float convolutions in TF32 (a 10-bit mantissa) on Ampere and later GPUs, LibTorch's
// default; that is not the backend's float arithmetic, so main turns it off before the tests run.
#define DOCTEST_CONFIG_IMPLEMENT
#include "../support/torch_doctest.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/backends/torch/torch.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/backend_suite.hpp"
#include "../support/cross_backend.hpp"
#include "../support/cuda_main.hpp"

using CudaF = eqr::libtorch::TorchBackend<float, eqr::DeviceKind::cuda>;
using CudaD = eqr::libtorch::TorchBackend<double, eqr::DeviceKind::cuda>;

EQR_BACKEND_SUITES(CudaF, CudaD);
EQR_BACKEND_SUITES_DOUBLE(CudaD);

namespace {

using eqr::Padding;
using eqr::testing::agree;
using CpuF = eqr::cpu::CpuBackend<float>;

}  // namespace

TEST_CASE("CUDA backend: tensors live on CUDA device 0, synchronize waits") {
  const auto t = CudaF::full({1, 2, 3, 4}, 1.5f);
  CHECK(t.device().is_cuda());
  CHECK(t.device().index() == 0);
  CHECK(t.is_contiguous());
  CudaF::synchronize();
  CHECK(CudaF::sum(t) == 36.0);
  CHECK(std::string(CudaF::name()) == "torch-cuda");
}

TEST_CASE("CUDA: Conv, EquivariantConv (C4, D4) and both prox networks agree with the CPU backend") {
  for (Padding pad : {Padding::zeros, Padding::replicate})
    for (bool bias : {false, true}) {
      const auto o = eqr::ConvOptions(3, 5, 3).padding(pad).bias(bias).seed(2);
      agree<CpuF, CudaF>([&](auto tag) { return eqr::Conv<typename decltype(tag)::type>(o); }, {2, 3, 9, 8}, 11, 1e-5,
                         "conv");
    }
  using C4 = eqr::C4;
  using D4 = eqr::D4;
  using Tr4 = eqr::FieldType<C4, eqr::Trivial<C4>>;
  using Reg4 = eqr::FieldType<C4, eqr::Copies<eqr::Regular<C4>, 2>>;
  using TrD = eqr::FieldType<D4, eqr::Trivial<D4>>;
  using RegD = eqr::FieldType<D4, eqr::Regular<D4>>;
  for (auto basis : {eqr::BasisSolver::harmonic, eqr::BasisSolver::grid}) {
    const auto o = eqr::EquivariantConvOptions(3).padding(Padding::replicate).basis(basis).seed(4);
    agree<CpuF, CudaF>([&](auto tag) { return eqr::EquivariantConv<C4, Tr4, Reg4, typename decltype(tag)::type>(o); },
                       {2, 1, 7, 7}, 21, 1e-5, "C4 lift");
    agree<CpuF, CudaF>([&](auto tag) { return eqr::EquivariantConv<C4, Reg4, Reg4, typename decltype(tag)::type>(o); },
                       {1, 8, 6, 6}, 23, 1e-5, "C4 group");
    agree<CpuF, CudaF>([&](auto tag) { return eqr::EquivariantConv<D4, RegD, TrD, typename decltype(tag)::type>(o); },
                       {2, 8, 5, 6}, 25, 1e-5, "D4 project");
  }
  agree<CpuF, CudaF>([](auto tag) { return eqr::make_ordinary_prox<typename decltype(tag)::type>(2, 1, 16, 5); },
                     {2, 2, 12, 12}, 31, 1e-5, "ordinary prox");
  agree<CpuF, CudaF>([](auto tag) { return eqr::make_equivariant_prox<C4, 2, 4, 1, typename decltype(tag)::type>(7); },
                     {2, 2, 12, 12}, 33, 1e-5, "C4 prox");
}

TEST_CASE("CUDA: Adam steps agree with the CPU backend; the Module and the export work from the device") {
  auto cpu = eqr::make_ordinary_prox<CpuF>(1, 1, 4, 9);
  auto gpu = eqr::make_ordinary_prox<CudaF>(1, 1, 4, 9);
  eqr::testing::randomise_parameters(cpu, 3);
  eqr::testing::copy_parameters(cpu, gpu);
  eqr::nn::Adam<CpuF> ca(eqr::nn::AdamOptions().lr(0.05).weight_decay(0.1));
  eqr::nn::Adam<CudaF> ga(eqr::nn::AdamOptions().lr(0.05).weight_decay(0.1));
  for (int step = 0; step < 3; ++step) {
    eqr::testing::set_same_random_gradients(cpu, gpu, 40 + 10 * static_cast<std::uint64_t>(step));
    ca.step(cpu);
    ga.step(gpu);
  }
  const auto a = eqr::testing::values_of(gpu), b = eqr::testing::values_of(cpu);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(eqr::testing::max_relative_difference(a[i], b[i]) <= 1e-6);

  const auto x = CudaF::from_host({1, 1, 8, 8}, eqr::testing::random_host<float>(64, 5));
  eqr::libtorch::EqrModule module(gpu);
  CHECK(CudaF::to_host(module.forward(x.to(torch::kCPU))) == CudaF::to_host(gpu.forward(x)));
  const auto path = std::filesystem::temp_directory_path() / ("eqr_test_cuda_" + std::to_string(::getpid()) + ".pt");
  eqr::libtorch::save_for_pytorch(gpu, path);
  const auto sd = eqr::libtorch::load_pytorch_state_dict(path);
  std::filesystem::remove(path);
  REQUIRE(sd.size() == 6);
  CHECK(sd[0].second.device().is_cpu());
  CHECK(CudaF::to_host(gpu.lift().weight().value) == std::vector<float>(sd[0].second.data_ptr<float>(),
                                                                       sd[0].second.data_ptr<float>() + sd[0].second.numel()));
}

int main(int argc, char** argv) { return eqr::testing::run_cuda_tests(argc, argv, "test_cuda_backend"); }
