/// @file apps/eqr/npy_args.hpp
/// Helpers shared by the `eqr` tool's array commands (phantom, radon, backproject, fbp, mask, fft, ifft,
/// compare): reading .npy inputs as images, sinograms or complex planes with errors that name the file and
/// the offending dtype or shape, and writing .npy / PNG outputs atomically.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "support/cli.hpp"
#include "eqr/config.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/io/png.hpp"

namespace eqr::cli {

/// The dimensions of an array that is one H×W plane, possibly with leading axes of size 1:
/// (H, W), (1, H, W) or (1, 1, H, W).  Throws shape_error naming `file` otherwise.
inline std::array<std::size_t, 2> plane_shape(const io::NpyArray& a, const std::string& file, const char* what) {
  const auto& s = a.shape();
  bool ok = s.size() >= 2 && s.size() <= 4;
  for (std::size_t i = 0; ok && i + 2 < s.size(); ++i) ok = s[i] == 1;
  EQR_EXPECTS(ok, shape_error, "'", file, "': expected ", what, " of shape (H, W) (or (1, H, W), (1, 1, H, W)), found ",
              io::detail::shape_string(s));
  return {s[s.size() - 2], s[s.size() - 1]};
}

/// Reads a real 2-D array (float32, float64, int32 or another real dtype) as an (H, W) plane of doubles.
/// Complex input is refused with a message that says so.
inline xt::xtensor<double, 2> read_real_plane(const std::string& file, const char* what) {
  const io::NpyArray a = io::read_npy(file);
  EQR_EXPECTS(!a.is_complex(), value_error, "'", file, "': expected a real ", what, ", found dtype ",
              io::dtype_name(a.dtype()));
  const auto [h, w] = plane_shape(a, file, what);
  EQR_EXPECTS(h >= 1 && w >= 1, shape_error, "'", file, "': expected a non-empty ", what, ", found ",
              io::detail::shape_string(a.shape()));
  const xt::xarray<double> v = a.as<double>();
  xt::xtensor<double, 2> out = xt::xtensor<double, 2>::from_shape({h, w});
  std::copy(v.begin(), v.end(), out.begin());
  for (double x : out)
    EQR_EXPECTS(std::isfinite(x), value_error, "'", file, "': expected finite values, found ", x);
  return out;
}

/// A 2-D plane as a batch (1, 1, H, W).
template <class T>
xt::xtensor<T, 4> as_batch(const xt::xtensor<double, 2>& plane) {
  xt::xtensor<T, 4> out = xt::xtensor<T, 4>::from_shape({1, 1, plane.shape(0), plane.shape(1)});
  std::transform(plane.begin(), plane.end(), out.begin(), [](double v) { return static_cast<T>(v); });
  return out;
}

/// The first plane of a batch (N, C, H, W) as an (H, W) plane.
template <class T>
xt::xtensor<double, 2> first_plane(const xt::xtensor<T, 4>& batch) {
  xt::xtensor<double, 2> out = xt::xtensor<double, 2>::from_shape({batch.shape(2), batch.shape(3)});
  std::transform(batch.data(), batch.data() + out.size(), out.begin(), [](T v) { return static_cast<double>(v); });
  return out;
}

/// The output dtype chosen by `--dtype float32|float64` (default float32).
inline io::DType output_dtype(Args& args) {
  const std::string d = args.value("dtype").value_or("float32");
  if (d == "float32") return io::DType::float32;
  if (d == "float64") return io::DType::float64;
  throw usage_error("--dtype: expected float32 or float64, found '" + d + "'");
}

/// Writes a real (H, W) plane as .npy with the given real dtype, atomically.
inline void write_real_plane(const std::string& file, const xt::xtensor<double, 2>& plane, io::DType dtype) {
  io::NpyArray a(dtype, {plane.shape(0), plane.shape(1)});
  if (dtype == io::DType::float64)
    std::copy(plane.begin(), plane.end(), a.values<double>().begin());
  else
    std::transform(plane.begin(), plane.end(), a.values<float>().begin(), [](double v) { return static_cast<float>(v); });
  io::write_npy(file, a);
}

/// The PNG window given by `--png-range LOW,HIGH` (default: the image's min..max).
inline std::optional<io::Window> png_window(Args& args) {
  const auto text = args.value("png-range");
  if (!text) return std::nullopt;
  const auto comma = text->find(',');
  if (comma == std::string::npos) throw usage_error("--png-range: expected LOW,HIGH, found '" + *text + "'");
  const double low = parse_real(text->substr(0, comma), "--png-range LOW");
  const double high = parse_real(text->substr(comma + 1), "--png-range HIGH");
  if (!(low < high)) throw usage_error("--png-range: expected LOW < HIGH, found '" + *text + "'");
  return io::Window{low, high};
}

/// The options `--png FILE` and `--png-range LOW,HIGH` of a command that makes an image; read them before
/// `args.finish()`, then call `write(image)` after the .npy output is written.
struct PngOption {
  std::optional<std::string> file;
  std::optional<io::Window> window;
  explicit PngOption(Args& args) : file(args.value("png")), window(png_window(args)) {}
  void write(const xt::xtensor<double, 2>& image) const {
    if (file) io::save_png(*file, image, window);
  }
};

/// A positive integer option (usage_error naming it otherwise).
inline std::size_t positive(Args& args, const std::string& name, std::optional<long> fallback = std::nullopt) {
  const auto v = args.integer(name);
  if (!v && !fallback) throw usage_error("missing required option --" + name);
  const long n = v ? *v : *fallback;
  if (n < 1) throw usage_error("--" + name + ": expected a positive integer, found " + std::to_string(n));
  return static_cast<std::size_t>(n);
}

/// A non-negative 64-bit seed option.
inline std::uint64_t seed_option(Args& args, long fallback = 0) {
  const long s = args.integer("seed", fallback);
  if (s < 0) throw usage_error("--seed: expected a non-negative integer, found " + std::to_string(s));
  return static_cast<std::uint64_t>(s);
}

/// Reads a k-space mask for MaskedFourier: W values — a 1-d column mask, or an (H, W) mask whose rows are all
/// equal (a line mask as `eqr mask` writes it) — or H·W values, an (H, W) 2-D sampling pattern.
inline std::vector<double> read_mask(const std::string& file, std::size_t h, std::size_t w) {
  const io::NpyArray a = io::read_npy(file);
  EQR_EXPECTS(!a.is_complex(), value_error, "'", file, "': expected a real mask, found dtype ",
              io::dtype_name(a.dtype()));
  const auto v = a.as<double>();
  std::vector<double> mask(w);
  if (a.ndim() == 1) {
    EQR_EXPECTS(a.shape()[0] == w, shape_error, "'", file, "': expected a column mask of ", w,
                " values (the k-space width), found ", a.shape()[0]);
    for (std::size_t j = 0; j < w; ++j) mask[j] = v.data()[j];
  } else {
    const auto [mh, mw] = plane_shape(a, file, "mask");
    EQR_EXPECTS(mh == h && mw == w, shape_error, "'", file, "': expected a mask of shape (", h, ", ", w,
                ") like the k-space, found (", mh, ", ", mw, ")");
    for (std::size_t j = 0; j < w; ++j) mask[j] = v.data()[j];
    bool rows_equal = true;
    for (std::size_t i = 1; i < h && rows_equal; ++i)
      for (std::size_t j = 0; j < w && rows_equal; ++j) rows_equal = v.data()[i * w + j] == v.data()[j];
    if (!rows_equal) mask.assign(v.begin(), v.end());  // a 2-D sampling pattern: H·W values
  }
  for (const double m : mask)
    EQR_EXPECTS(std::isfinite(m), value_error, "'", file, "': expected finite mask values, found ", m);
  return mask;
}

}  // namespace eqr::cli
