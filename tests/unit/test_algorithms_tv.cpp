// The discrete total variation and its proximal operator: gradient/divergence adjointness, closed forms of TV
// and of the TV prox for step images, optimality (duality gap, perturbations), dual feasibility, boxes.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/algorithms/prox.hpp"
#include "eqr/algorithms/tv.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/operators/concepts.hpp"

namespace {

using eqr::GradientField;

template <class T>
xt::xtensor<T, 4> random_batch(std::size_t n, std::size_t c, std::size_t h, std::size_t w, std::uint64_t seed) {
  eqr::Random rng(seed);
  return eqr::random_normal<eqr::cpu::CpuBackend<T>>({n, c, h, w}, rng);
}

template <class T>
GradientField<T> random_field(std::size_t n, std::size_t c, std::size_t h, std::size_t w, std::uint64_t seed) {
  eqr::Random rng(seed);
  GradientField<T> p = GradientField<T>::from_shape({n, c, std::size_t{2}, h, w});
  for (auto& v : p) v = static_cast<T>(rng.normal());
  return p;
}

template <class A, class B>
double dot(const A& a, const B& b) {
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += double(a.data()[k]) * double(b.data()[k]);
  return s;
}

/// An H×W one-channel image that is `left` on columns j < k and `right` on columns j ≥ k.
xt::xtensor<double, 4> vertical_step(std::size_t h, std::size_t w, std::size_t k, double left, double right) {
  xt::xtensor<double, 4> u = xt::xtensor<double, 4>::from_shape({1, 1, h, w});
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) u(0, 0, i, j) = j < k ? left : right;
  return u;
}

/// P(u) = ½‖u − v‖² + λ TV(u), the ROF objective.
double rof(const xt::xtensor<double, 4>& u, const xt::xtensor<double, 4>& v, double lambda) {
  double s = 0;
  for (std::size_t k = 0; k < u.size(); ++k) s += 0.5 * (u.data()[k] - v.data()[k]) * (u.data()[k] - v.data()[k]);
  return s + lambda * eqr::total_variation(u);
}

}  // namespace

TEST_CASE_TEMPLATE("gradient and divergence are negative adjoints: <grad u, p> = -<u, div p>", T, float, double) {
  const std::size_t shapes[][4] = {{1, 1, 1, 1}, {1, 1, 1, 7}, {1, 1, 6, 1}, {2, 1, 5, 8}, {1, 2, 9, 4}, {2, 3, 4, 4}};
  std::uint64_t seed = 1;
  for (const auto& s : shapes) {
    const auto u = random_batch<T>(s[0], s[1], s[2], s[3], seed++);
    const auto p = random_field<T>(s[0], s[1], s[2], s[3], seed++);
    const auto g = eqr::discrete_gradient(u);
    const auto dv = eqr::discrete_divergence(p);
    CHECK(g.shape()[2] == 2);
    CHECK(dv.shape() == u.shape());
    const double lhs = dot(g, p), rhs = -dot(u, dv);
    const double scale = std::sqrt(dot(g, g) * dot(p, p)) + std::sqrt(dot(u, u) * dot(dv, dv)) + 1e-30;
    const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
    CHECK(std::abs(lhs - rhs) <= tol * scale);
  }
}

TEST_CASE("gradient by hand: forward differences, zero on the last row and column") {
  // u = [[1, 2, 4], [3, 7, 5]]
  xt::xtensor<double, 4> u = xt::xtensor<double, 4>::from_shape({1, 1, 2, 3});
  const double values[] = {1, 2, 4, 3, 7, 5};
  std::copy(values, values + 6, u.begin());
  const auto g = eqr::discrete_gradient(u);
  const double di[] = {2, 5, 1, 0, 0, 0};    // rows: u[1] − u[0]; last row 0
  const double dj[] = {1, 2, 0, 4, -2, 0};   // columns: u[j+1] − u[j]; last column 0
  for (std::size_t k = 0; k < 6; ++k) {
    CHECK(g(0, 0, 0, k / 3, k % 3) == di[k]);
    CHECK(g(0, 0, 1, k / 3, k % 3) == dj[k]);
  }
  // div of a field with a single 1 in component 1 at (0, 0): +1 at (0, 0), −1 at (0, 1).
  GradientField<double> p = GradientField<double>::from_shape({1, 1, 2, 2, 3});
  std::fill(p.begin(), p.end(), 0.0);
  p(0, 0, 1, 0, 0) = 1.0;
  const auto dv = eqr::discrete_divergence(p);
  CHECK(dv(0, 0, 0, 0) == 1.0);
  CHECK(dv(0, 0, 0, 1) == -1.0);
  CHECK(dv(0, 0, 1, 0) == 0.0);
}

TEST_CASE("TV of hand-made images: constant, step edges (jump x length), ramp, vectorial channels") {
  CHECK(eqr::total_variation(vertical_step(5, 6, 0, 3.0, 3.0)) == 0.0);
  // A vertical edge of jump 2.5 across 7 rows: TV = 2.5 * 7.
  CHECK(eqr::total_variation(vertical_step(7, 9, 4, 1.0, 3.5)) == doctest::Approx(2.5 * 7).epsilon(1e-14));
  // A horizontal edge of jump −4 across 6 columns (rows ≥ 2 differ): TV = 4 * 6.
  xt::xtensor<double, 4> h = xt::xtensor<double, 4>::from_shape({1, 1, 5, 6});
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 6; ++j) h(0, 0, i, j) = i < 2 ? 4.0 : 0.0;
  CHECK(eqr::total_variation(h) == doctest::Approx(24.0).epsilon(1e-14));
  // The ramp u(i, j) = j: |∇u| = 1 on every column but the last: TV = H (W − 1).
  xt::xtensor<double, 4> r = xt::xtensor<double, 4>::from_shape({1, 1, 4, 5});
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 5; ++j) r(0, 0, i, j) = double(j);
  CHECK(eqr::total_variation(r) == doctest::Approx(16.0).epsilon(1e-14));
  // The diagonal ramp u = i + j: |∇u| = √2 inside, 1 on the last row/column (but not the corner).
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 5; ++j) r(0, 0, i, j) = double(i + j);
  CHECK(eqr::total_variation(r) == doctest::Approx(3 * 4 * std::sqrt(2.0) + 3 + 4).epsilon(1e-14));
  // Two channels with jumps 3 and 4 on the same edge: one magnitude 5 per row (vectorial TV), not 3 + 4.
  xt::xtensor<double, 4> c2 = xt::xtensor<double, 4>::from_shape({1, 2, 3, 4});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      c2(0, 0, i, j) = j < 2 ? 0.0 : 3.0;
      c2(0, 1, i, j) = j < 2 ? 1.0 : -3.0;
    }
  CHECK(eqr::total_variation(c2) == doctest::Approx(5.0 * 3).epsilon(1e-14));
  // A batch sums its items; the mixed norm of the gradient equals TV.
  xt::xtensor<double, 4> b = xt::concatenate(xt::xtuple(vertical_step(7, 9, 4, 1.0, 3.5), vertical_step(7, 9, 2, 0.0, -1.0)), 0);
  CHECK(eqr::total_variation(b) == doctest::Approx(2.5 * 7 + 7).epsilon(1e-14));
  CHECK(eqr::mixed_norm(eqr::discrete_gradient(b)) == doctest::Approx(eqr::total_variation(b)).epsilon(1e-14));
}

TEST_CASE("the squared norm of the gradient is the largest Neumann-Laplacian eigenvalue, below 8") {
  // −div ∇ is the Neumann Laplacian with eigenvalues 4 sin²(πk/2H) + 4 sin²(πl/2W); its largest is ‖∇‖².
  for (const auto& [h, w] : {std::pair<std::size_t, std::size_t>{6, 9}, {16, 16}}) {
    auto x = random_batch<double>(1, 1, h, w, 7);
    double lambda = 0;
    for (int it = 0; it < 3000; ++it) {
      auto y = eqr::discrete_divergence(eqr::discrete_gradient(x));
      lambda = std::sqrt(dot(y, y) / dot(x, x));
      for (std::size_t k = 0; k < y.size(); ++k) x.data()[k] = -y.data()[k] / std::sqrt(dot(y, y));
    }
    const double pi = std::numbers::pi;
    const double exact = 4 * std::pow(std::sin(pi * double(h - 1) / double(2 * h)), 2) +
                         4 * std::pow(std::sin(pi * double(w - 1) / double(2 * w)), 2);
    CHECK(lambda == doctest::Approx(exact).epsilon(1e-6));
    CHECK(lambda < eqr::gradient_norm_squared_bound);
  }
}

TEST_CASE("TV prox of a step has the closed form: the sides move by lambda/area towards each other") {
  // v: 0 on k = 3 columns, a = 2 on m = 5 columns, 4 rows.  The ROF solution keeps the edge and moves each side
  // by λ·(edge length)/(side area) = λ/k and λ/m while λ(1/k + 1/m) < a; beyond, it is the mean, constant.
  const auto v = vertical_step(4, 8, 3, 0.0, 2.0);
  for (const double lambda : {0.3, 1.5}) {
    const auto u = eqr::tv_denoise(v, lambda, eqr::TvProxOptions{}.iterations(3000));
    CHECK(u(0, 0, 2, 0) == doctest::Approx(lambda / 3).epsilon(1e-5));
    CHECK(u(0, 0, 1, 7) == doctest::Approx(2.0 - lambda / 5).epsilon(1e-5));
  }
  const auto flat = eqr::tv_denoise(v, 10.0, eqr::TvProxOptions{}.iterations(3000));
  for (const double x : flat) CHECK(x == doctest::Approx(2.0 * 5 / 8).epsilon(1e-5));
  // Scaling: prox_{τ w TV} with τ = 0.5, w = 0.6 equals λ = 0.3.
  eqr::TvProx<double> g(0.6, eqr::TvProxOptions{}.iterations(3000));
  const auto u = g.prox(v, 0.5);
  CHECK(u(0, 0, 0, 0) == doctest::Approx(0.1).epsilon(1e-5));
}

TEST_CASE("TV prox of a two-channel step shrinks the jump vector along its direction (vectorial TV)") {
  // Jump (3, 4) of length 5: each side moves by λ/area along the unit vector (3, 4)/5.
  xt::xtensor<double, 4> v = xt::xtensor<double, 4>::from_shape({1, 2, 3, 6});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 6; ++j) {
      v(0, 0, i, j) = j < 2 ? 0.0 : 3.0;
      v(0, 1, i, j) = j < 2 ? 0.0 : 4.0;
    }
  const double lambda = 1.0;
  const auto u = eqr::tv_denoise(v, lambda, eqr::TvProxOptions{}.iterations(3000));
  CHECK(u(0, 0, 1, 0) == doctest::Approx(0.6 * lambda / 2).epsilon(1e-5));
  CHECK(u(0, 1, 1, 0) == doctest::Approx(0.8 * lambda / 2).epsilon(1e-5));
  CHECK(u(0, 0, 1, 5) == doctest::Approx(3.0 - 0.6 * lambda / 4).epsilon(1e-5));
  CHECK(u(0, 1, 1, 5) == doctest::Approx(4.0 - 0.8 * lambda / 4).epsilon(1e-5));
}

TEST_CASE_TEMPLATE("TV prox is optimal: small duality gap, no better perturbation, dual feasible", T, float, double) {
  const auto v = random_batch<T>(2, 2, 12, 10, 11);
  const double lambda = 0.4;
  eqr::TvProx<T> g(lambda, eqr::TvProxOptions{}.iterations(600));
  const auto u = g.prox(v, T(1));
  const auto& p = g.dual();
  CHECK(eqr::max_magnitude(p) <= 1.0 + 1e-6);  // |p| ≤ 1 pointwise
  // u = v + λ div p (the primal–dual relation).
  const auto dv = eqr::discrete_divergence(p);
  for (std::size_t k = 0; k < u.size(); ++k)
    CHECK(double(u.data()[k]) == doctest::Approx(double(v.data()[k]) + lambda * double(dv.data()[k])).epsilon(1e-5));
  // Duality gap: an upper bound on the suboptimality.
  xt::xtensor<double, 4> ud = xt::cast<double>(u), vd = xt::cast<double>(v);
  const double objective = rof(ud, vd, lambda);
  const double gap = eqr::tv_duality_gap(u, p, lambda);
  CHECK(gap >= -1e-6 * objective);
  CHECK(gap <= (std::is_same_v<T, float> ? 1e-4 : 1e-6) * objective);
  // No perturbation does better than the gap allows.
  eqr::Random rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    const double eps = trial < 10 ? 1e-2 : 1e-1;
    xt::xtensor<double, 4> w = ud;
    for (auto& x : w) x += eps * rng.normal();
    CHECK(rof(w, vd, lambda) >= objective - gap - 1e-9);
  }
}

TEST_CASE("TV prox with a box: the constrained closed form, and the bounds are respected") {
  // Step 0 → 2 with λ = 0.3 gives (0.1, 1.94) unconstrained; with u ≤ 1.5 the right side stops at 1.5 and the
  // left side still moves by λ/k (the two-level problem separates once the box is active).
  const auto v = vertical_step(4, 8, 3, 0.0, 2.0);
  const auto u = eqr::tv_denoise(v, 0.3, eqr::TvProxOptions{}.iterations(3000).bounds(eqr::Box(-1.0, 1.5)));
  CHECK(u(0, 0, 3, 1) == doctest::Approx(0.1).epsilon(1e-5));
  CHECK(u(0, 0, 0, 6) == doctest::Approx(1.5).epsilon(1e-6));
  // Non-negativity on noise: every value ≥ 0, and the objective is no worse than clamping the free solution.
  const auto noise = random_batch<double>(1, 1, 10, 10, 3);
  eqr::TvProx<double> constrained(0.2, eqr::TvProxOptions{}.iterations(800).bounds(eqr::Box::non_negative()));
  const auto c = constrained.prox(noise, 1.0);
  for (const double x : c) CHECK(x >= 0.0);
  CHECK(constrained.value(c) < INFINITY);
  auto clamped = eqr::tv_denoise(noise, 0.2, eqr::TvProxOptions{}.iterations(800));
  for (auto& x : clamped) x = std::max(x, 0.0);
  CHECK(rof(c, noise, 0.2) <= rof(clamped, noise, 0.2) * (1 + 1e-6));
  // The value is +∞ outside the box.
  CHECK(std::isinf(constrained.value(noise)));
}

TEST_CASE("TV prox: early stopping by tolerance, and warm starts need fewer iterations") {
  const auto v = random_batch<double>(1, 1, 16, 16, 21);
  eqr::TvProx<double> g(0.3, eqr::TvProxOptions{}.iterations(5000).tolerance(1e-7));
  const auto u1 = g.prox(v, 1.0);
  const int cold = g.last_iterations();
  CHECK(cold < 5000);
  const auto u2 = g.prox(v, 1.0);  // warm: starts at the converged dual
  CHECK(g.last_iterations() < cold / 4);
  for (std::size_t k = 0; k < u1.size(); ++k) CHECK(u2.data()[k] == doctest::Approx(u1.data()[k]).epsilon(1e-5));
  // Weight 0: the prox is the identity.
  eqr::TvProx<double> zero(0.0);
  const auto z = zero.prox(v, 1.0);
  CHECK(z == v);
}

TEST_CASE("TV and its prox reject bad input with messages that name the problem") {
  CHECK_THROWS_AS(eqr::TvProx<double>(-1.0), eqr::value_error);
  CHECK_THROWS_AS(eqr::TvProx<double>(std::nan("")), eqr::value_error);
  eqr::TvProx<double> g(1.0);
  const auto v = random_batch<double>(1, 1, 4, 4, 1);
  CHECK_THROWS_AS((void)g.prox(v, 0.0), eqr::value_error);
  CHECK_THROWS_AS((void)g.prox(v, -1.0), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::prox(g, v, std::numeric_limits<double>::infinity()), eqr::value_error);
  const xt::xtensor<double, 4> empty = xt::xtensor<double, 4>::from_shape({1, 1, 0, 4});
  CHECK_THROWS_AS((void)g.prox(empty, 1.0), eqr::shape_error);
  CHECK_THROWS_AS((void)eqr::total_variation(empty), eqr::shape_error);
  const GradientField<double> bad = GradientField<double>::from_shape({1, 1, 3, 4, 4});
  CHECK_THROWS_WITH_AS((void)eqr::discrete_divergence(bad), doctest::Contains("N×C×2×H×W"), eqr::shape_error);
  CHECK_THROWS_AS(eqr::TvProxOptions{}.iterations(0), eqr::value_error);
  CHECK_THROWS_AS(eqr::TvProxOptions{}.tolerance(-1.0), eqr::value_error);
  const auto p = random_field<double>(1, 2, 4, 4, 3);
  CHECK_THROWS_AS((void)eqr::tv_duality_gap(v, p, 1.0), eqr::shape_error);
}
