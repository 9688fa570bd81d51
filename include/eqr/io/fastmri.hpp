/// @file io/fastmri.hpp
/// fastMRI files (Zbontar et al., arXiv:1811.08839; https://github.com/facebookresearch/fastMRI): one HDF5
/// file per scan holding `kspace` — complex64, (slices, H, W) single-coil or (slices, coils, H, W)
/// multi-coil, centred k-space —, the reference reconstructions `reconstruction_esc` (single-coil) or
/// `reconstruction_rss` (multi-coil), (slices, h, w) float32 magnitude images (absent from test files), the
/// root attributes `acquisition`, `max`, `norm`, `patient_id`, and `ismrmrd_header`, the ISMRMRD XML header
/// whose `reconSpace` matrix size (fastMRI crops its images to it, 320 × 320 for knee and brain) is read
/// here.  `read_fastmri` reads a block of slices (whole volumes of multi-coil k-space are hundreds of MB).
///
/// fastMRI's image of a slice is the centred orthonormal inverse DFT of its k-space (operators/fft.hpp
/// implements that convention), cropped at the centre to the reconSpace size; multi-coil images are combined
/// by the root sum of squares.  Those steps are the reader's user's (`eqr dataset` does them).
///
/// Needs the `eqr::hdf5` CMake target.
#pragma once

#include <array>
#include <complex>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "eqr/config.hpp"
#include "eqr/io/hdf5.hpp"

namespace eqr::io {

/// A block of slices of one fastMRI file as read by `read_fastmri`.
/// Class invariant: `kspace` has rank 4, (slices, coils, H, W), coils = 1 for single-coil files.
struct FastMriSlices {
  /// The k-space, (slices, coils, H, W), centred (the zero frequency at (H/2, W/2)).
  xt::xarray<std::complex<float>> kspace;
  /// Whether the file is multi-coil (its kspace has four axes, even with one coil).
  bool multicoil = false;
  /// The reference reconstructions of these slices, (slices, h, w), when the file has them.
  std::optional<xt::xarray<float>> reconstruction;
  /// "reconstruction_esc", "reconstruction_rss", or "" when the file has none.
  std::string reconstruction_name;
  /// The reconSpace matrix size (rows, columns) = (y, x) of the ISMRMRD header, when the file has one.
  std::optional<std::array<std::size_t, 2>> recon_size;
  /// The root attributes `acquisition` and `patient_id` ("" when absent).
  std::string acquisition, patient_id;
  /// The root attributes `max` and `norm` (of the whole volume's reconstruction) when present.
  std::optional<double> max, norm;
  /// The index of the first slice read and the number of slices in the file.
  std::size_t first = 0, total = 0;
};

/// The number of slices of a fastMRI file (its kspace's first extent).  Throws io_error naming the file
/// when it is not HDF5 or has no kspace of rank 3 or 4.
std::size_t fastmri_slice_count(const std::filesystem::path& path);

/// Reads slices [first, first + count) (to the end when count is nullopt) of a fastMRI file.  Throws io_error
/// naming the file when it has no complex kspace of rank 3 or 4, when a reconstruction's slice count
/// differs from kspace's, or when the header's reconSpace is not two positive integers; value_error when the
/// block is outside the file.
FastMriSlices read_fastmri(const std::filesystem::path& path, std::size_t first = 0, std::optional<std::size_t> count = {});

// ---- implementation ---------------------------------------------------------------------------------

namespace detail {

/// The kspace extents of an open fastMRI file, checked.
inline std::vector<std::size_t> fastmri_kspace_shape(const Hdf5File& file) {
  EQR_EXPECTS(file.has_dataset("kspace"), io_error, "'", file.name(),
              "': expected a fastMRI file with a 'kspace' dataset, found datasets ", join_names(file.dataset_names()));
  const std::vector<std::size_t> shape = file.shape("kspace");
  EQR_EXPECTS(shape.size() == 3 || shape.size() == 4, io_error, "'", file.name(),
              "': expected kspace of shape (slices, H, W) or (slices, coils, H, W), found ", shape_string(shape));
  return shape;
}

/// The value of the first <tag>…</tag> after `from` in `xml`, or "" when there is none.
inline std::string xml_value(const std::string& xml, const std::string& tag, std::size_t from) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const auto start = xml.find(open, from);
  if (start == std::string::npos) return "";
  const auto end = xml.find(close, start);
  return end == std::string::npos ? "" : xml.substr(start + open.size(), end - start - open.size());
}

/// The reconSpace matrix size (y, x) of an ISMRMRD header, or nullopt when it has no reconSpace.
inline std::optional<std::array<std::size_t, 2>> ismrmrd_recon_size(const std::string& xml, const std::string& file) {
  const auto at = xml.find("<reconSpace>");
  if (at == std::string::npos) return std::nullopt;
  std::array<std::size_t, 2> size{};
  const std::array<const char*, 2> tags{"y", "x"};
  for (std::size_t k = 0; k < 2; ++k) {
    const std::string text = xml_value(xml, tags[k], at);
    std::size_t used = 0;
    long value = 0;
    try {
      value = std::stol(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    EQR_EXPECTS(used > 0 && used == text.size() && value > 0, io_error, "'", file, "': ismrmrd_header: expected a positive ",
                "integer reconSpace matrixSize ", tags[k], ", found '", text, "'");
    size[k] = static_cast<std::size_t>(value);
  }
  return size;
}

}  // namespace detail

inline std::size_t fastmri_slice_count(const std::filesystem::path& path) {
  const Hdf5File file(path);
  return detail::fastmri_kspace_shape(file)[0];
}

inline FastMriSlices read_fastmri(const std::filesystem::path& path, std::size_t first, std::optional<std::size_t> count) {
  const Hdf5File file(path);
  const std::vector<std::size_t> shape = detail::fastmri_kspace_shape(file);
  FastMriSlices out;
  out.multicoil = shape.size() == 4;
  out.first = first;
  out.total = shape[0];
  NpyArray k = file.read("kspace", first, count);
  EQR_EXPECTS(k.is_complex(), io_error, "'", file.name(), "': expected complex kspace, found ", dtype_name(k.dtype()));
  const std::vector<std::size_t> block = k.shape();
  out.kspace = k.as<std::complex<float>>();
  if (!out.multicoil) out.kspace.reshape({block[0], std::size_t{1}, block[1], block[2]});
  for (const char* name : {"reconstruction_esc", "reconstruction_rss"}) {
    if (!file.has_dataset(name)) continue;
    const std::vector<std::size_t> r = file.shape(name);
    EQR_EXPECTS(r.size() == 3 && r[0] == shape[0], io_error, "'", file.name(), "': expected ", name, " of shape (", shape[0],
                ", h, w) like kspace's slices, found ", detail::shape_string(r));
    out.reconstruction = file.read(name, first, count).as<float>();
    out.reconstruction_name = name;
    break;
  }
  if (file.has_dataset("ismrmrd_header"))
    out.recon_size = detail::ismrmrd_recon_size(file.read_string("ismrmrd_header"), file.name());
  const auto text = [&](const char* name) {
    if (!file.has_attribute(name)) return std::string();
    const Hdf5Attribute a = file.attribute(name);
    return std::holds_alternative<std::string>(a) ? std::get<std::string>(a) : std::string();
  };
  const auto number = [&](const char* name) -> std::optional<double> {
    if (!file.has_attribute(name)) return std::nullopt;
    const Hdf5Attribute a = file.attribute(name);
    return std::holds_alternative<double>(a) ? std::optional(std::get<double>(a)) : std::nullopt;
  };
  out.acquisition = text("acquisition");
  out.patient_id = text("patient_id");
  out.max = number("max");
  out.norm = number("norm");
  return out;
}

}  // namespace eqr::io
