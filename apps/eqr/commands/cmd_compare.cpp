// `eqr compare`: PSNR, SSIM (scikit-image conventions) and NMSE of an image against a reference.
#include <cmath>
#include <complex>
#include <iomanip>
#include <iostream>
#include <vector>

#include <xtensor/xview.hpp>

#include "support/cli.hpp"
#include "eqr/metrics/psnr.hpp"
#include "eqr/metrics/ssim.hpp"
#include "support/json.hpp"
#include "support/npy_args.hpp"

namespace {

/// The array as real planes (P, H, W) over its last two axes; complex values become magnitudes.
xt::xtensor<double, 3> as_planes(const eqr::io::NpyArray& a, const std::string& file) {
  EQR_EXPECTS(a.ndim() >= 2, eqr::shape_error, "'", file, "': expected an image with at least two axes (..., H, W), found ",
              eqr::io::detail::shape_string(a.shape()));
  const std::size_t h = a.shape()[a.ndim() - 2], w = a.shape()[a.ndim() - 1];
  EQR_EXPECTS(h * w > 0, eqr::shape_error, "'", file, "': expected a non-empty image, found ",
              eqr::io::detail::shape_string(a.shape()));
  xt::xtensor<double, 3> out = xt::xtensor<double, 3>::from_shape({a.size() / (h * w), h, w});
  if (a.is_complex()) {
    const auto z = a.as<std::complex<double>>();
    std::transform(z.begin(), z.end(), out.begin(), [](const std::complex<double>& v) { return std::abs(v); });
  } else {
    const auto v = a.as<double>();
    std::copy(v.begin(), v.end(), out.begin());
  }
  return out;
}

/// The shape without its leading axes of extent 1: (1, H, W) and (H, W) hold the same image.
std::vector<std::size_t> without_leading_ones(std::vector<std::size_t> shape) {
  while (shape.size() > 2 && shape.front() == 1) shape.erase(shape.begin());
  return shape;
}

int run(eqr::cli::Args& args) {
  const std::string ref_file = args.required("ref");
  const std::string in_file = args.required("in");
  const auto range = args.real("data-range");
  const bool json = args.flag("json");
  args.finish();
  if (range && !(*range > 0 && std::isfinite(*range)))
    throw eqr::cli::usage_error("--data-range: expected a positive number, found " + std::to_string(*range));
  const eqr::io::NpyArray ref_array = eqr::io::read_npy(ref_file), in_array = eqr::io::read_npy(in_file);
  EQR_EXPECTS(without_leading_ones(ref_array.shape()) == without_leading_ones(in_array.shape()), eqr::shape_error, "'", in_file, "' has shape ",
              eqr::io::detail::shape_string(in_array.shape()), " but the reference '", ref_file, "' has shape ",
              eqr::io::detail::shape_string(ref_array.shape()), ": expected equal shapes (up to leading axes of extent 1)");
  const auto ref = as_planes(ref_array, ref_file), x = as_planes(in_array, in_file);
  const double data_range = range ? *range : eqr::metrics::reference_range(ref);
  const double psnr = eqr::metrics::psnr(ref, x, data_range);
  const double nmse = eqr::metrics::nmse(ref, x);
  const std::size_t h = ref.shape(1), w = ref.shape(2);
  EQR_EXPECTS(h >= 7 && w >= 7, eqr::shape_error, "SSIM needs images of at least 7 x 7 pixels (its window), found ", h,
              " x ", w);
  double ssim = 0;
  for (std::size_t p = 0; p < ref.shape(0); ++p) {
    const xt::xtensor<double, 2> a = xt::view(ref, p, xt::all(), xt::all()), b = xt::view(x, p, xt::all(), xt::all());
    ssim += eqr::metrics::ssim(a, b, data_range) / static_cast<double>(ref.shape(0));
  }
  if (json) {
    std::cout << eqr::cli::JsonObject{}
                     .add("psnr", psnr)
                     .add("ssim", ssim)
                     .add("nmse", nmse)
                     .add("data_range", data_range)
                     .str()
              << "\n";
  } else {
    std::cout << std::setprecision(6) << "psnr        " << psnr << " dB\n"
              << "ssim        " << ssim << "\n"
              << "nmse        " << nmse << "\n"
              << "data_range  " << data_range << "\n";
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"compare", "PSNR, SSIM and NMSE of an image against a reference",
     "--ref truth.npy --in recon.npy [--data-range R] [--json]\n\n"
     "Compares two arrays of equal shape (..., H, W; leading axes of extent 1 aside). Complex arrays are\n"
     "compared by magnitude.\n"
     "  PSNR = 10 log10(R^2 / MSE) over all values; NMSE = |x - ref|^2 / |ref|^2;\n"
     "  SSIM as scikit-image's structural_similarity (7x7 uniform window, K1 = 0.01, K2 = 0.03, sample\n"
     "  covariance, mean over windows inside the image), averaged over the leading axes' planes.\n"
     "  --data-range R   the data range R of PSNR and SSIM (default: the maximum of the reference)\n"
     "  --json           print {\"psnr\", \"ssim\", \"nmse\", \"data_range\"}",
     run});

}  // namespace
