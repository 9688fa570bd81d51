// Every layer, the prox networks, the optimisers, checkpoints, the Module wrapper and the PyTorch export on
// the LibTorch backend (CPU), against the CPU backend: the same parameters and inputs give the same outputs
// and gradients (1e-5 relative in float, 1e-13 in double), optimiser steps agree, checkpoints load across
// backends, the export reproduces the network through plain torch::conv2d, and a C4 prox network on the
// torch backend commutes with rot90; the torch backend's layer gradients equal central finite differences
// (double) on their own, without the CPU backend; eqr::train follows the same trajectory on both backends.
#include "../support/torch_doctest.hpp"

#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/backends/torch/torch.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/checkpoint.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/cross_backend.hpp"
#include "../support/finite_differences.hpp"

namespace {

using eqr::Padding;
using eqr::Shape4;
using eqr::testing::agree;

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-13;
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("eqr_test_torch_layers_" + std::to_string(::getpid()) + "_" + name);
}

constexpr Padding paddings[] = {Padding::zeros, Padding::replicate};

template <class G, class Tr, class Reg, class T>
void equivariant_conv_agreement(eqr::BasisSolver basis, int k) {
  using CB = eqr::cpu::CpuBackend<T>;
  using TB = eqr::libtorch::TorchBackend<T>;
  for (Padding pad : paddings) {
    const auto o = eqr::EquivariantConvOptions(k).padding(pad).basis(basis).seed(3);
    const std::string what = std::string(G::name()) + (basis == eqr::BasisSolver::grid ? " grid " : " harmonic ") +
                             std::string(eqr::name(pad));
    agree<CB, TB>([&](auto tag) { return eqr::EquivariantConv<G, Tr, Reg, typename decltype(tag)::type>(o); },
                  {2, Tr::channels(), 6, 5}, 21, tolerance<T>(), what + " lift");
    agree<CB, TB>([&](auto tag) { return eqr::EquivariantConv<G, Reg, Reg, typename decltype(tag)::type>(o); },
                  {1, Reg::channels(), 5, 5}, 23, tolerance<T>(), what + " group");
    agree<CB, TB>([&](auto tag) { return eqr::EquivariantConv<G, Reg, Tr, typename decltype(tag)::type>(o); },
                  {2, Reg::channels(), 4, 6}, 25, tolerance<T>(), what + " project");
  }
}

}  // namespace

TEST_CASE_TEMPLATE("Conv agrees across backends: both paddings, with and without bias, k = 1, 3, 5", T, float, double) {
  using CB = eqr::cpu::CpuBackend<T>;
  using TB = eqr::libtorch::TorchBackend<T>;
  for (Padding pad : paddings)
    for (bool bias : {false, true})
      for (std::size_t k : {1u, 3u, 5u}) {
        const auto o = eqr::ConvOptions(3, 4, k).padding(pad).bias(bias).seed(k);
        agree<CB, TB>([&](auto tag) { return eqr::Conv<typename decltype(tag)::type>(o); }, {2, 3, 7, 6}, 11,
                      tolerance<T>(), "conv k=" + std::to_string(k) + (bias ? " bias " : " ") + std::string(eqr::name(pad)));
      }
}

TEST_CASE_TEMPLATE("EquivariantConv agrees across backends: C4 and D4, lifting/group/projection, both bases", T, float,
                   double) {
  using C4 = eqr::C4;
  using D4 = eqr::D4;
  equivariant_conv_agreement<C4, eqr::FieldType<C4, eqr::Trivial<C4>>, eqr::FieldType<C4, eqr::Copies<eqr::Regular<C4>, 2>>, T>(
      eqr::BasisSolver::harmonic, 3);
  equivariant_conv_agreement<C4, eqr::FieldType<C4, eqr::Trivial<C4>>, eqr::FieldType<C4, eqr::Regular<C4>>, T>(
      eqr::BasisSolver::grid, 3);
  equivariant_conv_agreement<D4, eqr::FieldType<D4, eqr::Trivial<D4>>, eqr::FieldType<D4, eqr::Regular<D4>>, T>(
      eqr::BasisSolver::harmonic, 3);
  equivariant_conv_agreement<D4, eqr::FieldType<D4, eqr::Trivial<D4>>, eqr::FieldType<D4, eqr::Regular<D4>>, T>(
      eqr::BasisSolver::grid, 5);
}

TEST_CASE_TEMPLATE("Nonlinearities and group pooling agree across backends", T, float, double) {
  using CB = eqr::cpu::CpuBackend<T>;
  using TB = eqr::libtorch::TorchBackend<T>;
  using G = eqr::C4;
  using Reg = eqr::FieldType<G, eqr::Regular<G>, eqr::Trivial<G>>;
  for (eqr::Activation phi : {eqr::Activation::leaky_relu(0.01), eqr::Activation::relu(), eqr::Activation::elu(1.0),
                              eqr::Activation::tanh(), eqr::Activation::identity()})
    agree<CB, TB>([&](auto tag) { return eqr::PointwiseNonlinearity<Reg, typename decltype(tag)::type>(phi); },
                  {2, 5, 3, 4}, 41, tolerance<T>(), eqr::to_string(phi));
  using Irr = eqr::FieldType<G, eqr::Irrep<G, 0, 1>, eqr::Regular<G>, eqr::Trivial<G>>;
  agree<CB, TB>([](auto tag) { return eqr::NormNonlinearity<Irr, typename decltype(tag)::type>(0.0); }, {2, 7, 3, 3}, 43,
                tolerance<T>(), "norm relu");
  // Runs of equally sized fields (three regular fields, then two irreps of size 2): one device view each.
  using Runs = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>, eqr::Copies<eqr::Irrep<G, 0, 1>, 2>>;
  agree<CB, TB>([](auto tag) { return eqr::NormNonlinearity<Runs, typename decltype(tag)::type>(0.1); }, {2, 16, 3, 4},
                44, tolerance<T>(), "norm relu on runs of fields");
  agree<CB, TB>([](auto tag) { return eqr::GroupPooling<Reg, typename decltype(tag)::type, eqr::PoolMode::max>(); },
                {2, 5, 3, 3}, 45, tolerance<T>(), "max pooling");
  agree<CB, TB>([](auto tag) { return eqr::GroupPooling<Reg, typename decltype(tag)::type, eqr::PoolMode::mean>(); },
                {2, 5, 3, 3}, 47, tolerance<T>(), "mean pooling");
}

TEST_CASE("EquivariantConv and NormNonlinearity run on the device: training forward and backward make no host transfer") {
  // Every call that would wait for a GPU (copies to and from the host, reductions read back) is counted by
  // the backend; the filter expansion, the bias expansion and the norm kernels must make none.
  using TB = eqr::libtorch::TorchBackend<float>;
  using G = eqr::C4;
  using Hidden = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 2>, eqr::Irrep<G, 0, 1>>;
  eqr::EquivariantConv<G, Hidden, Hidden, TB> conv(eqr::EquivariantConvOptions(3).padding(Padding::replicate));
  eqr::NormNonlinearity<Hidden, TB> norm(0.1);
  const auto x = TB::from_host({2, Hidden::channels(), 6, 6}, eqr::testing::random_host<float>(2 * 10 * 36, 5));
  const auto dy = TB::from_host({2, Hidden::channels(), 6, 6}, eqr::testing::random_host<float>(2 * 10 * 36, 6));
  const auto before = eqr::libtorch::host_synchronisations().load();
  typename decltype(conv)::context cc;
  typename decltype(norm)::context nc;
  const auto h = conv.forward(x, cc);
  const auto y = norm.forward(h, nc);
  (void)conv.backward(cc, norm.backward(nc, dy));
  (void)conv.export_conv();
  CHECK(eqr::libtorch::host_synchronisations().load() - before == 0);
  CHECK(y.sizes() == dy.sizes());
  // The counter does count: one reduction read back.
  (void)TB::squared_norm(y);
  CHECK(eqr::libtorch::host_synchronisations().load() - before == 1);
}

TEST_CASE_TEMPLATE("Sequential, Residual and Parallel agree across backends", T, float, double) {
  using CB = eqr::cpu::CpuBackend<T>;
  using TB = eqr::libtorch::TorchBackend<T>;
  using G = eqr::C4;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 2>>;
  for (Padding pad : paddings) {
    const auto o = eqr::EquivariantConvOptions(3).padding(pad);
    const auto chain = [&](auto tag) {
      using B = typename decltype(tag)::type;
      using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
      using Mid = eqr::EquivariantConv<G, Reg, Reg, B>;
      using Phi = eqr::PointwiseNonlinearity<Reg, B>;
      using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
      return eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Mid, Phi>>, Proj>(
          Lift(eqr::EquivariantConvOptions(o).seed(1)), Phi(),
          eqr::Residual(eqr::Sequential<Mid, Phi>(Mid(eqr::EquivariantConvOptions(o).seed(2)), Phi())),
          Proj(eqr::EquivariantConvOptions(o).seed(3)));
    };
    agree<CB, TB>(chain, {2, 1, 5, 6}, 51, tolerance<T>(), "lift-phi-residual-project");
    const auto parallel = [&](auto tag) {
      using B = typename decltype(tag)::type;
      return eqr::Parallel<eqr::EquivariantConv<G, Tr, Reg, B>, eqr::EquivariantConv<G, Tr, Tr, B>>(
          eqr::EquivariantConv<G, Tr, Reg, B>(o), eqr::EquivariantConv<G, Tr, Tr, B>(o));
    };
    agree<CB, TB>(parallel, {1, 1, 4, 4}, 53, tolerance<T>(), "parallel");
    const auto pooled = [&](auto tag) {
      using B = typename decltype(tag)::type;
      return eqr::Sequential<eqr::EquivariantConv<G, Tr, Reg, B>, eqr::GroupPooling<Reg, B>>(
          eqr::EquivariantConv<G, Tr, Reg, B>(o), eqr::GroupPooling<Reg, B>());
    };
    agree<CB, TB>(pooled, {1, 1, 4, 4}, 55, tolerance<T>(), "lift-pool");
  }
}

TEST_CASE_TEMPLATE("ProxNetwork (ordinary and C4, harmonic and grid) agrees across backends", T, float, double) {
  using CB = eqr::cpu::CpuBackend<T>;
  using TB = eqr::libtorch::TorchBackend<T>;
  agree<CB, TB>([](auto tag) { return eqr::make_ordinary_prox<typename decltype(tag)::type>(2, 1, 8, 5); },
                {2, 2, 6, 7}, 61, tolerance<T>(), "ordinary prox");
  for (auto basis : {eqr::BasisSolver::harmonic, eqr::BasisSolver::grid})
    agree<CB, TB>([&](auto tag) { return eqr::make_equivariant_prox<eqr::C4, 2, 2, 1, typename decltype(tag)::type>(7, basis); },
                  {2, 2, 6, 6}, 63, tolerance<T>(), "C4 prox");
}

TEST_CASE_TEMPLATE("Adam (L2 and decoupled) and SGD (momentum, Nesterov) steps agree across backends", T, float, double) {
  using CB = eqr::cpu::CpuBackend<T>;
  using TB = eqr::libtorch::TorchBackend<T>;
  const auto make = [](auto tag) { return eqr::make_ordinary_prox<typename decltype(tag)::type>(1, 1, 4, 9); };
  auto run = [&](auto& cpu_opt, auto& torch_opt, const std::string& what) {
    auto cpu = make(eqr::testing::backend_tag<CB>{});
    auto tor = make(eqr::testing::backend_tag<TB>{});
    eqr::testing::randomise_parameters(cpu, 3);
    eqr::testing::copy_parameters(cpu, tor);
    for (int step = 0; step < 3; ++step) {
      // Identical random gradients on both sides, so only the update rule is compared.
      eqr::testing::set_same_random_gradients(cpu, tor, 50 + 10 * static_cast<std::uint64_t>(step));
      cpu_opt.step(cpu);
      torch_opt.step(tor);
    }
    const auto a = eqr::testing::values_of(tor), b = eqr::testing::values_of(cpu);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      INFO(what << ": parameter " << i);
      CHECK(eqr::testing::max_relative_difference(a[i], b[i]) <= (std::is_same_v<T, float> ? 1e-6 : 1e-14));
    }
  };
  for (bool decoupled : {false, true}) {
    const auto o = eqr::nn::AdamOptions().lr(0.05).weight_decay(0.1).decoupled(decoupled);
    eqr::nn::Adam<CB> ca(o);
    eqr::nn::Adam<TB> ta(o);
    run(ca, ta, decoupled ? "AdamW" : "Adam");
  }
  for (bool nesterov : {false, true}) {
    const auto o = eqr::nn::SgdOptions().lr(0.1).momentum(0.9).weight_decay(0.01).nesterov(nesterov);
    eqr::nn::Sgd<CB> cs(o);
    eqr::nn::Sgd<TB> ts(o);
    run(cs, ts, nesterov ? "SGD Nesterov" : "SGD momentum");
  }
  {
    const auto o = eqr::nn::SgdOptions().lr(0.1);
    eqr::nn::Sgd<CB> cs(o);
    eqr::nn::Sgd<TB> ts(o);
    run(cs, ts, "plain SGD");
  }
}

TEST_CASE("A copied network is independent on the torch backend too: an SGD step on the copy leaves the original") {
  using TB = eqr::libtorch::TorchBackend<float>;
  auto original = eqr::make_ordinary_prox<TB>(1, 1, 4, 9);
  eqr::testing::randomise_parameters(original, 3);
  const auto before = eqr::testing::values_of(original);
  auto copy = original;
  copy.visit_parameters("", [](const std::string&, eqr::nn::Parameter<TB>& p) { TB::fill(p.grad, 1.0f); });
  eqr::nn::Sgd<TB> sgd(eqr::nn::SgdOptions().lr(0.5));
  sgd.step(copy);
  const auto after = eqr::testing::values_of(original), moved = eqr::testing::values_of(copy);
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    CHECK(eqr::testing::max_relative_difference(after[i], before[i]) == 0.0);
    CHECK(eqr::testing::max_relative_difference(moved[i], before[i]) > 0.0);
  }
}

TEST_CASE("Checkpoints written on one backend load into the other (parameters and Adam state)") {
  using CB = eqr::cpu::CpuBackend<float>;
  using TB = eqr::libtorch::TorchBackend<float>;
  auto cpu = eqr::make_equivariant_prox<eqr::C4, 1, 2, 1, CB>(3);
  auto tor = eqr::make_equivariant_prox<eqr::C4, 1, 2, 1, TB>(99);
  eqr::testing::randomise_parameters(cpu, 5);
  eqr::testing::randomise_parameters(tor, 6);
  const auto path = temp_file("cpu.eqrckpt");
  eqr::nn::save_checkpoint(path, cpu);
  eqr::nn::load_checkpoint(path, tor);
  CHECK(eqr::testing::values_of(tor) == eqr::testing::values_of(cpu));

  // Adam state saved on the torch backend continues identically on the CPU backend.
  eqr::nn::Adam<TB> ta(eqr::nn::AdamOptions().lr(0.01));
  eqr::testing::randomise_parameters(tor, 7);
  tor.visit_parameters("", [](const std::string&, eqr::nn::Parameter<TB>& p) { TB::fill(p.grad, 0.25f); });
  ta.step(tor);
  const auto path2 = temp_file("torch.eqrckpt");
  eqr::nn::save_checkpoint(path2, tor, ta);
  eqr::nn::Adam<CB> ca(eqr::nn::AdamOptions().lr(0.01));
  eqr::nn::load_checkpoint(path2, cpu, ca);
  CHECK(ca.steps() == 1);
  CHECK(eqr::testing::values_of(cpu) == eqr::testing::values_of(tor));
  ta.step(tor);
  cpu.visit_parameters("", [](const std::string&, eqr::nn::Parameter<CB>& p) { CB::fill(p.grad, 0.25f); });
  ca.step(cpu);
  const auto a = eqr::testing::values_of(tor), b = eqr::testing::values_of(cpu);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(eqr::testing::max_relative_difference(a[i], b[i]) <= 1e-6);
  std::filesystem::remove(path);
  std::filesystem::remove(path2);
}

TEST_CASE("EqrModule: a torch::nn::Module whose forward is the eqr forward, parameters under the eqr names") {
  using TB = eqr::libtorch::TorchBackend<float>;
  auto net = eqr::make_equivariant_prox<eqr::C4, 1, 2, 1, TB>(3);
  eqr::testing::randomise_parameters(net, 11);
  const auto x = TB::from_host({2, 1, 6, 6}, eqr::testing::random_host<float>(72, 12));
  const auto expected = TB::to_host(net.forward(x));
  eqr::libtorch::EqrModule module(net);
  const std::vector<std::string> names = eqr::nn::parameter_names(net);
  const auto params = module.named_parameters();
  REQUIRE(params.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(params[i].key() == names[i]);
    CHECK_FALSE(params[i].value().requires_grad());
  }
  CHECK(names.front() == "lift.coefficients");
  // forward through the Module interface: the same values, also from a double input (converted).
  torch::nn::Module& base = module;
  CHECK(base.named_parameters().size() == names.size());
  CHECK(TB::to_host(module.forward(x)) == expected);
  CHECK(eqr::testing::max_relative_difference(TB::to_host(module.forward(x.to(torch::kFloat64))), expected) == 0.0);
  CHECK_FALSE(module.forward(x).requires_grad());
  CHECK_THROWS_AS((void)module.forward(torch::zeros({6, 6})), eqr::shape_error);
  // The registered tensors are the network's: an in-place change is visible, and sync follows replacements.
  auto& coefficients = module.network().lift().coefficients().value;
  TB::scale(coefficients, 2.0f);
  CHECK(TB::to_host(module.named_parameters()["lift.coefficients"]) == TB::to_host(coefficients));
  coefficients = TB::zeros(TB::shape(coefficients));
  CHECK(TB::sum(module.named_parameters()["lift.coefficients"]) != 0.0);
  module.sync_parameters();
  CHECK(TB::sum(module.named_parameters()["lift.coefficients"]) == 0.0);
  CHECK(TB::squared_norm(module.forward(x)) == TB::squared_norm(module.network().forward(x)));
}

TEST_CASE("PyTorch export: plain-conv weights that torch::conv2d + replicate pad + leaky ReLU turn into the network") {
  using TB = eqr::libtorch::TorchBackend<float>;
  auto net = eqr::make_equivariant_prox<eqr::C4, 2, 3, 1, TB>(4);
  eqr::testing::randomise_parameters(net, 21);
  const auto path = temp_file("prox.pt");
  eqr::libtorch::save_for_pytorch(net, path);
  const auto sd = eqr::libtorch::load_pytorch_state_dict(path);
  std::filesystem::remove(path);
  // Names in order; nn.Conv2d shapes: weight C_out × C_in × 3 × 3, bias C_out (C4 regular fields: 3·4 = 12).
  REQUIRE(sd.size() == 6);
  const std::vector<std::string> names{"lift.weight",    "lift.bias",    "intermediate.weight",
                                       "intermediate.bias", "project.weight", "project.bias"};
  const std::vector<std::vector<std::int64_t>> shapes{{12, 2, 3, 3}, {12}, {12, 12, 3, 3}, {12}, {1, 12, 3, 3}, {1}};
  for (std::size_t i = 0; i < sd.size(); ++i) {
    CHECK(sd[i].first == names[i]);
    CHECK(sd[i].second.sizes().vec() == shapes[i]);
    CHECK((sd[i].second.scalar_type() == torch::kFloat32));
    CHECK(sd[i].second.device().is_cpu());
  }
  // An independent reference: the paper's prox network written with plain LibTorch functions.
  auto tensor = [&](const std::string& name) {
    for (const auto& [n, t] : sd)
      if (n == name) return t;
    FAIL("missing " << name);
    return torch::Tensor();
  };
  namespace F = torch::nn::functional;
  auto conv = [&](const torch::Tensor& v, const std::string& p) {
    return torch::conv2d(F::pad(v, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate)), tensor(p + ".weight"),
                         tensor(p + ".bias"));
  };
  auto leaky = [](const torch::Tensor& v) { return F::leaky_relu(v, F::LeakyReLUFuncOptions().negative_slope(0.01)); };
  const auto x = TB::from_host({2, 2, 7, 7}, eqr::testing::random_host<float>(196, 22));
  const auto h = leaky(conv(x, "lift"));
  const auto y = conv(h + leaky(conv(h, "intermediate")), "project");
  const auto expected = TB::to_host(net.forward(x));
  CHECK(eqr::testing::max_relative_difference(TB::to_host(y.contiguous()), expected) <= 1e-5);
  // The ordinary network exports its weights unchanged.
  auto plain = eqr::make_ordinary_prox<TB>(1, 1, 4, 2);
  const auto psd = eqr::libtorch::pytorch_state_dict(plain);
  REQUIRE(psd.size() == 6);
  CHECK(TB::to_host(psd[0].second) == TB::to_host(plain.lift().weight().value));
  CHECK(psd[5].second.sizes().vec() == std::vector<std::int64_t>{1});
  CHECK_THROWS_AS((void)eqr::libtorch::load_pytorch_state_dict(temp_file("does-not-exist.pt")), eqr::io_error);
  // An unrolled learned proximal gradient method: one network per iteration, and ‖A‖.
  using Net = eqr::OrdinaryProx<TB>;
  const auto lpg_options = eqr::LearnedProximalGradientOptions().iterations(2).memory(1);
  std::vector<Net> nets{eqr::make_ordinary_prox<TB>(3, 2, 4, 1), eqr::make_ordinary_prox<TB>(3, 2, 4, 4)};
  eqr::LearnedProximalGradient<TB, eqr::Identity<TB>, Net> lpg(eqr::Identity<TB>(5, 5), 1.5, 1, nets, lpg_options);
  const auto lsd = eqr::libtorch::pytorch_state_dict(lpg);
  REQUIRE(lsd.size() == 13);
  CHECK(lsd[0].first == "iteration0.lift.weight");
  CHECK(lsd[6].first == "iteration1.lift.weight");
  CHECK(TB::to_host(lsd[6].second) == TB::to_host(lpg.network(1).lift().weight().value));
  CHECK(lsd[12].first == "operator_norm");
  CHECK(lsd[12].second.item<double>() == 1.5);
}

TEST_CASE("A C4 prox network on the torch backend commutes with rot90 (float tolerance)") {
  using TB = eqr::libtorch::TorchBackend<float>;
  for (auto basis : {eqr::BasisSolver::harmonic, eqr::BasisSolver::grid}) {
    auto net = eqr::make_equivariant_prox<eqr::C4, 1, 3, 1, TB>(8, basis);
    eqr::testing::randomise_parameters(net, 31);
    const auto x = TB::from_host({2, 1, 9, 9}, eqr::testing::random_host<float>(162, 32));
    const auto y = net.forward(x);
    for (int q = 1; q <= 3; ++q) {
      const auto rotated_out = net.forward(torch::rot90(x, q, {2, 3}).contiguous());
      const auto out_rotated = torch::rot90(y, q, {2, 3}).contiguous();
      CHECK(eqr::testing::max_relative_difference(TB::to_host(rotated_out), TB::to_host(out_rotated)) <= 1e-5);
    }
  }
  // The ordinary network is not equivariant (the check can fail).
  auto plain = eqr::make_ordinary_prox<TB>(1, 1, 4, 2);
  eqr::testing::randomise_parameters(plain, 33);
  const auto x = TB::from_host({1, 1, 9, 9}, eqr::testing::random_host<float>(81, 34));
  CHECK(eqr::testing::max_relative_difference(TB::to_host(plain.forward(torch::rot90(x, 1, {2, 3}).contiguous())),
                                              TB::to_host(torch::rot90(plain.forward(x), 1, {2, 3}).contiguous())) > 1e-2);
}

TEST_CASE("eqr::train runs unchanged on the torch backend and follows the CPU backend step for step (double)") {
  using CB = eqr::cpu::CpuBackend<double>;
  using TB = eqr::libtorch::TorchBackend<double>;
  // Denoising pairs: target a random image, input the target plus noise; 4 pairs, 8 steps, batch 2.
  const Shape4 s{1, 1, 6, 6};
  eqr::nn::PairList<CB> cpu_pairs;
  eqr::nn::PairList<TB> torch_pairs;
  for (std::uint64_t i = 0; i < 4; ++i) {
    const auto target = eqr::testing::random_host<double>(s.numel(), 70 + i);
    auto input = eqr::testing::random_host<double>(s.numel(), 80 + i, 0.2);
    for (std::size_t j = 0; j < input.size(); ++j) input[j] += target[j];
    cpu_pairs.pairs.push_back({CB::from_host(s, input), CB::from_host(s, target)});
    torch_pairs.pairs.push_back({TB::from_host(s, input), TB::from_host(s, target)});
  }
  auto cpu = eqr::make_equivariant_prox<eqr::C4, 1, 2, 1, CB>(5);
  auto tor = eqr::make_equivariant_prox<eqr::C4, 1, 2, 1, TB>(5);
  eqr::testing::copy_parameters(cpu, tor);
  const auto options = eqr::TrainingOptions().steps(8).batch(2).lr(1e-2).seed(3).progress(eqr::Progress::none);
  const auto rc = eqr::train(cpu, cpu_pairs, eqr::nn::PairList<CB>{}, options);
  const auto rt = eqr::train(tor, torch_pairs, eqr::nn::PairList<TB>{}, options);
  REQUIRE(rc.log.size() == 8);
  REQUIRE(rt.log.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(rt.log[i].loss == doctest::Approx(rc.log[i].loss).epsilon(1e-10));
    CHECK(rt.log[i].grad_norm == doctest::Approx(rc.log[i].grad_norm).epsilon(1e-9));
  }
  CHECK(rc.log.back().loss < rc.log.front().loss);  // it really trained
  const auto a = eqr::testing::values_of(tor), b = eqr::testing::values_of(cpu);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(eqr::testing::max_relative_difference(a[i], b[i]) <= 1e-9);
}

TEST_CASE("Layer gradients on the torch backend equal central finite differences (double, no CPU reference)") {
  using TB = eqr::libtorch::TorchBackend<double>;
  // L(x, θ) = ⟨f(x; θ), r⟩: dL/dx = backward(r), dL/dθ = the accumulated parameter gradients.
  auto check = [](auto& layer, Shape4 xs, std::uint64_t seed, const std::string& what) {
    using L = std::remove_cvref_t<decltype(layer)>;
    eqr::testing::randomise_parameters(layer, seed);
    auto xv = eqr::testing::random_host<double>(xs.numel(), seed + 1);
    typename L::context ctx;
    const auto y = layer.forward(TB::from_host(xs, xv), ctx);
    const auto r = TB::from_host(TB::shape(y), eqr::testing::random_host<double>(TB::shape(y).numel(), seed + 2));
    eqr::nn::zero_grad(layer);
    const auto dx = TB::to_host(layer.backward(ctx, r));
    const double h = 1e-6;
    const auto numeric_x =
        eqr::testing::central_differences(xv, [&] { return TB::dot(layer.forward(TB::from_host(xs, xv)), r); }, h);
    INFO(what);
    CHECK(eqr::testing::max_relative_difference(dx, numeric_x) <= 1e-6);
    const auto x = TB::from_host(xs, xv);
    layer.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<TB>& p) {
      const auto analytic = TB::to_host(p.grad);
      const Shape4 ps = TB::shape(p.value);
      std::vector<double> v = TB::to_host(p.value);
      const auto numeric = eqr::testing::central_differences(
          v,
          [&] {
            p.value = TB::from_host(ps, v);
            return TB::dot(layer.forward(x), r);
          },
          h);
      p.value = TB::from_host(ps, v);
      INFO(what << ": parameter " << name);
      CHECK(eqr::testing::max_relative_difference(analytic, numeric) <= 1e-6);
    });
  };
  for (Padding pad : paddings) {
    eqr::Conv<TB> conv(eqr::ConvOptions(2, 3, 3).padding(pad));
    check(conv, {2, 2, 5, 4}, 1, "conv " + std::string(eqr::name(pad)));
  }
  auto ordinary = eqr::make_ordinary_prox<TB>(1, 1, 3, 2);
  check(ordinary, {1, 1, 5, 5}, 11, "ordinary prox");
  auto c4 = eqr::make_equivariant_prox<eqr::C4, 1, 1, 1, TB>(3);
  check(c4, {1, 1, 5, 5}, 21, "C4 prox");
  using G = eqr::C4;
  using Reg = eqr::FieldType<G, eqr::Regular<G>, eqr::Trivial<G>>;
  eqr::GroupPooling<Reg, TB> pool;
  check(pool, {2, 5, 3, 3}, 31, "max pooling");
}
