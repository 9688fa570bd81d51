// Optimisers against hand-computed values: Adam's first three steps (bias correction, L2 and decoupled weight
// decay) and SGD with momentum (heavy ball and Nesterov), computed independently from the update formulas
// (Kingma & Ba, Algorithm 1; PyTorch's SGD) in double; global gradient-norm clipping; zero_grad and names.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"

namespace {

using B = eqr::cpu::CpuBackend<double>;

/// A module with two parameters: "a" (two values) and "b" (one value).
struct Toy {
  using backend = B;
  eqr::nn::Parameter<B> a{B::from_host({1, 2, 1, 1}, std::vector<double>{1.0, -2.0})};
  eqr::nn::Parameter<B> b{B::from_host({1, 1, 1, 1}, std::vector<double>{3.0})};
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    f(eqr::nn::child_name(prefix, "a"), a);
    f(eqr::nn::child_name(prefix, "b"), b);
  }
};
static_assert(eqr::nn::Module<Toy>);

const std::vector<std::vector<double>> gradients{{0.5, 0.1}, {-1.0, 0.3}, {0.25, -0.2}};

template <class Opt>
void run_and_compare(Opt& opt, const std::vector<std::vector<double>>& expected) {
  Toy toy;
  for (std::size_t t = 0; t < gradients.size(); ++t) {
    toy.a.grad = B::from_host({1, 2, 1, 1}, gradients[t]);
    opt.step(toy);
    const auto v = B::to_host(toy.a.value);
    INFO("step " << t + 1);
    CHECK(v[0] == doctest::Approx(expected[t][0]).epsilon(1e-12));
    CHECK(v[1] == doctest::Approx(expected[t][1]).epsilon(1e-12));
  }
  CHECK(opt.steps() == 3);
}

}  // namespace

TEST_CASE("Adam: the first three steps equal the hand-computed updates") {
  // θ = (1, −2), lr 0.1, β = (0.9, 0.999), ε = 1e-8.  Step 1: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε):
  // 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002.  Later steps: m = β1 m + (1−β1) g, v = β2 v + (1−β2) g²,
  // θ −= lr·(m/(1−β1ᵗ))/(√(v/(1−β2ᵗ)) + ε).
  eqr::nn::Adam<B> plain(eqr::nn::AdamOptions{}.lr(0.1));
  run_and_compare(plain, {{0.900000002, -2.099999990000001},
                          {0.9366103542405654, -2.19177809779441},
                          {0.9502794203389762, -2.217568477110207}});
  // L2 weight decay 0.1: g ← g + 0.1 θ before the moments.
  eqr::nn::Adam<B> l2(eqr::nn::AdamOptions{}.lr(0.1).weight_decay(0.1));
  run_and_compare(l2, {{0.9000000016666666, -1.900000009999999},
                       {0.9252635194456061, -1.9100134862701348},
                       {0.9247305742687093, -1.8530459275128195}});
  // Decoupled (AdamW): θ ← θ(1 − lr·λ) and then the plain Adam step.
  eqr::nn::Adam<B> decoupled(eqr::nn::AdamOptions{}.lr(0.1).weight_decay(0.1).decoupled(true));
  run_and_compare(decoupled, {{0.890000002, -2.079999990000001},
                              {0.9177103542205653, -2.15097809789441},
                              {0.9222023167767704, -2.1552586962312628}});
}

TEST_CASE("Adam: a parameter with zero gradient does not move, and bad options are refused") {
  Toy toy;
  eqr::nn::Adam<B> opt(eqr::nn::AdamOptions{}.lr(0.1));
  toy.a.grad = B::from_host({1, 2, 1, 1}, std::vector<double>{1.0, 1.0});
  opt.step(toy);
  CHECK(B::to_host(toy.b.value)[0] == 3.0);
  CHECK_THROWS_AS(eqr::nn::Adam<B>(eqr::nn::AdamOptions{}.lr(-1)), eqr::value_error);
  CHECK_THROWS_AS(eqr::nn::Adam<B>(eqr::nn::AdamOptions{}.betas(0.9, 1.0)), eqr::value_error);
  CHECK_THROWS_WITH_AS(eqr::nn::Adam<B>(eqr::nn::AdamOptions{}.eps(0)), "Adam: expected eps > 0, found 0",
                       eqr::value_error);
}

TEST_CASE("SGD: momentum and Nesterov steps equal the hand-computed updates") {
  // Heavy ball, μ = 0.9, lr = 0.1: b₁ = g₁, bₜ = μ bₜ₋₁ + gₜ, θ −= lr·bₜ.
  eqr::nn::Sgd<B> heavy(eqr::nn::SgdOptions{}.lr(0.1).momentum(0.9));
  run_and_compare(heavy, {{0.95, -2.01}, {1.005, -2.049}, {1.0294999999999999, -2.0641}});
  // Nesterov with L2 0.1: g ← g + 0.1 θ, θ −= lr·(g + μ bₜ).
  eqr::nn::Sgd<B> nesterov(eqr::nn::SgdOptions{}.lr(0.1).momentum(0.9).weight_decay(0.1).nesterov(true));
  run_and_compare(nesterov, {{0.886, -1.981}, {1.010566, -1.992261}, {0.9739486460000001, -1.917371941}});
  CHECK_THROWS_AS(eqr::nn::Sgd<B>(eqr::nn::SgdOptions{}.nesterov(true)), eqr::value_error);
}

TEST_CASE("Module helpers: zero_grad, names, counts and global-norm clipping") {
  Toy toy;
  toy.a.grad = B::from_host({1, 2, 1, 1}, std::vector<double>{3.0, 0.0});
  toy.b.grad = B::from_host({1, 1, 1, 1}, std::vector<double>{4.0});
  CHECK(eqr::nn::parameter_count(toy) == 3);
  CHECK(eqr::nn::parameter_names(toy) == std::vector<std::string>{"a", "b"});
  CHECK(eqr::nn::gradient_norm(toy) == doctest::Approx(5.0));
  // ‖∇‖ = 5 > 1: every gradient is scaled by 1/(5 + 1e-6); the returned norm is the one before clipping.
  CHECK(eqr::nn::clip_grad_norm(toy, 1.0) == doctest::Approx(5.0));
  CHECK(B::to_host(toy.a.grad)[0] == doctest::Approx(3.0 / (5.0 + 1e-6)).epsilon(1e-14));
  CHECK(B::to_host(toy.b.grad)[0] == doctest::Approx(4.0 / (5.0 + 1e-6)).epsilon(1e-14));
  // Below the threshold nothing changes.
  const double before = eqr::nn::gradient_norm(toy);
  eqr::nn::clip_grad_norm(toy, 10.0);
  CHECK(eqr::nn::gradient_norm(toy) == before);
  CHECK_THROWS_AS(eqr::nn::clip_grad_norm(toy, 0.0), eqr::value_error);
  eqr::nn::zero_grad(toy);
  CHECK(eqr::nn::gradient_norm(toy) == 0.0);
  // Clipping inside the optimiser: with clip 1 the first Adam step is unchanged (Adam is scale-invariant at
  // t = 1 up to ε), but SGD's step shrinks by exactly the clipping factor.
  toy.a.grad = B::from_host({1, 2, 1, 1}, std::vector<double>{3.0, 0.0});
  toy.b.grad = B::from_host({1, 1, 1, 1}, std::vector<double>{4.0});
  eqr::nn::Sgd<B> sgd(eqr::nn::SgdOptions{}.lr(1.0).clip_grad_norm(1.0));
  CHECK(sgd.step(toy) == doctest::Approx(5.0));
  CHECK(B::to_host(toy.b.value)[0] == doctest::Approx(3.0 - 4.0 / (5.0 + 1e-6)).epsilon(1e-14));
}
