// Tests of LearnedPrimalDual (Adler & Öktem 2018): closed forms with linear 1×1 networks (Landweber-type
// steps on the normalised data term; with Np = 2 hand-computed for the dual step reading f⁽²⁾, Adler &
// Öktem's default, and f⁽¹⁾), reverse mode of the whole unrolled method against central differences in
// double (both choices), gradient checkpointing against plain storage (both choices), invariance to the
// operator's units, parameter names, bad input, end-to-end rot90 equivariance for denoising (and the
// measured error for CT) with both choices, and a short training run whose checkpoint restores the method.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/algorithms/learned_factories.hpp"
#include "eqr/algorithms/learned_primal_dual.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/data/phantoms.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/nn/checkpoint.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/learned_helpers.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

using eqr::Shape4;
using DB = Cpu<double>;
using FB = Cpu<float>;

using eqr::testing::make_test_operator;
using eqr::testing::normal_tensor;
using eqr::testing::randomise_normal;
using eqr::testing::relative_difference;
using eqr::testing::rot90;
using eqr::testing::rotate_sinogram;
using eqr::testing::TempDir;
using eqr::testing::TestOperator;

using OrdNet = eqr::OrdinaryProx<DB>;
using Lpd = eqr::LearnedPrimalDual<DB, TestOperator<DB>, OrdNet, OrdNet>;
using eqr::PrimalChannel;

std::string name_of(PrimalChannel p) { return p == PrimalChannel::first ? "f1" : "f2"; }

/// An LPD on the test operator (c = 1, c_y = 2) with small ordinary networks, all parameters random.
Lpd make_method(const TestOperator<DB>& op, int iterations, int np, int nd, bool shared, bool checkpointing,
                std::uint64_t seed, double norm = 0.0, PrimalChannel reads = PrimalChannel::second) {
  const auto options = eqr::LearnedPrimalDualOptions()
                           .iterations(iterations)
                           .primal_memory(np)
                           .dual_memory(nd)
                           .shared_weights(shared)
                           .checkpointing(checkpointing)
                           .dual_reads(reads);
  if (norm == 0.0) norm = eqr::opnorm(op, 200);
  Lpd method = eqr::make_learned_primal_dual_ordinary<DB>(op, norm, 1, 2, options, 3, seed);
  randomise_normal<DB>(method, seed + 1000, 0.3);
  return method;
}

/// L = ½‖f⁽¹⁾ − t‖² of a forward pass.
double loss_of(const Lpd& method, const DB::tensor_type& y, const DB::tensor_type& f0, const DB::tensor_type& t) {
  return 0.5 * DB::squared_norm(DB::subtract(method.forward(y, f0), t));
}

std::vector<std::vector<double>> gradients(Lpd& method) {
  std::vector<std::vector<double>> g;
  method.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<DB>& p) { g.push_back(DB::to_host(p.grad)); });
  return g;
}

}  // namespace

static_assert(eqr::Layer<Lpd>, "The learned primal-dual method must itself satisfy the Layer concept.");
static_assert(eqr::LinearOperatorOn<eqr::Radon<Cpu<float>>, FB>, "The Radon transform must be usable by LPD.");
static_assert(!eqr::LinearOperatorOn<int, FB>, "An int is not a forward operator.");

TEST_CASE("with linear 1x1 networks, LPD performs Landweber-type steps on the normalised data term") {
  // Γ([h, a, ỹ]) = ỹ − a and Λ([f, b]) = τ b, so (Nd = Np = 1)
  //   h₁ = ỹ − Ãf₀,  f₁ = f₀ + τÃᵀh₁,  h₂ = h₁ + ỹ − Ãf₁,  f₂ = f₁ + τÃᵀh₂,  with Ã = A/ν, ỹ = y/ν.
  // With Np = 1 there is no second primal group: the dual step reads f⁽¹⁾ whichever group is asked for.
  using Net = eqr::Conv<DB>;
  using Linear = eqr::LearnedPrimalDual<DB, TestOperator<DB>, Net, Net>;
  eqr::Random rng(2);
  const auto op = make_test_operator<DB>(4, 5, rng);
  const double nu = 2.5, tau = 0.7;
  Net dual(eqr::ConvOptions(6, 2, 1).bias(false).init(eqr::nn::Init::zeros));
  Net primal(eqr::ConvOptions(2, 1, 1).bias(false).init(eqr::nn::Init::zeros));
  auto wd = DB::to_host(dual.weight().value);
  for (std::size_t o = 0; o < 2; ++o) {
    wd[o * 6 + 2 + o] = -1.0;  // − a
    wd[o * 6 + 4 + o] = 1.0;   // + ỹ
  }
  dual.weight().value = DB::from_host({2, 6, 1, 1}, std::span<const double>(wd));
  primal.weight().value = DB::from_host({1, 2, 1, 1}, std::span<const double>(std::vector<double>{0.0, tau}));
  const auto options = eqr::LearnedPrimalDualOptions().iterations(2).primal_memory(1).dual_memory(1).shared_weights(true);
  CHECK(options.dual_reads() == PrimalChannel::second);  // Adler & Öktem's choice is the default
  const Linear method(op, nu, 1, 2, {primal}, {dual}, options);
  const Linear method_first(op, nu, 1, 2, {primal}, {dual},
                            eqr::LearnedPrimalDualOptions(options).dual_reads(PrimalChannel::first));
  CHECK(method.dual_reads_group() == 0);
  CHECK(method_first.dual_reads_group() == 0);

  const auto y = normal_tensor<DB>(op.range_shape(2), rng);
  const auto f0 = normal_tensor<DB>(op.domain_shape(2), rng);
  auto y_tilde = y;
  DB::scale(y_tilde, 1.0 / nu);
  auto normalised = [&](const DB::tensor_type& x) {
    auto r = op.apply(x);
    DB::scale(r, 1.0 / nu);
    return r;
  };
  auto step = [&](const DB::tensor_type& f, const DB::tensor_type& h) {  // f + τÃᵀh
    auto r = DB::clone(f);
    DB::axpy(tau / nu, op.adjoint(h), r);
    return r;
  };
  const auto h1 = DB::subtract(y_tilde, normalised(f0));
  const auto f1 = step(f0, h1);
  const auto h2 = DB::add(h1, DB::subtract(y_tilde, normalised(f1)));
  const auto f2 = step(f1, h2);
  CHECK(relative_difference<DB>(f2, method.forward(y, f0)) < 1e-14);
  CHECK(relative_difference<DB>(f2, method_first.forward(y, f0)) < 1e-14);
  // With f₀ = 0 the first step is τÃᵀỹ = τAᵀy/ν².
  auto expected = op.adjoint(y);
  DB::scale(expected, tau / (nu * nu));
  const Linear one(op, nu, 1, 2, {primal}, {dual}, eqr::LearnedPrimalDualOptions(options).iterations(1));
  CHECK(relative_difference<DB>(expected, one.forward(y)) < 1e-14);
}

TEST_CASE("with Np = 2 the dual step reads f2 by default (Adler & Oektem) or f1 on request: hand-computed") {
  // 1×1 linear networks, Nd = 1, Np = 2, primal state f = [p, q] (p = f⁽¹⁾, q = f⁽²⁾):
  //   Γ([h, a, ỹ]) = ỹ − a,   Λ([p, q, b]) = [τ b, β p − γ q + σ b],
  // so with a = Ã p (first) or a = Ã q (second; Adler & Öktem's h ← Γ(h, K(f⁽²⁾), g)) and Ã = A/ν, ỹ = y/ν:
  //   h ← h + ỹ − a,   b = Ãᵀ h,   p ← p + τ b,   q ← q + β p_old − γ q + σ b.
  using Net = eqr::Conv<DB>;
  using Linear = eqr::LearnedPrimalDual<DB, TestOperator<DB>, Net, Net>;
  eqr::Random rng(12);
  const auto op = make_test_operator<DB>(4, 5, rng);
  const double nu = 1.7, tau = 0.6, beta = 0.5, gamma = 0.25, sigma = -0.4;
  Net dual(eqr::ConvOptions(6, 2, 1).bias(false).init(eqr::nn::Init::zeros));
  Net primal(eqr::ConvOptions(3, 2, 1).bias(false).init(eqr::nn::Init::zeros));
  auto wd = DB::to_host(dual.weight().value);
  for (std::size_t o = 0; o < 2; ++o) {
    wd[o * 6 + 2 + o] = -1.0;  // − a
    wd[o * 6 + 4 + o] = 1.0;   // + ỹ
  }
  dual.weight().value = DB::from_host({2, 6, 1, 1}, std::span<const double>(wd));
  // Rows: output channel p, q; columns: input channels p, q, b.
  const std::vector<double> wp = {0.0, 0.0, tau, beta, -gamma, sigma};
  primal.weight().value = DB::from_host({2, 3, 1, 1}, std::span<const double>(wp));
  const auto base = eqr::LearnedPrimalDualOptions().iterations(3).primal_memory(2).dual_memory(1).shared_weights(true);
  const Linear second(op, nu, 1, 2, {primal}, {dual}, base);
  const Linear first(op, nu, 1, 2, {primal}, {dual}, eqr::LearnedPrimalDualOptions(base).dual_reads(PrimalChannel::first));
  CHECK(second.dual_reads_group() == 1);
  CHECK(first.dual_reads_group() == 0);

  const auto y = normal_tensor<DB>(op.range_shape(2), rng);
  const auto p0 = normal_tensor<DB>(op.domain_shape(2), rng);
  const auto q0 = normal_tensor<DB>(op.domain_shape(2), rng);
  // The full primal state [p0, q0], assembled by hand plane by plane.
  DB::tensor_type state = DB::zeros({2, 2, 4, 5});
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t j = 0; j < 5; ++j) {
        state(n, 0, i, j) = p0(n, 0, i, j);
        state(n, 1, i, j) = q0(n, 0, i, j);
      }
  auto y_tilde = y;
  DB::scale(y_tilde, 1.0 / nu);
  // The reference iteration, written with the operator directly.
  auto reference = [&](bool reads_second, DB::tensor_type p, DB::tensor_type q) {
    DB::tensor_type h = DB::zeros(op.range_shape(2));
    for (int k = 0; k < 3; ++k) {
      auto a = op.apply(reads_second ? q : p);
      DB::scale(a, 1.0 / nu);
      h = DB::add(h, DB::subtract(y_tilde, a));
      auto b = op.adjoint(h);
      DB::scale(b, 1.0 / nu);
      auto q_next = DB::clone(q);
      DB::axpy(beta, p, q_next);
      DB::axpy(-gamma, q, q_next);
      DB::axpy(sigma, b, q_next);
      DB::axpy(tau, b, p);
      q = q_next;
    }
    return p;
  };
  const auto expect_second = reference(true, p0, q0);
  const auto expect_first = reference(false, p0, q0);
  // The two choices are genuinely different methods on this problem.
  CHECK(relative_difference<DB>(expect_second, expect_first) > 0.05);
  CHECK(relative_difference<DB>(expect_second, second.forward(y, state)) < 1e-13);
  CHECK(relative_difference<DB>(expect_first, first.forward(y, state)) < 1e-13);
  // An image f₀ fills only p; the memory q starts at zero, so the default's first dual step sees Ã·0.
  const auto zero = DB::zeros(op.domain_shape(2));
  CHECK(relative_difference<DB>(reference(true, p0, zero), second.forward(y, p0)) < 1e-13);
  CHECK(relative_difference<DB>(reference(false, p0, zero), first.forward(y, p0)) < 1e-13);
}

TEST_CASE("networks that output zero leave the initial image unchanged (residual updates)") {
  eqr::Random rng(6);
  const auto op = make_test_operator<DB>(4, 4, rng);
  Lpd method = make_method(op, 3, 2, 2, false, false, 4);
  method.visit_parameters("", [](const std::string& name, eqr::nn::Parameter<DB>& p) {
    if (name.find("project") != std::string::npos) DB::fill(p.value, 0.0);
  });
  const auto y = normal_tensor<DB>(op.range_shape(1), rng);
  const auto f0 = normal_tensor<DB>(op.domain_shape(1), rng);
  CHECK(DB::to_host(method.forward(y, f0)) == DB::to_host(f0));
  CHECK(DB::squared_norm(method.forward(y)) == 0.0);
}

TEST_CASE("reverse mode of the whole unrolled method matches central differences (double)") {
  for (const PrimalChannel reads : {PrimalChannel::second, PrimalChannel::first})
    for (const bool shared : {false, true}) {
      CAPTURE(shared);
      CAPTURE(name_of(reads));
      eqr::Random rng(11);
      const auto op = make_test_operator<DB>(5, 5, rng);
      Lpd method = make_method(op, 2, 2, 2, shared, false, 17, 0.0, reads);
      REQUIRE(method.dual_reads_group() == (reads == PrimalChannel::second ? 1u : 0u));
      const auto y = normal_tensor<DB>(op.range_shape(2), rng);
      // Separate weights: f₀ is an image; shared weights: f₀ is a full primal state (Np·c = 2 channels).
      const auto f0 = normal_tensor<DB>(shared ? Shape4{2, 2, 5, 5} : op.domain_shape(2), rng);
      const auto t = normal_tensor<DB>(op.domain_shape(2), rng);

      Lpd::context ctx;
      const auto u = method.forward(y, f0, ctx);
      method.visit_parameters("", [](const std::string&, eqr::nn::Parameter<DB>& p) { p.zero_grad(); });
      DB::tensor_type df0;
      const auto dy = method.backward(ctx, DB::subtract(u, t), &df0);
      REQUIRE(DB::shape(df0) == DB::shape(f0));

      eqr::testing::CentralDifferenceCheck fd;
      int checked = 0, primal = 0, dual = 0;
      method.visit_parameters("lpd", [&](const std::string& name, eqr::nn::Parameter<DB>& p) {
        for (std::size_t k = 0; k < p.value.size(); k += 5) {
          fd.check(p.grad.data()[k], p.value.data()[k], [&] { return loss_of(method, y, f0, t); });
          ++checked;
          (name.find(".primal.") != std::string::npos ? primal : dual) += 1;
        }
      });
      auto y_var = y;
      for (std::size_t k = 0; k < y_var.size(); k += 3)
        fd.check(dy.data()[k], y_var.data()[k], [&] { return loss_of(method, y_var, f0, t); });
      auto f0_var = f0;
      for (std::size_t k = 0; k < f0_var.size(); k += 3)
        fd.check(df0.data()[k], f0_var.data()[k], [&] { return loss_of(method, y, f0_var, t); });
      MESSAGE("worst relative gradient error (dual reads " << name_of(reads) << ", shared = " << shared
                                                               << "): " << fd.worst);
      CHECK(primal > 10);
      CHECK(dual > 10);
      CHECK(checked == primal + dual);
      CHECK(DB::squared_norm(dy) > 0.0);
      CHECK(fd.worst < 1e-6);
    }
}

TEST_CASE("gradient checkpointing recomputes exactly the gradients of the stored forward pass") {
  for (const PrimalChannel reads : {PrimalChannel::second, PrimalChannel::first}) {
    CAPTURE(name_of(reads));
    eqr::Random rng(5);
    const auto op = make_test_operator<DB>(6, 6, rng);
    Lpd stored = make_method(op, 3, 2, 3, false, false, 23, 0.0, reads);
    Lpd recomputed = make_method(op, 3, 2, 3, false, true, 23, 0.0, reads);
    const auto y = normal_tensor<DB>(op.range_shape(1), rng);
    const auto t = normal_tensor<DB>(op.domain_shape(1), rng);
    Lpd::context c1, c2;
    const auto u1 = stored.forward(y, c1);
    const auto u2 = recomputed.forward(y, c2);
    CHECK(c1.primal.size() == 3);
    CHECK(c1.dual.size() == 3);
    CHECK(c2.primal.empty());
    CHECK(c2.dual.empty());
    CHECK(c2.primal_inputs.size() == 3);
    CHECK(c2.dual_inputs.size() == 3);
    DB::tensor_type d1, d2;
    const auto dy1 = stored.backward(c1, DB::subtract(u1, t), &d1);
    const auto dy2 = recomputed.backward(c2, DB::subtract(u2, t), &d2);
    CHECK(DB::to_host(u1) == DB::to_host(u2));
    CHECK(DB::to_host(dy1) == DB::to_host(dy2));
    CHECK(DB::to_host(d1) == DB::to_host(d2));
    const auto g1 = gradients(stored), g2 = gradients(recomputed);
    CHECK(g1.size() == 3 * 2 * 6);  // 3 iterations × (primal, dual) × 3 convolutions with bias
    CHECK(g1 == g2);
  }
}

TEST_CASE("the normalised method does not depend on the operator's units") {
  eqr::Random rng(8);
  auto op = make_test_operator<DB>(5, 7, rng);
  const double norm = eqr::opnorm(op, 200);
  Lpd a = make_method(op, 3, 2, 2, false, false, 31, norm);
  auto scaled = op;
  scaled.alpha = 1000.0;  // e.g. pixel units instead of metres: A → 1000·A, y → 1000·y
  CHECK(eqr::opnorm(scaled, 200) == doctest::Approx(1000.0 * norm).epsilon(1e-9));
  Lpd b = make_method(scaled, 3, 2, 2, false, false, 31, 1000.0 * norm);
  const auto y = normal_tensor<DB>(op.range_shape(1), rng);
  auto y_scaled = y;
  DB::scale(y_scaled, 1000.0);
  const auto ua = a.forward(y);
  const auto ub = b.forward(y_scaled);
  CHECK(DB::squared_norm(ua) > 0.0);
  CHECK(relative_difference<DB>(ua, ub) < 1e-12);
}

TEST_CASE("parameters are named per iteration and network, or once per network when the weights are shared") {
  eqr::Random rng(1);
  const auto op = make_test_operator<DB>(4, 4, rng);
  Lpd separate = make_method(op, 2, 1, 1, false, false, 2);
  Lpd shared = make_method(op, 2, 1, 1, true, false, 2);
  std::vector<std::string> n1, n2;
  separate.visit_parameters("model", [&](const std::string& n, eqr::nn::Parameter<DB>&) { n1.push_back(n); });
  shared.visit_parameters("model", [&](const std::string& n, eqr::nn::Parameter<DB>&) { n2.push_back(n); });
  const std::vector<std::string> convs = {"lift.weight",         "lift.bias",    "intermediate.weight",
                                          "intermediate.bias",   "project.weight", "project.bias"};
  std::vector<std::string> e1, e2;
  for (const char* it : {"model.iteration0.", "model.iteration1."})
    for (const char* net : {"primal.", "dual."})
      for (const auto& c : convs) e1.push_back(std::string(it) + net + c);
  for (const char* net : {"model.primal.", "model.dual."})
    for (const auto& c : convs) e2.push_back(std::string(net) + c);
  CHECK(n1 == e1);
  CHECK(n2 == e2);
  // Channel counts the networks must have: (Np + 1)c → Np·c and (Nd + 2)c_y → Nd·c_y.
  CHECK(separate.primal_in_channels() == 2);
  CHECK(separate.primal_out_channels() == 1);
  CHECK(separate.dual_in_channels() == 6);
  CHECK(separate.dual_out_channels() == 2);
}

TEST_CASE("bad configurations and shapes are rejected with messages naming expected and found") {
  eqr::Random rng(4);
  const auto op = make_test_operator<DB>(4, 4, rng);
  const auto opts = eqr::LearnedPrimalDualOptions().iterations(3).primal_memory(2).dual_memory(1);
  auto nets = [&](std::size_t count, std::size_t in, std::size_t out) {
    std::vector<OrdNet> v;
    for (std::size_t i = 0; i < count; ++i) v.push_back(eqr::make_lpd_primal_ordinary<DB>(in, out, 3, i));
    return v;
  };
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 2, nets(2, 3, 2), nets(3, 6, 2), opts),
                       doctest::Contains("expected 3 primal networks (one per iteration), found 2"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 2, nets(3, 3, 2), nets(4, 6, 2), opts),
                       doctest::Contains("expected 3 dual networks (one per iteration), found 4"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 2, nets(3, 3, 2), nets(3, 6, 2),
                           eqr::LearnedPrimalDualOptions(opts).shared_weights(true)),
                       doctest::Contains("expected 1 shared primal network, found 3"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, -2.0, 1, 2, nets(3, 3, 2), nets(3, 6, 2), opts),
                       doctest::Contains("finite positive operator norm, found -2"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 2, nets(3, 3, 2), nets(3, 6, 2), eqr::LearnedPrimalDualOptions(opts).iterations(0)),
                       doctest::Contains("at least 1 iteration, found 0"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 2, nets(3, 3, 2), nets(3, 6, 2), eqr::LearnedPrimalDualOptions(opts).primal_memory(0)),
                       doctest::Contains("primal memory of at least 1 channel group, found 0"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 2, nets(3, 3, 2), nets(3, 6, 2), eqr::LearnedPrimalDualOptions(opts).dual_memory(-1)),
                       doctest::Contains("dual memory of at least 1 channel group, found -1"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 0, 2, nets(3, 3, 2), nets(3, 6, 2), opts),
                       doctest::Contains("at least one image channel, found 0"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 0, nets(3, 3, 2), nets(3, 6, 2), opts),
                       doctest::Contains("at least one measurement channel, found 0"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 2, 2, nets(3, 3, 2), nets(3, 6, 2), opts),
                       doctest::Contains("images to have 2 channels, found 1"), eqr::shape_error);
  CHECK_THROWS_WITH_AS(Lpd(op, 1.0, 1, 1, nets(3, 3, 2), nets(3, 6, 2), opts),
                       doctest::Contains("measurements to have 1 channels, found 2"), eqr::shape_error);

  // Networks with the wrong number of output channels are caught at their first use.
  Lpd wrong_dual(op, 1.0, 1, 2, nets(3, 3, 2), nets(3, 3 * 2, 3), opts);
  const auto y = normal_tensor<DB>(op.range_shape(1), rng);
  CHECK_THROWS_WITH_AS((void)wrong_dual.forward(y),
                       doctest::Contains("dual network of iteration 0 to output 1×2×4×4 (the dual update), found 1×3×4×4"),
                       eqr::shape_error);
  Lpd wrong_primal(op, 1.0, 1, 2, nets(3, 3, 1), nets(3, 6, 2), opts);
  CHECK_THROWS_WITH_AS((void)wrong_primal.forward(y),
                       doctest::Contains("primal network of iteration 0 to output 1×2×4×4 (the primal update), found 1×1×4×4"),
                       eqr::shape_error);

  Lpd good(op, 1.0, 1, 2, nets(3, 3, 2), nets(3, 6, 2), opts);
  CHECK_THROWS_WITH_AS((void)good.forward(normal_tensor<DB>({1, 1, 4, 4}, rng)),
                       doctest::Contains("measurements y of shape 1×2×4×4, found 1×1×4×4"), eqr::shape_error);
  CHECK_THROWS_WITH_AS((void)good.forward(y, normal_tensor<DB>({1, 3, 4, 4}, rng)),
                       doctest::Contains("f0 of shape 1×1×4×4 (an image) or 1×2×4×4 (a primal state), found 1×3×4×4"),
                       eqr::shape_error);
  Lpd::context ctx;
  CHECK_THROWS_WITH_AS((void)good.backward(ctx, normal_tensor<DB>({1, 1, 4, 4}, rng)),
                       doctest::Contains("with 3 iterations, found one with 0 primal and 0 dual steps"), eqr::value_error);
  (void)good.forward(y, ctx);
  CHECK_THROWS_WITH_AS((void)good.backward(ctx, normal_tensor<DB>({2, 1, 4, 4}, rng)),
                       doctest::Contains("ū of shape 1×1×4×4, found 2×1×4×4"), eqr::shape_error);

  const eqr::Identity<Cpu<float>> identity(8, 8);
  CHECK_THROWS_WITH_AS((eqr::make_learned_primal_dual_equivariant<eqr::C4, 1, 1, FB, 3>(
                           identity, 1.0, 1, eqr::LearnedPrimalDualOptions().primal_memory(2), 4, 0, eqr::BasisSolver::grid)),
                       doctest::Contains("template argument Np = 3, found 2"), eqr::value_error);
}

TEST_CASE("denoising end to end: equivariant primal and dual networks make LPD rot90-equivariant") {
  // Whichever primal group the dual step reads, it is an image (trivial field) that rotates with the input.
  for (const PrimalChannel reads : {PrimalChannel::second, PrimalChannel::first}) {
    CAPTURE(name_of(reads));
    constexpr int np = 2, nd = 2, fields = 2;
    constexpr std::size_t n = 12;
    const eqr::Identity<Cpu<float>> op(n, n);
    using Primal = eqr::EquivariantProx<eqr::C4, np + 1, fields, np, FB>;
    using Dual = eqr::EquivariantProx<eqr::C4, nd + 2, fields, nd, FB>;
    const auto options =
        eqr::LearnedPrimalDualOptions().iterations(3).primal_memory(np).dual_memory(nd).dual_reads(reads);
    std::vector<Primal> primal;
    std::vector<Dual> dual;
    for (int i = 0; i < 3; ++i) {
      primal.push_back(eqr::make_lpd_primal_equivariant<eqr::C4, np + 1, fields, np, FB>(10 * i, eqr::BasisSolver::grid));
      dual.push_back(eqr::make_equivariant_prox<eqr::C4, nd + 2, fields, nd, FB>(10 * i + 5, eqr::BasisSolver::grid));
    }
    eqr::LearnedPrimalDual<FB, eqr::Identity<Cpu<float>>, Primal, Dual> both(op, 1.0, 1, 1, std::move(primal), std::move(dual),
                                                                        options);
    randomise_normal<FB>(both, 300, 0.3);
    auto half = eqr::make_learned_primal_dual_equivariant<eqr::C4, 1, fields, FB, np>(op, 1.0, 1, options, 8, 0,
                                                                                       eqr::BasisSolver::grid);
    randomise_normal<FB>(half, 301, 0.3);

    eqr::Random rng(9);
    const auto y = normal_tensor<FB>({1, 1, n, n}, rng);
    const auto out_both = both.forward(y);
    const double e_both = relative_difference<FB>(rot90<FB>(out_both), both.forward(rot90<FB>(y)));
    const auto out_half = half.forward(y);
    const double e_half = relative_difference<FB>(rot90<FB>(out_half), half.forward(rot90<FB>(y)));
    MESSAGE("denoising rot90 equivariance error (dual reads " << name_of(reads) << "): equivariant primal + dual "
            << e_both << ", equivariant primal + ordinary dual " << e_half);
    CHECK(FB::squared_norm(out_both) > 0.0);
    CHECK(e_both < 1e-5);
    CHECK(std::isfinite(e_half));
  }
}

TEST_CASE("CT with an even number of angles: the measured equivariance error of the primal-equivariant LPD, "
          "and exact equivariance with pointwise dual networks") {
  constexpr std::size_t n = 12;
  const eqr::Radon<Cpu<float>> radon(eqr::parallel_beam(n, 8));
  eqr::Random rng(31);
  const auto u = normal_tensor<FB>({1, 1, n, n}, rng);
  const auto y = radon.apply(u);
  // The rule the test relies on: a 90° rotation of the image is a half-turn shift of the sinogram's angles.
  REQUIRE(relative_difference<FB>(radon.apply(rot90<FB>(u)), rotate_sinogram<FB>(y)) < 1e-5);
  const double norm = eqr::opnorm(radon, 50);
  for (const PrimalChannel reads : {PrimalChannel::second, PrimalChannel::first}) {
    CAPTURE(name_of(reads));
    const auto options = eqr::LearnedPrimalDualOptions().iterations(3).primal_memory(2).dual_memory(2).dual_reads(reads);
    auto equi = eqr::make_learned_primal_dual_equivariant<eqr::C4, 1, 2, FB, 2>(radon, norm, 1, options, 8, 0,
                                                                                 eqr::BasisSolver::grid);
    randomise_normal<FB>(equi, 400, 0.3);
    auto ord = eqr::make_learned_primal_dual_ordinary<FB>(radon, norm, 1, 1, options, 8, 0);
    randomise_normal<FB>(ord, 401, 0.3);
    const double e_equi = relative_difference<FB>(rot90<FB>(equi.forward(y)), equi.forward(rotate_sinogram<FB>(y)));
    const double e_ord = relative_difference<FB>(rot90<FB>(ord.forward(y)), ord.forward(rotate_sinogram<FB>(y)));
    // Pointwise (1×1) dual networks commute with the sinogram's rotation rule (a permutation of its pixels),
    // so with them the primal-equivariant method is exactly equivariant for CT as well.
    auto pointwise = eqr::make_learned_primal_dual_equivariant<eqr::C4, 1, 2, FB, 2>(radon, norm, 1, options, 8, 0,
                                                                                      eqr::BasisSolver::grid, 1);
    randomise_normal<FB>(pointwise, 402, 0.3);
    CHECK(pointwise.dual_network(0).lift().options().kernel_size() == 1);
    CHECK(pointwise.dual_reads_group() == (reads == PrimalChannel::second ? 1u : 0u));  // the factory keeps it
    const auto out_pointwise = pointwise.forward(y);
    const double e_point = relative_difference<FB>(rot90<FB>(out_pointwise), pointwise.forward(rotate_sinogram<FB>(y)));
    MESSAGE("CT rot90 equivariance error (dual reads " << name_of(reads) << "): equivariant primal + 3x3 dual "
            << e_equi << ", ordinary primal + 3x3 dual " << e_ord << ", equivariant primal + pointwise dual " << e_point);
    CHECK(std::isfinite(e_equi));
    CHECK(std::isfinite(e_ord));
    CHECK(FB::squared_norm(out_pointwise) > 0.0);
    CHECK(e_point < 1e-4);
  }
}

TEST_CASE("a short training run of an ordinary LPD on tiny CT lowers the loss") {
  constexpr std::size_t n = 8;
  const eqr::Radon<Cpu<float>> radon(eqr::parallel_beam(n, 6));
  eqr::nn::PairList<FB> train;
  for (std::uint64_t s = 0; s < 4; ++s) {
    const auto img = eqr::data::random_ellipse_phantom<float>(n, 100 + s);
    const auto u = FB::from_host({1, 1, n, n}, std::span<const float>(img.data(), img.size()));
    train.pairs.push_back({radon.apply(u), u});
  }
  const auto options = eqr::LearnedPrimalDualOptions().iterations(2).primal_memory(2).dual_memory(2);
  auto model = eqr::make_learned_primal_dual_ordinary<FB>(radon, eqr::opnorm(radon, 50), 1, 1,
                                                          options, 8, 7);
  const double before = eqr::mean_loss(model, train);
  const eqr::nn::PairList<FB> none;
  const TempDir dir("eqr_lpd_train");
  const auto& run_dir = dir.path;
  const auto result = eqr::train(
      model, train, none,
      eqr::TrainingOptions().steps(50).lr(1e-3).seed(3).run_dir(run_dir).progress(eqr::Progress::none));
  const double after = eqr::mean_loss(model, train);
  MESSAGE("LPD training loss: " << before << " -> " << after << " after " << result.steps << " steps");
  CHECK(result.steps == 50);
  CHECK(std::isfinite(after));
  CHECK(after < 0.5 * before);

  // The checkpoint written by train restores the trained method into a differently initialised one.
  auto reloaded = eqr::make_learned_primal_dual_ordinary<FB>(radon, model.operator_norm(), 1, 1, options, 8, 99);
  CHECK(FB::to_host(reloaded.forward(train.pairs[0].input)) != FB::to_host(model.forward(train.pairs[0].input)));
  eqr::nn::load_checkpoint(run_dir / "checkpoint.eqrc", reloaded);
  CHECK(FB::to_host(reloaded.forward(train.pairs[0].input)) == FB::to_host(model.forward(train.pairs[0].input)));
}
