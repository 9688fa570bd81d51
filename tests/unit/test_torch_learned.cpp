// The learned proximal gradient method (paper Algorithm 2) end to end on TorchBackend (LibTorch's CPU device)
// with the Radon transform on its stored sparse matrices (the path CUDA takes), against CpuBackend with the
// CPU projector: with the same weights and inputs the reconstructions, ȳ and every parameter gradient agree to
// rounding in double (see below why not float), for the ordinary and the C4-equivariant proximal networks; the MRI method (masked
// FFT, complex images as two channels) agrees too; reverse mode on the torch backend matches central
// differences in double; and a few Adam steps of eqr::train give the same trajectory on both backends, in
// double, within a drift bound derived from the single-step agreement.
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
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/backends/torch/training.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/cross_backend.hpp"

namespace {

namespace lt = eqr::libtorch;
using CpuF = eqr::cpu::CpuBackend<float>;
using CpuD = eqr::cpu::CpuBackend<double>;
using TorchF = lt::TorchBackend<float>;
using TorchD = lt::TorchBackend<double>;

// The tiny CT problem: 16×16 images, 8 angles, default detectors (23); 3 iterations, 5 memory channels.
constexpr std::size_t kSize = 16, kAngles = 8;
constexpr int kIterations = 3, kMemory = 5;
constexpr std::size_t kIn = 2 + kMemory, kOut = 1 + kMemory;

eqr::ParallelBeamGeometry ct_geometry() { return eqr::parallel_beam(kSize, kAngles); }

/// The Radon transform on backend B: the CPU projector on the CPU backend, the sparse matrices on LibTorch.
template <class B>
eqr::Radon<B> ct_operator() {
  constexpr bool cpu = std::is_same_v<B, CpuF> || std::is_same_v<B, CpuD>;
  return eqr::Radon<B>(ct_geometry(), cpu ? eqr::RadonKernel::automatic : eqr::RadonKernel::sparse);
}

/// The LPG of the test on backend B with per-iteration networks from `make.template operator()<B>(seed)`.
template <class B, class Make>
auto make_lpg(double norm, Make make) {
  using Net = decltype(make.template operator()<B>(std::uint64_t{0}));
  std::vector<Net> nets;
  for (int i = 0; i < kIterations; ++i) nets.push_back(make.template operator()<B>(static_cast<std::uint64_t>(10 * i + 1)));
  return eqr::LearnedProximalGradient<B, eqr::Radon<B>, Net>(
      ct_operator<B>(), norm, 1, std::move(nets),
      eqr::LearnedProximalGradientOptions().iterations(kIterations).memory(kMemory));
}

/// The ordinary network of width 8 and the C4 network with 2 regular fields (width 8).
struct OrdinaryVariant {
  template <class B>
  auto operator()(std::uint64_t seed) const {
    return eqr::make_ordinary_prox<B>(kIn, kOut, 8, seed);
  }
};
struct C4Variant {
  template <class B>
  auto operator()(std::uint64_t seed) const {
    return eqr::make_equivariant_prox<eqr::C4, static_cast<int>(kIn), 2, static_cast<int>(kOut), B>(seed);
  }
};

/// Every parameter's host values, by visiting order.
template <class B, class M>
std::vector<std::pair<std::string, std::vector<typename B::scalar_type>>> parameters(M& model) {
  std::vector<std::pair<std::string, std::vector<typename B::scalar_type>>> out;
  model.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    out.emplace_back(name, B::to_host(p.value));
  });
  return out;
}

/// The measurements of the test: the sinograms of smooth blobs plus noise (host values, batch n).
std::vector<double> measurements(std::size_t n) {
  const eqr::Radon<CpuD> radon(ct_geometry());
  xt::xtensor<double, 4> u = xt::zeros<double>(std::array<std::size_t, 4>{n, 1, kSize, kSize});
  for (std::size_t b = 0; b < n; ++b)
    for (std::size_t i = 0; i < kSize; ++i)
      for (std::size_t j = 0; j < kSize; ++j) {
        const double x = (static_cast<double>(j) - 6.0 - static_cast<double>(b)) / 4.0,
                     y = (static_cast<double>(i) - 8.5) / 3.0;
        u(b, 0, i, j) = std::exp(-x * x - y * y);
      }
  auto y = radon.apply(u);
  eqr::Random rng(77);
  for (auto& v : y) v += 0.05 * rng.normal();
  return {y.begin(), y.end()};
}

}  // namespace

// The whole unrolled method is compared in double: its twelve convolutions and six operator applications,
// forward and backward, sum the same terms in different orders on the two backends (Eigen's or the
// microkernel's blocking against oneDNN's, which differ between AVX2 and AVX-512 machines), and how far those
// orders drift apart in float after a dozen stacked layers depends on the weights' conditioning, not on a
// property of the code. In double the same differences stay at rounding level, so the double tolerance holds
// on every machine; the single layers are compared in float in test_torch_layers.
TEST_CASE_TEMPLATE("LPG on torch-CPU equals LPG on the CPU backend (double): outputs, ȳ, every gradient", Variant,
                   OrdinaryVariant, C4Variant) {
  const double norm = eqr::opnorm(ct_operator<CpuD>(), 100, 0);
  const auto make = [&](auto tag) { return make_lpg<typename decltype(tag)::type>(norm, Variant{}); };
  eqr::testing::agree<CpuD, TorchD>(make, {2, 1, kAngles, ct_geometry().detectors}, 3,
                                    eqr::testing::agreement_tolerance<double>(), "LPG on torch-CPU");
}

TEST_CASE("LPG for MRI (complex images as 2 channels) on torch-CPU equals the CPU backend (double)") {
  // Masked centred FFT, 12×10 images, every third k-space column and the centre; ordinary prox of width 8.
  const std::size_t h = 12, w = 10;
  std::vector<double> mask(w, 0.0);
  for (std::size_t j = 0; j < w; j += 3) mask[j] = 1.0;
  mask[w / 2] = 1.0;
  const auto options = eqr::LearnedProximalGradientOptions().iterations(2).memory(kMemory);
  const auto make = [&](auto tag) {
    using B = typename decltype(tag)::type;
    using Net = decltype(eqr::make_ordinary_prox<B>(4 + kMemory, 2 + kMemory, 8, 0));
    std::vector<Net> nets;
    for (std::uint64_t i = 0; i < 2; ++i) nets.push_back(eqr::make_ordinary_prox<B>(4 + kMemory, 2 + kMemory, 8, 7 * i));
    // A unitary F and a 0/1 mask: ‖A‖ = 1.
    return eqr::LearnedProximalGradient<B, eqr::MaskedFourier<B>, Net>(eqr::MaskedFourier<B>(h, mask), 1.0, 2,
                                                                        std::move(nets), options);
  };
  eqr::testing::agree<CpuD, TorchD>(make, {1, 2, h, w}, 13, eqr::testing::agreement_tolerance<double>(),
                                    "MRI LPG on torch-CPU");
}

TEST_CASE("LPG on torch-CPU in double: reverse mode matches central differences") {
  // L(θ, y) = ½‖u(θ, y) − t‖²; checked for entries of every parameter and of y.
  const double norm = eqr::opnorm(ct_operator<TorchD>(), 100, 0);
  auto lpg = make_lpg<TorchD>(norm, C4Variant{});
  eqr::testing::randomise_parameters(lpg, 8, 0.4);
  const eqr::Shape4 ys{1, 1, kAngles, ct_geometry().detectors}, us{1, 1, kSize, kSize};
  const torch::Tensor y = TorchD::from_host(ys, measurements(1));
  const torch::Tensor target = TorchD::from_host(us, eqr::testing::random_host<double>(us.numel(), 4, 0.5));
  const auto loss = [&](const torch::Tensor& yy) {
    const torch::Tensor r = TorchD::subtract(lpg.forward(yy), target);
    return 0.5 * TorchD::squared_norm(r);
  };
  typename decltype(lpg)::context ctx;
  const torch::Tensor u = lpg.forward(y, ctx);
  const torch::Tensor dy = lpg.backward(ctx, TorchD::subtract(u, target));
  const double h = 1e-5;
  // Parameters: three entries of each tensor.
  std::size_t checked = 0;
  lpg.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<TorchD>& p) {
    const auto grad = TorchD::to_host(p.grad);
    const std::int64_t count = p.value.numel();
    for (const std::int64_t k : {std::int64_t{0}, count / 2, count - 1}) {
      CAPTURE(name);
      CAPTURE(k);
      torch::Tensor flat = p.value.view({-1});
      const double v0 = flat[k].item<double>();
      flat[k] = v0 + h;
      const double lp = loss(y);
      flat[k] = v0 - h;
      const double lm = loss(y);
      flat[k] = v0;
      const double fd = (lp - lm) / (2 * h);
      CHECK(grad[static_cast<std::size_t>(k)] == doctest::Approx(fd).epsilon(1e-5).scale(1e-3));
      ++checked;
    }
  });
  CHECK(checked == 3 * 3 * 2 * static_cast<std::size_t>(kIterations));
  // Measurements: a few sinogram entries.
  const auto dyh = TorchD::to_host(dy);
  for (const std::int64_t k : {std::int64_t{5}, std::int64_t{60}, std::int64_t{150}}) {
    CAPTURE(k);
    torch::Tensor yp = y.clone(), ym = y.clone();
    yp.view({-1})[k] += h;
    ym.view({-1})[k] -= h;
    const double fd = (loss(yp) - loss(ym)) / (2 * h);
    CHECK(dyh[static_cast<std::size_t>(k)] == doctest::Approx(fd).epsilon(1e-5).scale(1e-3));
  }
}

TEST_CASE("eqr::train on torch-CPU follows the CPU backend's trajectory (double, drift bounded per step)") {
  // Why double: Adam divides by √v̂ + ε, so a parameter whose gradient is near zero moves by up to lr in one
  // step whatever the gradient's rounding, and the two backends' kernels sum in different orders (oneDNN's
  // and Eigen's blockings differ between AVX2 and AVX-512 machines). In float the trajectories therefore
  // drift apart by amounts that depend on the machine. The same argument bounds the drift in double: one
  // Adam step θ ← θ − lr·m̂/(√v̂ + ε) moves θ by at most lr·δ/ε more on one backend than on the other when
  // their gradients differ by δ, and with gradients agreeing to 1e-12 relative (the agreement tolerance in
  // double) δ ≤ 1e-12·G, G the largest gradient norm of the run. S steps give |Δθ| ≤ S·lr·1e-12·G/ε (the
  // gradients' own dependence on the drift is far smaller at these sizes, and the checks would show it).
  const double norm = eqr::opnorm(ct_operator<CpuD>(), 100, 0);
  auto cpu = make_lpg<CpuD>(norm, C4Variant{});
  auto dev = make_lpg<TorchD>(norm, C4Variant{});
  eqr::testing::copy_parameters(cpu, dev);
  // Three training pairs: measurements of shifted blobs and random targets.
  const eqr::Shape4 ys{1, 1, kAngles, ct_geometry().detectors}, us{1, 1, kSize, kSize};
  const auto y3 = measurements(3);
  eqr::nn::PairList<CpuD> cpu_pairs;
  eqr::nn::PairList<TorchD> dev_pairs;
  for (std::size_t b = 0; b < 3; ++b) {
    const std::vector<double> y(y3.begin() + static_cast<std::ptrdiff_t>(b * ys.numel()),
                                y3.begin() + static_cast<std::ptrdiff_t>((b + 1) * ys.numel()));
    const auto t = eqr::testing::random_host<double>(us.numel(), 20 + b, 0.3);
    cpu_pairs.pairs.push_back({CpuD::from_host(ys, y), CpuD::from_host(us, t)});
    dev_pairs.pairs.push_back({TorchD::from_host(ys, y), TorchD::from_host(us, t)});
  }
  constexpr int steps = 6;
  constexpr double lr = 1e-3, adam_eps = 1e-8;  // AdamOptions' default ε
  const auto options = eqr::TrainingOptions().steps(steps).lr(lr).seed(2).progress(eqr::Progress::none);
  const auto r_cpu = eqr::train(cpu, cpu_pairs, eqr::nn::PairList<CpuD>{}, options);
  const auto r_dev = eqr::train(dev, dev_pairs, eqr::nn::PairList<TorchD>{}, options);
  REQUIRE(r_cpu.log.size() == steps);
  REQUIRE(r_dev.log.size() == steps);
  double max_grad = 0.0;
  for (std::size_t k = 0; k < r_cpu.log.size(); ++k) {
    CAPTURE(k);
    CHECK(r_dev.log[k].loss == doctest::Approx(r_cpu.log[k].loss).epsilon(1e-10));
    CHECK(r_dev.log[k].grad_norm == doctest::Approx(r_cpu.log[k].grad_norm).epsilon(1e-10));
    max_grad = std::max(max_grad, r_cpu.log[k].grad_norm);
  }
  // The training moved the loss (so the curve compared is not a constant).
  CHECK(r_cpu.log.back().loss < r_cpu.log.front().loss);
  const double drift_bound = steps * lr * eqr::testing::agreement_tolerance<double>() * max_grad / adam_eps;
  CHECK(drift_bound < 0.01 * lr);  // the bound is meaningful: far below one Adam step
  const auto p_cpu = parameters<CpuD>(cpu);
  const auto p_dev = parameters<TorchD>(dev);
  REQUIRE(p_cpu.size() == p_dev.size());
  for (std::size_t k = 0; k < p_cpu.size(); ++k) {
    CAPTURE(p_cpu[k].first);
    double worst = 0.0;
    for (std::size_t i = 0; i < p_cpu[k].second.size(); ++i)
      worst = std::max(worst, std::abs(p_dev[k].second[i] - p_cpu[k].second[i]));
    CHECK(worst <= drift_bound);
  }
}
