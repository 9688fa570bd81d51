/// @file apps/eqr/support/volumes.hpp
/// The image volumes `eqr dataset` reads, whatever their file format, as stacks of 2-D slices: `.npy` arrays
/// (2-D: one slice; 3-D: a volume) and every 2-D/3-D real member of a `.npz` archive; DICOM files and series
/// directories (GDCM, in builds with eqr::dicom), pixels in modality units (HU for CT); NIfTI-1 volumes
/// `.nii`/`.nii.gz` (nifticlib, in builds with eqr::nifti); fastMRI and LoDoPaB-CT HDF5 files (libhdf5, in
/// builds with eqr::hdf5), which hold measurements as well as images:
/// - fastMRI: each slice's image is fastMRI's — the centred orthonormal inverse DFT of its k-space, cropped at
///   the centre to the ISMRMRD header's reconSpace (320 × 320 for knee and brain); multi-coil images are the
///   root sum of squares over the coils (as reconstruction_rss), single-coil ones the magnitude (as
///   reconstruction_esc) of a complex image that is kept, so that `eqr dataset` can write k-space that is
///   the exact centred DFT of the (cropped, resized) complex image: measurements consistent with eqr's
///   single-coil operator. Multi-coil files give images only (eqr's MRI operator is single-coil).
/// - LoDoPaB-CT: `ground_truth_<part>_<k>.hdf5` (dataset "data", (128, 362, 362) images on LoDoPaB's scale)
///   and, beside it, `observation_<part>_<k>.hdf5` ((128, 1000, 513) post-log sinograms). LoDoPaB's geometry
///   is ODL's `parallel_beam_geometry` of the square [−0.13, 0.13]² m: A angles at the midpoints of A equal
///   cells of [0, π), D detector cells on [−0.13√2, 0.13√2] m. In eqr's coordinates (DESIGN §3) that is the
///   same angle list and detector row with the image array as stored: ODL's array index (i, j) is the point
///   (x_i, y_j) and its detector axis at angle φ is (−sin φ, cos φ), so ODL's u = −x_i sin φ + y_j cos φ is
///   eqr's u = x cos φ + y sin φ of pixel (row i, column j) at (x, y) = (j, −i) (centred).
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "support/cli.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/io/npz.hpp"
#ifdef EQR_HAVE_DICOM
#include "eqr/io/dicom.hpp"
#endif
#ifdef EQR_HAVE_NIFTI
#include "eqr/io/nifti.hpp"
#endif
#ifdef EQR_HAVE_HDF5
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/io/fastmri.hpp"
#include "eqr/io/hdf5.hpp"
#include "eqr/operators/fft.hpp"
#endif

namespace eqr::cli {

/// A parallel-beam scan of a CT data set's measurements (LoDoPaB-CT's geometry), lengths in metres.
struct ScanGeometry {
  std::vector<double> angles;   ///< the projection angles in radians
  std::size_t detectors = 0;
  double detector_spacing = 0;
  double side = 0;              ///< the side of the square image domain (the pixel size is side / N)
};

/// One input volume as slices (S, H, W) along the chosen axis, with where it came from and, for formats that
/// hold them, the measurements of the slices.
struct SliceStack {
  std::string source;              ///< the file (and member) it was read from
  xt::xtensor<double, 3> slices;   ///< (S, H, W)
  std::string modality;            ///< DICOM's Modality ("CT", "MR"; "" when the format does not say)
  std::size_t first = 0;           ///< the index in the volume of slices(0) (HDF5 inputs read only --slices)
  std::size_t total = 0;           ///< the number of slices of the volume
  /// fastMRI single-coil: the complex images whose magnitudes are `slices`; their k-space is the measurement.
  std::optional<xt::xtensor<std::complex<double>, 3>> complex_images;
  /// LoDoPaB-CT: the measured sinograms (S, A, D) of `slices`, in `scan`.
  std::optional<xt::xtensor<double, 3>> sinograms;
  std::optional<ScanGeometry> scan;
  /// The --intensity the format calls for when none is given ("" for the general rule of `eqr dataset`).
  std::string intensity_default;
};

/// A stack of a whole volume's slices, without measurements.
inline SliceStack whole_volume(std::string source, xt::xtensor<double, 3> slices, std::string modality) {
  SliceStack s;
  s.source = std::move(source);
  s.total = slices.shape(0);
  s.slices = std::move(slices);
  s.modality = std::move(modality);
  return s;
}

namespace detail {

/// The formats `eqr dataset --format` names.
inline bool known_volume_format(const std::string& f) {
  return f == "auto" || f == "dicom" || f == "nifti" || f == "npy" || f == "fastmri" || f == "lodopab";
}

/// The format of a path under --format auto: by extension (for HDF5, by content: fastMRI has "kspace"), or DICOM
/// for a directory or a file with the DICOM marker.
inline std::string detect_volume_format(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), name.rbegin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (ends_with(".npy") || ends_with(".npz")) return "npy";
  if (ends_with(".nii") || ends_with(".nii.gz")) return "nifti";
  if (ends_with(".h5") || ends_with(".hdf5")) {
#ifdef EQR_HAVE_HDF5
    return io::Hdf5File(path).has_dataset("kspace") ? "fastmri" : "lodopab";
#else
    return "fastmri";  // refused below: this build has no HDF5 reader
#endif
  }
  if (std::filesystem::is_directory(path) || ends_with(".dcm")) return "dicom";
#ifdef EQR_HAVE_DICOM
  if (io::is_dicom_file(path)) return "dicom";
#endif
  throw value_error(eqr::detail::concat("'", path.string(),
                                        "': expected a .npy, .npz, .nii, .nii.gz, .dcm, .h5 or .hdf5 file or a DICOM series "
                                        "directory (or --format), found a file of unknown type"));
}

/// A 2-D (one slice) or 3-D real array as slices along `axis`.
inline xt::xtensor<double, 3> slices_along(const io::NpyArray& a, std::size_t axis, const std::string& source) {
  EQR_EXPECTS(a.ndim() == 2 || a.ndim() == 3, shape_error, "'", source, "': expected a 2-d image or a 3-d volume, found shape ",
              io::detail::shape_string(a.shape()));
  EQR_EXPECTS(!a.is_complex(), value_error, "'", source, "': expected real images, found dtype ", io::dtype_name(a.dtype()),
              " (take the magnitude first)");
  EQR_EXPECTS(axis < a.ndim() && (a.ndim() == 3 || axis == 0), value_error, "--axis: expected 0", a.ndim() == 3 ? "..2" : "",
              " for '", source, "' of shape ", io::detail::shape_string(a.shape()), ", found ", axis);
  const xt::xarray<double> v = a.as<double>();
  const auto& s = a.shape();
  if (a.ndim() == 2) {
    xt::xtensor<double, 3> out = xt::xtensor<double, 3>::from_shape({1, s[0], s[1]});
    std::copy(v.begin(), v.end(), out.begin());
    return out;
  }
  // Slices along `axis`; the other two axes keep their order.
  const std::size_t a0 = axis, a1 = axis == 0 ? 1 : 0, a2 = axis == 2 ? 1 : 2;
  xt::xtensor<double, 3> out = xt::xtensor<double, 3>::from_shape({s[a0], s[a1], s[a2]});
  const std::array<std::size_t, 3> stride{s[1] * s[2], s[2], 1};
  for (std::size_t k = 0; k < s[a0]; ++k)
    for (std::size_t i = 0; i < s[a1]; ++i)
      for (std::size_t j = 0; j < s[a2]; ++j) out(k, i, j) = v.flat(k * stride[a0] + i * stride[a1] + j * stride[a2]);
  return out;
}

/// The block [first, last) of a volume of `total` slices that --slices A:B selects, checked.
inline std::pair<std::size_t, std::size_t> slice_block(std::optional<long> a, std::optional<long> b, std::size_t total,
                                                       const std::string& source) {
  const auto first = static_cast<std::size_t>(a.value_or(0));
  const std::size_t last = std::min(total, static_cast<std::size_t>(b.value_or(static_cast<long>(total))));
  EQR_EXPECTS(first < last, value_error, "--slices: expected a range inside the ", total, " slices of '", source, "', found ",
              first, ":", b.value_or(static_cast<long>(total)));
  return {first, last};
}

#ifdef EQR_HAVE_HDF5
/// The centre crop (h, w) of the planes (S, H, W) of a complex stack; the whole plane along an axis shorter than asked.
inline xt::xtensor<std::complex<double>, 3> centre_crop(const xt::xtensor<std::complex<double>, 3>& z, std::size_t h, std::size_t w) {
  const std::size_t s = z.shape(0), hh = std::min(h, z.shape(1)), ww = std::min(w, z.shape(2));
  const std::size_t top = (z.shape(1) - hh) / 2, left = (z.shape(2) - ww) / 2;
  xt::xtensor<std::complex<double>, 3> out = xt::xtensor<std::complex<double>, 3>::from_shape({s, hh, ww});
  for (std::size_t k = 0; k < s; ++k)
    for (std::size_t i = 0; i < hh; ++i)
      for (std::size_t j = 0; j < ww; ++j) out(k, i, j) = z(k, top + i, left + j);
  return out;
}

/// fastMRI slices [A, B) of one file: the images of the file comment (and the complex images, single-coil).
inline SliceStack read_fastmri_stack(const std::filesystem::path& path, std::optional<long> a, std::optional<long> b) {
  const std::string name = path.string();
  const auto [first, last] = slice_block(a, b, io::fastmri_slice_count(path), name);
  const io::FastMriSlices f = io::read_fastmri(path, first, last - first);
  const std::size_t s = f.kspace.shape(0), coils = f.kspace.shape(1), h = f.kspace.shape(2), w = f.kspace.shape(3);
  // Every coil's image: the centred orthonormal inverse DFT (operators/fft.hpp, fastMRI's convention).
  xt::xtensor<double, 4> k = xt::xtensor<double, 4>::from_shape({s * coils, 2, h, w});
  const std::size_t plane = h * w;
  for (std::size_t p = 0; p < s * coils; ++p)
    for (std::size_t i = 0; i < plane; ++i) {
      const std::complex<float> v = f.kspace.data()[p * plane + i];
      EQR_EXPECTS(std::isfinite(v.real()) && std::isfinite(v.imag()), value_error, "'", name,
                  "': expected finite k-space values, found ", v, " in slice ", first + p / coils);
      k.data()[2 * p * plane + i] = v.real();
      k.data()[(2 * p + 1) * plane + i] = v.imag();
    }
  const auto x = centered_ifft<cpu::CpuBackend<double>>(k);
  xt::xtensor<std::complex<double>, 3> coil_images = xt::xtensor<std::complex<double>, 3>::from_shape({s * coils, h, w});
  for (std::size_t p = 0; p < s * coils; ++p)
    for (std::size_t i = 0; i < plane; ++i)
      coil_images.data()[p * plane + i] = {x.data()[2 * p * plane + i], x.data()[(2 * p + 1) * plane + i]};
  const std::array<std::size_t, 2> crop = f.recon_size.value_or(std::array<std::size_t, 2>{h, w});
  const xt::xtensor<std::complex<double>, 3> cropped = centre_crop(coil_images, crop[0], crop[1]);
  const std::size_t ch = cropped.shape(1), cw = cropped.shape(2);
  SliceStack out = whole_volume(name, xt::xtensor<double, 3>::from_shape({s, ch, cw}), "MR");
  out.first = first;
  out.total = f.total;
  for (std::size_t k2 = 0; k2 < s; ++k2)
    for (std::size_t i = 0; i < ch; ++i)
      for (std::size_t j = 0; j < cw; ++j) {
        double sum = 0;
        for (std::size_t c = 0; c < coils; ++c) sum += std::norm(cropped(k2 * coils + c, i, j));
        out.slices(k2, i, j) = std::sqrt(sum);
      }
  if (!f.multicoil) out.complex_images = cropped;
  out.intensity_default = "max";  // fastMRI's magnitudes are in scanner units (about 1e-4): each volume to max 1
  return out;
}

/// LoDoPaB-CT slices [A, B) of a ground_truth_* file and, when it is there, of its observation_* sibling.
inline SliceStack read_lodopab_stack(const std::filesystem::path& path, std::optional<long> a, std::optional<long> b) {
  const std::string name = path.string(), file = path.filename().string();
  const std::string prefix = "ground_truth_";
  EQR_EXPECTS(file.rfind(prefix, 0) == 0, value_error, "'", name, "': expected a LoDoPaB-CT ground_truth_<part>_<k>.hdf5 file ",
              "(its observation_* sibling is found beside it), found another name");
  const io::Hdf5File images(path);
  const std::vector<std::size_t> shape = images.shape("data");
  EQR_EXPECTS(shape.size() == 3, io_error, "'", name, "': expected data of shape (slices, N, N), found ", io::detail::shape_string(shape));
  const auto [first, last] = slice_block(a, b, shape[0], name);
  SliceStack out = whole_volume(name, images.read("data", first, last - first).as<double>(), "CT");
  out.first = first;
  out.total = shape[0];
  out.intensity_default = "none";  // LoDoPaB's images are attenuation over μ_max already, on the sinograms' scale
  const std::filesystem::path observations = path.parent_path() / ("observation_" + file.substr(prefix.size()));
  if (!std::filesystem::exists(observations)) return out;
  const io::Hdf5File sinograms(observations);
  const std::vector<std::size_t> s = sinograms.shape("data");
  EQR_EXPECTS(s.size() == 3 && s[0] == shape[0], io_error, "'", observations.string(), "': expected data of shape (", shape[0],
              ", angles, detectors) like the ", shape[0], " images of '", name, "', found ", io::detail::shape_string(s));
  out.sinograms = sinograms.read("data", first, last - first).as<double>();
  // LoDoPaB's geometry (the file comment): ODL's parallel_beam_geometry of the square [-0.13, 0.13]² m.
  constexpr double half_side = 0.13;
  ScanGeometry scan;
  for (std::size_t k = 0; k < s[1]; ++k) scan.angles.push_back((static_cast<double>(k) + 0.5) * M_PI / static_cast<double>(s[1]));
  scan.detectors = s[2];
  scan.detector_spacing = 2 * half_side * std::sqrt(2.0) / static_cast<double>(s[2]);
  scan.side = 2 * half_side;
  out.scan = scan;
  return out;
}
#endif

}  // namespace detail

/// The slice stacks of one input path (several for an .npz archive), read as `format` (auto: detected). HDF5
/// inputs read only the slices [A, B) of --slices (`first`, `last`); the other formats read whole volumes.
inline std::vector<SliceStack> read_slice_stacks(const std::filesystem::path& path, const std::string& format, std::size_t axis,
                                                 std::optional<long> first = {}, std::optional<long> last = {}) {
  EQR_EXPECTS(std::filesystem::exists(path), io_error, "cannot read '", path.string(), "': no such file or directory");
  const std::string f = format == "auto" ? detail::detect_volume_format(path) : format;
  const std::string name = path.string();
  std::vector<SliceStack> out;
  if (f == "npy") {
    if (path.extension() == ".npz") {
      for (const std::string& member : io::npz_member_names(path)) {
        const io::NpyArray a = io::read_npz_array(path, member);
        if ((a.ndim() == 2 || a.ndim() == 3) && !a.is_complex())
          out.push_back(whole_volume(name + ":" + member, detail::slices_along(a, axis, name + ":" + member), ""));
      }
      EQR_EXPECTS(!out.empty(), shape_error, "'", name, "': expected at least one real 2-d or 3-d array among its members, found none");
    } else {
      out.push_back(whole_volume(name, detail::slices_along(io::read_npy(path), axis, name), ""));
    }
    return out;
  }
  if (f == "dicom") {
#ifdef EQR_HAVE_DICOM
    if (std::filesystem::is_directory(path)) {
      const io::DicomVolume v = io::read_dicom_series(path);
      out.push_back(whole_volume(name, detail::slices_along(io::NpyArray::from(v.voxels), axis, name), v.modality));
    } else {
      const io::DicomImage image = io::read_dicom(path);
      out.push_back(whole_volume(name, detail::slices_along(io::NpyArray::from(image.pixels), 0, name), image.modality));
    }
    return out;
#else
    throw value_error(eqr::detail::concat("'", name, "': DICOM input needs a build with eqr::dicom (GDCM, Debian libgdcm-dev); "
                                          "this eqr was built without it"));
#endif
  }
  if (f == "nifti") {
#ifdef EQR_HAVE_NIFTI
    const io::NiftiVolume v = io::read_nifti(path);
    out.push_back(whole_volume(name, detail::slices_along(io::NpyArray::from(v.voxels), axis, name), ""));
    return out;
#else
    throw value_error(eqr::detail::concat("'", name, "': NIfTI input needs a build with eqr::nifti (nifticlib, Debian "
                                          "libnifti2-dev); this eqr was built without it"));
#endif
  }
#ifdef EQR_HAVE_HDF5
  EQR_EXPECTS(axis == 0, value_error, "--axis: expected 0 for the slices of '", name, "' (", f, " files are stacks of slices), found ", axis);
  out.push_back(f == "fastmri" ? detail::read_fastmri_stack(path, first, last) : detail::read_lodopab_stack(path, first, last));
  return out;
#else
  (void)first;
  (void)last;
  throw value_error(eqr::detail::concat("'", name, "': HDF5 input (fastMRI, LoDoPaB-CT) needs a build with eqr::hdf5 (libhdf5, "
                                        "Debian libhdf5-dev); this eqr was built without it"));
#endif
}

}  // namespace eqr::cli
