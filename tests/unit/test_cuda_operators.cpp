// The forward operators on a CUDA device: the adjoint test for every operator and geometry variant, the
// agreement with the CPU operators on the same inputs, and the learned proximal gradient method on
// TorchBackend<float, cuda> against CpuBackend (outputs, ȳ, every gradient).  This file brings its own main:
// without a CUDA device it exits with 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include "../support/torch_doctest.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/operators/fft.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/device_agreement.hpp"
#include "../support/cuda_main.hpp"

namespace {

namespace lt = eqr::libtorch;

const torch::Device kCuda(torch::kCUDA, 0);

using eqr::testing::adjoint_tolerance;
using eqr::testing::agreement_tolerance;
using eqr::testing::cpu_device_difference;
using eqr::testing::relative_difference;

std::vector<eqr::ParallelBeamGeometry> geometries() {
  std::vector<eqr::ParallelBeamGeometry> g;
  g.push_back(eqr::parallel_beam(16, 8));
  g.push_back(eqr::parallel_beam(17, 50, 35));
  g.push_back(eqr::parallel_beam(16, 12, 11, 1.0, 1.7));
  g.push_back(eqr::parallel_beam(21, 3, 64, 0.5, 0.4));
  g.push_back(eqr::parallel_beam(12, 19, {0.1, 0.7, 1.9, 2.6, -0.4, 3.5}));
  g.push_back(eqr::parallel_beam(128, 50));  // the benchmark's size class
  return g;
}

}  // namespace

TEST_CASE_TEMPLATE("CUDA TorchRadon: adjoint test and agreement with the CPU Radon transform", T, float, double) {
  std::uint64_t seed = 1;
  for (const auto& g : geometries()) {
    CAPTURE(g.height);
    CAPTURE(g.num_angles());
    CAPTURE(g.detectors);
    const lt::TorchRadon<T> dev(g, kCuda);
    CHECK(dev.matrix().device() == kCuda);
    CHECK(lt::adjoint_mismatch(dev, 7, 3) <= adjoint_tolerance<T>());
    CHECK(cpu_device_difference<T>(eqr::Radon<T>(g), dev, seed++) <= agreement_tolerance<T>());
  }
}

TEST_CASE_TEMPLATE("CUDA TorchRadon's operator norm agrees with the CPU power method", T, float, double) {
  const auto g = eqr::parallel_beam(20, 30);
  CHECK(lt::opnorm(lt::TorchRadon<T>(g, kCuda), 60, 3) ==
        doctest::Approx(eqr::opnorm(eqr::Radon<T>(g), 60, 3)).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-11));
}

TEST_CASE_TEMPLATE("CUDA FFT and masked Fourier: adjoint test and agreement with the CPU", T, float, double) {
  for (const std::size_t w : {8u, 9u}) {
    CAPTURE(w);
    std::vector<T> mask(w, T(0));
    for (std::size_t j = 0; j < w; j += 3) mask[j] = T(1);
    mask[w / 2] = T(1);
    const lt::TorchMaskedFourier<T> dev(w + 1, mask, kCuda);
    xt::xtensor<T, 1> cpu_mask = xt::xtensor<T, 1>::from_shape({w});
    std::copy(mask.begin(), mask.end(), cpu_mask.begin());
    CHECK(lt::adjoint_mismatch(dev, 5, 2) <= adjoint_tolerance<T>());
    CHECK(cpu_device_difference<T>(eqr::MaskedFourier<T>(w + 1, cpu_mask), dev, 9) <= agreement_tolerance<T>());
    eqr::Random rng(w);
    const auto x = eqr::random_normal<T>({2, 2, w + 1, w}, rng);
    CHECK(relative_difference(lt::to_xtensor<T>(lt::centered_fft<T>(lt::to_torch(x, kCuda))), eqr::centered_fft(x)) <=
          agreement_tolerance<T>());
  }
}

TEST_CASE_TEMPLATE("CUDA identity, pixel mask and blur: adjoint test and agreement with the CPU", T, float, double) {
  const std::size_t h = 9, w = 12, c = 2;
  const lt::TorchIdentity<T> identity(h, w, c, kCuda);
  CHECK(lt::adjoint_mismatch(identity, 1) <= adjoint_tolerance<T>());
  CHECK(cpu_device_difference<T>(eqr::Identity<T>(h, w, c), identity, 2) == 0.0);
  eqr::Random rng(4);
  std::vector<T> mask(h * w);
  for (auto& v : mask) v = static_cast<T>(rng.uniform() < 0.4 ? 0.0 : rng.uniform());
  xt::xtensor<T, 2> cpu_mask = xt::xtensor<T, 2>::from_shape({h, w});
  std::copy(mask.begin(), mask.end(), cpu_mask.begin());
  const lt::TorchPixelMask<T> pixel_mask(mask, h, w, c, kCuda);
  CHECK(lt::adjoint_mismatch(pixel_mask, 3) <= adjoint_tolerance<T>());
  CHECK(cpu_device_difference<T>(eqr::PixelMask<T>(cpu_mask, c), pixel_mask, 5) == 0.0);
  std::vector<T> kernel(15);
  for (std::size_t i = 0; i < kernel.size(); ++i) kernel[i] = static_cast<T>(0.1 * static_cast<double>(i) - 0.3);
  xt::xtensor<T, 2> cpu_kernel = xt::xtensor<T, 2>::from_shape({3, 5});
  std::copy(kernel.begin(), kernel.end(), cpu_kernel.begin());
  const lt::TorchBlur<T> blur(kernel, 3, 5, h, w, c, kCuda);
  CHECK(lt::adjoint_mismatch(blur, 6) <= adjoint_tolerance<T>());
  CHECK(cpu_device_difference<T>(eqr::Blur<T>(cpu_kernel, h, w, c), blur, 7) <= agreement_tolerance<T>());
}

TEST_CASE("CUDA operators refuse tensors on another device") {
  const lt::TorchRadon<float> radon(eqr::parallel_beam(8, 4), kCuda);
  CHECK_THROWS_AS(radon.apply(torch::zeros({1, 1, 8, 8})), eqr::value_error);
}

TEST_CASE("LPG (C4) on TorchBackend<float, cuda> equals the CPU backend: outputs, ȳ, every gradient") {
  using CpuF = eqr::cpu::CpuBackend<float>;
  using CudaF = lt::TorchBackend<float, eqr::DeviceKind::cuda>;
  const auto g = eqr::parallel_beam(16, 8);
  const eqr::Radon<float> cpu_op(g);
  const lt::TorchRadon<float> cuda_op(g, kCuda);
  const double norm = eqr::opnorm(cpu_op, 100, 0);
  const auto options = eqr::LearnedProximalGradientOptions().iterations(3).memory(5);
  auto make = [&](auto backend_tag, auto op) {
    using B = decltype(backend_tag);
    using Net = decltype(eqr::make_equivariant_prox<eqr::C4, 7, 2, 6, B>(0));
    std::vector<Net> nets;
    for (std::uint64_t i = 0; i < 3; ++i) nets.push_back(eqr::make_equivariant_prox<eqr::C4, 7, 2, 6, B>(10 * i + 1));
    return eqr::LearnedProximalGradient<B, decltype(op), Net>(op, norm, 1, std::move(nets), options);
  };
  auto cpu = make(CpuF{}, cpu_op);
  auto dev = make(CudaF{}, cuda_op);
  // Random weights everywhere (the intermediate layers start at zero), copied by name to the device.
  eqr::Random rng(5);
  std::vector<std::pair<std::string, std::vector<float>>> values;
  cpu.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<CpuF>& p) {
    std::vector<float> v(CpuF::shape(p.value).numel());
    for (auto& e : v) e = static_cast<float>(0.2 * rng.normal());
    p.value = CpuF::from_host(CpuF::shape(p.value), std::span<const float>(v));
    values.emplace_back(name, std::move(v));
  });
  std::size_t k = 0;
  dev.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<CudaF>& p) {
    REQUIRE(values.at(k).first == name);
    p.value = CudaF::from_host(CudaF::shape(p.value), std::span<const float>(values[k++].second));
  });
  const eqr::Shape4 ys{2, 1, 8, g.detectors}, us{2, 1, 16, 16};
  eqr::Random data(6);
  std::vector<float> y(ys.numel()), du(us.numel());
  for (auto& e : y) e = static_cast<float>(data.normal());
  for (auto& e : du) e = static_cast<float>(data.normal());
  (void)eqr::testing::check_method_agreement<CpuF, CudaF>(cpu, dev, ys, y, us, du, 1e-5);
}

int main(int argc, char** argv) { return eqr::testing::run_cuda_tests(argc, argv, "test_cuda_operators"); }
