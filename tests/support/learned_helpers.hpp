/// @file tests/support/learned_helpers.hpp
/// Helpers shared by the tests of the learned methods (learned proximal gradient, learned primal-dual, the
/// prox networks and the training loop): a small non-square test operator with a known adjoint, seeded
/// Gaussian tensors and parameters, the batch rot90, a relative difference of tensors, the sinogram rotation rule and a self-removing temporary directory. CPU-backend tests
/// only (they index tensors as x(n, c, i, j)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/random.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/nn/parameter.hpp"

#include "finite_differences.hpp"

namespace eqr::testing {

/// A non-square test operator from 1-channel images to 2-channel measurements: A x = [d ⊙ x, x shifted one
/// column to the right (zero fill)]; α scales the whole operator (to test unit invariance). AᵀA is the
/// diagonal diag(α²(d² + [j < w − 1])), so its norm is known in closed form.
template <TensorBackend B>
struct TestOperator {
  using backend = B;
  using T = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;
  std::size_t h, w;
  std::vector<T> d;
  double alpha = 1.0;
  Shape4 domain_shape(std::size_t n) const { return {n, 1, h, w}; }
  Shape4 range_shape(std::size_t n) const { return {n, 2, h, w}; }
  tensor_type apply(const tensor_type& x) const {
    const Shape4 s = B::shape(x);
    tensor_type y = B::zeros(range_shape(s.n));
    for (std::size_t n = 0; n < s.n; ++n)
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
          y(n, 0, i, j) = static_cast<T>(alpha * d[i * w + j] * x(n, 0, i, j));
          if (j + 1 < w) y(n, 1, i, j + 1) = static_cast<T>(alpha * x(n, 0, i, j));
        }
    return y;
  }
  tensor_type adjoint(const tensor_type& y) const {
    const Shape4 s = B::shape(y);
    tensor_type x = B::zeros(domain_shape(s.n));
    for (std::size_t n = 0; n < s.n; ++n)
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
          x(n, 0, i, j) = static_cast<T>(alpha * d[i * w + j] * y(n, 0, i, j));
          if (j + 1 < w) x(n, 0, i, j) += static_cast<T>(alpha * y(n, 1, i, j + 1));
        }
    return x;
  }
};

/// The test operator on h×w images with d drawn uniformly from [0.5, 1.5) and α = 1.
template <TensorBackend B>
TestOperator<B> make_test_operator(std::size_t h, std::size_t w, Random& rng) {
  TestOperator<B> op{h, w, {}, 1.0};
  for (std::size_t k = 0; k < h * w; ++k) op.d.push_back(static_cast<typename B::scalar_type>(0.5 + rng.uniform()));
  return op;
}

/// A tensor of shape s with seeded N(0, σ²) entries drawn from rng.
template <TensorBackend B>
typename B::tensor_type normal_tensor(Shape4 s, Random& rng, double sigma = 1.0) {
  std::vector<typename B::scalar_type> v(s.numel());
  for (auto& e : v) e = static_cast<typename B::scalar_type>(sigma * rng.normal());
  return B::from_host(s, std::span<const typename B::scalar_type>(v));
}

/// Sets every parameter of a module to seeded N(0, σ²) values (so zero-initialised layers are exercised and
/// no activation sits at its kink).
template <TensorBackend B, class M>
void randomise_normal(M& model, std::uint64_t seed, double sigma) {
  Random rng(seed);
  model.visit_parameters("", [&](const std::string&, nn::Parameter<B>& p) {
    p.value = normal_tensor<B>(B::shape(p.value), rng, sigma);
  });
}

/// ‖a − b‖ / ‖a‖.
template <TensorBackend B>
double relative_difference(const typename B::tensor_type& a, const typename B::tensor_type& b) {
  return std::sqrt(B::squared_norm(B::subtract(a, b)) / B::squared_norm(a));
}

/// rot90 (counter-clockwise, as numpy.rot90) of every channel plane of a square batch.
template <TensorBackend B>
typename B::tensor_type rot90(const typename B::tensor_type& x) {
  const Shape4 s = B::shape(x);
  typename B::tensor_type r = B::zeros(s);
  for (std::size_t n = 0; n < s.n; ++n)
    for (std::size_t c = 0; c < s.c; ++c)
      for (std::size_t i = 0; i < s.h; ++i)
        for (std::size_t j = 0; j < s.w; ++j) r(n, c, i, j) = x(n, c, j, s.w - 1 - i);
  return r;
}

/// The sinogram of rot90(u) from the sinogram y of u (first image, first channel), for A angles θ_a = aπ/A
/// with A even: P_θ(rot u)(s) = P_{θ−π/2} u(s), i.e. row a − A/2 for a ≥ A/2 and, for a < A/2, row a + A/2
/// with the detector reversed (P_{φ−π} u(s) = P_φ u(−s)).
template <TensorBackend B>
typename B::tensor_type rotate_sinogram(const typename B::tensor_type& y) {
  const Shape4 s = B::shape(y);
  const std::size_t A = s.h, D = s.w;
  typename B::tensor_type r = B::zeros(s);
  for (std::size_t a = 0; a < A; ++a)
    for (std::size_t d = 0; d < D; ++d)
      r(0, 0, a, d) = a >= A / 2 ? y(0, 0, a - A / 2, d) : y(0, 0, a + A / 2, D - 1 - d);
  return r;
}

/// A fresh directory under the system's temporary directory (name_<pid>), removed again on destruction.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace eqr::testing
