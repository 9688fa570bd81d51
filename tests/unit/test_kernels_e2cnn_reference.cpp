// HarmonicBasis against e2cnn's own sampled bases, element by element: for every single-field case in
// ../shared/reference/e2cnn_bases/index.json (groups C1 … C16, D1 … D8; trivial or regular in and out; k = 3
// and 5), element i of eqr's basis must equal element i of e2cnn's — the same filter for the same coefficient,
// which is what makes coefficients trained in e2cnn usable here.  Sizes and spans agreeing is not enough: a
// basis in another order (or with a flipped sign) has the same span and expands the same coefficients into a
// different filter.
//
// Design.
// - Groups at compile time: the type list `ReferenceGroups` below, one doctest template instance per group;
//   each instance runs every case of index.json whose `group` is that group's name (at run time: kernel
//   size, input and output kind).  A separate case checks that index.json lists exactly the groups of the
//   type list, only trivial/regular fields and the 84 cases of the reference README, so no listed case can be
//   left unchecked.
// - A missing or unreadable reference file (or index.json) FAILS the test; it never skips.  The directory
//   comes from the compile definition EQR_REFERENCE_DIR (tests/CMakeLists.txt: ../shared/reference).
// - Reading: the core test areas link Eigen only, so the arrays are read by tests/support/reference_arrays.hpp
//   (float32 .npy through the library's xtensor-free header parser, and a flat-JSON reader for index.json)
//   rather than by eqr/io/npy.hpp, which needs xtensor.
//
// Tolerance: |eqr_i − e2cnn_i| ≤ 1e-5 · max|e2cnn_i| per element i.  e2cnn's bases were saved as float32, which
// alone rounds every value by up to 2⁻²⁴ ≈ 6e-8 of its magnitude; the largest difference observed over all 84
// cases is 1.8e-7 of the element's maximum (a few float32 roundings: single-precision steps on the way to the
// file), against ~1e-15 from the float64 arithmetic of the two libraries.  1e-5 leaves a margin of ~50× over
// that, and stays far below what a wrong order or sign produces: the test checks, case by case, that any two
// elements of eqr's basis (and any element and the negative of another) differ by more than 1000× the
// tolerance, so an element can only pass against its own counterpart (observed: at least 0.66 of the max).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/reference_arrays.hpp"

#ifndef EQR_REFERENCE_DIR
#error "test_kernels_e2cnn_reference needs EQR_REFERENCE_DIR (the shared/reference folder), set in tests/CMakeLists.txt"
#endif

using namespace eqr;

namespace {

/// The groups of the reference data (e2cnn: C1 = TrivialOnR2, CN = Rot2dOnR2(N), D1 = Flip2dOnR2,
/// DN = FlipRot2dOnR2(N)).
using ReferenceGroups = std::tuple<C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8>;

/// The number of cases that the reference README promises (every group × trivial/regular in and out × k).
constexpr int expected_case_count = 84;

/// The largest allowed difference per element, relative to the element's largest |value| (see the header).
constexpr double relative_tolerance = 1e-5;

const std::filesystem::path reference_folder = std::filesystem::path(EQR_REFERENCE_DIR) / "e2cnn_bases";

/// One line of index.json.
struct ReferenceCase {
  std::string group, input, output, file;
  int kernel = 0;
  int size = 0;
};

std::vector<ReferenceCase> reference_cases() {
  std::vector<ReferenceCase> out;
  for (const auto& r : testing::read_case_list(reference_folder / "index.json"))
    out.push_back({testing::string_field(r, "group"), testing::string_field(r, "input"),
                   testing::string_field(r, "output"), testing::string_field(r, "file"),
                   static_cast<int>(testing::integer_field(r, "kernel")),
                   static_cast<int>(testing::integer_field(r, "size"))});
  return out;
}

template <class... G>
std::vector<std::string> group_names(std::type_identity<std::tuple<G...>>) {
  return {G::name()...};
}

/// eqr's harmonic basis between one field of kind `in` and one of kind `out` ("trivial" or "regular").
template <class G>
SampledBasis harmonic_basis(const std::string& in, const std::string& out, int k) {
  const bool in_regular = in == "regular", out_regular = out == "regular";
  if (in_regular && out_regular) return HarmonicBasis<Regular<G>, Regular<G>>(k).sampled();
  if (in_regular) return HarmonicBasis<Regular<G>, Trivial<G>>(k).sampled();
  if (out_regular) return HarmonicBasis<Trivial<G>, Regular<G>>(k).sampled();
  return HarmonicBasis<Trivial<G>, Trivial<G>>(k).sampled();
}

/// max_p |a[p] − b[p]| over one element of n entries.
double max_difference(const double* a, const float* b, std::size_t n) {
  double worst = 0;
  for (std::size_t p = 0; p < n; ++p) worst = std::max(worst, std::abs(a[p] - static_cast<double>(b[p])));
  return worst;
}

/// The largest |value| of one element of n entries.
template <class T>
double max_magnitude(const T* a, std::size_t n) {
  double m = 0;
  for (std::size_t p = 0; p < n; ++p) m = std::max(m, std::abs(static_cast<double>(a[p])));
  return m;
}

/// The smallest distance between two different elements of a basis, or an element and the negative of another,
/// relative to the larger maximum of the two: how far a permuted or sign-flipped element would be off.
double element_separation(const SampledBasis& basis) {
  double smallest = 1e300;
  for (int a = 0; a < basis.size(); ++a)
    for (int b = a + 1; b < basis.size(); ++b) {
      const auto ra = basis.matrix.row(a), rb = basis.matrix.row(b);
      const double scale = std::max(ra.cwiseAbs().maxCoeff(), rb.cwiseAbs().maxCoeff());
      const double apart = std::min((ra - rb).cwiseAbs().maxCoeff(), (ra + rb).cwiseAbs().maxCoeff());
      smallest = std::min(smallest, apart / scale);
    }
  return smallest;
}

/// For a diagnostic: the eqr element that equals the reference element (−1 if none does), so that a failure
/// says "reference #4 is eqr's #5" when the order is wrong rather than only "different".
int matching_element(const SampledBasis& basis, const float* reference, std::size_t n, double tolerance) {
  for (int e = 0; e < basis.size(); ++e)
    if (max_difference(basis.matrix.row(e).data(), reference, n) <= tolerance) return e;
  return -1;
}

}  // namespace

TEST_CASE("the e2cnn reference index lists the 84 single-field cases of the reference groups, nothing else") {
  const auto cases = reference_cases();
  CHECK(static_cast<int>(cases.size()) == expected_case_count);
  const auto groups = group_names(std::type_identity<ReferenceGroups>{});
  for (const auto& c : cases) {
    CAPTURE(c.file);
    CHECK(std::find(groups.begin(), groups.end(), c.group) != groups.end());
    CHECK((c.input == "trivial" || c.input == "regular"));
    CHECK((c.output == "trivial" || c.output == "regular"));
    CHECK((c.kernel == 3 || c.kernel == 5));
    CHECK(c.size > 0);
    CHECK(std::filesystem::is_regular_file(reference_folder / c.file));
  }
  // Every group of the type list has reference cases (a group without any would pass vacuously).
  for (const auto& g : groups) {
    CAPTURE(g);
    CHECK(std::any_of(cases.begin(), cases.end(), [&](const ReferenceCase& c) { return c.group == g; }));
  }
}

TEST_CASE_TEMPLATE_DEFINE("harmonic basis element i equals e2cnn's element i", G, e2cnn_reference) {
  std::vector<ReferenceCase> mine;
  for (auto& c : reference_cases())
    if (c.group == G::name()) mine.push_back(std::move(c));
  REQUIRE_MESSAGE(!mine.empty(), "index.json lists no case for ", std::string(G::name()));
  double worst_relative = 0, smallest_separation = 1e300;
  for (const auto& c : mine) {
    CAPTURE(c.file);
    const auto reference = testing::read_npy_float32(reference_folder / c.file);  // throws (fails) if missing
    const auto basis = harmonic_basis<G>(c.input, c.output, c.kernel);
    const std::size_t c_out = c.output == "regular" ? G::order() : 1, c_in = c.input == "regular" ? G::order() : 1;
    const std::size_t k = static_cast<std::size_t>(c.kernel);
    const std::vector<std::size_t> shape{static_cast<std::size_t>(c.size), c_out, c_in, k, k};
    REQUIRE(reference.shape == shape);
    REQUIRE(basis.size() == c.size);
    const std::size_t n = c_out * c_in * k * k;
    REQUIRE(static_cast<std::size_t>(basis.element_length()) == n);
    // The tolerance can tell the elements apart (so the comparison below can fail for a wrong order or sign).
    const double separation = element_separation(basis);
    CHECK(separation > 1000 * relative_tolerance);
    smallest_separation = std::min(smallest_separation, separation);
    for (int e = 0; e < basis.size(); ++e) {
      CAPTURE(e);
      const float* ref = reference.data.data() + static_cast<std::size_t>(e) * n;
      const double scale = max_magnitude(ref, n);
      REQUIRE(scale > 0);
      const double difference = max_difference(basis.matrix.row(e).data(), ref, n);
      worst_relative = std::max(worst_relative, difference / scale);
      if (difference > relative_tolerance * scale) {
        const auto& info = basis.info[e];
        FAIL_CHECK("reference element ", e, " differs from eqr's element ", e, " by ", difference, " (max |value| ",
                   scale, "); it equals eqr's element ", matching_element(basis, ref, n, relative_tolerance * scale),
                   " (-1: none).  eqr's element ", e, ": irreps (", info.in_irrep.j, ",", info.in_irrep.k, ") -> (",
                   info.out_irrep.j, ",", info.out_irrep.k, "), radius ", info.radius, ", frequency ",
                   info.frequency, ", phase ", info.phase, ", reflection ", info.reflection);
      }
    }
  }
  MESSAGE(std::string(G::name()), ": ", mine.size(), " cases, largest difference ", worst_relative,
          " of an element's max |value|; elements at least ", smallest_separation, " apart");
}
TEST_CASE_TEMPLATE_APPLY(e2cnn_reference, ReferenceGroups);
