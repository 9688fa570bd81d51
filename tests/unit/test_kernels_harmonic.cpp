// HarmonicBasis: e2cnn's sizes, the kernel constraint (paper Eq. 8) for every grid-preserving element, full rank,
// hand-computed values, e2cnn's normalisation, options and the even-kernel error.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>
#include <span>
#include <tuple>

#include <Eigen/Dense>

#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/basis_helpers.hpp"

using namespace eqr;
using eqr::testing::Pair;
using eqr::testing::rank_of;

namespace {

template <class Rin, class Rout>
void check_sizes(int k, int expected) {
  const HarmonicBasis<Rin, Rout> basis(k);
  CHECK(basis.size() == expected);
  CHECK(basis.matrix().rows() == expected);
  CHECK(basis.matrix().cols() == Rin::size() * Rout::size() * k * k);
}

}  // namespace

TEST_CASE("harmonic basis sizes equal e2cnn's (DESIGN.md section 5)") {
  check_sizes<Trivial<C4>, Regular<C4>>(3, 6);
  check_sizes<Regular<C4>, Regular<C4>>(3, 24);
  check_sizes<Regular<C4>, Trivial<C4>>(3, 6);
  check_sizes<Trivial<C8>, Regular<C8>>(3, 6);
  check_sizes<Regular<C8>, Regular<C8>>(3, 48);
  check_sizes<Regular<C8>, Trivial<C8>>(3, 6);
  check_sizes<Trivial<D4>, Regular<D4>>(3, 6);
  check_sizes<Regular<D4>, Regular<D4>>(3, 48);
  check_sizes<Regular<D4>, Trivial<D4>>(3, 6);
  check_sizes<Trivial<C4>, Regular<C4>>(5, 11);
  check_sizes<Regular<C4>, Regular<C4>>(5, 44);
  check_sizes<Regular<C4>, Trivial<C4>>(5, 11);
  check_sizes<Trivial<C1>, Trivial<C1>>(3, 6);
}

TEST_CASE_TEMPLATE_DEFINE("harmonic basis satisfies the kernel constraint and has full rank", P, harmonic_constraint) {
  using Rin = typename P::in;
  using Rout = typename P::out;
  using G = typename Rin::group;
  for (int k : {1, 3, 5}) {
    CAPTURE(k);
    const HarmonicBasis<Rin, Rout> basis(k);
    const auto in = describe<Rin>(), out = describe<Rout>();
    const auto length = static_cast<std::size_t>(Rin::size() * Rout::size() * k * k);
    for (int e = 0; e < basis.size(); ++e) {
      CAPTURE(e);
      const std::span<const double> element(basis.matrix().row(e).data(), length);
      CHECK(kernel_constraint_residual<G>(element, in, out, k) < 1e-6);
      // e2cnn's normalisation: energy = size of the element's output irrep.
      const double energy = basis.matrix().row(e).squaredNorm();
      CHECK(energy == doctest::Approx(irrep_size<G>(basis.sampled().info[e].out_irrep)).epsilon(1e-12));
    }
    CHECK(rank_of(basis.matrix()) == basis.size());
  }
}
TEST_CASE_TEMPLATE_INVOKE(harmonic_constraint, Pair<Trivial<C4>, Regular<C4>>, Pair<Regular<C4>, Regular<C4>>,
                          Pair<Regular<C4>, Trivial<C4>>, Pair<Regular<C8>, Regular<C8>>, Pair<Irrep<C8, 0, 3>, Irrep<C8, 0, 1>>,
                          Pair<Regular<D4>, Regular<D4>>, Pair<Irrep<D4, 1, 0>, Regular<D4>>,
                          Pair<Irrep<D4, 0, 2>, Irrep<D4, 1, 1>>, Pair<Irrep<D4, 1, 1>, Irrep<D4, 1, 2>>,
                          Pair<Regular<D8>, Irrep<D8, 1, 3>>, Pair<Regular<D1>, Regular<D1>>, Pair<Regular<D2>, Regular<D2>>,
                          Pair<Regular<C2>, Regular<C2>>, Pair<Regular<C3>, Regular<C3>>, Pair<Regular<C6>, Regular<C6>>,
                          Pair<Trivial<C1>, Trivial<C1>>, Pair<DirectSum<Trivial<D4>, Irrep<D4, 1, 1>>, Regular<D4>>);

TEST_CASE_TEMPLATE_DEFINE("angular solutions satisfy the continuous constraint for every group element", G, angular_suite) {
  // Off the grid, every element of G counts (also 45° in C8, 120° in C3): A(angle of g·x) = ψ_out(g) A(θ) ψ_in(g)ᵀ
  // for the unit vector x at angle θ — the selection rules and phases for the whole group, not only quarter turns.
  for (const IrrepId in : irreps_of<G>())
    for (const IrrepId out : irreps_of<G>()) {
      const int d_in = irrep_size<G>(in), d_out = irrep_size<G>(out);
      const auto solutions = angular_solutions<G>(in, out, G::rotation_order());  // every pair has one alias
      CHECK(!solutions.empty());
      for (const auto& sol : solutions)
        for (double theta : {0.3, 1.1, 2.9, -2.0}) {
          const auto a = angular_block<G>(sol, in, out, theta);
          Eigen::MatrixXd am(d_out, d_in);
          for (int r = 0; r < d_out; ++r)
            for (int c = 0; c < d_in; ++c) am(r, c) = a[r * d_in + c];
          for (int e = 0; e < G::order(); ++e) {
            const auto g = G::element_at(e);
            const Point2 gx = act<G>(g, {std::cos(theta), std::sin(theta)});
            const auto b = angular_block<G>(sol, in, out, std::atan2(gx.y, gx.x));
            const Eigen::MatrixXd expected = irrep_matrix<G>(out, g) * am * irrep_matrix<G>(in, g).transpose();
            for (int r = 0; r < d_out; ++r)
              for (int c = 0; c < d_in; ++c) CHECK(std::abs(b[r * d_in + c] - expected(r, c)) < 1e-9);
          }
        }
    }
}
TEST_CASE_TEMPLATE_INVOKE(angular_suite, C1, C2, C3, C4, Cyclic<5>, C6, C8, C12, C16, D1, D2, Dihedral<3>, D4,
                          Dihedral<5>, Dihedral<6>, D8);

TEST_CASE_TEMPLATE_DEFINE("angular solutions span all equivariant angular functions up to the cutoff", G, completeness) {
  // The functions A: S¹ → R^{d_out×d_in} with frequencies ≤ F, sampled at L angles 2πi/L (a set that every
  // element of G permutes: L a multiple of 2N), form a G-invariant space V.  Its equivariant part is the range of
  // the group average P = (1/|G|) Σ_g T_g, (T_g A)(θ) = ψ_out(g) A(g⁻¹θ) ψ_in(g)ᵀ, restricted to V.  The solutions
  // with |μ| ≤ F must lie in it and span it, with no redundant element.
  constexpr int n = G::rotation_order(), f = 5, l = 2 * n * (f + 1);
  const auto index_of_angle = [](double a) {
    const double turns = a / (2 * std::numbers::pi) * l;
    return ((static_cast<int>(std::lround(turns)) % l) + l) % l;
  };
  for (const IrrepId in : irreps_of<G>())
    for (const IrrepId out : irreps_of<G>()) {
      const int d_in = irrep_size<G>(in), d_out = irrep_size<G>(out), dd = d_in * d_out;
      // V: every (trig function, matrix entry), as columns of length L·dd (row i·dd + entry).
      Eigen::MatrixXd v = Eigen::MatrixXd::Zero(l * dd, (2 * f + 1) * dd);
      for (int i = 0; i < l; ++i) {
        const double theta = 2 * std::numbers::pi * i / l;
        for (int e = 0; e < dd; ++e) {
          v(i * dd + e, e) = 1;
          for (int j = 1; j <= f; ++j) {
            v(i * dd + e, (2 * j - 1) * dd + e) = std::cos(j * theta);
            v(i * dd + e, 2 * j * dd + e) = std::sin(j * theta);
          }
        }
      }
      Eigen::MatrixXd averaged = Eigen::MatrixXd::Zero(v.rows(), v.cols());
      for (int e = 0; e < G::order(); ++e) {
        const auto g = G::element_at(e);
        const Eigen::MatrixXd ro = irrep_matrix<G>(out, g), ri = irrep_matrix<G>(in, g);
        for (int i = 0; i < l; ++i) {
          const double theta = 2 * std::numbers::pi * i / l;
          const Point2 src = act<G>(G::inverse(g), {std::cos(theta), std::sin(theta)});
          const int q = index_of_angle(std::atan2(src.y, src.x));
          for (int a = 0; a < d_out; ++a)
            for (int b = 0; b < d_in; ++b)
              for (int a2 = 0; a2 < d_out; ++a2)
                for (int b2 = 0; b2 < d_in; ++b2)
                  averaged.row(i * dd + a * d_in + b) += ro(a, a2) * ri(b, b2) * v.row(q * dd + a2 * d_in + b2);
        }
      }
      averaged /= G::order();
      const auto solutions = angular_solutions<G>(in, out, f);
      Eigen::MatrixXd sampled(l * dd, static_cast<Eigen::Index>(solutions.size()));
      for (std::size_t k = 0; k < solutions.size(); ++k)
        for (int i = 0; i < l; ++i) {
          const auto a = angular_block<G>(solutions[k], in, out, 2 * std::numbers::pi * i / l);
          for (int e = 0; e < dd; ++e) sampled(i * dd + e, static_cast<Eigen::Index>(k)) = a[e];
        }
      const auto rank = [](const Eigen::MatrixXd& m) {  // absolute threshold: the entries are O(1)
        if (m.cols() == 0) return 0;
        const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
        return static_cast<int>((sv.array() > 1e-8).count());
      };
      const int invariant = rank(averaged);
      Eigen::MatrixXd both(averaged.rows(), averaged.cols() + sampled.cols());
      both << averaged, sampled;
      CAPTURE(in.j);
      CAPTURE(in.k);
      CAPTURE(out.j);
      CAPTURE(out.k);
      CHECK(static_cast<int>(solutions.size()) == invariant);
      CHECK(rank(sampled) == invariant);
      CHECK(rank(both) == invariant);
    }
}
TEST_CASE_TEMPLATE_INVOKE(completeness, C1, C2, C3, C4, C6, C8, D1, D2, Dihedral<3>, D4, D8);

TEST_CASE("a dihedral phase measured from the wrong axis violates the mirror constraint (the test can fail)") {
  // Trivial → sign irrep ψ_{1,0} of D1 (ψ(F) = −1), frequency 1, γ = π/2.  Measured from the mirror axis θ_axis = π/2
  // (our derivation): cos(θ − π/2 + π/2) = cos θ = x/r, odd under x ↦ −x as required.  Measured from the x axis
  // (θ_axis = 0): cos(θ + π/2) = −sin θ = −y/r, even under x ↦ −x, which violates Eq. 8.
  const auto in = describe<Trivial<D1>>(), out = describe<Irrep<D1, 1, 0>>();
  std::vector<double> wrong(9), right(9);
  for (int p = 0; p < 9; ++p) {
    const Point2 x = kernel_grid_point(3, p / 3, p % 3);
    if (x.x == 0 && x.y == 0) continue;
    const double theta = std::atan2(x.y, x.x);
    wrong[p] = std::cos(theta + std::numbers::pi / 2);
    right[p] = std::cos(theta - std::numbers::pi / 2 + std::numbers::pi / 2);
  }
  CHECK(kernel_constraint_residual<D1>(wrong, in, out, 3) > 0.5);
  CHECK(kernel_constraint_residual<D1>(right, in, out, 3) < 1e-12);
  // And the library's basis for this pair is exactly ±cos θ on ring 1 (plus nothing on ring 0).
  const HarmonicBasis<Trivial<D1>, Irrep<D1, 1, 0>> basis(3);
  REQUIRE(basis.size() >= 1);
  CHECK(basis.sampled().info[0].frequency == 1);
  CHECK(basis.matrix()(0, 5) > 0.1);                                    // (x, y) = (1, 0)
  CHECK(basis.matrix()(0, 3) == doctest::Approx(-basis.matrix()(0, 5)));  // (−1, 0)
  CHECK(basis.matrix()(0, 1) == doctest::Approx(0.0));                  // (0, 1)
}

TEST_CASE("harmonic basis values equal the hand-computed e2cnn elements for C4, trivial to trivial, 3x3") {
  const HarmonicBasis<Trivial<C4>, Trivial<C4>> basis(3);
  REQUIRE(basis.size() == 2);
  // Ring 0 (σ = 0.005): a delta at the centre.
  for (int p = 0; p < 9; ++p) CHECK(basis.matrix()(0, p) == doctest::Approx(p == 4 ? 1.0 : 0.0));
  // Ring 1 (σ = 0.4), μ = 0: Gaussian of the distance to radius 1, normalised to unit energy.
  const double edge = 1.0, corner = std::exp(-0.5 * std::pow(std::sqrt(2.0) - 1, 2) / 0.16),
               centre = std::exp(-0.5 / 0.16);
  const double norm = std::sqrt(4 * edge * edge + 4 * corner * corner + centre * centre);
  const double expected[9] = {corner, edge, corner, edge, centre, edge, corner, edge, corner};
  for (int p = 0; p < 9; ++p) CHECK(basis.matrix()(1, p) == doctest::Approx(expected[p] / norm).epsilon(1e-12));
  CHECK(basis.sampled().info[1].radius == 1.0);
  CHECK(basis.sampled().info[1].frequency == 0);
}

TEST_CASE("harmonic basis of C1 is e2cnn's: 1 centre + cos/sin up to frequency 2 on ring 1") {
  const HarmonicBasis<Trivial<C1>, Trivial<C1>> basis(3);
  REQUIRE(basis.size() == 6);
  const int frequencies[6] = {0, 0, 1, 2, 1, 2};  // ring 0; then γ = 0: μ = 0, 1, 2; γ = π/2: μ = 1, 2
  for (int e = 0; e < 6; ++e) CHECK(basis.sampled().info[e].frequency == frequencies[e]);
  // Element 3 = cos(2θ): +1 on the horizontal neighbours, −1 on the vertical ones, 0 on the diagonals.
  const auto row = basis.matrix().row(3);
  CHECK(row(5) == doctest::Approx(0.5));
  CHECK(row(1) == doctest::Approx(-0.5));
  CHECK(row(0) == doctest::Approx(0.0));
}

TEST_CASE("harmonic options: rings, widths and cutoff") {
  // One ring at radius 1 with a linear cutoff 1·r keeps only |μ| <= 1: for C1 cos 0θ, cos θ, sin θ.
  const auto options = HarmonicOptions{}.rings({1.0}).sigma(0.5).frequency_cutoff(1.0);
  const HarmonicBasis<Trivial<C1>, Trivial<C1>> basis(3, options);
  CHECK(basis.size() == 3);
  // The default cutoff of a 5x5 kernel: 0 on ring 0, 2 on ring 1, 2 on the last ring (2).
  const HarmonicOptions defaults;
  CHECK(defaults.cutoff(0, 5) == 0);
  CHECK(defaults.cutoff(1, 5) == 2);
  CHECK(defaults.cutoff(2, 5) == 2);
  CHECK(defaults.cutoff(2, 7) == 3);  // a middle ring: min(2r, 2r − ((r+1) mod 2)) = 3
  CHECK(defaults.sigma_for(5) == std::vector<double>{0.005, 0.6, 0.4});
  const auto mismatched = HarmonicOptions{}.rings({0, 1}).sigma(std::vector<double>{0.3});
  CHECK_THROWS_AS((HarmonicBasis<Trivial<C1>, Trivial<C1>>(3, mismatched)), value_error);
  CHECK_THROWS_AS((HarmonicBasis<Trivial<C1>, Trivial<C1>>(3, HarmonicOptions{}.rings({5.0}))), value_error);
}

TEST_CASE("even kernel sizes are refused with a message that names the size") {
  CHECK_THROWS_AS((HarmonicBasis<Regular<C4>, Regular<C4>>(4)), value_error);
  CHECK_THROWS_AS((HarmonicBasis<Regular<C4>, Regular<C4>>(0)), value_error);
  try {
    HarmonicBasis<Regular<C4>, Regular<C4>> basis(4);
    FAIL("an even kernel size was accepted");
  } catch (const value_error& e) {
    CHECK(std::string(e.what()).find("odd") != std::string::npos);
    CHECK(std::string(e.what()).find("found 4") != std::string::npos);
  }
}
