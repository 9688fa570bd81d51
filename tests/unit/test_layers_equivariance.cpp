// Equivariance of every equivariant layer and of small networks built from them: f(g·x) = g·f(x) with
// [g·x](p) = ρ_in(g) x(g⁻¹p) — every channel plane transformed by groups/action.hpp's transform_plane, then
// the fibre matrix ρ(g) of the field type across channels — for every element g of C1, C2, C4, D1, D2, D4,
// both bases (harmonic, grid) and both paddings, in float on square inputs: error ≤ 1e-5 relative to the
// output's largest value.  For C8 and C16 (harmonic basis) the 90° error (exact) is asserted and the 45°
// error (input rotated by bilinear interpolation, compared inside a central disc) is printed only.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/data/rotate.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/core/random.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/random_tensor.hpp"

namespace {

using B = eqr::cpu::CpuBackend<float>;
using Tensor = B::tensor_type;
using eqr::Padding;

Tensor random_tensor(eqr::Shape4 s, std::uint64_t seed) { return eqr::testing::random_tensor<B>(s, seed); }

/// g·x for a feature map x of type F: each plane transformed by g, then mixed across channels by ρ_F(g).
template <class F>
Tensor act(typename F::group::element g, const Tensor& x) {
  using G = typename F::group;
  const eqr::Shape4 s = B::shape(x);
  REQUIRE(s.h == s.w);
  REQUIRE(s.c == static_cast<std::size_t>(F::channels()));
  const auto in = B::to_host(x);
  std::vector<float> moved(in.size()), out(in.size(), 0.0f);
  for (std::size_t p = 0; p < s.n * s.c; ++p)
    eqr::transform_plane<G, float>(g, std::span<const float>(in).subspan(p * s.plane(), s.plane()), s.h, s.w,
                                   std::span<float>(moved).subspan(p * s.plane(), s.plane()));
  const Eigen::MatrixXd rho = F::matrix(g);
  for (std::size_t n = 0; n < s.n; ++n)
    for (std::size_t c = 0; c < s.c; ++c)
      for (std::size_t d = 0; d < s.c; ++d) {
        const double r = rho(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(d));
        if (r == 0.0) continue;
        for (std::size_t i = 0; i < s.plane(); ++i)
          out[(n * s.c + c) * s.plane() + i] += static_cast<float>(r * moved[(n * s.c + d) * s.plane() + i]);
      }
  return B::from_host(s, out);
}

double relative_max_error(const Tensor& a, const Tensor& b) {
  const auto u = B::to_host(a), v = B::to_host(b);
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(u[i]) - v[i]));
    scale = std::max(scale, std::abs(static_cast<double>(v[i])));
  }
  return diff / std::max(scale, 1e-30);
}

/// The largest relative error of f(g·x) against g·f(x) over the grid-preserving elements of the group.
template <class L>
double equivariance_error(const L& layer, const Tensor& x) {
  using G = typename L::in_type::group;
  const Tensor y = layer.forward(x);
  double worst = 0;
  for (int e = 0; e < G::order(); ++e) {
    const auto g = G::element_at(e);
    if (!eqr::preserves_grid<G>(g)) continue;
    const Tensor lhs = layer.forward(act<typename L::in_type>(g, x));
    const Tensor rhs = act<typename L::out_type>(g, y);
    worst = std::max(worst, relative_max_error(lhs, rhs));
  }
  return worst;
}

template <class L>
void check_equivariant(const L& layer, const Tensor& x, const std::string& what) {
  const double e = equivariance_error(layer, x);
  INFO(what << ": equivariance error " << e);
  CHECK(e <= 1e-5);
  // The check can fail: a non-equivariant input transformation is detected (unless the output is invariant).
}

/// A non-trivial irrep of G (two-dimensional where the group has one), for mixed field types.
template <class G>
using SomeIrrep = std::conditional_t<(G::rotation_order() >= 3), eqr::Irrep<G, eqr::is_dihedral_v<G> ? 1 : 0, 1>,
                                     eqr::Irrep<G, eqr::is_dihedral_v<G> ? 1 : 0, G::rotation_order() / 2>>;

template <class G>
void check_all_layers(eqr::BasisSolver basis, Padding pad) {
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 2>>;
  using Mixed = eqr::FieldType<G, eqr::Trivial<G>, SomeIrrep<G>, eqr::Regular<G>>;
  const std::string tag = std::string(G::name()) + " " + std::string(eqr::name(basis)) + " " +
                          std::string(eqr::name(pad));
  const auto o = [&](std::uint64_t seed) { return eqr::EquivariantConvOptions(3).basis(basis).padding(pad).seed(seed); };
  using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
  using Group = eqr::EquivariantConv<G, Reg, Reg, B>;
  using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
  using Phi = eqr::PointwiseNonlinearity<Reg, B>;
  Lift lift(o(1));
  Group group(o(2));
  Proj project(o(3));
  eqr::EquivariantConv<G, Mixed, Mixed, B> mixed(o(4));
  // Non-zero biases, so that their invariance is tested too.
  for (auto* p : {&lift.bias(), &group.bias(), &project.bias(), &mixed.bias()})
    p->value = random_tensor(B::shape(p->value), 99);
  const Tensor x1 = random_tensor({2, 1, 9, 9}, 5);
  const Tensor xr = random_tensor({1, Reg::channels(), 8, 8}, 6);
  const Tensor xm = random_tensor({1, Mixed::channels(), 9, 9}, 7);
  check_equivariant(lift, x1, tag + " lift");
  check_equivariant(group, xr, tag + " group");
  check_equivariant(project, xr, tag + " project");
  check_equivariant(mixed, xm, tag + " mixed (trivial + irrep + regular)");
  check_equivariant(Phi(), xr, tag + " pointwise");
  eqr::NormNonlinearity<Mixed, B> norm(-0.2);
  check_equivariant(norm, xm, tag + " norm relu");
  check_equivariant(eqr::GroupPooling<Reg, B, eqr::PoolMode::max>(), xr, tag + " max pool");
  check_equivariant(eqr::GroupPooling<Reg, B, eqr::PoolMode::mean>(), xr, tag + " mean pool");
  // Concatenation of fields: [lift(x), K(x)] of type ConcatType<Reg, Tr>.
  eqr::Parallel<Lift, eqr::EquivariantConv<G, Tr, Tr, B>> branches(Lift(o(5)), eqr::EquivariantConv<G, Tr, Tr, B>(o(6)));
  check_equivariant(branches, x1, tag + " parallel branches (concatenated fields)");
  // Networks: lift → φ → (id + φ∘K) → project, and lift → φ → group → max pool.
  eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Group, Phi>>, Proj> net(
      Lift(o(11)), Phi(), eqr::Residual(eqr::Sequential<Group, Phi>(Group(o(12)), Phi())), Proj(o(13)));
  check_equivariant(net, random_tensor({1, 1, 10, 10}, 8), tag + " network lift-phi-residual-project");
  eqr::Sequential<Lift, Phi, Group, eqr::GroupPooling<Reg, B>> pooled(Lift(o(21)), Phi(), Group(o(22)),
                                                                      eqr::GroupPooling<Reg, B>());
  check_equivariant(pooled, random_tensor({1, 1, 9, 9}, 9), tag + " network lift-phi-group-pool");
  // The expanded filter satisfies the kernel constraint (paper, Eq. 8) on the grid.
  const auto w = B::to_host(mixed.expanded_filter());
  const std::vector<double> wd(w.begin(), w.end());
  CHECK(eqr::kernel_constraint_residual<G>(wd, eqr::describe<typename Mixed::representation>(),
                                           eqr::describe<typename Mixed::representation>(), 3) < 1e-6);
}

}  // namespace

TEST_CASE_TEMPLATE("Every layer and small networks are equivariant on the grid (both bases, both paddings)", G,
                   eqr::C1, eqr::C2, eqr::C4, eqr::D1, eqr::D2, eqr::D4) {
  for (auto basis : {eqr::BasisSolver::harmonic, eqr::BasisSolver::grid})
    for (Padding pad : {Padding::zeros, Padding::replicate}) check_all_layers<G>(basis, pad);
}

namespace {
/// A plain convolution with a random filter, declared as a C4 trivial → trivial layer (which it is not).
struct PlainC4 {
  using in_type = eqr::FieldType<eqr::C4, eqr::Trivial<eqr::C4>>;
  using out_type = in_type;
  eqr::Conv<B> conv{eqr::ConvOptions(1, 1, 3).seed(3)};
  Tensor forward(const Tensor& x) const { return conv.forward(x); }
};
}  // namespace

TEST_CASE("The equivariance check detects a layer that is not equivariant") {
  CHECK(equivariance_error(PlainC4{}, random_tensor({1, 1, 9, 9}, 5)) > 1e-2);
}

namespace {
/// Smooth random input: a few Gaussian blobs, so that bilinear rotation by 45° is accurate inside the image.
Tensor smooth_input(std::size_t n, std::uint64_t seed) {
  eqr::Random rng(seed);
  std::vector<float> v(n * n, 0.0f);
  for (int blob = 0; blob < 6; ++blob) {
    const double ci = n * (0.3 + 0.4 * rng.uniform()), cj = n * (0.3 + 0.4 * rng.uniform());
    const double s = n * (0.08 + 0.06 * rng.uniform()), a = 2 * rng.uniform() - 1;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        v[i * n + j] += static_cast<float>(a * std::exp(-((i - ci) * (i - ci) + (j - cj) * (j - cj)) / (2 * s * s)));
  }
  return B::from_host({1, 1, n, n}, v);
}

/// Relative error of a (C8 or C16) lift → φ → project network for the rotation by `steps`·360/M degrees,
/// inside the disc of radius 0.3·n about the centre.
template <int M>
double rotation_error(int steps, Padding pad) {
  using G = eqr::Cyclic<M>;
  using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
  using Reg = eqr::FieldType<G, eqr::Regular<G>>;
  using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
  using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
  using Phi = eqr::PointwiseNonlinearity<Reg, B>;
  const auto o = eqr::EquivariantConvOptions(5).padding(pad);
  eqr::Sequential<Lift, Phi, Proj> net(Lift(eqr::EquivariantConvOptions(o).seed(1)), Phi(),
                                       Proj(eqr::EquivariantConvOptions(o).seed(2)));
  const std::size_t n = 41;
  const Tensor x = smooth_input(n, 3);
  const double angle = 2 * std::numbers::pi * steps / M;
  const Tensor lhs = net.forward(eqr::data::rotate(x, angle));
  const Tensor rhs = eqr::data::rotate(net.forward(x), angle);  // trivial output: no fibre action
  const auto u = B::to_host(lhs), v = B::to_host(rhs);
  double diff = 0, scale = 0;
  const double c = (n - 1) / 2.0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      if ((i - c) * (i - c) + (j - c) * (j - c) > 0.09 * n * n) continue;
      diff = std::max(diff, std::abs(static_cast<double>(u[i * n + j]) - v[i * n + j]));
      scale = std::max(scale, std::abs(static_cast<double>(v[i * n + j])));
    }
  return diff / scale;
}
}  // namespace

TEST_CASE("C8 and C16 (harmonic basis): 90 degrees exact (asserted), 45 degrees interpolated (printed)") {
  for (Padding pad : {Padding::zeros, Padding::replicate}) {
    const double e8_90 = rotation_error<8>(2, pad), e8_45 = rotation_error<8>(1, pad);
    const double e16_90 = rotation_error<16>(4, pad), e16_45 = rotation_error<16>(2, pad);
    std::printf("[equivariance, %s padding, 5x5, 41x41 smooth input, disc r=0.3n] C8: 90 deg %.2e, 45 deg %.2e; "
                "C16: 90 deg %.2e, 45 deg %.2e\n",
                std::string(eqr::name(pad)).c_str(), e8_90, e8_45, e16_90, e16_45);
    CHECK(e8_90 <= 1e-5);
    CHECK(e16_90 <= 1e-5);
  }
}
