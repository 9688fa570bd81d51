// Compose a C4-equivariant network (lift → φ → (id + φ∘K) → project, the shape of the paper's proximal
// operators) and train it for a few Adam steps to denoise a smooth image; then export it for inference.
#include <eqr/backends/cpu/cpu_backend.hpp>
#include <eqr/backends/cpu/training.hpp>
#include <eqr/layers/layers.hpp>
#include <eqr/nn/module.hpp>
#include <eqr/nn/optimizers.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

using B = eqr::cpu::CpuBackend<float>;
using G = eqr::C4;
using Image = eqr::FieldType<G, eqr::Trivial<G>>;                    // one scalar channel
using Hidden = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 4>>;   // 4 regular fields = 16 channels
using Lift = eqr::EquivariantConv<G, Image, Hidden, B>;
using Mid = eqr::EquivariantConv<G, Hidden, Hidden, B>;
using Project = eqr::EquivariantConv<G, Hidden, Image, B>;
using Phi = eqr::PointwiseNonlinearity<Hidden, B>;                   // leaky ReLU, slope 0.01
// using Bad = eqr::Sequential<Lift, Project, Mid>;                  // would not compile: Image ≠ Hidden

int main() {
  const auto o = eqr::EquivariantConvOptions(3).padding(eqr::Padding::replicate);
  eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Mid, Phi>>, Project> net(
      Lift(eqr::EquivariantConvOptions(o).seed(1)), Phi(),
      eqr::Residual(eqr::Sequential<Mid, Phi>(Mid(eqr::EquivariantConvOptions(o).init(eqr::nn::Init::zeros)), Phi())),
      Project(eqr::EquivariantConvOptions(o).seed(2)));
  std::vector<float> clean(32 * 32), noisy(32 * 32);
  for (int i = 0; i < 32 * 32; ++i) {
    clean[i] = std::sin(0.3f * static_cast<float>(i / 32)) * std::cos(0.2f * static_cast<float>(i % 32));
    noisy[i] = clean[i] + 0.3f * std::sin(12.9898f * static_cast<float>(i));  // deterministic "noise"
  }
  const auto x = B::from_host({1, 1, 32, 32}, noisy), target = B::from_host({1, 1, 32, 32}, clean);
  eqr::nn::Adam<B> adam(eqr::nn::AdamOptions{}.lr(5e-3));
  decltype(net)::context ctx;
  double first = 0, loss = 0;
  for (int step = 0; step < 60; ++step) {
    auto residual = B::subtract(net.forward(x, ctx), target);            // loss = ½·mean(r²)
    loss = 0.5 * B::squared_norm(residual) / (32 * 32);
    if (step == 0) first = loss;
    B::scale(residual, 1.0f / (32 * 32));
    eqr::nn::zero_grad(net);
    net.backward(ctx, residual);
    adam.step(net);
  }
  std::printf("loss %.4f -> %.4f after 60 Adam steps (%zu parameters)\n", first, loss, eqr::nn::parameter_count(net));
  const auto lift = net.get<0>().export_conv();  // inference: a plain Conv, same output as the trained layer
  return (loss < first && B::shape(lift.forward(x)).c == 16) ? 0 : 1;
}
