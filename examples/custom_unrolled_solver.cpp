// Compose your own unrolled solver from the library's pieces: a forward operator of your own (a 5×5
// binomial blur, a few lines on the backend's primitives), a learned gradient descent with one
// D4-equivariant network per step, u ← u + Λᵢ([u, ∇E(u)]), trained for a few Adam steps, with its gradient
// checked against central differences and its D4 equivariance measured. Everything is written once over
// the tensor backend B and runs on the CPU backend and, unchanged but for the backend type, on LibTorch.
#include <eqr/algorithms/learned_prox_network.hpp>
#include <eqr/backends/cpu/cpu_backend.hpp>
#include <eqr/backends/cpu/training.hpp>
#include <eqr/core/random.hpp>
#include <eqr/groups/action.hpp>
#include <eqr/groups/groups.hpp>
#include <eqr/nn/module.hpp>
#include <eqr/nn/optimizers.hpp>
#include <eqr/operators/algebra.hpp>
#include <eqr/operators/concepts.hpp>
#if EQR_HAVE_TORCH
#include <eqr/backends/torch/torch_backend.hpp>
#include <eqr/backends/torch/training.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

// ---- 1. The operator: A = convolution with the 5×5 binomial kernel b⊗b/256, b = (1, 4, 6, 4, 1), zero
// boundary, on N×1×n×n images. The kernel is symmetric, so A = Aᵀ up to the boundary and A commutes with
// the eight symmetries of the square (D4). Satisfying `LinearOperator` takes a backend, two shapes, apply
// and the exact adjoint (the transpose of the same convolution).
template <eqr::TensorBackend B>
class BinomialBlur {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;

  explicit BinomialBlur(std::size_t n) : n_(n) {
    const double b[5] = {1, 4, 6, 4, 1};
    std::vector<typename B::scalar_type> k(25);
    for (int i = 0; i < 25; ++i) k[i] = static_cast<typename B::scalar_type>(b[i / 5] * b[i % 5] / 256);
    kernel_ = B::from_host({1, 1, 5, 5}, k);
  }
  eqr::Shape4 domain_shape(std::size_t batch) const { return {batch, 1, n_, n_}; }
  eqr::Shape4 range_shape(std::size_t batch) const { return {batch, 1, n_, n_}; }
  tensor apply(const tensor& x) const {
    eqr::expect_batch<B>(x, [this](std::size_t b) { return domain_shape(b); }, "BinomialBlur::apply");
    return B::conv2d(x, kernel_, eqr::Padding::zeros);
  }
  tensor adjoint(const tensor& y) const {
    eqr::expect_batch<B>(y, [this](std::size_t b) { return range_shape(b); }, "BinomialBlur::adjoint");
    return B::conv2d_backward_data(y, kernel_, eqr::Padding::zeros);
  }

 private:
  std::size_t n_;
  tensor kernel_;
};

// ---- 2. The unrolled method: learned gradient descent u₀ = Aᵀy, u_{i+1} = u_i + Λ_i([u_i, ∇E(u_i)]) with
// E(u) = ½‖Au − y‖² (the library's DataTerm), one network Λ_i per step. Its reverse mode follows the
// chain rule through every step: ū_i = ū_{i+1} + (∂Λ_i/∂u)ᵀū_{i+1} + AᵀA (∂Λ_i/∂g)ᵀū_{i+1}, the last term
// being the VJP of the affine map u ↦ ∇E(u) (DataTerm::gradient_vjp).
template <eqr::TensorBackend B, eqr::LinearOperatorOn<B> Op, eqr::Layer Net>
class LearnedGradientDescent {
 public:
  using backend = B;
  using tensor = typename B::tensor_type;
  struct context {
    std::vector<typename Net::context> steps;
    tensor y;
  };

  LearnedGradientDescent(Op op, std::vector<Net> networks) : op_(std::move(op)), nets_(std::move(networks)) {}

  tensor forward(const tensor& y, context& ctx) {
    const eqr::DataTerm<Op> data(op_, y);
    ctx.y = y;
    ctx.steps.assign(nets_.size(), {});
    tensor u = op_.adjoint(y);
    for (std::size_t i = 0; i < nets_.size(); ++i) {
      const tensor g = data.gradient(u);
      u = B::add(u, nets_[i].forward(B::concat_channels({std::cref(u), std::cref(g)}), ctx.steps[i]));
    }
    return u;
  }
  tensor forward(const tensor& y) {
    context ctx;
    return forward(y, ctx);
  }
  // Adds the gradient of the loss to every parameter, for the cotangent du of the reconstruction.
  void backward(const context& ctx, tensor du) {
    const eqr::DataTerm<Op> data(op_, ctx.y);
    const std::size_t halves[2] = {1, 1};
    for (std::size_t i = nets_.size(); i-- > 0;) {
      const auto d = B::split_channels(nets_[i].backward(ctx.steps[i], du), halves);  // [ū_in, ḡ]
      du = B::add(B::add(du, d[0]), data.gradient_vjp(d[1]));
    }
  }
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    for (std::size_t i = 0; i < nets_.size(); ++i)
      nets_[i].visit_parameters(eqr::nn::child_name(prefix, "step" + std::to_string(i)), f);
  }

 private:
  Op op_;
  std::vector<Net> nets_;
};

// ---- 3. Data: N images of size n×n with a few random discs each, their blurred and noisy measurements.
template <class T>
std::vector<T> discs(std::size_t count, std::size_t n, eqr::Random& rng) {
  std::vector<T> x(count * n * n, T(0));
  for (std::size_t k = 0; k < count; ++k)
    for (int d = 0; d < 4; ++d) {
      const double cx = n * (0.2 + 0.6 * rng.uniform()), cy = n * (0.2 + 0.6 * rng.uniform());
      const double r = n * (0.06 + 0.12 * rng.uniform()), a = 0.3 + 0.7 * rng.uniform();
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
          if (std::hypot(i + 0.5 - cy, j + 0.5 - cx) < r) x[(k * n + i) * n + j] += static_cast<T>(a);
    }
  return x;
}

// g·x for every plane of a batch (exact: g permutes the pixels).
template <eqr::FiniteGroup G, eqr::TensorBackend B>
typename B::tensor_type transformed(typename G::element g, const typename B::tensor_type& x) {
  const eqr::Shape4 s = B::shape(x);
  const auto host = B::to_host(x);
  auto out = host;
  const std::size_t plane = s.h * s.w;
  for (std::size_t p = 0; p < s.n * s.c; ++p)
    eqr::transform_plane<G>(g, std::span(host).subspan(p * plane, plane), s.h, s.w,
                                  std::span(out).subspan(p * plane, plane));
  return B::from_host(s, out);
}

struct Outcome {
  double first_loss, final_loss, gradient_error, equivariance_error;
  int gradient_entries;  // how many coefficients the gradient check compared
};

template <eqr::TensorBackend B>
Outcome run() {
  using T = typename B::scalar_type;
  using G = eqr::D4;                // the group: a compile-time choice (any of groups/catalog.hpp)
  using Net = eqr::ExpandedProx<B>;  // the equivariant prox network of any group, one type per backend
  constexpr std::size_t n = 32, batch = 4, steps = 3;
  const BinomialBlur<B> blur(n);
  static_assert(eqr::LinearOperatorOn<BinomialBlur<B>, B>);

  eqr::Random rng(7);
  const auto x = B::from_host({batch, 1, n, n}, discs<T>(batch, n, rng));
  auto y_host = B::to_host(blur.apply(x));
  for (auto& v : y_host) v += static_cast<T>(0.02 * rng.normal());
  const auto y = B::from_host({batch, 1, n, n}, y_host);

  // Λ_i: [u, ∇E(u)] (2 trivial fields) → 4 regular D4 fields → 4 regular fields → 1 trivial field.
  std::vector<Net> nets;
  for (std::size_t i = 0; i < steps; ++i) nets.push_back(eqr::make_dynamic_equivariant_prox<G, B>(2, 4, 1, 10 * i));
  LearnedGradientDescent<B, BinomialBlur<B>, Net> method(blur, std::move(nets));

  // loss = ½·mean((u − x)²); returns it and leaves its gradient in every parameter.
  const auto loss_and_gradient = [&] {
    typename decltype(method)::context ctx;
    auto r = B::subtract(method.forward(y, ctx), x);
    const double numel = static_cast<double>(batch * n * n), loss = 0.5 * B::squared_norm(r) / numel;
    B::scale(r, static_cast<T>(1.0 / numel));
    eqr::nn::zero_grad(method);
    method.backward(ctx, r);
    return loss;
  };
  eqr::nn::Adam<B> adam(eqr::nn::AdamOptions{}.lr(2e-3));
  Outcome out{};
  for (int step = 0; step < 30; ++step) {
    const double loss = loss_and_gradient();
    if (step == 0) out.first_loss = loss;
    out.final_loss = loss;
    adam.step(method);
  }

  // The gradient of a few lift and projection coefficients of every step against central differences.
  loss_and_gradient();
  double largest_difference = 0, largest_gradient = 0;
  method.visit_parameters("", [&](const std::string& name, eqr::nn::Parameter<B>& p) {
    if (name.find("lift.coefficients") == std::string::npos && name.find("project.coefficients") == std::string::npos)
      return;
    const auto analytic = B::to_host(p.grad);
    auto value = B::to_host(p.value);
    for (std::size_t k = 0; k < value.size(); k += 1 + value.size() / 3) {
      const T kept = value[k], h = static_cast<T>(1e-5);
      const auto loss_at = [&](T v) {
        value[k] = v;
        p.value = B::from_host(B::shape(p.value), value);
        typename decltype(method)::context ctx;
        const auto r = B::subtract(method.forward(y, ctx), x);
        return 0.5 * B::squared_norm(r) / static_cast<double>(batch * n * n);
      };
      const double numeric = (loss_at(kept + h) - loss_at(kept - h)) / (2 * h);
      loss_at(kept);
      ++out.gradient_entries;
      largest_difference = std::max(largest_difference, std::abs(numeric - analytic[k]));
      largest_gradient = std::max(largest_gradient, std::abs(double(analytic[k])));
    }
  });
  out.gradient_error = largest_difference / largest_gradient;  // max |numeric − analytic| / max |analytic|

  // Equivariance: method(g·y) = g·method(y) for every g ∈ G (the eight symmetries of the square), measured.
  const auto u = method.forward(y);
  out.equivariance_error = 0;
  for (int i = 0; i < G::order(); ++i) {
    const auto g = G::element_at(i);
    const auto d = B::subtract(method.forward(transformed<G, B>(g, y)), transformed<G, B>(g, u));
    out.equivariance_error = std::max(out.equivariance_error, std::sqrt(B::squared_norm(d) / B::squared_norm(u)));
  }
  std::printf("%-10s loss %.5f -> %.5f after 30 Adam steps; gradient vs central differences %.1e (%d coefficients); "
              "%s equivariance error %.1e\n", B::name(), out.first_loss, out.final_loss, out.gradient_error,
              out.gradient_entries, G::name(), out.equivariance_error);
  return out;
}

int main() {
  const auto good = [](const Outcome& o) {
    return o.final_loss < 0.8 * o.first_loss && o.gradient_entries >= 12 && o.gradient_error < 1e-6 &&
           o.equivariance_error < 1e-10;
  };
  const Outcome cpu = run<eqr::cpu::CpuBackend<double>>();
  bool ok = good(cpu);
#if EQR_HAVE_TORCH
  const Outcome torch = run<eqr::libtorch::TorchBackend<double>>();  // the same code, another backend
  ok = ok && good(torch) && std::abs(torch.final_loss - cpu.final_loss) <= 1e-8 * cpu.final_loss;
#endif
  return ok ? 0 : 1;
}
