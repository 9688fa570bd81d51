// The README's first example: a C4-equivariant network, chosen at compile time, is exactly equivariant.
#include <eqr/eqr.hpp>
#include <cstdio>

using G = eqr::C4;                                                  // rotations by multiples of 90°
using B = eqr::cpu::CpuBackend<float>;                              // CPU: xtensor + Eigen + oneTBB
using Image = eqr::FieldType<G, eqr::Trivial<G>>;                   // a scalar image
using Hidden = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 8>>;  // 8 regular fields = 32 channels
using Lift = eqr::EquivariantConv<G, Image, Hidden, B>;
using Project = eqr::EquivariantConv<G, Hidden, Image, B>;
static_assert(Hidden::channels() == 32 && eqr::GridGroup<G>, "C4 maps the pixel grid onto itself.");
// eqr::Sequential<Lift, Lift> wrong;                               // would not compile: Hidden ≠ Image

int main() {
  const auto options = eqr::EquivariantConvOptions(3).padding(eqr::Padding::replicate);
  using Phi = eqr::PointwiseNonlinearity<Hidden, B>;               // leaky ReLU: fine on regular fields
  eqr::Sequential<Lift, Phi, Project> net{Lift(options), Phi(), Project(options)};
  const auto phantom = eqr::data::shepp_logan<float>(64);
  const auto x = B::from_host({1, 1, 64, 64}, std::span(phantom.data(), phantom.size()));
  const double error = eqr::metrics::grid_equivariance_error<G>([&](const auto& u) { return net.forward(u); }, x);
  std::printf("%s network: %zu parameters, equivariance error %.1e\n", G::name(), eqr::nn::parameter_count(net), error);
  return error < 1e-5 ? 0 : 1;
}
