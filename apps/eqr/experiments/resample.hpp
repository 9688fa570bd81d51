/// @file apps/eqr/experiments/resample.hpp
/// The resampling path that rotates images from files for `eqr evaluate --data` (DESIGN.md §4): rotated test
/// images are made by resampling (bilinear interpolation), which smooths them, and smoothing alone raises
/// PSNR. So the rotated set and an upright control both go through the same path — up-sampling by 2
/// (bilinear), rotation by the angle (by 0 for the control; data::rotate, zero outside the image), and
/// down-sampling by 2 (mean of each 2×2 block) — and then differ only in orientation.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "experiments/problems.hpp"
#include "eqr/config.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/data/rotate.hpp"

namespace eqr::experiments {

/// An H×W image up-sampled to 2H×2W by bilinear interpolation (pixel centres: output (i, j) samples the
/// input at (i/2 − 1/4, j/2 − 1/4), clamped to the image).
inline xt::xtensor<double, 2> upsample2(const xt::xtensor<double, 2>& image) {
  const std::size_t h = image.shape(0), w = image.shape(1);
  EQR_EXPECTS(h >= 1 && w >= 1, shape_error, "upsample2: expected a non-empty image, found ", h, "x", w);
  xt::xtensor<double, 2> out = xt::zeros<double>({2 * h, 2 * w});
  const auto coordinate = [](std::size_t k, std::size_t n) {
    const double x = std::clamp(0.5 * static_cast<double>(k) - 0.25, 0.0, static_cast<double>(n - 1));
    const auto lo = static_cast<std::size_t>(std::floor(x));
    return std::pair{lo, x - static_cast<double>(lo)};
  };
  for (std::size_t i = 0; i < 2 * h; ++i) {
    const auto [i0, fi] = coordinate(i, h);
    const std::size_t i1 = std::min(i0 + 1, h - 1);
    for (std::size_t j = 0; j < 2 * w; ++j) {
      const auto [j0, fj] = coordinate(j, w);
      const std::size_t j1 = std::min(j0 + 1, w - 1);
      out(i, j) = (1 - fi) * ((1 - fj) * image(i0, j0) + fj * image(i0, j1)) +
                  fi * ((1 - fj) * image(i1, j0) + fj * image(i1, j1));
    }
  }
  return out;
}

/// A 2H×2W image down-sampled to H×W by the mean of each 2×2 block.
inline xt::xtensor<double, 2> downsample2(const xt::xtensor<double, 2>& image) {
  const std::size_t h = image.shape(0) / 2, w = image.shape(1) / 2;
  EQR_EXPECTS(image.shape(0) == 2 * h && image.shape(1) == 2 * w && h >= 1 && w >= 1, shape_error,
              "downsample2: expected an image of even, positive height and width, found ", image.shape(0), "x",
              image.shape(1));
  xt::xtensor<double, 2> out = xt::zeros<double>({h, w});
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j)
      out(i, j) = 0.25 * (image(2 * i, 2 * j) + image(2 * i, 2 * j + 1) + image(2 * i + 1, 2 * j) + image(2 * i + 1, 2 * j + 1));
  return out;
}

/// The image through the resampling path, rotated counter-clockwise by `angle` radians (0: the control).
inline xt::xtensor<double, 2> resample_rotated(const xt::xtensor<double, 2>& image, double angle) {
  return downsample2(data::rotate(upsample2(image), angle));
}

/// The two test sets of images from files (DESIGN.md §4): the upright control (every truth through the
/// resampling path rotated by 0) and the turned set (rotated by the test rotation of its index and `seed`),
/// with measurements simulated by the problem's operator and noise, so the sets differ only in orientation.
inline std::pair<nn::PairList<FB>, nn::PairList<FB>> resampled_test_sets(const nn::PairList<FB>& test,
                                                                         const InverseProblem& problem, std::uint64_t seed) {
  nn::PairList<FB> control, turned;
  for (std::size_t k = 0; k < test.pairs.size(); ++k) {
    const auto truth = plane(test.pairs[k].target);
    const double angle = data::test_rotation(k, seed);
    for (auto* set : {&control, &turned}) {
      Tensor u = FB::zeros(FB::shape(test.pairs[k].target));  // a complex image keeps imaginary part 0
      const auto image = resample_rotated(truth, set == &turned ? angle : 0.0);
      std::copy(image.begin(), image.end(), u.data());
      set->pairs.push_back({problem.noise(problem.op.apply(u), seed * 7919 + 1000003 + k), u});
    }
  }
  return {std::move(control), std::move(turned)};
}

}  // namespace eqr::experiments
