// EquivariantConv ↔ Conv: export_conv() gives the same output (≤ 1e-6 relative) with the parameter count of a
// plain convolution; the training-mode forward equals a slow direct convolution with the expanded filter;
// initialisers (PyTorch default bounds, He variance, zeros, e2cnn's unit energy per output channel) and
// seeds; options validation and input checks with messages naming what was expected and found.
#include <doctest/doctest.h>

#include <cmath>
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

using B = eqr::cpu::CpuBackend<float>;
using Tensor = B::tensor_type;
using eqr::Padding;

Tensor random_tensor(eqr::Shape4 s, std::uint64_t seed) { return eqr::testing::random_tensor<B>(s, seed); }

double relative_error(const Tensor& a, const Tensor& b) {
  const auto u = B::to_host(a), v = B::to_host(b);
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(u[i]) - v[i]));
    scale = std::max(scale, std::abs(static_cast<double>(v[i])));
  }
  return diff / scale;
}

/// y[n,o,i,j] = b[o] + Σ w[o,c,a,b]·x̃[n,c,i+a−r,j+b−r] in double, x̃ extended by zeros or by replication.
std::vector<double> direct_conv(const Tensor& x, const Tensor& w, const Tensor& bias, Padding pad) {
  const auto xs = B::shape(x), ws = B::shape(w);
  const auto xv = B::to_host(x), wv = B::to_host(w), bv = B::to_host(bias);
  const long r = static_cast<long>(ws.h / 2), H = static_cast<long>(xs.h), W = static_cast<long>(xs.w);
  std::vector<double> y(xs.n * ws.n * xs.h * xs.w);
  for (std::size_t n = 0; n < xs.n; ++n)
    for (std::size_t o = 0; o < ws.n; ++o)
      for (long i = 0; i < H; ++i)
        for (long j = 0; j < W; ++j) {
          double s = bv[o];
          for (std::size_t c = 0; c < ws.c; ++c)
            for (long a = 0; a < static_cast<long>(ws.h); ++a)
              for (long b = 0; b < static_cast<long>(ws.w); ++b) {
                long ii = i + a - r, jj = j + b - r;
                if (pad == Padding::zeros && (ii < 0 || jj < 0 || ii >= H || jj >= W)) continue;
                ii = eqr::clamp_index(ii, H);
                jj = eqr::clamp_index(jj, W);
                s += wv[((o * ws.c + c) * ws.h + a) * ws.w + b] * xv[((n * xs.c + c) * H + ii) * W + jj];
              }
          y[((n * ws.n + o) * H + i) * W + j] = s;
        }
  return y;
}

}  // namespace

TEST_CASE_TEMPLATE("export_conv: same output as training mode, plain-convolution cost", G, eqr::C4, eqr::D4, eqr::C8) {
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>>;
  for (Padding pad : {Padding::zeros, Padding::replicate}) {
    eqr::EquivariantConv<G, Tr, Reg, B> lift(eqr::EquivariantConvOptions(3).padding(pad).seed(1));
    eqr::EquivariantConv<G, Reg, Reg, B> group(eqr::EquivariantConvOptions(5).padding(pad).seed(2));
    lift.bias().value = random_tensor(B::shape(lift.bias().value), 3);
    group.bias().value = random_tensor(B::shape(group.bias().value), 4);
    const Tensor x1 = random_tensor({2, 1, 11, 11}, 5), xr = random_tensor({1, Reg::channels(), 10, 10}, 6);
    auto lift_plain = lift.export_conv();
    auto group_plain = group.export_conv();
    CHECK(relative_error(lift_plain.forward(x1), lift.forward(x1)) <= 1e-6);
    CHECK(relative_error(group_plain.forward(xr), group.forward(xr)) <= 1e-6);
    // The exported layer is an ordinary convolution: C_out·C_in·k² weights plus C_out biases.
    CHECK(eqr::nn::parameter_count(group_plain) == Reg::channels() * Reg::channels() * 25 + Reg::channels());
    CHECK(group_plain.options().padding() == pad);
    // Training mode equals a slow direct convolution with the expanded filter and bias.
    const auto y = B::to_host(group.forward(xr));
    const auto ref = direct_conv(xr, group.expanded_filter(), group.expanded_bias(), pad);
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      diff = std::max(diff, std::abs(y[i] - ref[i]));
      scale = std::max(scale, std::abs(ref[i]));
    }
    CHECK(diff / scale <= 1e-5);
  }
}

TEST_CASE("EquivariantConv: the expanded bias is invariant and regular fields get b/sqrt|G| per channel") {
  using G = eqr::C4;
  using F = eqr::FieldType<G, eqr::Trivial<G>, eqr::Regular<G>>;
  eqr::EquivariantConv<G, F, F, B> conv(eqr::EquivariantConvOptions(3));
  REQUIRE(B::shape(conv.bias().value) == eqr::Shape4{1, 2, 1, 1});
  conv.bias().value = B::from_host({1, 2, 1, 1}, std::vector<float>{0.7f, 2.0f});
  const auto b = B::to_host(conv.expanded_bias());
  CHECK(b[0] == doctest::Approx(0.7));
  for (int c = 1; c <= 4; ++c) CHECK(b[c] == doctest::Approx(2.0 / 2.0));  // 2/√4
  // An output irrep has no invariant bias: no bias parameter at all.
  using I = eqr::FieldType<G, eqr::Irrep<G, 0, 1>>;
  eqr::EquivariantConv<G, I, I, B> irrep(eqr::EquivariantConvOptions(3));
  CHECK(!irrep.has_bias());
  CHECK(eqr::nn::parameter_names(irrep) == std::vector<std::string>{"coefficients"});
}

TEST_CASE("Initialisers: PyTorch default bounds, He variance, zeros, e2cnn unit energy, seeds") {
  const std::size_t c = 32, k = 3, fan_in = c * k * k;
  eqr::Conv<B> torch_default(eqr::ConvOptions(c, c, k).seed(1));
  const auto w = B::to_host(torch_default.weight().value);
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  double lo = 1, hi = -1, sq = 0;
  for (float v : w) {
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
    sq += static_cast<double>(v) * v;
  }
  CHECK(lo >= -bound);
  CHECK(hi <= bound);
  CHECK(hi > 0.95 * bound);                                          // the range is used, not a narrower one
  CHECK(sq / w.size() == doctest::Approx(bound * bound / 3).epsilon(0.05));  // variance of U(−a, a) = a²/3
  for (float v : B::to_host(torch_default.bias().value)) CHECK(std::abs(v) <= bound);

  eqr::Conv<B> he(eqr::ConvOptions(c, c, k).init(eqr::nn::Init::he).seed(1));
  const auto wh = B::to_host(he.weight().value);
  double var = 0;
  for (float v : wh) var += static_cast<double>(v) * v;
  CHECK(var / wh.size() == doctest::Approx(2.0 / fan_in).epsilon(0.05));  // N(0, 2/fan_in)
  for (float v : B::to_host(he.bias().value)) CHECK(v == 0.0f);

  eqr::Conv<B> zeros(eqr::ConvOptions(c, c, k).init(eqr::nn::Init::zeros));
  CHECK(B::squared_norm(zeros.weight().value) == 0.0);

  // Seeds: the same seed gives the same values, another seed other values; reset_parameters re-draws them.
  eqr::Conv<B> again(eqr::ConvOptions(c, c, k).seed(1)), other(eqr::ConvOptions(c, c, k).seed(2));
  CHECK(B::to_host(again.weight().value) == w);
  CHECK(B::to_host(other.weight().value) != w);
  again.weight().value = B::zeros(B::shape(again.weight().value));
  again.reset_parameters();
  CHECK(B::to_host(again.weight().value) == w);

  // e2cnn's generalised He init: each output channel's filter has expected energy 1 (DESIGN.md §5), here
  // averaged over the 96 output channels of a 24 → 24 regular C4 layer.
  using G = eqr::C4;
  using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 24>>;
  eqr::EquivariantConv<G, Reg, Reg, B> eq(eqr::EquivariantConvOptions(3).seed(5));
  CHECK(B::squared_norm(eq.expanded_filter()) / 96 == doctest::Approx(1.0).epsilon(0.1));
  eqr::EquivariantConv<G, Reg, Reg, B> eq_zero(eqr::EquivariantConvOptions(3).init(eqr::nn::Init::zeros));
  CHECK(B::squared_norm(eq_zero.expanded_filter()) == 0.0);
}

TEST_CASE("Options and inputs are validated with messages naming what was expected and found") {
  using G = eqr::C4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Regular<G>>;
  CHECK_THROWS_AS((eqr::EquivariantConv<G, Tr, Reg, B>(eqr::EquivariantConvOptions(4))), eqr::value_error);
  CHECK_THROWS_AS(
      (eqr::EquivariantConv<G, Tr, Reg, B>(eqr::EquivariantConvOptions(3).init(eqr::nn::Init::pytorch_default))),
      eqr::value_error);
  using G8 = eqr::C8;
  CHECK_THROWS_WITH_AS(
      (eqr::EquivariantConv<G8, eqr::FieldType<G8, eqr::Trivial<G8>>, eqr::FieldType<G8, eqr::Regular<G8>>, B>(
          eqr::EquivariantConvOptions(3).basis(eqr::BasisSolver::grid))),
      "EquivariantConv: expected a group that maps the pixel grid onto itself (C1, C2, C4, D1, D2, D4) for the grid "
      "basis, found C8; use BasisSolver::harmonic",
      eqr::value_error);
  CHECK_THROWS_AS(eqr::Conv<B>(eqr::ConvOptions(3, 3, 2)), eqr::value_error);
  CHECK_THROWS_AS(eqr::Conv<B>(eqr::ConvOptions(3, 3, 3).init(eqr::nn::Init::e2cnn)), eqr::value_error);
  CHECK_THROWS_AS(static_cast<void>(eqr::parse_basis_solver("fourier")), eqr::value_error);
  CHECK(eqr::parse_basis_solver("grid") == eqr::BasisSolver::grid);
  CHECK(eqr::nn::parse_init("he") == eqr::nn::Init::he);
  CHECK_THROWS_AS(static_cast<void>(eqr::nn::parse_init("xavier")), eqr::value_error);

  eqr::EquivariantConv<G, Tr, Reg, B> lift(eqr::EquivariantConvOptions(3));
  CHECK_THROWS_WITH_AS(lift.forward(B::zeros({1, 2, 5, 5})),
                       "EquivariantConv C4[trivial] -> C4[regular]: expected an input with 1 channels, found 1×2×5×5",
                       eqr::shape_error);
  eqr::Conv<B> conv(eqr::ConvOptions(3, 4, 3));
  CHECK_THROWS_WITH_AS(conv.forward(B::zeros({1, 2, 5, 5})),
                       "Conv: expected an input with 3 channels (N×3×H×W), found 1×2×5×5", eqr::shape_error);
  CHECK_THROWS_AS((eqr::PointwiseNonlinearity<Reg, B>().forward(B::zeros({1, 3, 5, 5}))), eqr::shape_error);
  CHECK_THROWS_AS((eqr::PointwiseNonlinearity<Reg, B>(eqr::Activation::elu(-1.0))), eqr::value_error);
  CHECK_THROWS_AS((eqr::GroupPooling<Reg, B>().forward(B::zeros({1, 3, 5, 5}))), eqr::shape_error);
  CHECK_THROWS_AS((eqr::NormNonlinearity<Reg, B>().forward(B::zeros({1, 3, 5, 5}))), eqr::shape_error);
}

TEST_CASE("Parameter names are stable and hierarchical") {
  using G = eqr::C4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Regular<G>>;
  using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
  using Mid = eqr::EquivariantConv<G, Reg, Reg, B>;
  using Phi = eqr::PointwiseNonlinearity<Reg, B>;
  using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
  const auto o = eqr::EquivariantConvOptions(3);
  eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Mid, eqr::NormNonlinearity<Reg, B>>>, Proj> net(
      Lift(o), Phi(), eqr::Residual(eqr::Sequential<Mid, eqr::NormNonlinearity<Reg, B>>(Mid(o), eqr::NormNonlinearity<Reg, B>(-0.1))), Proj(o));
  std::vector<std::string> names;
  net.visit_parameters("prox", [&](const std::string& n, eqr::nn::Parameter<B>&) { names.push_back(n); });
  CHECK(names == std::vector<std::string>{"prox.0.coefficients", "prox.0.bias", "prox.2.body.0.coefficients",
                                          "prox.2.body.0.bias", "prox.2.body.1.bias", "prox.3.coefficients",
                                          "prox.3.bias"});
}

TEST_CASE("Backward passes accumulate parameter gradients until zero_grad") {
  using G = eqr::C4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Regular<G>>;
  using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
  using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
  eqr::Sequential<Lift, eqr::NormNonlinearity<Reg, B>, Proj> net(Lift(eqr::EquivariantConvOptions(3).seed(1)),
                                                                 eqr::NormNonlinearity<Reg, B>(-0.1),
                                                                 Proj(eqr::EquivariantConvOptions(3).seed(2)));
  const Tensor x = random_tensor({1, 1, 6, 6}, 1), dy = random_tensor({1, 1, 6, 6}, 2);
  decltype(net)::context ctx;
  net.forward(x, ctx);
  eqr::nn::zero_grad(net);
  net.backward(ctx, dy);
  std::vector<std::vector<float>> once;
  net.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<B>& p) { once.push_back(B::to_host(p.grad)); });
  net.backward(ctx, dy);  // the same contribution again: every gradient doubles
  std::size_t i = 0;
  net.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    const auto twice = B::to_host(p.grad);
    INFO(name);
    CHECK(B::squared_norm(p.grad) > 0);
    for (std::size_t j = 0; j < twice.size(); ++j) CHECK(twice[j] == doctest::Approx(2.0 * once[i][j]).epsilon(1e-6));
    ++i;
  });
  eqr::nn::zero_grad(net);
  CHECK(eqr::nn::gradient_norm(net) == 0.0);
}
