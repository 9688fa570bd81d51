/// @file metrics/ssim.hpp
/// The structural similarity index (Wang, Bovik, Sheikh, Simoncelli 2004) with scikit-image's
/// `structural_similarity` defaults, so the numbers match the Python ecosystem's:
///
///   for every 7×7 window w lying fully inside the image (uniform weights, n = 49 pixels):
///     μx, μy           window means,
///     σx², σy², σxy    sample (co)variances: (n/(n−1))·(mean(xy) − μx μy)   ("use_sample_covariance"),
///     S(w) = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),
///     C1 = (K1·L)², C2 = (K2·L)², K1 = 0.01, K2 = 0.03, L the data range;
///   SSIM = the mean of S over the windows centred at least 3 pixels from every border
///   (scikit-image computes S everywhere with reflected borders, then crops (7−1)/2 pixels per side).
///
/// Windows are sums over separable 7-tap box filters, accumulated in double.  SSIM(x, x) = 1, SSIM is
/// symmetric in its two images, and lies in [−1, 1].  Images need at least 7×7 pixels (as in scikit-image).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/metrics/psnr.hpp"

namespace eqr::metrics {

/// SSIM's parameters; the defaults are scikit-image's (and the paper's).
struct SsimOptions {
  std::size_t window = 7;  ///< odd side of the uniform window
  double k1 = 0.01;
  double k2 = 0.03;
  bool sample_covariance = true;  ///< divide (co)variances by n − 1 instead of n
};

/// The SSIM map over the valid windows: an (H − w + 1)×(W − w + 1) image, entry (i, j) for the window whose
/// top-left pixel is (i, j).  `data_range` L must be given (positive).
template <MetricScalar T>
xt::xtensor<double, 2> ssim_map(const xt::xtensor<T, 2>& ref, const xt::xtensor<T, 2>& x, double data_range,
                                const SsimOptions& o = {}) {
  detail::check_pair(ref, x, "ssim");
  EQR_EXPECTS(o.window >= 2 && o.window % 2 == 1, value_error, "ssim: expected an odd window size of at least 3, found ",
              o.window);
  const std::size_t h = ref.shape(0), w = ref.shape(1), k = o.window;
  EQR_EXPECTS(h >= k && w >= k, shape_error, "ssim: expected an image of at least ", k, "x", k,
              " pixels (the window), found ", h, "x", w);
  EQR_EXPECTS(data_range > 0 && std::isfinite(data_range), value_error,
              "ssim: expected a positive data range, found ", data_range);
  const std::size_t oh = h - k + 1, ow = w - k + 1;
  // Horizontal 7-sums of x, y, x², y², xy, then vertical ones.
  std::vector<double> row(5 * h * ow, 0.0);
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < ow; ++j) {
      double s[5] = {0, 0, 0, 0, 0};
      for (std::size_t t = 0; t < k; ++t) {
        const double a = static_cast<double>(ref(i, j + t)), b = static_cast<double>(x(i, j + t));
        s[0] += a;
        s[1] += b;
        s[2] += a * a;
        s[3] += b * b;
        s[4] += a * b;
      }
      for (int q = 0; q < 5; ++q) row[(q * h + i) * ow + j] = s[q];
    }
  const double n = static_cast<double>(k * k);
  const double cov_norm = o.sample_covariance ? n / (n - 1) : 1.0;
  const double c1 = (o.k1 * data_range) * (o.k1 * data_range), c2 = (o.k2 * data_range) * (o.k2 * data_range);
  xt::xtensor<double, 2> map = xt::xtensor<double, 2>::from_shape({oh, ow});
  for (std::size_t i = 0; i < oh; ++i)
    for (std::size_t j = 0; j < ow; ++j) {
      double s[5] = {0, 0, 0, 0, 0};
      for (std::size_t t = 0; t < k; ++t)
        for (int q = 0; q < 5; ++q) s[q] += row[(q * h + i + t) * ow + j];
      const double ux = s[0] / n, uy = s[1] / n;
      const double vx = cov_norm * (s[2] / n - ux * ux), vy = cov_norm * (s[3] / n - uy * uy);
      const double vxy = cov_norm * (s[4] / n - ux * uy);
      map(i, j) = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  return map;
}

/// Mean SSIM of `x` against the reference `ref` (scikit-image's `structural_similarity(ref, x,
/// data_range=L)` with its defaults); L defaults to max(ref).
template <MetricScalar T>
double ssim(const xt::xtensor<T, 2>& ref, const xt::xtensor<T, 2>& x, std::optional<double> data_range = {},
            const SsimOptions& options = {}) {
  const double l = data_range ? *data_range : reference_range(ref);
  const auto map = ssim_map(ref, x, l, options);
  double s = 0;
  for (double v : map) s += v;
  return s / static_cast<double>(map.size());
}

/// Mean SSIM over the N·C planes of a batch N×C×H×W (as scikit-image averages over channels).
template <MetricScalar T>
double ssim(const xt::xtensor<T, 4>& ref, const xt::xtensor<T, 4>& x, std::optional<double> data_range = {},
            const SsimOptions& options = {}) {
  detail::check_pair(ref, x, "ssim");
  const double l = data_range ? *data_range : reference_range(ref);
  const std::size_t h = ref.shape(2), w = ref.shape(3), planes = ref.shape(0) * ref.shape(1);
  double s = 0;
  for (std::size_t p = 0; p < planes; ++p) {
    xt::xtensor<T, 2> a = xt::xtensor<T, 2>::from_shape({h, w}), b = xt::xtensor<T, 2>::from_shape({h, w});
    std::copy_n(ref.data() + p * h * w, h * w, a.data());
    std::copy_n(x.data() + p * h * w, h * w, b.data());
    s += ssim(a, b, l, options);
  }
  return s / static_cast<double>(planes);
}

}  // namespace eqr::metrics
