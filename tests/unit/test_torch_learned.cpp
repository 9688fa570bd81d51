// The learned proximal gradient method (paper Algorithm 2) end to end on TorchBackend (LibTorch CPU) with the
// device Radon transform on its sparse-matrix path (the one CUDA takes), against CpuBackend with the CPU
// Radon transform: with the same weights and inputs the reconstructions, ȳ and every parameter gradient
// agree to 1e-5 relative in float, for the ordinary and the C4-equivariant proximal networks; reverse mode
// on the torch backend matches central differences in double; and a few Adam steps of eqr::train give the
// same loss curve on both backends. The MRI method (masked FFT, complex images as two channels) agrees too.
#include "../support/torch_doctest.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/backends/torch/operators/operators.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/backends/torch/training.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/device_agreement.hpp"

namespace {

namespace lt = eqr::libtorch;
using CpuF = eqr::cpu::CpuBackend<float>;
using TorchF = lt::TorchBackend<float>;
using TorchD = lt::TorchBackend<double>;

// The tiny CT problem: 16×16 images, 8 angles, default detectors (23); 3 iterations, 5 memory channels.
constexpr std::size_t kSize = 16, kAngles = 8;
constexpr int kIterations = 3, kMemory = 5;
constexpr std::size_t kIn = 2 + kMemory, kOut = 1 + kMemory;

static_assert(eqr::ForwardOperatorFor<lt::TorchRadon<float>, TorchF>,
              "The device Radon transform must be usable as the forward operator of a learned method.");
static_assert(eqr::ForwardOperatorFor<lt::TorchMaskedFourier<float>, TorchF>,
              "The device MRI operator must be usable as the forward operator of a learned method.");

eqr::ParallelBeamGeometry ct_geometry() { return eqr::parallel_beam(kSize, kAngles); }

/// The ordinary network of width 8 and the C4 network with 2 regular fields (width 8) on backend B.
template <class B>
auto ordinary_net(std::uint64_t seed) {
  return eqr::make_ordinary_prox<B>(kIn, kOut, 8, seed);
}
template <class B>
auto c4_net(std::uint64_t seed) {
  return eqr::make_equivariant_prox<eqr::C4, static_cast<int>(kIn), 2, static_cast<int>(kOut), B>(seed);
}

/// The learned method on backend B with operator `op`, the networks from `make(seed)` and the norm `norm`.
template <class B, class Op, class Make>
auto make_lpg(Op op, double norm, Make make) {
  using Net = decltype(make(std::uint64_t{0}));
  std::vector<Net> nets;
  for (int i = 0; i < kIterations; ++i) nets.push_back(make(static_cast<std::uint64_t>(10 * i + 1)));
  return eqr::LearnedProximalGradient<B, Op, Net>(
      std::move(op), norm, 1, std::move(nets),
      eqr::LearnedProximalGradientOptions().iterations(kIterations).memory(kMemory));
}

/// Overwrites every parameter of `model` with seeded N(0, 0.2²) values (the intermediate layers start at zero,
/// which would leave their gradients' propagation untested).
template <class B, class M>
void randomise(M& model, std::uint64_t seed) {
  using T = typename B::scalar_type;
  eqr::Random rng(seed);
  model.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<B>& p) {
    std::vector<T> v(B::shape(p.value).numel());
    for (auto& e : v) e = static_cast<T>(0.2 * rng.normal());
    p.value = B::from_host(B::shape(p.value), std::span<const T>(v));
  });
}

/// Every parameter's name, shape and host values (or gradients).
template <class B, class M>
std::vector<std::pair<std::string, std::vector<typename B::scalar_type>>> parameters(M& model, bool grads) {
  std::vector<std::pair<std::string, std::vector<typename B::scalar_type>>> out;
  model.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    out.emplace_back(name, B::to_host(grads ? p.grad : p.value));
  });
  return out;
}

/// Copies every parameter value from `from` (backend A) to `to` (backend B) by name and order.
template <class A, class B, class MA, class MB>
void copy_parameters(MA& from, MB& to) {
  const auto values = parameters<A>(from, false);
  std::size_t k = 0;
  to.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    REQUIRE(k < values.size());
    REQUIRE(values[k].first == name);
    p.value = B::from_host(B::shape(p.value), std::span<const typename B::scalar_type>(values[k].second));
    ++k;
  });
  REQUIRE(k == values.size());
}

using eqr::testing::check_method_agreement;
using eqr::testing::relative_difference;

/// Seeded N(0, σ²) host values for a shape.
template <class T>
std::vector<T> host_normal(const eqr::Shape4& s, std::uint64_t seed, double sigma = 1.0) {
  eqr::Random rng(seed);
  std::vector<T> v(s.numel());
  for (auto& e : v) e = static_cast<T>(sigma * rng.normal());
  return v;
}

/// The measurements of the test: the sinogram of a smooth blob plus noise (host values, batch n).
std::vector<float> measurements(std::size_t n) {
  const eqr::Radon<float> radon(ct_geometry());
  xt::xtensor<float, 4> u = xt::zeros<float>(radon.domain_shape(n));
  for (std::size_t b = 0; b < n; ++b)
    for (std::size_t i = 0; i < kSize; ++i)
      for (std::size_t j = 0; j < kSize; ++j) {
        const double x = (static_cast<double>(j) - 6.0 - static_cast<double>(b)) / 4.0,
                     y = (static_cast<double>(i) - 8.5) / 3.0;
        u(b, 0, i, j) = static_cast<float>(std::exp(-x * x - y * y));
      }
  auto y = radon.apply(u);
  eqr::Random rng(77);
  for (auto& v : y) v += static_cast<float>(0.05 * rng.normal());
  return {y.begin(), y.end()};
}

}  // namespace

TEST_CASE_TEMPLATE_DEFINE("LPG on torch-CPU equals LPG on the CPU backend: outputs, ȳ, every gradient", Variant,
                          lpg_agreement) {
  const auto g = ct_geometry();
  const eqr::Radon<float> cpu_op(g);
  const lt::TorchRadon<float> torch_op(g, torch::kCPU, lt::RadonKernel::sparse);  // the path CUDA takes
  const double norm = eqr::opnorm(cpu_op, 100, 0);
  auto cpu = make_lpg<CpuF>(cpu_op, norm, [](std::uint64_t s) { return Variant::template make<CpuF>(s); });
  auto dev = make_lpg<TorchF>(torch_op, norm, [](std::uint64_t s) { return Variant::template make<TorchF>(s); });
  randomise<CpuF>(cpu, 5);
  copy_parameters<CpuF, TorchF>(cpu, dev);

  const std::size_t n = 2;
  const eqr::Shape4 ys{n, 1, kAngles, g.detectors}, us{n, 1, kSize, kSize};
  const auto y = measurements(n);
  const auto du = host_normal<float>(us, 3);
  const auto u_dev = check_method_agreement<CpuF, TorchF>(cpu, dev, ys, y, us, du, 1e-5);
  // Inference without a context gives the same numbers as the training forward pass.
  CHECK(TorchF::to_host(dev.forward(TorchF::from_host(ys, y))) == u_dev);
}

namespace {
struct OrdinaryVariant {
  template <class B>
  static auto make(std::uint64_t s) {
    return ordinary_net<B>(s);
  }
};
struct C4Variant {
  template <class B>
  static auto make(std::uint64_t s) {
    return c4_net<B>(s);
  }
};
}  // namespace

TEST_CASE_TEMPLATE_INVOKE(lpg_agreement, OrdinaryVariant, C4Variant);

TEST_CASE("LPG for MRI (complex images as 2 channels) on torch-CPU equals the CPU backend") {
  // Masked centred FFT, 12×10 images, every third k-space column and the centre; ordinary prox of width 8.
  const std::size_t h = 12, w = 10;
  std::vector<float> mask(w, 0.0f);
  for (std::size_t j = 0; j < w; j += 3) mask[j] = 1.0f;
  mask[w / 2] = 1.0f;
  xt::xtensor<float, 1> cpu_mask = xt::xtensor<float, 1>::from_shape({w});
  std::copy(mask.begin(), mask.end(), cpu_mask.begin());
  const eqr::MaskedFourier<float> cpu_op(h, cpu_mask);
  const lt::TorchMaskedFourier<float> torch_op(h, mask);
  const auto options = eqr::LearnedProximalGradientOptions().iterations(2).memory(kMemory);
  auto make = [&](auto tag, auto op) {
    using B = decltype(tag);
    using Net = decltype(eqr::make_ordinary_prox<B>(4 + kMemory, 2 + kMemory, 8, 0));
    std::vector<Net> nets;
    for (std::uint64_t i = 0; i < 2; ++i)
      nets.push_back(eqr::make_ordinary_prox<B>(4 + kMemory, 2 + kMemory, 8, 7 * i));
    // A unitary F and a 0/1 mask: ‖A‖ = 1.
    return eqr::LearnedProximalGradient<B, decltype(op), Net>(op, 1.0, 2, std::move(nets), options);
  };
  auto cpu = make(CpuF{}, cpu_op);
  auto dev = make(TorchF{}, torch_op);
  randomise<CpuF>(cpu, 12);
  copy_parameters<CpuF, TorchF>(cpu, dev);
  const eqr::Shape4 s{1, 2, h, w};
  const auto y = TorchF::to_host(torch_op.apply(TorchF::from_host(s, host_normal<float>(s, 13))));
  const auto du = host_normal<float>(s, 14);
  (void)check_method_agreement<CpuF, TorchF>(cpu, dev, s, y, s, du, 1e-5);
}

TEST_CASE("LPG on torch-CPU in double: reverse mode matches central differences") {
  // L(θ, y) = ½‖u(θ, y) − t‖² + ⟨r, u⟩; checked for entries of every parameter and of y.
  const auto g = ct_geometry();
  const lt::TorchRadon<double> op(g, torch::kCPU, lt::RadonKernel::sparse);
  const double norm = lt::opnorm(op, 100, 0);
  auto lpg = make_lpg<TorchD>(op, norm, [](std::uint64_t s) { return c4_net<TorchD>(s); });
  randomise<TorchD>(lpg, 8);
  const eqr::Shape4 ys{1, 1, kAngles, g.detectors}, us{1, 1, kSize, kSize};
  const auto yf = measurements(1);
  const torch::Tensor y = TorchD::from_host(ys, std::vector<double>(yf.begin(), yf.end()));
  const torch::Tensor target = TorchD::from_host(us, host_normal<double>(us, 4, 0.5));
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

TEST_CASE("eqr::train on torch-CPU gives the CPU backend's loss curve") {
  const auto g = ct_geometry();
  const eqr::Radon<float> cpu_op(g);
  const lt::TorchRadon<float> torch_op(g, torch::kCPU, lt::RadonKernel::sparse);  // the path CUDA takes
  const double norm = eqr::opnorm(cpu_op, 100, 0);
  auto cpu = make_lpg<CpuF>(cpu_op, norm, [](std::uint64_t s) { return c4_net<CpuF>(s); });
  auto dev = make_lpg<TorchF>(torch_op, norm, [](std::uint64_t s) { return c4_net<TorchF>(s); });
  copy_parameters<CpuF, TorchF>(cpu, dev);
  // Three training pairs: measurements of shifted blobs and the blobs themselves.
  const eqr::Shape4 ys{1, 1, kAngles, g.detectors}, us{1, 1, kSize, kSize};
  const auto y3 = measurements(3);
  eqr::PairList<CpuF> cpu_pairs;
  eqr::PairList<TorchF> dev_pairs;
  for (std::size_t b = 0; b < 3; ++b) {
    const std::vector<float> y(y3.begin() + static_cast<std::ptrdiff_t>(b * ys.numel()),
                               y3.begin() + static_cast<std::ptrdiff_t>((b + 1) * ys.numel()));
    const auto t = host_normal<float>(us, 20 + b, 0.3);
    cpu_pairs.pairs.push_back({CpuF::from_host(ys, y), CpuF::from_host(us, t)});
    dev_pairs.pairs.push_back({TorchF::from_host(ys, y), TorchF::from_host(us, t)});
  }
  const auto options = eqr::TrainingOptions().steps(6).lr(1e-3).seed(2).progress(eqr::Progress::none);
  const auto r_cpu = eqr::train(cpu, cpu_pairs, eqr::PairList<CpuF>{}, options);
  const auto r_dev = eqr::train(dev, dev_pairs, eqr::PairList<TorchF>{}, options);
  REQUIRE(r_cpu.log.size() == 6);
  REQUIRE(r_dev.log.size() == 6);
  for (std::size_t k = 0; k < r_cpu.log.size(); ++k) {
    CAPTURE(k);
    CHECK(r_dev.log[k].loss == doctest::Approx(r_cpu.log[k].loss).epsilon(1e-5));
    CHECK(r_dev.log[k].grad_norm == doctest::Approx(r_cpu.log[k].grad_norm).epsilon(1e-5));
  }
  // The training moved the loss (so the curve compared is not a constant).
  CHECK(r_cpu.log.back().loss < r_cpu.log.front().loss);
  const auto p_cpu = parameters<CpuF>(cpu, false);
  const auto p_dev = parameters<TorchF>(dev, false);
  for (std::size_t k = 0; k < p_cpu.size(); ++k) {
    CAPTURE(p_cpu[k].first);
    CHECK(relative_difference(p_dev[k].second, p_cpu[k].second) <= 1e-4);
  }
}
