// GridBasis: the exact solution space of the kernel constraint (paper Eq. 8) on the k×k grid — its sizes, the
// constraint, orthogonality and rank, its dimension from character theory, that it contains e2cnn's harmonic
// basis, the ordinary convolution for C1, and the errors (even kernel, non-grid group at run time).
#include <doctest/doctest.h>

#include <cmath>
#include <span>
#include <string>

#include <Eigen/Dense>

#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/basis_helpers.hpp"

using namespace eqr;
using eqr::testing::Pair;
using eqr::testing::rank_of;

namespace {

/// The dimension of the space of equivariant kernels on the k×k grid, by character theory: the kernels form
/// the representation π ⊗ ρ_out ⊗ ρ_in of G (π = permutation of the grid points, ρ_in real so ρ_in* = ρ_in),
/// and the dimension of its fixed space is (1/|G|) Σ_g χ_π(g) χ_out(g) χ_in(g), χ_π(g) = #grid points fixed by g.
template <class Rin, class Rout>
int invariant_dimension(int k) {
  using G = typename Rin::group;
  const int c = (k - 1) / 2;
  double sum = 0;
  for (int e = 0; e < G::order(); ++e) {
    const auto g = G::element_at(e);
    int fixed = 0;
    for (int y = -c; y <= c; ++y)
      for (int x = -c; x <= c; ++x) fixed += act_on_grid<G>(g, {x, y}) == GridOffset{x, y};
    sum += fixed * Rout::matrix(g).trace() * Rin::matrix(g).trace();
  }
  return static_cast<int>(std::lround(sum / G::order()));
}

}  // namespace

TEST_CASE("grid basis sizes: C4 3x3 is 9 / 36 / 9, C1 is the ordinary convolution") {
  CHECK(GridBasis<Trivial<C4>, Regular<C4>>(3).size() == 9);
  CHECK(GridBasis<Regular<C4>, Regular<C4>>(3).size() == 36);
  CHECK(GridBasis<Regular<C4>, Trivial<C4>>(3).size() == 9);
  CHECK(GridBasis<Trivial<C1>, Trivial<C1>>(3).size() == 9);
  CHECK(GridBasis<Trivial<C1>, Trivial<C1>>(5).size() == 25);
  CHECK(GridBasis<Copies<Trivial<C1>, 2>, Copies<Trivial<C1>, 3>>(3).size() == 2 * 3 * 9);
}

TEST_CASE("grid basis of C1 is the k*k pixel deltas of the ordinary convolution") {
  const GridBasis<Trivial<C1>, Trivial<C1>> basis(3);
  CHECK((basis.matrix() - BasisMatrix::Identity(9, 9)).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE_TEMPLATE_DEFINE("grid basis is an orthogonal basis of the whole constrained space", P, grid_space) {
  using Rin = typename P::in;
  using Rout = typename P::out;
  using G = typename Rin::group;
  for (int k : {1, 3, 5}) {
    CAPTURE(k);
    const GridBasis<Rin, Rout> basis(k);
    const auto in = describe<Rin>(), out = describe<Rout>();
    // Every element satisfies Eq. 8 for every element of G (all preserve the grid).
    CHECK(kernel_constraint_residual<G>(basis.sampled(), in, out) < 1e-6);
    // Orthogonal, each of energy d_out, hence of full rank.
    const Eigen::MatrixXd gram = basis.matrix() * basis.matrix().transpose();
    for (int a = 0; a < basis.size(); ++a)
      for (int b = 0; b < basis.size(); ++b) {
        const double expected = a == b ? irrep_size<G>(basis.sampled().info[a].out_irrep) : 0.0;
        CHECK(gram(a, b) == doctest::Approx(expected).epsilon(1e-10));
      }
    CHECK(rank_of(basis.matrix()) == basis.size());
    // Its size is the dimension of the fixed space (character formula), so nothing is missing.
    CHECK(basis.size() == invariant_dimension<Rin, Rout>(k));
    // It contains the harmonic basis: stacking both does not raise the rank.
    const HarmonicBasis<Rin, Rout> harmonic(k);
    Eigen::MatrixXd both(basis.size() + harmonic.size(), basis.matrix().cols());
    both << basis.matrix(), harmonic.matrix();
    CHECK(rank_of(both) == basis.size());
  }
}
TEST_CASE_TEMPLATE_INVOKE(grid_space, Pair<Trivial<C4>, Regular<C4>>, Pair<Regular<C4>, Regular<C4>>,
                          Pair<Regular<C4>, Trivial<C4>>, Pair<Irrep<C4, 0, 1>, Irrep<C4, 0, 2>>,
                          Pair<Regular<C2>, Regular<C2>>, Pair<Trivial<C1>, Trivial<C1>>, Pair<Regular<D1>, Regular<D1>>,
                          Pair<Regular<D2>, Irrep<D2, 1, 1>>, Pair<Regular<D4>, Regular<D4>>,
                          Pair<Irrep<D4, 1, 1>, Irrep<D4, 0, 2>>, Pair<Trivial<D4>, Regular<D4>>);

TEST_CASE("grid basis: a kernel that breaks the symmetry is outside the span (the constraint test can fail)") {
  // A single off-centre pixel from trivial to trivial under C4 violates Eq. 8 and is not in the 3-element span.
  const GridBasis<Trivial<C4>, Trivial<C4>> basis(3);
  REQUIRE(basis.size() == 3);  // centre, edge ring, corner ring
  std::vector<double> pixel(9, 0.0);
  pixel[1] = 1.0;
  CHECK(kernel_constraint_residual<C4>(pixel, describe<Trivial<C4>>(), describe<Trivial<C4>>(), 3) == 1.0);
  Eigen::MatrixXd both(4, 9);
  both << basis.matrix(), Eigen::Map<const Eigen::RowVectorXd>(pixel.data(), 9);
  CHECK(rank_of(both) == 4);
}

TEST_CASE("grid basis errors: even kernels, and non-grid groups chosen at run time") {
  CHECK_THROWS_AS((GridBasis<Regular<C4>, Regular<C4>>(2)), value_error);
  const auto r8 = regular_representation<C8>();
  try {
    (void)solve_grid_checked<C8>(r8, r8, 3);
    FAIL("the grid solver accepted C8");
  } catch (const value_error& e) {
    const std::string message = e.what();
    CHECK(message.find("C8") != std::string::npos);
    CHECK(message.find("90 degrees") != std::string::npos);
  }
  const auto r4 = regular_representation<C4>();
  CHECK(solve_grid_checked<C4>(r4, r4, 3).size() == 36);
}
