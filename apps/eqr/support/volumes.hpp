/// @file apps/eqr/support/volumes.hpp
/// The image volumes `eqr dataset` reads, whatever their file format, as stacks of 2-D slices: `.npy` arrays
/// (2-D: one slice; 3-D: a volume) and every 2-D/3-D real member of a `.npz` archive; DICOM files and series
/// directories (GDCM, in builds with eqr::dicom), pixels in modality units (HU for CT); NIfTI-1 volumes
/// `.nii`/`.nii.gz` (nifticlib, in builds with eqr::nifti). HDF5 inputs (fastMRI, LoDoPaB-CT) are refused
/// with a message saying so: this build has no HDF5 reader yet.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
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

namespace eqr::cli {

/// One input volume as slices (S, H, W) along the chosen axis, with where it came from.
struct SliceStack {
  std::string source;              ///< the file (and member) it was read from
  xt::xtensor<double, 3> slices;   ///< (S, H, W)
  std::string modality;            ///< DICOM's Modality ("CT", "MR"; "" when the format does not say)
};

namespace detail {

/// The formats `eqr dataset --format` names.
inline bool known_volume_format(const std::string& f) {
  return f == "auto" || f == "dicom" || f == "nifti" || f == "npy" || f == "fastmri" || f == "lodopab";
}

/// The format of a path under --format auto: by extension, or DICOM for a directory or a file with the DICOM marker.
inline std::string detect_volume_format(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && std::equal(suffix.rbegin(), suffix.rend(), name.rbegin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (ends_with(".npy") || ends_with(".npz")) return "npy";
  if (ends_with(".nii") || ends_with(".nii.gz")) return "nifti";
  if (ends_with(".h5") || ends_with(".hdf5")) return "hdf5";
  if (std::filesystem::is_directory(path) || ends_with(".dcm")) return "dicom";
#ifdef EQR_HAVE_DICOM
  if (io::is_dicom_file(path)) return "dicom";
#endif
  throw value_error(eqr::detail::concat("'", path.string(),
                                        "': expected a .npy, .npz, .nii, .nii.gz or .dcm file or a DICOM series "
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

}  // namespace detail

/// The slice stacks of one input path (several for an .npz archive), read as `format` (auto: detected).
inline std::vector<SliceStack> read_slice_stacks(const std::filesystem::path& path, const std::string& format, std::size_t axis) {
  EQR_EXPECTS(std::filesystem::exists(path), io_error, "cannot read '", path.string(), "': no such file or directory");
  const std::string f = format == "auto" ? detail::detect_volume_format(path) : format;
  const std::string name = path.string();
  std::vector<SliceStack> out;
  if (f == "npy") {
    if (path.extension() == ".npz") {
      for (const std::string& member : io::npz_member_names(path)) {
        const io::NpyArray a = io::read_npz_array(path, member);
        if ((a.ndim() == 2 || a.ndim() == 3) && !a.is_complex())
          out.push_back({name + ":" + member, detail::slices_along(a, axis, name + ":" + member), ""});
      }
      EQR_EXPECTS(!out.empty(), shape_error, "'", name, "': expected at least one real 2-d or 3-d array among its members, found none");
    } else {
      out.push_back({name, detail::slices_along(io::read_npy(path), axis, name), ""});
    }
    return out;
  }
  if (f == "dicom") {
#ifdef EQR_HAVE_DICOM
    if (std::filesystem::is_directory(path)) {
      const io::DicomVolume v = io::read_dicom_series(path);
      out.push_back({name, detail::slices_along(io::NpyArray::from(v.voxels), axis, name), v.modality});
    } else {
      const io::DicomImage image = io::read_dicom(path);
      out.push_back({name, detail::slices_along(io::NpyArray::from(image.pixels), 0, name), image.modality});
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
    out.push_back({name, detail::slices_along(io::NpyArray::from(v.voxels), axis, name), ""});
    return out;
#else
    throw value_error(eqr::detail::concat("'", name, "': NIfTI input needs a build with eqr::nifti (nifticlib, Debian "
                                          "libnifti2-dev); this eqr was built without it"));
#endif
  }
  throw value_error(eqr::detail::concat("'", name, "': HDF5 input (fastMRI, LoDoPaB-CT) is not supported by this eqr yet: "
                                        "no HDF5 reader; export the arrays to .npy or .npz (e.g. with h5py) and pass those"));
}

}  // namespace eqr::cli
