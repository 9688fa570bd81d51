// The forward operators on a LibTorch device (here the CPU device): the adjoint (dot-product) test for every
// operator and geometry variant, agreement with the CPU operators on the same inputs, the 90° rotation ↔
// sinogram shift symmetry of the Radon transform, operator-norm agreement, and the errors for bad input.
#include "../support/torch_doctest.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <type_traits>
#include <vector>

#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/core/random.hpp"
#include "eqr/operators/fft.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/device_agreement.hpp"

namespace {

namespace lt = eqr::libtorch;

using eqr::testing::adjoint_tolerance;
using eqr::testing::agreement_tolerance;
using eqr::testing::cpu_device_difference;
using eqr::testing::relative_difference;

/// Both ways TorchRadon computes on the CPU: the CPU projector (automatic) and the sparse matrices.
constexpr lt::RadonKernel kernels[] = {lt::RadonKernel::automatic, lt::RadonKernel::sparse};

/// The geometry variants: odd and even sides, the default detector count and D ≠ ⌈√2·N⌉ with a detector
/// spacing ≠ 1, few and many angles, a rectangular image, a non-unit pixel size and arbitrary angles.
std::vector<eqr::ParallelBeamGeometry> geometries() {
  std::vector<eqr::ParallelBeamGeometry> g;
  g.push_back(eqr::parallel_beam(16, 8));                  // even N, few angles, D = 23
  g.push_back(eqr::parallel_beam(17, 50, 35));             // odd N, many angles, D = 2N + 1
  g.push_back(eqr::parallel_beam(16, 12, 11, 1.0, 1.7));   // D < √2·N with wide detectors
  g.push_back(eqr::parallel_beam(21, 3, 64, 0.5, 0.4));    // D > √2·N, small pixels, 3 angles
  g.push_back(eqr::parallel_beam(12, 19, {0.1, 0.7, 1.9, 2.6, -0.4, 3.5}));  // rectangular, arbitrary angles
  return g;
}

}  // namespace

TEST_CASE_TEMPLATE("TorchRadon passes the adjoint test for every geometry, both kernels", T, float, double) {
  for (const auto kernel : kernels) {
    for (const auto& g : geometries()) {
      CAPTURE(static_cast<int>(kernel));
      CAPTURE(g.height);
      CAPTURE(g.width);
      CAPTURE(g.num_angles());
      CAPTURE(g.detectors);
      const lt::TorchRadon<T> radon(g, torch::kCPU, kernel);
      CHECK(radon.uses_sparse_matrix() == (kernel == lt::RadonKernel::sparse));
      CHECK(lt::adjoint_mismatch(radon, 7, 3) <= adjoint_tolerance<T>());
      CHECK(lt::adjoint_mismatch(radon, 8, 1) <= adjoint_tolerance<T>());
    }
  }
}

TEST_CASE_TEMPLATE("TorchRadon's transposed matrix holds exactly the forward matrix's entries", T, float, double) {
  const lt::TorchRadon<T> radon(eqr::parallel_beam(13, 7), torch::kCPU, lt::RadonKernel::sparse);
  const torch::Tensor a = radon.matrix().to_dense();
  const torch::Tensor at = radon.transposed_matrix().to_dense();
  CHECK(torch::equal(a.t(), at));
  CHECK(radon.nonzeros() == a.ne(0).sum().item<std::int64_t>());
}

TEST_CASE_TEMPLATE("TorchRadon agrees with the CPU Radon transform, both kernels", T, float, double) {
  std::uint64_t seed = 1;
  for (const auto& g : geometries()) {
    CAPTURE(g.height);
    CAPTURE(g.num_angles());
    CAPTURE(g.detectors);
    const eqr::Radon<T> cpu(g);
    CHECK(cpu_device_difference<T>(cpu, lt::TorchRadon<T>(g, torch::kCPU, lt::RadonKernel::sparse), seed++) <=
          agreement_tolerance<T>());
    // The projector kernel is the CPU operator itself: the same bits.
    CHECK(cpu_device_difference<T>(cpu, lt::TorchRadon<T>(g), seed++) == 0.0);
  }
}

TEST_CASE_TEMPLATE("TorchRadon: rotating the image by 90° shifts the sinogram by A/2 angles", T, float, double) {
  // θ_{a+A/2} = θ_a + π/2, so A(rot90 u) at θ_a is (A u) at θ_a − π/2; for a < A/2 that angle wraps to
  // θ_{a+A/2} − π, which reverses the detector axis.  Angle counts with and without a 45° angle.
  for (const std::int64_t angles : {10, 12, 50}) {
    for (const std::int64_t n : {16, 17}) {
      CAPTURE(angles);
      CAPTURE(n);
      const std::int64_t d = 2 * n + 1;
      const lt::TorchRadon<T> radon(eqr::parallel_beam(static_cast<std::size_t>(n), static_cast<std::size_t>(angles),
                                                       static_cast<std::size_t>(d)),
                                    torch::kCPU, lt::RadonKernel::sparse);
      eqr::Random rng(static_cast<std::uint64_t>(angles + n));
      const torch::Tensor x = lt::random_normal<T>(radon.domain_shape(1), rng, torch::kCPU);
      const torch::Tensor rotated = torch::rot90(x, 1, {2, 3}).contiguous();
      // numpy.rot90 (counter-clockwise as displayed): the top row becomes the left column read upwards.
      CHECK(rotated[0][0][n - 1][0].item<T>() == x[0][0][0][0].item<T>());
      CHECK(rotated[0][0][0][0].item<T>() == x[0][0][0][n - 1].item<T>());
      const torch::Tensor y = radon.apply(x);
      const torch::Tensor yr = radon.apply(rotated);
      const std::int64_t half = angles / 2;
      // expected[a] = y[a − A/2] for a ≥ A/2, and y[a + A/2] reversed along the detector for a < A/2.
      const torch::Tensor expected = torch::cat({y.slice(2, half, angles).flip({3}), y.slice(2, 0, angles - half)}, 2);
      const double worst = (yr - expected).abs().max().item<double>();
      const double scale = expected.abs().max().item<double>();
      CHECK(worst <= scale * (std::is_same_v<T, float> ? 2e-5 : 1e-11));
    }
  }
}

TEST_CASE_TEMPLATE("TorchRadon's operator norm agrees with the CPU power method", T, float, double) {
  const auto g = eqr::parallel_beam(20, 30);
  const double cpu = eqr::opnorm(eqr::Radon<T>(g), 60, 3);
  const double dev = lt::opnorm(lt::TorchRadon<T>(g, torch::kCPU, lt::RadonKernel::sparse), 60, 3);
  CHECK(dev == doctest::Approx(cpu).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-11));
  // The power method against the largest singular value of the dense matrix, an independent value.
  const lt::TorchRadon<double> exact(g, torch::kCPU, lt::RadonKernel::sparse);
  const double sigma = torch::linalg_svdvals(exact.matrix().to_dense())[0].item<double>();
  CHECK(lt::opnorm(exact, 500, 1) == doctest::Approx(sigma).epsilon(1e-6));
}

TEST_CASE_TEMPLATE("the device FFT is the centred orthonormal DFT of the CPU library", T, float, double) {
  for (const auto& hw : std::vector<std::pair<std::size_t, std::size_t>>{{8, 8}, {9, 7}, {6, 11}}) {
    CAPTURE(hw.first);
    CAPTURE(hw.second);
    eqr::Random rng(hw.first * 100 + hw.second);
    const auto x = eqr::random_normal<T>({2, 2, hw.first, hw.second}, rng);
    const torch::Tensor tx = lt::to_torch(x);
    const torch::Tensor k = lt::centered_fft<T>(tx);
    CHECK(relative_difference(lt::to_xtensor<T>(k), eqr::centered_fft(x)) <= agreement_tolerance<T>());
    CHECK(relative_difference(lt::to_xtensor<T>(lt::centered_ifft<T>(tx)), eqr::centered_ifft(x)) <=
          agreement_tolerance<T>());
    // Unitary: ‖Fx‖ = ‖x‖ and Fᴴ F x = x.
    CHECK(lt::norm_in_double(k) == doctest::Approx(lt::norm_in_double(tx)).epsilon(agreement_tolerance<T>()));
    CHECK(relative_difference(lt::to_xtensor<T>(lt::centered_ifft<T>(k)), x) <= agreement_tolerance<T>());
  }
  // A single bright pixel at the centre (⌊H/2⌋, ⌊W/2⌋) has a flat spectrum 1/√(HW) (real).
  const torch::Tensor delta = torch::zeros({1, 2, 6, 5}, torch::TensorOptions().dtype(lt::detail::operator_dtype<T>()));
  delta[0][0][3][2] = 1.0;
  const torch::Tensor flat = lt::centered_fft<T>(delta);
  CHECK((flat[0][0] - 1.0 / std::sqrt(30.0)).abs().max().item<double>() <= 1e-6);
  CHECK(flat[0][1].abs().max().item<double>() <= 1e-6);
}

TEST_CASE_TEMPLATE("TorchMaskedFourier: adjoint test and agreement with MaskedFourier", T, float, double) {
  for (const std::size_t w : {8u, 9u}) {
    CAPTURE(w);
    std::vector<T> mask(w, T(0));
    for (std::size_t j = 0; j < w; j += 3) mask[j] = T(1);
    mask[w / 2] = T(1);
    mask[1] = T(0.5);  // a non-binary weight
    const std::size_t h = w + 1;
    const lt::TorchMaskedFourier<T> dev(h, mask);
    xt::xtensor<T, 1> cpu_mask = xt::xtensor<T, 1>::from_shape({w});
    std::copy(mask.begin(), mask.end(), cpu_mask.begin());
    const eqr::MaskedFourier<T> cpu(h, cpu_mask);
    CHECK(lt::adjoint_mismatch(dev, 5, 2) <= adjoint_tolerance<T>());
    CHECK(cpu_device_difference<T>(cpu, dev, 9) <= agreement_tolerance<T>());
    // Columns with m = 0 are exactly zero in the range.
    eqr::Random rng(2);
    const torch::Tensor y = dev.apply(lt::random_normal<T>(dev.domain_shape(1), rng, torch::kCPU));
    CHECK(y.select(3, 2).abs().max().item<double>() == 0.0);
  }
}

TEST_CASE_TEMPLATE("device identity, pixel mask and blur: adjoint test and agreement with the CPU", T, float, double) {
  const std::size_t h = 9, w = 12, c = 2;
  SUBCASE("identity") {
    const lt::TorchIdentity<T> dev(h, w, c);
    CHECK(lt::adjoint_mismatch(dev, 1) <= adjoint_tolerance<T>());
    CHECK(cpu_device_difference<T>(eqr::Identity<T>(h, w, c), dev, 2) == 0.0);
  }
  SUBCASE("pixel mask") {
    eqr::Random rng(4);
    std::vector<T> mask(h * w);
    for (auto& v : mask) v = static_cast<T>(rng.uniform() < 0.4 ? 0.0 : rng.uniform());
    xt::xtensor<T, 2> cpu_mask = xt::xtensor<T, 2>::from_shape({h, w});
    std::copy(mask.begin(), mask.end(), cpu_mask.begin());
    const lt::TorchPixelMask<T> dev(mask, h, w, c);
    CHECK(lt::adjoint_mismatch(dev, 3) <= adjoint_tolerance<T>());
    CHECK(cpu_device_difference<T>(eqr::PixelMask<T>(cpu_mask, c), dev, 5) == 0.0);
  }
  SUBCASE("blur with a non-symmetric 3x5 kernel") {
    std::vector<T> kernel(15);
    for (std::size_t i = 0; i < kernel.size(); ++i) kernel[i] = static_cast<T>(0.1 * static_cast<double>(i) - 0.3);
    xt::xtensor<T, 2> cpu_kernel = xt::xtensor<T, 2>::from_shape({3, 5});
    std::copy(kernel.begin(), kernel.end(), cpu_kernel.begin());
    const lt::TorchBlur<T> dev(kernel, 3, 5, h, w, c);
    CHECK(lt::adjoint_mismatch(dev, 6) <= adjoint_tolerance<T>());
    CHECK(cpu_device_difference<T>(eqr::Blur<T>(cpu_kernel, h, w, c), dev, 7) <= agreement_tolerance<T>());
    // Hand-computed: a unit impulse at (4, 6) is spread as k itself, centred there (convolution, not
    // correlation: k(a, b) lands at (4 + a − 1, 6 + b − 2)).
    torch::Tensor impulse = torch::zeros({1, static_cast<std::int64_t>(c), static_cast<std::int64_t>(h),
                                          static_cast<std::int64_t>(w)},
                                         torch::TensorOptions().dtype(lt::detail::operator_dtype<T>()));
    impulse[0][1][4][6] = 1.0;
    const torch::Tensor spread = dev.apply(impulse);
    for (std::int64_t a = 0; a < 3; ++a)
      for (std::int64_t b = 0; b < 5; ++b)
        CHECK(spread[0][1][4 + a - 1][6 + b - 2].item<T>() ==
              doctest::Approx(kernel[static_cast<std::size_t>(a * 5 + b)]));
    CHECK(spread[0][0].abs().max().item<double>() == 0.0);
  }
}

TEST_CASE("device operators refuse batches of the wrong shape, dtype or rank") {
  const lt::TorchRadon<float> radon(eqr::parallel_beam(8, 4));
  CHECK_THROWS_AS(
      lt::TorchRadon<float>(eqr::parallel_beam(8, 4), torch::Device(torch::kCUDA, 0), lt::RadonKernel::projector),
      eqr::value_error);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  CHECK_THROWS_AS(radon.apply(torch::zeros({1, 1, 8, 9}, f32)), eqr::shape_error);
  CHECK_THROWS_AS(radon.apply(torch::zeros({1, 2, 8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_AS(radon.apply(torch::zeros({8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_AS(radon.apply(torch::zeros({1, 1, 8, 8}, torch::TensorOptions().dtype(torch::kFloat64))),
                  eqr::value_error);
  CHECK_THROWS_AS(radon.adjoint(torch::zeros({1, 1, 8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_WITH_AS(radon.apply(torch::zeros({2, 1, 7, 8}, f32)),
                       doctest::Contains("expected a batch of shape (2, 1, 8, 8), found (2, 1, 7, 8)"),
                       eqr::shape_error);
  const lt::TorchMaskedFourier<float> mri(8, std::vector<float>(8, 1.0f));
  CHECK_THROWS_AS(mri.apply(torch::zeros({1, 1, 8, 8}, f32)), eqr::shape_error);
  CHECK_THROWS_AS(lt::TorchMaskedFourier<float>(8, {1.0f, NAN}), eqr::value_error);
  CHECK_THROWS_AS(lt::TorchBlur<float>(std::vector<float>(4, 1.0f), 2, 2, 8, 8), eqr::shape_error);
  CHECK_THROWS_AS(lt::TorchPixelMask<float>(std::vector<float>(10, 1.0f), 3, 3), eqr::shape_error);
  CHECK_THROWS_AS(lt::to_xtensor<double>(torch::zeros({1, 1, 2, 2}, f32)), eqr::value_error);
}
