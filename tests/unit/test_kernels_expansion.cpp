// KernelExpansion: coefficients → dense filter for whole feature maps — equivariance of every expanded filter,
// the adjoint identity of expand / expand_transpose, a slow direct reference, e2cnn's coefficient order, the
// invariant bias, and the initialisers' variances and per-channel energies.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <span>
#include <vector>

#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"

using namespace eqr;

namespace {

template <class T>
std::vector<T> random_vector(std::size_t n, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(normal(rng));
  return v;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// A mixed layer: fields of several representations, in an order that differs from the sorted pair order.
using MixedIn = FieldType<C4, Trivial<C4>, Copies<Regular<C4>, 2>, Irrep<C4, 0, 2>>;
using MixedOut = FieldType<C4, Copies<Regular<C4>, 2>, Irrep<C4, 0, 1>, Trivial<C4>>;
using DihedralIn = FieldType<D4, Regular<D4>, Irrep<D4, 1, 1>>;
using DihedralOut = FieldType<D4, Trivial<D4>, Irrep<D4, 1, 0>, Regular<D4>>;

template <class In, class Out>
struct Layer {
  using in = In;
  using out = Out;
};

}  // namespace

TEST_CASE_TEMPLATE_DEFINE("expanded filters are equivariant and expand_transpose is the adjoint", L, expansion_suite) {
  using In = typename L::in;
  using Out = typename L::out;
  using G = typename In::group;
  const KernelExpansion<In, Out, double> expansion(3);
  std::mt19937_64 rng(7);
  const auto c = random_vector<double>(static_cast<std::size_t>(expansion.coefficient_count()), rng);
  std::vector<double> w(static_cast<std::size_t>(expansion.filter_size()));
  expansion.expand(c, w);
  // Eq. 8 for the whole feature maps (ρ = block diagonal of the fields' representations).
  CHECK(kernel_constraint_residual<G>(w, describe<In>(), describe<Out>(), 3) < 1e-9);
  // ⟨E c, W⟩ = ⟨c, Eᵀ W⟩.
  const auto dw = random_vector<double>(w.size(), rng);
  std::vector<double> dc(c.size());
  expansion.expand_transpose(dw, dc);
  CHECK(dot(w, dw) == doctest::Approx(dot(c, dc)).epsilon(1e-12));
  // Slow direct reference: W[o, i, :] = Σ_coefficients c · (basis element of its pair)[o − o0, i − i0, :].
  const auto in_fields = In::fields();
  const auto out_fields = Out::fields();
  const auto info = expansion.coefficient_info();
  REQUIRE(info.size() == c.size());
  std::vector<double> reference(w.size(), 0.0);
  for (std::size_t n = 0; n < info.size(); ++n) {
    const auto& block = expansion.blocks()[info[n].block];
    const auto& of = out_fields[info[n].out_field];
    const auto& inf = in_fields[info[n].in_field];
    const int d_out = of.representation.size, d_in = inf.representation.size;
    for (int a = 0; a < d_out; ++a)
      for (int b = 0; b < d_in; ++b)
        for (int p = 0; p < 9; ++p)
          reference[((of.offset + a) * In::channels() + inf.offset + b) * 9 + p] +=
              c[n] * block.basis.matrix(info[n].element, (a * d_in + b) * 9 + p);
  }
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == doctest::Approx(reference[i]).epsilon(1e-12));
  // The bias: invariant under every group element, and its transpose is the adjoint.
  const auto b = random_vector<double>(static_cast<std::size_t>(expansion.bias_count()), rng);
  std::vector<double> bias(static_cast<std::size_t>(Out::channels()));
  expansion.expand_bias(b, bias);
  const Eigen::Map<const Eigen::VectorXd> bv(bias.data(), static_cast<Eigen::Index>(bias.size()));
  for (int e = 0; e < G::order(); ++e) CHECK((Out::matrix(G::element_at(e)) * bv - bv).cwiseAbs().maxCoeff() < 1e-12);
  const auto dbias = random_vector<double>(bias.size(), rng);
  std::vector<double> db(b.size());
  expansion.expand_bias_transpose(dbias, db);
  CHECK(dot(bias, dbias) == doctest::Approx(dot(b, db)).epsilon(1e-12));
}
TEST_CASE_TEMPLATE_INVOKE(expansion_suite, Layer<MixedIn, MixedOut>, Layer<DihedralIn, DihedralOut>,
                          Layer<FieldType<C8, Trivial<C8>>, FieldType<C8, Copies<Regular<C8>, 2>>>,
                          Layer<FieldType<C1, Copies<Trivial<C1>, 2>>, FieldType<C1, Copies<Trivial<C1>, 3>>>);

TEST_CASE("coefficient order follows e2cnn: pairs sorted by representation names, then out field, in field") {
  const KernelExpansion<MixedIn, MixedOut, double> expansion(3);
  const auto& blocks = expansion.blocks();
  // e2cnn's names: in {irrep_0 (trivial), regular, irrep_2}, out {regular, irrep_1, irrep_0}; sorted pairs:
  // (irrep_0, irrep_0), (irrep_0, irrep_1), (irrep_0, regular), (irrep_2, irrep_0), ..., (regular, regular).
  REQUIRE(blocks.size() == 9);
  CHECK(blocks[0].in_representation.name == "trivial");
  CHECK(blocks[0].out_representation.name == "trivial");
  CHECK(blocks[1].out_representation.name == "irrep_1");
  CHECK(blocks[3].in_representation.name == "irrep_2");
  CHECK(blocks[3].out_representation.name == "trivial");
  CHECK(blocks[8].in_representation.name == "regular");
  CHECK(blocks[8].out_representation.name == "regular");
  CHECK(blocks[8].in_fields == std::vector<int>{1, 2});
  CHECK(blocks[8].out_fields == std::vector<int>{0, 1});
  int offset = 0;
  for (const auto& block : blocks) {
    CHECK(block.coefficient_offset == offset);
    offset += block.coefficient_count();
  }
  CHECK(expansion.coefficient_count() == offset);
  // Within the regular→regular block: out field outer, in field inner, then the 24 basis elements.
  const auto info = expansion.coefficient_info();
  const int at = blocks[8].coefficient_offset;
  CHECK(info[at].out_field == 0);
  CHECK(info[at].in_field == 1);
  CHECK(info[at + 24].in_field == 2);
  CHECK(info[at + 48].out_field == 1);
  CHECK(blocks[8].basis.size() == 24);
}

TEST_CASE("one coefficient expands to one basis element; sizes of the paper's hidden layer") {
  using Reg = FieldType<C4, Regular<C4>>;
  const KernelExpansion<Reg, Reg, double> expansion(3);
  const HarmonicBasis<Regular<C4>, Regular<C4>> basis(3);
  REQUIRE(expansion.coefficient_count() == basis.size());
  std::vector<double> c(24, 0.0), w(16 * 9);
  c[5] = 1.0;
  expansion.expand(c, w);
  for (int i = 0; i < 16 * 9; ++i) CHECK(w[i] == doctest::Approx(basis.matrix()(5, i)));
  using Hidden = FieldType<C4, Copies<Regular<C4>, 24>>;
  const KernelExpansion<Hidden, Hidden> hidden(3);
  CHECK(hidden.coefficient_count() == 24 * 24 * 24);
  CHECK(hidden.filter_size() == 96 * 96 * 9);
  CHECK(hidden.bias_count() == 24);
  const KernelExpansion<FieldType<C4, Trivial<C4>>, FieldType<C4, Regular<C4>>> grid(3, GridSolver{});
  CHECK(grid.coefficient_count() == 9);
}

TEST_CASE("bias expansion: b/sqrt|G| on every channel of a regular field, b on a trivial field") {
  const KernelExpansion<MixedIn, MixedOut, double> expansion(3);
  REQUIRE(expansion.bias_count() == 3);  // two regular fields and one trivial field
  std::vector<double> b{2.0, -4.0, 3.0}, bias(11);
  expansion.expand_bias(b, bias);
  const double expected[11] = {1, 1, 1, 1, -2, -2, -2, -2, 0, 0, 3};  // 4 + 4 + irrep_1 (2, no bias) + 1
  for (int c = 0; c < 11; ++c) CHECK(std::abs(bias[c] - expected[c]) < 1e-12);
}

TEST_CASE("float expansion agrees with double") {
  const KernelExpansion<MixedIn, MixedOut, double> ed(3);
  const KernelExpansion<MixedIn, MixedOut, float> ef(3);
  std::mt19937_64 rng(3);
  const auto cd = random_vector<double>(static_cast<std::size_t>(ed.coefficient_count()), rng);
  std::vector<float> cf(cd.begin(), cd.end());
  std::vector<double> wd(static_cast<std::size_t>(ed.filter_size()));
  std::vector<float> wf(wd.size());
  ed.expand(cd, wd);
  ef.expand(cf, wf);
  for (std::size_t i = 0; i < wd.size(); ++i) CHECK(std::abs(wd[i] - wf[i]) < 1e-5);
}

TEST_CASE("initialiser variances follow e2cnn's formula 1/(T*C)") {
  // Trivial → regular C4, 3x3: each output irrep (ψ0, ψ1, ψ2) is reached by one input irrep type (T = 1) through
  // 2 basis elements (C = 2), so every variance is 1/2; He gives 2/2 = 1 and LeCun 1/2.
  const KernelExpansion<FieldType<C4, Trivial<C4>>, FieldType<C4, Regular<C4>>, double> lift(3);
  for (double v : coefficient_variances(lift)) CHECK(v == doctest::Approx(0.5));
  for (double v : coefficient_variances(lift, InitScheme::he)) CHECK(v == doctest::Approx(1.0));
  for (double v : coefficient_variances(lift, InitScheme::lecun)) CHECK(v == doctest::Approx(0.5));
  // Regular → trivial: the output ψ0 is reached by the input types ψ0 (2 elements), ψ1 (2), ψ2 (2): T = 3, C = 2.
  const KernelExpansion<FieldType<C4, Regular<C4>>, FieldType<C4, Trivial<C4>>, double> project(3);
  for (double v : coefficient_variances(project)) CHECK(v == doctest::Approx(1.0 / 6));
}

TEST_CASE("initialisers give the intended energy per output channel (seeded, statistical)") {
  using F = FieldType<C4, Copies<Regular<C4>, 4>, Trivial<C4>>;
  const KernelExpansion<F, F, double> expansion(3);
  Random rng(20261125);
  const auto energy = [&](InitScheme scheme) {
    std::vector<double> c(static_cast<std::size_t>(expansion.coefficient_count()));
    std::vector<double> w(static_cast<std::size_t>(expansion.filter_size()));
    double total = 0;
    const int draws = 200;
    for (int d = 0; d < draws; ++d) {
      initialize_coefficients(expansion, std::span<double>(c), rng, scheme);
      expansion.expand(c, w);
      for (double x : w) total += x * x;
    }
    return total / (draws * F::channels());
  };
  CHECK(energy(InitScheme::e2cnn_he) == doctest::Approx(1.0).epsilon(0.05));
  CHECK(energy(InitScheme::lecun) == doctest::Approx(1.0).epsilon(0.05));
  CHECK(energy(InitScheme::he) == doctest::Approx(2.0).epsilon(0.05));
  // Reproducible from the seed.
  Random a(1), b(1);
  std::vector<float> ca(static_cast<std::size_t>(expansion.coefficient_count())), cb(ca.size());
  initialize_coefficients(expansion, std::span<float>(ca), a);
  initialize_coefficients(expansion, std::span<float>(cb), b);
  CHECK(ca == cb);
}

TEST_CASE("expansion errors name what was expected and found") {
  using F = FieldType<C4, Regular<C4>>;
  CHECK_THROWS_AS((KernelExpansion<F, F>(4)), value_error);
  const KernelExpansion<F, F, double> expansion(3);
  std::vector<double> c(23), w(16 * 9);
  CHECK_THROWS_AS(expansion.expand(c, w), shape_error);
  try {
    expansion.expand(c, w);
  } catch (const shape_error& e) {
    CHECK(std::string(e.what()).find("expected 24 coefficients, found 23") != std::string::npos);
  }
  std::vector<double> bias(3);
  CHECK_THROWS_AS(expansion.expand_bias(std::vector<double>{1.0}, bias), shape_error);
  Random rng(1);
  CHECK_THROWS_AS(initialize_coefficients(expansion, std::span<double>(c), rng), shape_error);
}
