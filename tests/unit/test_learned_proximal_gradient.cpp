// Tests of LearnedProximalGradient (paper Algorithm 2): reverse mode against central differences in double
// for the whole unrolled method, gradient checkpointing against plain storage, invariance to the operator's
// units, end-to-end rot90 equivariance with rotation-symmetric networks, bad-input errors, and the warm start
// u₀ = W y (algorithms/warm_start.hpp) with its exact measurement gradient.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/warm_start.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/backends/cpu/cpu.hpp"

#include "../support/learned_helpers.hpp"

namespace {

using eqr::Shape4;

/// A small test network: conv3×3 (in → hidden) → leaky ReLU → conv3×3 (hidden → out), with biases.
template <class B>
struct TinyNet {
  using backend = B;
  using T = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;
  struct context {
    tensor_type x, h;
  };
  eqr::nn::Parameter<B> w1, b1, w2, b2;
  eqr::Padding pad = eqr::Padding::replicate;
  eqr::Activation phi = eqr::Activation::leaky_relu(0.1);

  TinyNet(std::size_t in, std::size_t hidden, std::size_t out, eqr::Random& rng, bool c4_symmetric = false) {
    w1 = eqr::nn::Parameter<B>(random_kernel({hidden, in, 3, 3}, rng, c4_symmetric));
    b1 = eqr::nn::Parameter<B>(random_kernel({1, hidden, 1, 1}, rng, false));
    w2 = eqr::nn::Parameter<B>(random_kernel({out, hidden, 3, 3}, rng, c4_symmetric));
    b2 = eqr::nn::Parameter<B>(random_kernel({1, out, 1, 1}, rng, false));
  }
  /// Random N(0, 0.3²) entries; with c4_symmetric every 3×3 kernel is made invariant under rot90
  /// (the average of its four rotations), so the network is exactly rot90-equivariant on trivial fields.
  static tensor_type random_kernel(Shape4 s, eqr::Random& rng, bool c4_symmetric) {
    std::vector<T> v(s.numel());
    for (auto& e : v) e = static_cast<T>(0.3 * rng.normal());
    if (c4_symmetric) {
      for (std::size_t p = 0; p < s.n * s.c; ++p) {
        T* k = v.data() + p * 9;
        const T corner = (k[0] + k[2] + k[6] + k[8]) / 4, edge = (k[1] + k[3] + k[5] + k[7]) / 4;
        k[0] = k[2] = k[6] = k[8] = corner;
        k[1] = k[3] = k[5] = k[7] = edge;
      }
    }
    return B::from_host(s, std::span<const T>(v));
  }
  tensor_type forward(const tensor_type& x) const {
    return B::conv2d(B::activation_forward(B::conv2d(x, w1.value, b1.value, pad), phi), w2.value, b2.value, pad);
  }
  tensor_type forward(const tensor_type& x, context& ctx) {
    ctx.x = x;
    ctx.h = B::conv2d(x, w1.value, b1.value, pad);
    return B::conv2d(B::activation_forward(ctx.h, phi), w2.value, b2.value, pad);
  }
  tensor_type backward(const context& ctx, const tensor_type& dy) {
    const tensor_type a = B::activation_forward(ctx.h, phi);
    B::axpy(T(1), B::conv2d_backward_weights(a, dy, 3, pad), w2.grad);
    B::axpy(T(1), B::conv2d_backward_bias(dy), b2.grad);
    const tensor_type dh = B::activation_backward(ctx.h, B::conv2d_backward_data(dy, w2.value, pad), phi);
    B::axpy(T(1), B::conv2d_backward_weights(ctx.x, dh, 3, pad), w1.grad);
    B::axpy(T(1), B::conv2d_backward_bias(dh), b1.grad);
    return B::conv2d_backward_data(dh, w1.value, pad);
  }
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    f(eqr::nn::child_name(prefix, "w1"), w1);
    f(eqr::nn::child_name(prefix, "b1"), b1);
    f(eqr::nn::child_name(prefix, "w2"), w2);
    f(eqr::nn::child_name(prefix, "b2"), b2);
  }
};

using eqr::testing::make_test_operator;
using eqr::testing::normal_tensor;
using eqr::testing::TestOperator;

using DB = eqr::cpu::CpuBackend<double>;
using FB = eqr::cpu::CpuBackend<float>;
using Lpg = eqr::LearnedProximalGradient<DB, TestOperator<DB>, TinyNet<DB>>;

Lpg make_method(const TestOperator<DB>& op, int iterations, int memory, bool shared, bool checkpointing,
                std::uint64_t seed) {
  eqr::Random rng(seed);
  std::vector<TinyNet<DB>> nets;
  const std::size_t count = shared ? 1 : static_cast<std::size_t>(iterations);
  for (std::size_t i = 0; i < count; ++i) nets.emplace_back(2 + memory, 4, 1 + memory, rng);
  const auto options =
      eqr::LearnedProximalGradientOptions().iterations(iterations).memory(memory).shared_weights(shared).checkpointing(
          checkpointing);
  return Lpg(op, eqr::opnorm(op, 200), 1, std::move(nets), options);
}

/// L = ½‖u_I − t‖² of a training forward pass.
double loss_of(Lpg& method, const DB::tensor_type& y, const DB::tensor_type& u0, const DB::tensor_type& t) {
  const auto u = method.forward(y, u0);
  return 0.5 * DB::squared_norm(DB::subtract(u, t));
}

/// W = Aᵀ of the test operator, a linear map from measurements to images (the zero-filling of this toy
/// problem): the initial reconstruction of a warm start.
using TransposeOfTestOperator = eqr::Adjoint<TestOperator<DB>>;

}  // namespace

static_assert(eqr::Layer<eqr::WarmStart<Lpg, TransposeOfTestOperator>>,
              "A warm-started learned method must itself satisfy the Layer concept.");
static_assert(eqr::Layer<Lpg>, "The learned proximal gradient method must itself satisfy the Layer concept.");

TEST_CASE("the test operator's adjoint is its transpose and the power method finds its norm") {
  eqr::Random rng(3);
  const auto op = make_test_operator<DB>(5, 6, rng);
  const auto x = normal_tensor<DB>(op.domain_shape(2), rng);
  const auto y = normal_tensor<DB>(op.range_shape(2), rng);
  CHECK(DB::dot(op.apply(x), y) == doctest::Approx(DB::dot(x, op.adjoint(y))).epsilon(1e-12));
  // AᵀA = diag(d² + [j < w−1]) is diagonal, so ‖A‖ = max √(d² + [j < w − 1]).
  double expected = 0.0;
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 6; ++j)
      expected = std::max(expected, std::sqrt(op.d[i * 6 + j] * op.d[i * 6 + j] + (j + 1 < 6 ? 1.0 : 0.0)));
  CHECK(eqr::opnorm(op, 500) == doctest::Approx(expected).epsilon(1e-4));
}

TEST_CASE("reverse mode of the whole unrolled method matches central differences (double)") {
  for (const bool shared : {false, true}) {
    CAPTURE(shared);
    eqr::Random rng(11);
    const auto op = make_test_operator<DB>(5, 5, rng);
    Lpg method = make_method(op, 3, 2, shared, false, 17);
    const auto y = normal_tensor<DB>(op.range_shape(2), rng);
    const auto u0 = normal_tensor<DB>(op.domain_shape(2), rng);
    const auto t = normal_tensor<DB>(op.domain_shape(2), rng);

    Lpg::context ctx;
    const auto u = method.forward(y, u0, ctx);
    method.visit_parameters("", [](const std::string&, eqr::nn::Parameter<DB>& p) { p.zero_grad(); });
    DB::tensor_type du0;
    const auto dy = method.backward(ctx, DB::subtract(u, t), &du0);

    eqr::testing::CentralDifferenceCheck fd;
    int checked = 0;
    method.visit_parameters("lpg", [&](const std::string&, eqr::nn::Parameter<DB>& p) {
      for (std::size_t k = 0; k < p.value.size(); k += 7) {
        fd.check(p.grad.data()[k], p.value.data()[k], [&] { return loss_of(method, y, u0, t); });
        ++checked;
      }
    });
    auto y_var = y;
    for (std::size_t k = 0; k < y_var.size(); k += 5)
      fd.check(dy.data()[k], y_var.data()[k], [&] { return loss_of(method, y_var, u0, t); });
    auto u0_var = u0;
    for (std::size_t k = 0; k < u0_var.size(); k += 3)
      fd.check(du0.data()[k], u0_var.data()[k], [&] { return loss_of(method, y, u0_var, t); });
    CHECK(checked > 20);
    CHECK(fd.worst < 1e-6);
  }
}

TEST_CASE("gradient checkpointing recomputes exactly the gradients of the stored forward pass") {
  eqr::Random rng(5);
  const auto op = make_test_operator<DB>(6, 6, rng);
  Lpg stored = make_method(op, 4, 3, false, false, 23);
  Lpg recomputed = make_method(op, 4, 3, false, true, 23);
  const auto y = normal_tensor<DB>(op.range_shape(1), rng);
  const auto t = normal_tensor<DB>(op.domain_shape(1), rng);
  Lpg::context c1, c2;
  const auto u1 = stored.forward(y, c1);
  const auto u2 = recomputed.forward(y, c2);
  CHECK(c1.nets.size() == 4);
  CHECK(c2.nets.empty());
  CHECK(c2.inputs.size() == 4);
  const auto dy1 = stored.backward(c1, DB::subtract(u1, t));
  const auto dy2 = recomputed.backward(c2, DB::subtract(u2, t));
  CHECK(DB::to_host(u1) == DB::to_host(u2));
  CHECK(DB::to_host(dy1) == DB::to_host(dy2));
  std::vector<std::vector<double>> g1, g2;
  stored.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<DB>& p) { g1.push_back(DB::to_host(p.grad)); });
  recomputed.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<DB>& p) { g2.push_back(DB::to_host(p.grad)); });
  CHECK(g1.size() == 16);
  CHECK(g1 == g2);
}

TEST_CASE("the normalised method does not depend on the operator's units") {
  eqr::Random rng(8);
  auto op = make_test_operator<DB>(5, 7, rng);
  Lpg a = make_method(op, 3, 2, false, false, 31);
  auto scaled = op;
  scaled.alpha = 1000.0;  // e.g. pixel units instead of metres: A → 1000·A, y → 1000·y
  Lpg b = make_method(scaled, 3, 2, false, false, 31);
  CHECK(b.operator_norm() == doctest::Approx(1000.0 * a.operator_norm()).epsilon(1e-6));
  const auto y = normal_tensor<DB>(op.range_shape(1), rng);
  auto y_scaled = y;
  DB::scale(y_scaled, 1000.0);
  const auto ua = DB::to_host(a.forward(y));
  const auto ub = DB::to_host(b.forward(y_scaled));
  double diff = 0.0;
  for (std::size_t k = 0; k < ua.size(); ++k) diff = std::max(diff, std::abs(ua[k] - ub[k]));
  CHECK(diff < 1e-9);
}

TEST_CASE("parameters are named per iteration, or once when the weights are shared") {
  eqr::Random rng(1);
  const auto op = make_test_operator<DB>(4, 4, rng);
  Lpg separate = make_method(op, 2, 1, false, false, 2);
  Lpg shared = make_method(op, 2, 1, true, false, 2);
  std::vector<std::string> n1, n2;
  separate.visit_parameters("model", [&](const std::string& n, eqr::nn::Parameter<DB>&) { n1.push_back(n); });
  shared.visit_parameters("model", [&](const std::string& n, eqr::nn::Parameter<DB>&) { n2.push_back(n); });
  CHECK(n1 == std::vector<std::string>{"model.iteration0.w1", "model.iteration0.b1", "model.iteration0.w2",
                                       "model.iteration0.b2", "model.iteration1.w1", "model.iteration1.b1",
                                       "model.iteration1.w2", "model.iteration1.b2"});
  CHECK(n2 == std::vector<std::string>{"model.prox.w1", "model.prox.b1", "model.prox.w2", "model.prox.b2"});
}

TEST_CASE("bad configurations are rejected with messages naming expected and found") {
  eqr::Random rng(4);
  const auto op = make_test_operator<DB>(4, 4, rng);
  auto nets = [&](std::size_t count, std::size_t out) {
    std::vector<TinyNet<DB>> v;
    for (std::size_t i = 0; i < count; ++i) v.emplace_back(4, 3, out, rng);
    return v;
  };
  const auto opts = eqr::LearnedProximalGradientOptions().iterations(3).memory(2);
  CHECK_THROWS_WITH_AS(Lpg(op, 1.0, 1, nets(2, 3), opts), doctest::Contains("expected 3 networks"), eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpg(op, 0.0, 1, nets(3, 3), opts), doctest::Contains("positive operator norm, found 0"),
                       eqr::value_error);
  CHECK_THROWS_WITH_AS(Lpg(op, 1.0, 2, nets(3, 3), opts), doctest::Contains("2 channels, found 1"), eqr::shape_error);
  Lpg wrong_out(op, 1.0, 1, nets(3, 4), opts);
  const auto y = normal_tensor<DB>(op.range_shape(1), rng);
  CHECK_THROWS_WITH_AS((void)wrong_out.forward(y), doctest::Contains("to output 1×3×4×4 ([u, s]), found 1×4×4×4"),
                       eqr::shape_error);
}

TEST_CASE("denoising end to end: rotation-symmetric networks make the method rot90-equivariant, ordinary ones do not") {
  using Net = TinyNet<FB>;
  using Method = eqr::LearnedProximalGradient<FB, eqr::Identity<FB>, Net>;
  constexpr std::size_t n = 12;
  const eqr::Identity<FB> op(n, n, 1);
  auto make = [&](bool symmetric) {
    eqr::Random rng(77);
    std::vector<Net> nets;
    for (int i = 0; i < 4; ++i) nets.emplace_back(2 + 3, 6, 1 + 3, rng, symmetric);
    return Method(op, 1.0, 1, std::move(nets), eqr::LearnedProximalGradientOptions().iterations(4).memory(3));
  };
  eqr::Random rng(9);
  const auto y = normal_tensor<FB>({1, 1, n, n}, rng);
  for (const bool symmetric : {true, false}) {
    CAPTURE(symmetric);
    const Method method = make(symmetric);
    const auto a = FB::to_host(eqr::testing::rot90<FB>(method.forward(y)));
    const auto b = FB::to_host(method.forward(eqr::testing::rot90<FB>(y)));
    double err = 0.0, scale = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) {
      err = std::max(err, static_cast<double>(std::abs(a[k] - b[k])));
      scale = std::max(scale, static_cast<double>(std::abs(a[k])));
    }
    MESSAGE("relative rot90 equivariance error: " << err / scale);
    if (symmetric)
      CHECK(err / scale < 1e-5);
    else
      CHECK(err / scale > 1e-2);
  }
}

TEST_CASE("a warm start runs the method from u0 = W y, and its reverse mode matches central differences (double)") {
  eqr::Random rng(21);
  const auto op = make_test_operator<DB>(5, 5, rng);
  const TransposeOfTestOperator w(make_test_operator<DB>(5, 5, rng));  // a different operator than the method's
  eqr::WarmStart<Lpg, TransposeOfTestOperator> warm(make_method(op, 3, 2, false, false, 23), w);
  const auto y = normal_tensor<DB>(op.range_shape(2), rng);
  const auto t = normal_tensor<DB>(op.domain_shape(2), rng);
  CHECK(warm.forward(y) == warm.method().forward(y, w.apply(y)));

  eqr::WarmStart<Lpg, TransposeOfTestOperator>::context ctx;
  const auto u = warm.forward(y, ctx);
  CHECK(u == warm.forward(y));
  warm.visit_parameters("", [](const std::string&, eqr::nn::Parameter<DB>& p) { p.zero_grad(); });
  const auto dy = warm.backward(ctx, DB::subtract(u, t));

  const auto loss = [&](const DB::tensor_type& measurements) {
    return 0.5 * DB::squared_norm(DB::subtract(warm.forward(measurements), t));
  };
  eqr::testing::CentralDifferenceCheck fd;
  int checked = 0;
  warm.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<DB>& p) {
    for (std::size_t k = 0; k < p.value.size(); k += 7) {
      fd.check(p.grad.data()[k], p.value.data()[k], [&] { return loss(y); });
      ++checked;
    }
  });
  // ȳ includes the path through u₀ = W y: without Wᵀ ū₀ these entries disagree.
  auto y_var = y;
  for (std::size_t k = 0; k < y_var.size(); k += 3) fd.check(dy.data()[k], y_var.data()[k], [&] { return loss(y_var); });
  CHECK(checked > 20);
  CHECK(fd.worst < 1e-6);

  // The parameters keep the method's names, so checkpoints of the two are interchangeable.
  std::vector<std::string> names, warm_names;
  warm.method().visit_parameters("lpg", [&](const std::string& n, eqr::nn::Parameter<DB>&) { names.push_back(n); });
  warm.visit_parameters("lpg", [&](const std::string& n, eqr::nn::Parameter<DB>&) { warm_names.push_back(n); });
  CHECK(names == warm_names);
}
