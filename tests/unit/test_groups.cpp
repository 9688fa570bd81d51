// Conformance suite for the FiniteGroup concept: every group satisfies the axioms, its action on R² is a
// homomorphism into O(2), and the grid action and plane transforms agree with numpy's rot90 / fliplr.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "eqr/groups/groups.hpp"

using namespace eqr;

#define EQR_ALL_GROUPS C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, Dihedral<3>, D4, Dihedral<6>, D8
#define EQR_GRID_GROUPS C1, C2, C4, D1, D2, D4

TEST_CASE_TEMPLATE("group law: axioms, orders and names", G, EQR_ALL_GROUPS) {
  CHECK(satisfies_group_axioms<G>());
  const bool dihedral = std::string(G::name())[0] == 'D';
  CHECK(G::order() == (dihedral ? 2 : 1) * G::rotation_order());
  CHECK(std::string(G::name()).substr(1) == std::to_string(G::rotation_order()));
  int flips = 0;
  for (int i = 0; i < G::order(); ++i) flips += G::has_flip(G::element_at(i));
  CHECK(flips == (dihedral ? G::rotation_order() : 0));
}

TEST_CASE_TEMPLATE("action on R^2 is a homomorphism into O(2)", G, EQR_ALL_GROUPS) {
  const Point2 p{0.3, -1.7};
  for (int i = 0; i < G::order(); ++i) {
    const auto g = G::element_at(i);
    const auto m = orthogonal_matrix<G>(g);
    // Orthogonality: MᵀM = I, and the determinant tells rotation (+1) from mirror (−1).
    CHECK(m[0] * m[0] + m[2] * m[2] == doctest::Approx(1.0));
    CHECK(m[0] * m[1] + m[2] * m[3] == doctest::Approx(0.0).epsilon(1e-12));
    CHECK(m[0] * m[3] - m[1] * m[2] == doctest::Approx(G::has_flip(g) ? -1.0 : 1.0));
    // The rotation part's angle is the angle of the image of the x axis under R_k = g F^f.
    const Point2 e1 = act<G>(g, {G::has_flip(g) ? -1.0 : 1.0, 0.0});
    const double angle = std::atan2(e1.y, e1.x);
    CHECK(std::cos(angle - rotation_angle<G>(g)) == doctest::Approx(1.0));
    for (int j = 0; j < G::order(); ++j) {
      const auto h = G::element_at(j);
      const Point2 a = act<G>(g, act<G>(h, p)), b = act<G>(G::compose(g, h), p);
      CHECK(a.x == doctest::Approx(b.x).epsilon(1e-12));
      CHECK(a.y == doctest::Approx(b.y).epsilon(1e-12));
    }
  }
}

TEST_CASE_TEMPLATE("grid action agrees with the continuous action", G, EQR_GRID_GROUPS) {
  CHECK(grid_action_is_homomorphism<G>());
  for (int i = 0; i < G::order(); ++i) {
    const auto g = G::element_at(i);
    for (int x = -2; x <= 2; ++x)
      for (int y = -2; y <= 2; ++y) {
        const GridOffset v = act_on_grid<G>(g, {x, y});
        const Point2 p = act<G>(g, {double(x), double(y)});
        CHECK(v.x == doctest::Approx(p.x).epsilon(1e-12));
        CHECK(v.y == doctest::Approx(p.y).epsilon(1e-12));
      }
  }
}

TEST_CASE("grid action of an element that does not preserve the grid is refused") {
  CHECK_FALSE(preserves_grid<C8>(C8::element_at(1)));
  CHECK(preserves_grid<C8>(C8::element_at(2)));
  CHECK_THROWS_WITH_AS(act_on_grid<C8>(C8::element_at(1), {1, 0}),
                       doctest::Contains("does not map the pixel grid onto itself"), value_error);
  CHECK(act_on_grid<C8>(C8::element_at(2), {1, 0}) == GridOffset{0, 1});
  CHECK_THROWS_AS(grid_matrix<Dihedral<3>>(Dihedral<3>::element_at(1)), value_error);
}

TEST_CASE("dihedral composition follows F R_k = R_-k F") {
  // Hand-computed in D4: (F)(R_1) = R_3 F, i.e. (1,0)·(0,1) = (1,3); and (R_1)(F) = (1,1).
  CHECK(D4::compose({1, 0}, {0, 1}) == DihedralElement{1, 3});
  CHECK(D4::compose({0, 1}, {1, 0}) == DihedralElement{1, 1});
  CHECK(D4::inverse({1, 2}) == DihedralElement{1, 2});
  CHECK(D4::index_of({1, 3}) == 7);
}

namespace {
/// numpy.rot90(a, 1)[i, j] = a[j, W−1−i], the hand-written reference for a counter-clockwise quarter turn.
std::vector<int> numpy_rot90(const std::vector<int>& a, std::size_t rows, std::size_t cols) {
  std::vector<int> out(rows * cols);
  for (std::size_t i = 0; i < cols; ++i)
    for (std::size_t j = 0; j < rows; ++j) out[i * rows + j] = a[j * cols + (cols - 1 - i)];
  return out;
}
}  // namespace

TEST_CASE("plane transforms are numpy.rot90 and numpy.fliplr") {
  const std::size_t rows = 3, cols = 5;
  std::vector<int> img(rows * cols);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<int>(i);
  std::vector<int> out(img.size());
  // R_1 of C4: one counter-clockwise quarter turn; the shape becomes 5×3.
  CHECK(transformed_shape<C4>(C4::element_at(1), rows, cols) == std::array<std::size_t, 2>{cols, rows});
  transform_plane<C4, int>(C4::element_at(1), img, rows, cols, out);
  CHECK(out == numpy_rot90(img, rows, cols));
  // The image's top-right pixel moves to the top-left, as displayed.
  CHECK(out[0] == img[cols - 1]);
  // R_2 twice is the identity; R_1 four times likewise.
  std::vector<int> twice(img.size()), back(img.size());
  transform_plane<C4, int>(C4::element_at(2), img, rows, cols, twice);
  transform_plane<C4, int>(C4::element_at(2), twice, rows, cols, back);
  CHECK(back == img);
  // The mirror F of D1 is a left-right flip.
  transform_plane<D1, int>(D1::element_at(1), img, rows, cols, out);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) CHECK(out[i * cols + j] == img[i * cols + cols - 1 - j]);
  // D4 element (1, 1) = R_1 F: fliplr first, then rot90 (DESIGN.md §3: numpy.rot90(numpy.fliplr(k0), 1)).
  std::vector<int> flipped(img.size());
  transform_plane<D4, int>(D4::element_at(4 + 1), img, rows, cols, out);
  transform_plane<D1, int>(D1::element_at(1), img, rows, cols, flipped);
  CHECK(out == numpy_rot90(flipped, rows, cols));
}

TEST_CASE_TEMPLATE("plane transforms form a group action", G, EQR_GRID_GROUPS) {
  const std::size_t n = 4;
  std::vector<double> img(n * n);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = std::sin(1.0 + 3.0 * static_cast<double>(i));
  for (int i = 0; i < G::order(); ++i)
    for (int j = 0; j < G::order(); ++j) {
      const auto g = G::element_at(i), h = G::element_at(j);
      std::vector<double> hf(img.size()), ghf(img.size()), direct(img.size());
      transform_plane<G, double>(h, img, n, n, hf);
      transform_plane<G, double>(g, hf, n, n, ghf);
      transform_plane<G, double>(G::compose(g, h), img, n, n, direct);
      CHECK(ghf == direct);
    }
}

TEST_CASE("plane transform rejects mismatched buffers") {
  std::vector<float> a(6), b(5);
  CHECK_THROWS_AS((transform_plane<C4, float>(C4::element_at(1), a, 2, 3, b)), shape_error);
}
