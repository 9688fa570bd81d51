// A real learning test: a small C4-equivariant CNN (lift → φ → (id + φ∘K) → project, replicate padding, as in
// the paper's proximal networks) trained with Adam on a toy denoising task — smooth random images plus
// Gaussian noise, loss ½·MSE — must lower the training loss by at least a factor 20 in 300 steps (measured
// 53.5 with g++ 12 and clang 14, Release), and do better than the identity on fresh test images (0.0126 vs 0.0196).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/core/random.hpp"
#include "eqr/reps/reps.hpp"

namespace {

using B = eqr::cpu::CpuBackend<float>;
using Tensor = B::tensor_type;

/// `count` clean n×n images (sums of Gaussian blobs) and their noisy versions (noise σ = 0.2).
std::pair<Tensor, Tensor> make_data(std::size_t count, std::size_t n, std::uint64_t seed) {
  eqr::Random rng(seed);
  std::vector<float> clean(count * n * n, 0.0f), noisy(count * n * n);
  for (std::size_t img = 0; img < count; ++img)
    for (int blob = 0; blob < 4; ++blob) {
      const double ci = n * rng.uniform(), cj = n * rng.uniform(), s = 1.5 + 2.5 * rng.uniform();
      const double a = rng.uniform() < 0.5 ? -1.0 : 1.0;
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
          clean[(img * n + i) * n + j] +=
              static_cast<float>(a * std::exp(-((i - ci) * (i - ci) + (j - cj) * (j - cj)) / (2 * s * s)));
    }
  for (std::size_t i = 0; i < clean.size(); ++i) noisy[i] = clean[i] + static_cast<float>(0.2 * rng.normal());
  return {B::from_host({count, 1, n, n}, clean), B::from_host({count, 1, n, n}, noisy)};
}

/// ½·mean((y − t)²) and its gradient (y − t)/numel.
double loss_and_gradient(const Tensor& y, const Tensor& target, Tensor* grad) {
  Tensor r = B::subtract(y, target);
  const double n = static_cast<double>(B::shape(r).numel());
  const double loss = 0.5 * B::squared_norm(r) / n;
  if (grad) {
    B::scale(r, static_cast<float>(1.0 / n));
    *grad = std::move(r);
  }
  return loss;
}

}  // namespace

TEST_CASE("A C4-equivariant CNN learns to denoise (Adam, 300 steps)") {
  using G = eqr::C4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 4>>;
  using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
  using Mid = eqr::EquivariantConv<G, Reg, Reg, B>;
  using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
  using Phi = eqr::PointwiseNonlinearity<Reg, B>;
  const auto o = eqr::EquivariantConvOptions(3).padding(eqr::Padding::replicate);
  eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Mid, Phi>>, Proj> net(
      Lift(eqr::EquivariantConvOptions(o).seed(1)), Phi(),
      eqr::Residual(eqr::Sequential<Mid, Phi>(Mid(eqr::EquivariantConvOptions(o).init(eqr::nn::Init::zeros)), Phi())),
      Proj(eqr::EquivariantConvOptions(o).seed(2)));
  eqr::nn::Adam<B> adam(eqr::nn::AdamOptions{}.lr(5e-3));

  const auto [clean, noisy] = make_data(8, 16, 7);
  const auto [test_clean, test_noisy] = make_data(8, 16, 8);
  const double initial = loss_and_gradient(net.forward(noisy), clean, nullptr);
  decltype(net)::context ctx;
  double last = initial;
  for (int step = 0; step < 300; ++step) {
    const Tensor y = net.forward(noisy, ctx);
    Tensor dy;
    last = loss_and_gradient(y, clean, &dy);
    eqr::nn::zero_grad(net);
    net.backward(ctx, dy);
    adam.step(net);
  }
  const double final_loss = loss_and_gradient(net.forward(noisy), clean, nullptr);
  const double identity = loss_and_gradient(test_noisy, test_clean, nullptr);
  const double test_loss = loss_and_gradient(net.forward(test_noisy), test_clean, nullptr);
  std::printf("[toy denoising, C4, 300 Adam steps] train loss %.4g -> %.4g (factor %.1f); test loss %.4g vs "
              "identity %.4g\n", initial, final_loss, initial / final_loss, test_loss, identity);
  CHECK(std::isfinite(last));
  CHECK(final_loss < initial / 20);
  CHECK(test_loss < identity);  // it denoises images it has not seen
}
