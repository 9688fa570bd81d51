/// @file data/datasets.hpp
/// Reproducible synthetic datasets for training and evaluating learned reconstructions: ground-truth
/// phantoms of four families rendered on the fly from fixed per-split seeds, analytic rotation for the
/// rotated test sets (DESIGN.md §4), and measurement simulation through any forward operator plus a seeded
/// noise model — giving the (measurement, ground truth) pairs that `train` consumes.
///
/// Seeds: image i of a split uses `image_seed(split, i, dataset_seed)`; the bases of the three splits are
/// far apart, so the splits never share an image, and a training set of size N is the first N images of
/// every larger one (nested training sets, as the train-size experiments need). The noise of image i
/// uses its own seed as well, so a pair never depends on which other pairs were drawn.
///
/// Rotated test sets differ from the upright ones *only* in orientation: the phantom's ellipses are rotated
/// (centres and angles; profiles travel with them) and rendered again, never resampled (resampling blurs,
/// which by itself raises PSNR).
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/data/phantoms.hpp"
#include "eqr/nn/pairs.hpp"
#include "eqr/core/random.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr::data {

/// The phantom families: random ellipses (no preferred orientation), oriented ellipses (a wide horizontal
/// body with inner ellipses mostly aligned to it — the family of the rotation experiments), Shepp–Logan
/// variants (the modified Shepp–Logan phantom with seeded intensity and size perturbations), and smooth
/// oriented phantoms (the oriented geometry with smooth intensity profiles inside the inner ellipses: soft
/// blobs and gradients rather than TV's piecewise-constant ideal; see `phantom_ellipses`).
enum class PhantomKind { ellipses, oriented, shepp_logan, oriented_smooth };

/// Parses "ellipses", "oriented", "shepp-logan" or "oriented-smooth"; anything else is a value_error naming
/// what was found.
[[nodiscard]] inline PhantomKind parse_phantom_kind(const std::string& text) {
  if (text == "ellipses") return PhantomKind::ellipses;
  if (text == "oriented") return PhantomKind::oriented;
  if (text == "shepp-logan") return PhantomKind::shepp_logan;
  if (text == "oriented-smooth") return PhantomKind::oriented_smooth;
  throw value_error(eqr::detail::concat(
      "phantom kind: expected 'ellipses', 'oriented', 'shepp-logan' or 'oriented-smooth', found '", text, "'"));
}

/// The name used on the command line and in reports.
[[nodiscard]] inline std::string name(PhantomKind k) {
  switch (k) {
    case PhantomKind::ellipses: return "ellipses";
    case PhantomKind::oriented: return "oriented";
    case PhantomKind::shepp_logan: return "shepp-logan";
    case PhantomKind::oriented_smooth: return "oriented-smooth";
  }
  throw value_error("phantom kind: unknown value");
}

/// The range of the inner ellipses' profile exponents p of the smooth oriented family: every inner ellipse
/// is at least continuous (p ≥ 1: no jump and a bounded gradient at its boundary) and up to a bell-shaped
/// blob (p = 3).
inline constexpr double smooth_profile_min = 1.0;
inline constexpr double smooth_profile_max = 3.0;

/// A dataset split.
enum class Split { train, validation, test };

/// The seed of image i of a split: 10⁹·(split + 1) + i, offset by the dataset seed.
[[nodiscard]] inline std::uint64_t image_seed(Split split, std::size_t i, std::uint64_t dataset_seed = 0) {
  return dataset_seed * 0x9E3779B97F4A7C15ull + 1'000'000'000ull * (static_cast<std::uint64_t>(split) + 1) + i;
}

/// The ellipses of one phantom of the family, upright.  A smooth oriented phantom has the ellipses of the
/// oriented phantom of the same seed, with inner profile exponents drawn from [smooth_profile_min,
/// smooth_profile_max] (a separate stream: the oriented family's draws are unchanged).
[[nodiscard]] inline std::vector<Ellipse> phantom_ellipses(PhantomKind kind, std::uint64_t seed) {
  switch (kind) {
    case PhantomKind::ellipses: return random_ellipses(seed);
    case PhantomKind::oriented:
    case PhantomKind::oriented_smooth: {
      // Smooth: the same seed's oriented geometry and intensities (the profiles come from a second stream),
      // with the constant body kept so that its outline is still an edge.
      RandomEllipsesOptions o;
      o.oriented = true;
      o.angle_spread = std::numbers::pi / 8;
      if (kind == PhantomKind::oriented_smooth) {
        o.min_profile = smooth_profile_min;
        o.max_profile = smooth_profile_max;
      }
      return random_ellipses(seed, o);
    }
    case PhantomKind::shepp_logan: {
      // Seeded variant: each ellipse's intensity scaled by 1 ± 20 %, its semi-axes by 1 ± 10 %.
      Random rng(seed);
      auto e = shepp_logan_ellipses();
      for (auto& el : e) {
        el.intensity *= 0.8 + 0.4 * rng.uniform();
        el.a *= 0.9 + 0.2 * rng.uniform();
        el.b *= 0.9 + 0.2 * rng.uniform();
      }
      return e;
    }
  }
  throw value_error("phantom_ellipses: unknown phantom kind");
}

/// Phantom i of a split as an n×n image with values in [0, 1], rotated counter-clockwise by `angle`
/// (analytically) and supersampled s×s per pixel.
template <Real T = double>
[[nodiscard]] xt::xtensor<T, 2> phantom(PhantomKind kind, std::size_t n, std::uint64_t seed, double angle = 0.0,
                                        std::size_t supersample = 2) {
  const auto e = rotate_ellipses(phantom_ellipses(kind, seed), angle);
  return render_ellipses<T>(e, n, n, {supersample, true, 0.0, 1.0});
}

/// The rotation angle (radians, uniform in [0, 2π)) of test image i in a rotated test set.
[[nodiscard]] inline double test_rotation(std::size_t i, std::uint64_t dataset_seed = 0) {
  Random rng(image_seed(Split::test, i, dataset_seed) ^ 0x5DEECE66Dull);
  return 2.0 * std::numbers::pi * rng.uniform();
}

/// What a synthetic set contains: family, size, split, count, seed, and whether each image is rotated by
/// its `test_rotation` angle.
struct SyntheticSpec {
  PhantomKind kind = PhantomKind::ellipses;
  std::size_t size = 64;
  Split split = Split::train;
  std::size_t count = 1;
  std::uint64_t seed = 0;
  bool rotated = false;
  std::size_t supersample = 2;
};

/// Builds the pairs (measurement, ground truth) of a synthetic set on backend B: the ground truth u is the
/// phantom as a 1×c×n×n tensor (c = the operator's image channels; a complex image has imaginary part 0),
/// the measurement is `noise(op.apply(u), seed_i)` with the image's own seed.
template <TensorBackend B, LinearOperatorOn<B> Op, class Noise>
  requires std::invocable<Noise&, typename B::tensor_type, std::uint64_t>
[[nodiscard]] nn::PairList<B> make_pairs(const Op& op, Noise&& noise, const SyntheticSpec& spec) {
  using T = typename B::scalar_type;
  const Shape4 ds = op.domain_shape(1);
  const std::size_t c = ds.c;
  EQR_EXPECTS(ds.h == spec.size && ds.w == spec.size, shape_error, "make_pairs: expected an operator on ",
              spec.size, "x", spec.size, " images, found one on ", ds.h, "x", ds.w);
  nn::PairList<B> list;
  list.pairs.reserve(spec.count);
  for (std::size_t i = 0; i < spec.count; ++i) {
    const std::uint64_t seed = image_seed(spec.split, i, spec.seed);
    const double angle = spec.rotated ? test_rotation(i, spec.seed) : 0.0;
    const auto img = phantom<T>(spec.kind, spec.size, seed, angle, spec.supersample);
    std::vector<T> host(c * spec.size * spec.size, T(0));
    std::copy(img.begin(), img.end(), host.begin());  // channel 0 (real part); other channels stay 0
    auto u = B::from_host(Shape4{1, c, spec.size, spec.size}, std::span<const T>(host));
    auto y = noise(op.apply(u), seed ^ 0xA5A5A5A5ull);
    list.pairs.push_back({std::move(y), std::move(u)});
  }
  return list;
}

}  // namespace eqr::data
