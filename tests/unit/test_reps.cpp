// Conformance suite for the Representation concept: every representation of every group is an orthogonal
// homomorphism, its decomposition reproduces it through the change of basis, and characters are orthogonal.
#include <doctest/doctest.h>

#include <Eigen/Dense>

#include "eqr/groups/groups.hpp"
#include "eqr/reps/reps.hpp"

using namespace eqr;

namespace {

/// max |a − b| over all entries.
double max_abs_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a - b).cwiseAbs().maxCoeff(); }

/// Checks ρ(gh) = ρ(g)ρ(h), ρ(g)ᵀρ(g) = I, ρ(e) = I and ρ(g) = Q (⊕ψ_i(g)) Qᵀ for all g, h.
template <FiniteGroup G, class MatrixOf>
void check_representation(MatrixOf&& rho, int size, const std::vector<IrrepId>& irreps, const Eigen::MatrixXd& q) {
  const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(size, size);
  REQUIRE(q.rows() == size);
  REQUIRE(q.cols() == size);
  CHECK(max_abs_diff(q.transpose() * q, eye) < 1e-12);
  int irrep_dims = 0;
  for (const auto& psi : irreps) irrep_dims += irrep_size<G>(psi);
  CHECK(irrep_dims == size);
  CHECK(max_abs_diff(rho(G::identity()), eye) < 1e-12);
  for (int i = 0; i < G::order(); ++i) {
    const auto g = G::element_at(i);
    const Eigen::MatrixXd rg = rho(g);
    REQUIRE(rg.rows() == size);
    CHECK(max_abs_diff(rg.transpose() * rg, eye) < 1e-12);
    CHECK(max_abs_diff(rg, q * detail::irreps_block_diagonal<G>(irreps, g) * q.transpose()) < 1e-12);
    for (int j = 0; j < G::order(); ++j) {
      const auto h = G::element_at(j);
      CHECK(max_abs_diff(rho(G::compose(g, h)), rg * rho(h)) < 1e-12);
    }
  }
}

}  // namespace

#define EQR_REPS_GROUPS C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, Dihedral<3>, D4, Dihedral<6>, D8

TEST_CASE_TEMPLATE("every irrep is an orthogonal homomorphism; characters are orthogonal", G, EQR_REPS_GROUPS) {
  const auto all = irreps_of<G>();
  // Counting: Σ_ψ d_ψ² / e_ψ = |G| (the regular representation's dimension).
  int total = 0;
  for (const auto& psi : all) {
    REQUIRE(is_irrep<G>(psi));
    const int d = irrep_size<G>(psi);
    total += d * d / irrep_endomorphism_dimension<G>(psi);
    check_representation<G>([&](auto g) { return irrep_matrix<G>(psi, g); }, d, {psi},
                            Eigen::MatrixXd::Identity(d, d));
  }
  CHECK(total == G::order());
  // Schur orthogonality of characters: ⟨χ_a, χ_b⟩ = e_a δ_ab.
  for (const auto& a : all)
    for (const auto& b : all) {
      const double ip = character_inner_product(character(irrep_representation<G>(a)),
                                                character(irrep_representation<G>(b)));
      CHECK(ip == doctest::Approx(a == b ? irrep_endomorphism_dimension<G>(a) : 0.0).epsilon(1e-12));
    }
}

TEST_CASE_TEMPLATE("the regular representation: permutation, decomposition, character", G, EQR_REPS_GROUPS) {
  using R = Regular<G>;
  check_representation<G>([](auto g) { return R::matrix(g); }, R::size(), R::irreps(), R::change_of_basis());
  const auto chi = character<R>();
  for (int i = 0; i < G::order(); ++i) CHECK(chi[i] == (i == 0 ? G::order() : 0));
  // Independent count of each irrep's multiplicity by characters: ⟨χ_reg, χ_ψ⟩ / e_ψ = d_ψ / e_ψ.
  const auto irreps = R::irreps();
  for (const auto& psi : irreps_of<G>()) {
    const double mult = character_inner_product(chi, character(irrep_representation<G>(psi))) /
                        irrep_endomorphism_dimension<G>(psi);
    const auto occurs = std::count(irreps.begin(), irreps.end(), psi);
    CHECK(mult == doctest::Approx(static_cast<double>(occurs)));
  }
  // Channel h of a regular field ↔ element h: ρ(g) moves channel h to channel gh.
  const auto g = G::element_at(G::order() - 1);
  const Eigen::MatrixXd m = R::matrix(g);
  for (int h = 0; h < G::order(); ++h) CHECK(m(G::index_of(G::compose(g, G::element_at(h))), h) == 1.0);
}

TEST_CASE("irrep matrices agree with hand-computed values") {
  // C4 frequency 1 at 90°: the rotation matrix [[0, −1], [1, 0]].
  const Eigen::MatrixXd r = irrep_matrix<C4>({0, 1}, C4::element_at(1));
  CHECK(r(0, 0) == 0.0);
  CHECK(r(0, 1) == -1.0);
  CHECK(r(1, 0) == 1.0);
  // C4 frequency 2 is the sign (−1)^r.
  CHECK(irrep_matrix<C4>({0, 2}, C4::element_at(3))(0, 0) == -1.0);
  // D4 ψ_{1,0} is the flip sign; ψ_{1,1}(F) = diag(1, −1).
  CHECK(irrep_matrix<D4>({1, 0}, D4::element_at(5))(0, 0) == -1.0);
  const Eigen::MatrixXd f = irrep_matrix<D4>({1, 1}, D4::element_at(4));
  CHECK(f(0, 0) == 1.0);
  CHECK(f(1, 1) == -1.0);
  // e2cnn's regular decompositions: C4 = ψ0 ⊕ ψ1 ⊕ ψ2; D4 = ψ00 ⊕ ψ10 ⊕ ψ11 ⊕ ψ11 ⊕ ψ12 ⊕ ψ02 (e2cnn's
  // DihedralGroup creates ψ_{1,M/2} before ψ_{0,M/2}); D2 = ψ00 ⊕ ψ10 ⊕ ψ11 ⊕ ψ01.
  CHECK(Regular<C4>::irreps() == std::vector<IrrepId>{{0, 0}, {0, 1}, {0, 2}});
  CHECK(Regular<D4>::irreps() == std::vector<IrrepId>{{0, 0}, {1, 0}, {1, 1}, {1, 1}, {1, 2}, {0, 2}});
  CHECK(Regular<D2>::irreps() == std::vector<IrrepId>{{0, 0}, {1, 0}, {1, 1}, {0, 1}});
  CHECK(Regular<C3>::irreps() == std::vector<IrrepId>{{0, 0}, {0, 1}});
  CHECK(irrep_name<D4>({1, 2}) == "irrep_1,2");
  CHECK(irrep_name<C8>({0, 3}) == "irrep_3");
}

TEST_CASE("invalid irreps are refused with a message") {
  CHECK_THROWS_WITH_AS(irrep_matrix<C4>({0, 3}, C4::identity()), doctest::Contains("expected 0 <= k <= 2"),
                       value_error);
  CHECK_THROWS_AS(irrep_matrix<C4>({1, 0}, C4::identity()), value_error);
  CHECK_THROWS_AS(irrep_representation<D4>({0, 1}), value_error);
}

using FieldC4 = FieldType<C4, Trivial<C4>, Copies<Regular<C4>, 3>, Irrep<C4, 0, 1>>;
using FieldD4 = FieldType<D4, Copies<Regular<D4>, 2>, Irrep<D4, 1, 2>, Trivial<D4>>;

TEST_CASE_TEMPLATE("composite representations satisfy the Representation laws", R, Trivial<C8>, Irrep<D8, 1, 3>,
                   DirectSum<Regular<D2>, Irrep<D2, 1, 1>, Trivial<D2>>, Copies<Regular<C3>, 2>, FieldC4, FieldD4) {
  using G = typename R::group;
  check_representation<G>([](auto g) { return R::matrix(g); }, R::size(), R::irreps(), R::change_of_basis());
  const auto data = describe<R>();
  for (int i = 0; i < G::order(); ++i)
    CHECK(max_abs_diff(data.matrix(G::element_at(i)), R::matrix(G::element_at(i))) < 1e-12);
}

TEST_CASE("field types lay fields out one after another") {
  CHECK(FieldC4::channels() == 1 + 3 * 4 + 2);
  CHECK(FieldC4::field_count() == 5);
  const auto fields = FieldC4::fields();
  REQUIRE(fields.size() == 5);
  CHECK(fields[0].representation.name == "trivial");
  CHECK(fields[1].offset == 1);
  CHECK(fields[3].offset == 9);
  CHECK(fields[3].representation.name == "regular");
  CHECK(fields[4].offset == 13);
  CHECK(fields[4].representation.size == 2);
  CHECK_FALSE(FieldC4::permutation);
  CHECK(FieldType<C4, Copies<Regular<C4>, 24>>::channels() == 96);
  CHECK(FieldType<C4, Copies<Regular<C4>, 24>>::permutation);
}

TEST_CASE("run-time direct sums match the type-level ones") {
  const auto a = direct_sum(regular_representation<D4>(), irrep_representation<D4>({1, 1}));
  using R = DirectSum<Regular<D4>, Irrep<D4, 1, 1>>;
  CHECK(a.size == R::size());
  CHECK(a.irreps == R::irreps());
  CHECK(max_abs_diff(a.matrix(D4::element_at(6)), R::matrix(D4::element_at(6))) < 1e-12);
}
