// The forward operators on LibTorch's CPU device: the LinearOperator conformance suite (adjoint test,
// batching, shapes, agreement with the CPU double reference, the norm against an SVD) for every operator
// family in float and double, with the Radon transform both on its default CPU loops and on the stored sparse
// matrices CUDA uses; the sparse matrices' structure; bit-identity of the CPU loops with the CPU backend; and
// the errors for a wrong shape, dtype, rank or kernel.
#include "../support/torch_doctest.hpp"

#include <cstdint>
#include <vector>

#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"

#include "../support/operator_suite.hpp"

namespace {

namespace lt = eqr::libtorch;
using TorchF = lt::TorchBackend<float>;
using TorchD = lt::TorchBackend<double>;
using eqr::testing::FbpFamily;
using eqr::testing::ImageFamily;
using eqr::testing::MaskedFourierFamily;
using eqr::testing::OperatorCase;
using eqr::testing::RadonFamily;

}  // namespace

EQR_OPERATOR_SUITE(OperatorCase<RadonFamily, TorchF>, OperatorCase<RadonFamily, TorchD>,
                   OperatorCase<RadonFamily, TorchF, true>, OperatorCase<RadonFamily, TorchD, true>,
                   OperatorCase<FbpFamily, TorchF>, OperatorCase<FbpFamily, TorchD>,
                   OperatorCase<MaskedFourierFamily, TorchF>, OperatorCase<MaskedFourierFamily, TorchD>,
                   OperatorCase<ImageFamily, TorchF>, OperatorCase<ImageFamily, TorchD>);

TEST_CASE_TEMPLATE("Radon's sparse matrices: the transpose holds exactly the forward matrix's entries", B, TorchF,
                   TorchD) {
  const eqr::Radon<B> radon(eqr::parallel_beam(13, 7), eqr::RadonKernel::sparse);
  REQUIRE(radon.kernel_state().matrix.has_value());
  const auto& m = *radon.kernel_state().matrix;
  const torch::Tensor a = m.matrix().to_dense();
  const torch::Tensor at = m.transposed_matrix().to_dense();
  CHECK(torch::equal(a.t(), at));
  CHECK(m.nonzeros() == a.ne(0).sum().item<std::int64_t>());
  // The default kernel on the CPU device keeps no matrix.
  CHECK(!eqr::Radon<B>(eqr::parallel_beam(13, 7)).kernel_state().matrix.has_value());
}

TEST_CASE_TEMPLATE("on the CPU device Radon runs the CPU backend's loops: the same bits", T, float, double) {
  using Cpu = eqr::cpu::CpuBackend<T>;
  using Torch = lt::TorchBackend<T>;
  for (const auto& g : eqr::testing::radon_geometries()) {
    CAPTURE(g.height);
    CAPTURE(g.num_angles());
    const eqr::Radon<Cpu> cpu(g);
    const eqr::Radon<Torch> dev(g);
    eqr::Random rng(3);
    const auto x = eqr::random_normal<Cpu>(cpu.domain_shape(2), rng);
    const auto y = eqr::random_normal<Cpu>(cpu.range_shape(2), rng);
    const auto tx = Torch::from_host(Cpu::shape(x), Cpu::to_host(x));
    const auto ty = Torch::from_host(Cpu::shape(y), Cpu::to_host(y));
    CHECK(Torch::to_host(dev.apply(tx)) == Cpu::to_host(cpu.apply(x)));
    CHECK(Torch::to_host(dev.adjoint(ty)) == Cpu::to_host(cpu.adjoint(y)));
  }
}

TEST_CASE("device operators refuse batches of the wrong shape, dtype or rank, and kernels they lack") {
  using CudaRadon = eqr::Radon<lt::TorchBackend<float, eqr::DeviceKind::cuda>>;
  const eqr::Radon<TorchF> radon(eqr::parallel_beam(8, 4));
  CHECK_THROWS_AS(CudaRadon(eqr::parallel_beam(8, 4), eqr::RadonKernel::projector), eqr::value_error);
  CHECK_THROWS_AS(eqr::Radon<eqr::cpu::CpuBackend<float>>(eqr::parallel_beam(8, 4), eqr::RadonKernel::sparse),
                  eqr::value_error);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  CHECK_THROWS_AS((void)radon.apply(torch::zeros({1, 1, 8, 9}, f32)), eqr::shape_error);
  CHECK_THROWS_AS((void)radon.apply(torch::zeros({1, 2, 8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_AS((void)radon.apply(torch::zeros({8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_AS((void)radon.apply(torch::zeros({1, 1, 8, 8}, torch::TensorOptions().dtype(torch::kFloat64))),
                  eqr::value_error);
  CHECK_THROWS_AS((void)radon.adjoint(torch::zeros({1, 1, 8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_WITH_AS((void)radon.apply(torch::zeros({2, 1, 7, 8}, f32)),
                       doctest::Contains("expected a batch of shape 2×1×8×8, found 2×1×7×8"), eqr::shape_error);
  const eqr::MaskedFourier<TorchF> mri(8, std::vector<float>(8, 1.0f));
  CHECK_THROWS_AS((void)mri.apply(torch::zeros({1, 1, 8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_AS(eqr::MaskedFourier<TorchF>(8, std::vector<float>{1.0f, NAN}), eqr::value_error);
  CHECK_THROWS_AS(eqr::Blur<TorchF>(std::vector<float>(4, 1.0f), 2, 2, 8, 8), eqr::shape_error);
  CHECK_THROWS_AS(eqr::PixelMask<TorchF>(3, 3, std::vector<float>(10, 1.0f)), eqr::shape_error);
}
