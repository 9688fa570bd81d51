// Tests of the synthetic datasets: splits never share an image, training sets are nested, pairs are
// reproducible and equal noise(A u) with the image's own seed, rotated sets differ from upright ones only in
// orientation (a quarter turn of the analytic phantom is exactly rot90 of the image), and bad input is rejected.
#include <doctest/doctest.h>

#include <numbers>
#include <set>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/groups/image_action.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/noise.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {
using FB = Cpu<float>;
}  // namespace

TEST_CASE("split seeds are distinct across splits and images; training sets are nested") {
  std::set<std::uint64_t> seeds;
  for (auto split : {eqr::data::Split::train, eqr::data::Split::validation, eqr::data::Split::test})
    for (std::size_t i = 0; i < 1000; ++i) seeds.insert(eqr::data::image_seed(split, i, 3));
  CHECK(seeds.size() == 3000);
  const eqr::Identity<Cpu<float>> op(16, 16, 1);
  const auto noise = [](const FB::tensor_type& x, std::uint64_t s) { return eqr::gaussian_noise(x, 0.1, s); };
  eqr::data::SyntheticSpec spec{eqr::data::PhantomKind::oriented, 16, eqr::data::Split::train, 2, 0, false, 2};
  const auto small = eqr::data::make_pairs<FB>(op, noise, spec);
  spec.count = 5;
  const auto large = eqr::data::make_pairs<FB>(op, noise, spec);
  REQUIRE(large.size() == 5);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(FB::to_host(small.pair(k).target) == FB::to_host(large.pair(k).target));
    CHECK(FB::to_host(small.pair(k).input) == FB::to_host(large.pair(k).input));
  }
  CHECK(FB::to_host(large.pair(0).target) != FB::to_host(large.pair(1).target));
  spec.split = eqr::data::Split::test;
  const auto test = eqr::data::make_pairs<FB>(op, noise, spec);
  for (std::size_t k = 0; k < 5; ++k) CHECK(FB::to_host(test.pair(k).target) != FB::to_host(large.pair(k).target));
}

TEST_CASE("a pair is the phantom and noise(A u) with the image's own seed") {
  const eqr::Identity<Cpu<float>> op(12, 12, 1);
  const auto noise = [](const FB::tensor_type& x, std::uint64_t s) { return eqr::gaussian_noise(x, 0.05, s); };
  eqr::data::SyntheticSpec spec{eqr::data::PhantomKind::ellipses, 12, eqr::data::Split::validation, 3, 7, false, 2};
  const auto pairs = eqr::data::make_pairs<FB>(op, noise, spec);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto seed = eqr::data::image_seed(eqr::data::Split::validation, k, 7);
    const auto img = eqr::data::phantom<float>(eqr::data::PhantomKind::ellipses, 12, seed);
    const auto target = FB::to_host(pairs.pair(k).target);
    CHECK(std::vector<float>(img.begin(), img.end()) == target);
    CHECK(FB::to_host(eqr::gaussian_noise(pairs.pair(k).target, 0.05, seed ^ 0xA5A5A5A5ull)) ==
          FB::to_host(pairs.pair(k).input));
    for (float v : target) CHECK((v >= 0.0f && v <= 1.0f));
  }
}

TEST_CASE("analytic rotation: a quarter turn of every phantom family is exactly rot90 of the image") {
  for (auto kind : {eqr::data::PhantomKind::ellipses, eqr::data::PhantomKind::oriented, eqr::data::PhantomKind::shepp_logan}) {
    CAPTURE(eqr::data::name(kind));
    const auto up = eqr::data::phantom<double>(kind, 20, 5);
    const auto turned = eqr::data::phantom<double>(kind, 20, 5, std::numbers::pi / 2);
    const auto expected = eqr::rot90(up);
    double err = 0;
    for (std::size_t i = 0; i < up.size(); ++i) err = std::max(err, std::abs(turned.flat(i) - expected.flat(i)));
    CHECK(err < 1e-12);
  }
  // Rotated test images use their own seeded angles in [0, 2π), different per image.
  const double a0 = eqr::data::test_rotation(0), a1 = eqr::data::test_rotation(1);
  CHECK((a0 >= 0 && a0 < 2 * std::numbers::pi));
  CHECK(a0 != a1);
}

TEST_CASE("the oriented family has a preferred (horizontal) orientation") {
  // The mean horizontal distance of the phantom's support from the centre exceeds the vertical one: the
  // oriented family's body is a wide horizontal ellipse (semi-axes 0.8–0.9 by 0.45–0.6).
  double wide = 0, tall = 0;
  for (std::uint64_t s = 0; s < 6; ++s) {
    const auto img = eqr::data::phantom<double>(eqr::data::PhantomKind::oriented, 32, s);
    for (std::size_t i = 0; i < 32; ++i)
      for (std::size_t j = 0; j < 32; ++j)
        if (img(i, j) > 0) {
          wide += std::abs(static_cast<double>(j) - 15.5);
          tall += std::abs(static_cast<double>(i) - 15.5);
        }
  }
  CHECK(wide > 1.3 * tall);
}

TEST_CASE("bad dataset input is rejected with what was expected and found") {
  CHECK_THROWS_WITH_AS((void)eqr::data::parse_phantom_kind("disc"),
                       doctest::Contains("expected 'ellipses', 'oriented', 'shepp-logan' or 'oriented-smooth', found 'disc'"),
                       eqr::value_error);
  const eqr::Identity<Cpu<float>> op(8, 8, 1);
  const auto noise = [](const FB::tensor_type& x, std::uint64_t) { return x; };
  eqr::data::SyntheticSpec spec{eqr::data::PhantomKind::ellipses, 16, eqr::data::Split::train, 1, 0, false, 1};
  CHECK_THROWS_WITH_AS((void)eqr::data::make_pairs<FB>(op, noise, spec),
                       doctest::Contains("expected an operator on 16x16 images, found one on 8x8"), eqr::shape_error);
}
