// Gradient checks of every layer, in double: the analytic backward pass against central differences of the
// scalar loss L = ⟨f(x), r⟩ for a fixed random r, with respect to the input and to every parameter, for both
// padding modes.  Relative error ‖analytic − numeric‖ / ‖numeric‖ ≤ 1e-6.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/core/random.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/random_tensor.hpp"

namespace {

using B = eqr::cpu::CpuBackend<double>;
using Tensor = B::tensor_type;
using eqr::Padding;

Tensor random_tensor(eqr::Shape4 s, std::uint64_t seed, double offset = 0.0) {
  return eqr::testing::random_tensor<B>(s, seed, offset);
}

double relative_error(const std::vector<double>& a, const std::vector<double>& n) {
  double diff = 0, ref = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - n[i]) * (a[i] - n[i]);
    ref += n[i] * n[i];
  }
  return std::sqrt(diff) / std::max(std::sqrt(ref), 1e-300);
}

/// Checks dL/dx and dL/dθ for every parameter θ of `layer` at input x, L = ⟨f(x), r⟩.  Every entry of x and of
/// each parameter is perturbed (the test sizes are small).  Returns the worst relative error.
template <class L>
double gradient_check(L& layer, const Tensor& x, std::uint64_t seed, const std::string& what) {
  typename L::context ctx;
  const Tensor y = layer.forward(x, ctx);
  const Tensor r = random_tensor(B::shape(y), seed);
  eqr::nn::zero_grad(layer);
  const Tensor dx = layer.backward(ctx, r);
  const double h = 1e-6;
  const auto loss = [&](const Tensor& input) { return B::dot(layer.forward(input), r); };

  double worst = 0;
  {  // input
    std::vector<double> analytic = B::to_host(dx), numeric(analytic.size());
    Tensor xp = x;
    for (std::size_t i = 0; i < numeric.size(); ++i) {
      const double keep = xp.data()[i];
      xp.data()[i] = keep + h;
      const double up = loss(xp);
      xp.data()[i] = keep - h;
      const double down = loss(xp);
      xp.data()[i] = keep;
      numeric[i] = (up - down) / (2 * h);
    }
    const double e = relative_error(analytic, numeric);
    INFO(what << ": input gradient, relative error " << e);
    CHECK(e <= 1e-6);
    worst = std::max(worst, e);
  }
  layer.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    std::vector<double> analytic = B::to_host(p.grad), numeric(analytic.size());
    for (std::size_t i = 0; i < numeric.size(); ++i) {
      const double keep = p.value.data()[i];
      p.value.data()[i] = keep + h;
      const double up = loss(x);
      p.value.data()[i] = keep - h;
      const double down = loss(x);
      p.value.data()[i] = keep;
      numeric[i] = (up - down) / (2 * h);
    }
    const double e = relative_error(analytic, numeric);
    INFO(what << ": gradient of parameter '" << name << "', relative error " << e);
    CHECK(e <= 1e-6);
    worst = std::max(worst, e);
  });
  return worst;
}

/// Random non-zero parameters (so that zero-initialised biases and coefficients are checked at a generic point).
template <class L>
void randomise_parameters(L& layer, std::uint64_t seed) {
  layer.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<B>& p) {
    p.value = random_tensor(B::shape(p.value), seed++);
  });
}

constexpr Padding paddings[] = {Padding::zeros, Padding::replicate};

}  // namespace

TEST_CASE("Conv: gradients w.r.t. input, weight and bias, both paddings") {
  for (Padding pad : paddings)
    for (std::size_t k : {1u, 3u, 5u}) {
      eqr::Conv<B> conv(eqr::ConvOptions(3, 2, k).padding(pad).seed(k));
      gradient_check(conv, random_tensor({2, 3, 6, 5}, 11), 12, "conv k=" + std::to_string(k));
    }
}

TEST_CASE_TEMPLATE("EquivariantConv: gradients for lifting, group, projection and irrep layers", G, eqr::C4, eqr::D2,
                   eqr::C8) {
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Regular<G>, eqr::Regular<G>>;
  using Mixed = eqr::FieldType<G, eqr::Trivial<G>, eqr::Irrep<G, eqr::is_dihedral_v<G> ? 1 : 0, 1>, eqr::Regular<G>>;
  for (Padding pad : paddings) {
    const auto o = eqr::EquivariantConvOptions(3).padding(pad).seed(3);
    eqr::EquivariantConv<G, Tr, Reg, B> lift(o);
    eqr::EquivariantConv<G, Reg, Reg, B> group(o);
    eqr::EquivariantConv<G, Reg, Tr, B> project(o);
    eqr::EquivariantConv<G, Mixed, Mixed, B> mixed(o);
    randomise_parameters(lift, 1);
    randomise_parameters(group, 2);
    randomise_parameters(project, 3);
    randomise_parameters(mixed, 4);
    gradient_check(lift, random_tensor({1, Tr::channels(), 5, 5}, 21), 22, "lift");
    gradient_check(group, random_tensor({1, Reg::channels(), 5, 5}, 23), 24, "group");
    gradient_check(project, random_tensor({2, Reg::channels(), 4, 4}, 25), 26, "project");
    gradient_check(mixed, random_tensor({1, Mixed::channels(), 4, 4}, 27), 28, "mixed");
  }
}

TEST_CASE("EquivariantConv: gradients with the grid basis and 5x5 kernels") {
  using G = eqr::D4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Regular<G>>;
  for (Padding pad : paddings) {
    eqr::EquivariantConv<G, Tr, Reg, B> lift(eqr::EquivariantConvOptions(5).padding(pad).basis(eqr::BasisSolver::grid));
    randomise_parameters(lift, 5);
    gradient_check(lift, random_tensor({1, 1, 6, 6}, 31), 32, "grid lift 5x5");
  }
}

TEST_CASE("Nonlinearities: pointwise (every activation), norm ReLU and group pooling") {
  using G = eqr::C4;
  using Reg = eqr::FieldType<G, eqr::Regular<G>, eqr::Trivial<G>>;
  for (eqr::Activation phi : {eqr::Activation::leaky_relu(0.01), eqr::Activation::relu(), eqr::Activation::elu(1.0),
                              eqr::Activation::tanh()}) {
    eqr::PointwiseNonlinearity<Reg, B> layer(phi);
    gradient_check(layer, random_tensor({2, 5, 3, 3}, 41), 42, eqr::to_string(phi));
  }
  using Irr = eqr::FieldType<G, eqr::Irrep<G, 0, 1>, eqr::Regular<G>, eqr::Trivial<G>>;
  eqr::NormNonlinearity<Irr, B> norm(0.0);
  norm.bias().value = B::from_host({1, 3, 1, 1}, std::vector<double>{-0.3, 0.2, -0.1});
  gradient_check(norm, random_tensor({2, 7, 3, 3}, 43), 44, "norm relu");
  eqr::GroupPooling<Reg, B, eqr::PoolMode::max> max_pool;
  eqr::GroupPooling<Reg, B, eqr::PoolMode::mean> mean_pool;
  gradient_check(max_pool, random_tensor({2, 5, 3, 3}, 45), 46, "max pooling");
  gradient_check(mean_pool, random_tensor({2, 5, 3, 3}, 47), 48, "mean pooling");
}

TEST_CASE("Containers: Sequential, Residual and Parallel networks") {
  using G = eqr::C4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 2>>;
  for (Padding pad : paddings) {
    const auto o = eqr::EquivariantConvOptions(3).padding(pad);
    using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
    using Mid = eqr::EquivariantConv<G, Reg, Reg, B>;
    using Phi = eqr::PointwiseNonlinearity<Reg, B>;
    using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
    eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Mid, Phi>>, Proj> net(
        Lift(eqr::EquivariantConvOptions(o).seed(1)), Phi(),
        eqr::Residual(eqr::Sequential<Mid, Phi>(Mid(eqr::EquivariantConvOptions(o).seed(2)), Phi())),
        Proj(eqr::EquivariantConvOptions(o).seed(3)));
    randomise_parameters(net, 7);
    gradient_check(net, random_tensor({1, 1, 5, 5}, 51), 52, "lift-phi-residual-project");

    using Pool = eqr::GroupPooling<Reg, B>;
    using Branch = eqr::Parallel<Lift, eqr::EquivariantConv<G, Tr, Tr, B>>;
    Branch parallel{Lift(o), eqr::EquivariantConv<G, Tr, Tr, B>(o)};
    randomise_parameters(parallel, 9);
    gradient_check(parallel, random_tensor({1, 1, 4, 4}, 53), 54, "parallel");
    eqr::Sequential<Lift, Pool> pooled{Lift(o), Pool()};
    randomise_parameters(pooled, 11);
    gradient_check(pooled, random_tensor({1, 1, 4, 4}, 55), 56, "lift-pool");
  }
}
