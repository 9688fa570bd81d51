// The forward operators on a CUDA device: the LinearOperator conformance suite for every operator family in
// float and double (the Radon transform on its stored sparse matrices, the only CUDA path), the refusal of
// tensors on another device, the learned proximal gradient method on TorchBackend<double, cuda> against
// CpuBackend (outputs, ȳ, every gradient), and PDHG and FISTA for TV against the host solvers. This file
// brings its own main: without a CUDA device it exits with 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include "../support/torch_doctest.hpp"

#include <cstdint>
#include <vector>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/prox_gradient_backend.hpp"
#include "eqr/algorithms/tv_backend.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/core/random.hpp"
#include "eqr/groups/groups.hpp"

#include "../support/cross_backend.hpp"
#include "../support/cuda_main.hpp"
#include "../support/operator_suite.hpp"
#include "../support/solver_agreement.hpp"

namespace {

namespace lt = eqr::libtorch;
using CudaF = lt::TorchBackend<float, eqr::DeviceKind::cuda>;
using CudaD = lt::TorchBackend<double, eqr::DeviceKind::cuda>;
using eqr::testing::FbpFamily;
using eqr::testing::ImageFamily;
using eqr::testing::MaskedFourierFamily;
using eqr::testing::OperatorCase;
using eqr::testing::RadonFamily;

}  // namespace

EQR_OPERATOR_SUITE(OperatorCase<RadonFamily, CudaF>, OperatorCase<RadonFamily, CudaD>, OperatorCase<FbpFamily, CudaF>,
                   OperatorCase<FbpFamily, CudaD>, OperatorCase<MaskedFourierFamily, CudaF>,
                   OperatorCase<MaskedFourierFamily, CudaD>, OperatorCase<ImageFamily, CudaF>,
                   OperatorCase<ImageFamily, CudaD>);

TEST_CASE("CUDA operators refuse tensors on another device") {
  const eqr::Radon<CudaF> radon(eqr::parallel_beam(8, 4));
  CHECK(radon.kernel_state().matrix.has_value());
  CHECK_THROWS_AS((void)radon.apply(torch::zeros({1, 1, 8, 8})), eqr::value_error);
}

TEST_CASE("LPG (C4) on TorchBackend<double, cuda> equals the CPU backend: outputs, ȳ, every gradient") {
  // In double, as on torch-CPU (test_torch_learned explains why a whole unrolled method is not compared in
  // float); the layers are compared in float in test_cuda_backend.
  using CpuD = eqr::cpu::CpuBackend<double>;
  const auto g = eqr::parallel_beam(16, 8);
  const double norm = eqr::opnorm(eqr::Radon<CpuD>(g), 100, 0);
  const auto options = eqr::LearnedProximalGradientOptions().iterations(3).memory(5);
  const auto make = [&](auto tag) {
    using B = typename decltype(tag)::type;
    using Net = decltype(eqr::make_equivariant_prox<eqr::C4, 7, 2, 6, B>(0));
    std::vector<Net> nets;
    for (std::uint64_t i = 0; i < 3; ++i) nets.push_back(eqr::make_equivariant_prox<eqr::C4, 7, 2, 6, B>(10 * i + 1));
    return eqr::LearnedProximalGradient<B, eqr::Radon<B>, Net>(eqr::Radon<B>(g), norm, 1, std::move(nets), options);
  };
  eqr::testing::agree<CpuD, CudaD>(make, {2, 1, 8, g.detectors}, 6, eqr::testing::agreement_tolerance<double>(),
                                   "LPG on CUDA");
}

TEST_CASE("TV on TorchBackend<double, cuda> follows the host solvers: PDHG and FISTA, CT with u >= 0") {
  using CpuD = eqr::cpu::CpuBackend<double>;
  const auto g = eqr::parallel_beam(12, 9);
  const eqr::Radon<CpuD> host_radon(g);
  const eqr::Radon<CudaD> cuda_radon(g);
  xt::xtensor<double, 4> truth = xt::xtensor<double, 4>::from_shape({2, 1, 12, 12});
  eqr::Random rng(3);
  for (auto& v : truth) v = rng.uniform();
  const auto y = host_radon.apply(truth);
  const auto pdhg = eqr::PdhgOptions{}.iterations(60).bounds(eqr::Box::non_negative()).record_objective(true);
  eqr::testing::check_pdhg_agrees(host_radon, cuda_radon, y, 0.3, pdhg);
  const auto prox = eqr::TvProxOptions{}.iterations(10).bounds(eqr::Box::non_negative());
  const auto options = eqr::ProximalGradientOptions{}.iterations(30).restart(true).record_objective(true);
  eqr::TvProx<double> host_g(0.3, prox);
  eqr::BackendTvProx<CudaD> cuda_g(0.3, prox);
  eqr::testing::check_results_agree<CudaD>(
      eqr::proximal_gradient(host_radon, y, host_g, options),
      eqr::proximal_gradient(cuda_radon, eqr::testing::to_backend<CudaD>(y), cuda_g, options));
}

int main(int argc, char** argv) { return eqr::testing::run_cuda_tests(argc, argv, "test_cuda_operators"); }
