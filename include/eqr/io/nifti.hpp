/// @file io/nifti.hpp
/// NIfTI-1 volumes, the neuroimaging format (https://nifti.nimh.nih.gov/nifti-1): `read_nifti` reads a
/// single-file `.nii` or gzip-compressed `.nii.gz` into a `NiftiVolume` — the voxels as float32 in C order,
/// scaled by scl_slope / scl_inter, with the voxel spacing, the voxel-to-world affine and the description.
///
/// The header is parsed by nifticlib (Debian's libnifti2-dev; its NIfTI-1 library libniftiio):
/// `nifti_read_header` and `nifti_image_read` read and check the 348-byte header (through zlib for .gz) and
/// convert it (byte order, dimensions, qform / sform).  The voxel bytes are read here, from the header's
/// vox_offset — decompressed by zlib, as nifticlib's znzlib does, byte-swapped by `nifti_swap_Nbytes` —
/// rather than by `nifti_image_load`, which replaces NaN and ±∞ float voxels by 0 (nibabel keeps them, and
/// so does this reader), allocates what a corrupt header claims before finding the data short, and takes a
/// gzip stream that ends inside its CRC trailer for a whole one (znzlib does not ask zlib's `gzerror`).
/// nifticlib's own messages on stderr are switched off (`nifti_set_debug_level(0)`, a process-wide setting):
/// every failure is reported by the `io_error` instead.
///
/// Layout: NIfTI stores voxel (i, j, k) with i fastest; `voxels(k, j, i)` is that voxel, so `voxels` has
/// shape (nz, ny, nx) and the file's voxel order is its C order.  A 2-D image (dim[0] = 2) has nz = 1, a
/// 4-D file with one volume (nt = 1) reads as its 3-D volume.
///
/// Accepted datatypes: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64, in either
/// byte order.  Values are converted to double, scaled (scl_slope · x + scl_inter when scl_slope ≠ 0, as the
/// standard says; nifticlib reads a non-finite slope as 0), then rounded to float: exact for 8- and 16-bit
/// integers with an integer or dyadic slope and intercept, rounded to float otherwise (large 32/64-bit
/// integers, float64).
///
/// Refused, each with an `io_error` that names the file, what was expected and what was found: a missing
/// file or one not named .nii / .nii.gz; a file shorter than its header, or a gzip stream that ends early
/// or does not decompress (zlib's CRC of the whole stream is checked); a header that is not NIfTI-1
/// (sizeof_hdr ≠ 348 — a NIfTI-2 file says so —, a magic other than "n+1": ANALYZE 7.5 or a .hdr/.img
/// pair's header); dimensions out of range; more than one volume (nt, nu, nv or nw > 1: read the series
/// with nifticlib directly); complex, RGB, float128 or binary datatypes; voxel data shorter than the
/// header's dimensions need.
///
/// Needs the `eqr::nifti` CMake target (eqr::cpu + nifticlib + zlib), which defines EQR_HAVE_NIFTI=1.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nifti1_io.h>
#include <xtensor/xarray.hpp>
#include <zlib.h>

#include "eqr/config.hpp"

namespace eqr::io {

/// One NIfTI-1 volume as read by `read_nifti`.
/// Class invariant: `voxels` has rank 3, shape (nz, ny, nx), every extent ≥ 1.
struct NiftiVolume {
  /// The voxel values, scaled: `voxels(k, j, i)` is NIfTI's voxel (i, j, k) times scl_slope plus scl_inter
  /// (when scl_slope ≠ 0).  Shape (nz, ny, nx), C order; nz = 1 for a 2-D image.
  xt::xarray<float> voxels;
  /// The voxel spacing (dz, dy, dx) — pixdim[3], pixdim[2], pixdim[1] — in `spatial_unit`, i.e. the spacing
  /// along the axes 0, 1, 2 of `voxels`.  A pixdim of 0 or a non-finite one reads as 1 (nifticlib's rule),
  /// as does that of a dimension beyond dim[0] (dz of a 2-D image); the sign is dropped.
  std::array<double, 3> spacing{};
  /// The voxel-to-world transform: (x, y, z, 1) = affine · (i, j, k, 1) — note NIfTI's index order (i, j, k),
  /// i.e. the axes 2, 1, 0 of `voxels`.  The sform when sform_code > 0, else the qform when qform_code > 0,
  /// else diag(dx, dy, dz, 1) (nibabel's `affine` prefers the sform too; its fall-back centres the volume).
  std::array<std::array<double, 4>, 4> affine{};
  /// The header's qform_code and sform_code (0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI-152).
  int qform_code = 0;
  int sform_code = 0;
  /// The unit of `spacing` and of the affine's world coordinates: "mm", "micron", "m" or "Unknown".
  std::string spatial_unit;
  /// The header's dim[0], 1 to 7: 2 for an image, 3 for a volume, more for a file whose extra dimensions are 1.
  int ndim = 0;
  /// The on-disk datatype: its NIfTI code (NIFTI_TYPE_INT16 = 4, …) and nifticlib's name ("INT16", …).
  int datatype = 0;
  std::string datatype_name;
  /// scl_slope and scl_inter as nifticlib read them (a non-finite value reads as 0); applied to `voxels`
  /// when scl_slope ≠ 0.
  double scl_slope = 0;
  double scl_inter = 0;
  /// The header's descrip field (at most 79 characters).
  std::string description;
};

/// Reads a NIfTI-1 volume from a `.nii` or `.nii.gz` file.  Throws io_error naming the file for everything
/// listed in this header's comment as refused.
NiftiVolume read_nifti(const std::filesystem::path& path);

// ---- implementation ---------------------------------------------------------------------------------

namespace detail {

/// Frees what nifticlib allocated: a header from `nifti_read_header`, an image from `nifti_image_read`.
struct NiftiHeaderFree {
  void operator()(nifti_1_header* h) const { std::free(h); }
};
struct NiftiImageFree {
  void operator()(nifti_image* image) const { nifti_image_free(image); }
};

/// A gzip file opened for reading with zlib, closed on destruction.
class GzipFile {
 public:
  explicit GzipFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {}
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;
  ~GzipFile() {
    if (file_ != nullptr) gzclose_r(file_);
  }
  gzFile get() const { return file_; }

  /// zlib's description of the stream's state, without the file name it starts with: empty while the stream
  /// is sound, else e.g. "unexpected end of file" (a truncated stream) or "incorrect data check" (a CRC mismatch).
  std::string error() const {
    int code = Z_OK;
    const char* text = gzerror(file_, &code);
    if (code == Z_OK) return {};
    std::string_view message = text != nullptr ? text : "unknown error";
    if (message.starts_with(path_ + ": ")) message.remove_prefix(path_.size() + 2);
    return std::string(message);
  }

 private:
  std::string path_;
  gzFile file_;
};

/// `bytes` with every character that is not printable ASCII written as \xNN (for magic numbers in messages).
inline std::string printable(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

/// The bytes per voxel of the datatypes read here; 0 for every other code.
inline int nifti_voxel_bytes(int datatype) {
  switch (datatype) {
    case NIFTI_TYPE_UINT8:
    case NIFTI_TYPE_INT8: return 1;
    case NIFTI_TYPE_INT16:
    case NIFTI_TYPE_UINT16: return 2;
    case NIFTI_TYPE_INT32:
    case NIFTI_TYPE_UINT32:
    case NIFTI_TYPE_FLOAT32: return 4;
    case NIFTI_TYPE_INT64:
    case NIFTI_TYPE_UINT64:
    case NIFTI_TYPE_FLOAT64: return 8;
    default: return 0;
  }
}

/// Why a datatype code is refused (for one that `nifti_voxel_bytes` gives 0).
inline std::string nifti_refused_datatype(int datatype) {
  const std::string name = eqr::detail::concat(nifti_datatype_string(datatype), " (code ", datatype, ")");
  switch (datatype) {
    case NIFTI_TYPE_COMPLEX64:
    case NIFTI_TYPE_COMPLEX128:
    case NIFTI_TYPE_COMPLEX256: return "the complex datatype " + name + " (take the magnitude first)";
    case NIFTI_TYPE_RGB24:
    case NIFTI_TYPE_RGBA32: return "the colour datatype " + name;
    case NIFTI_TYPE_FLOAT128: return "the datatype " + name + ", which has no portable C++ type";
    default: return "the datatype " + name;
  }
}

/// Converts `n` voxels of type T (native byte order, unaligned) to float, scaled when `slope` ≠ 0.
template <class T>
void nifti_convert(const char* bytes, std::size_t n, float* out, double slope, double inter) {
  for (std::size_t v = 0; v < n; ++v) {
    T raw;
    std::memcpy(&raw, bytes + v * sizeof(T), sizeof(T));
    const double x = static_cast<double>(raw);
    out[v] = static_cast<float>(slope != 0 ? slope * x + inter : x);
  }
}

/// Checks the raw header as nifticlib read it (after byte swapping), so that each refusal has its own reason.
inline void check_nifti1_header(const nifti_1_header& h, const std::string& name) {
  EQR_EXPECTS(h.sizeof_hdr == 348, io_error, "'", name, "': expected a NIfTI-1 header (sizeof_hdr 348), found ",
              h.sizeof_hdr == 540 || h.sizeof_hdr == 0x1C020000 ? "a NIfTI-2 header (sizeof_hdr 540), not read here"
                                                                : eqr::detail::concat("sizeof_hdr ", h.sizeof_hdr,
                                                                         " (not a NIfTI file, or a corrupt one)"));
  const std::string_view magic(h.magic, 4);
  EQR_EXPECTS(magic == std::string_view("n+1\0", 4), io_error, "'", name,
              "': expected the magic \"n+1\" of a single-file NIfTI-1 image, found ",
              magic == std::string_view("ni1\0", 4)    ? std::string("\"ni1\", the header of a .hdr/.img pair")
              : magic == std::string_view("\0\0\0\0", 4) ? std::string("none (an ANALYZE 7.5 header)")
                                                         : "\"" + printable(magic) + "\"");
  EQR_EXPECTS(h.dim[0] >= 1 && h.dim[0] <= 7, io_error, "'", name, "': expected dim[0] (the number of ",
              "dimensions) in 1..7, found ", h.dim[0]);
  for (int d = 1; d <= h.dim[0]; ++d)
    EQR_EXPECTS(h.dim[d] >= 1, io_error, "'", name, "': expected dim[", d, "] ≥ 1, found ", h.dim[d]);
  EQR_EXPECTS(nifti_voxel_bytes(h.datatype) > 0, io_error, "'", name, "': expected a datatype uint8, int8, ",
              "int16, uint16, int32, uint32, int64, uint64, float32 or float64, found ",
              nifti_refused_datatype(h.datatype));
  EQR_EXPECTS(h.bitpix == 8 * nifti_voxel_bytes(h.datatype), io_error, "'", name, "': expected bitpix ",
              8 * nifti_voxel_bytes(h.datatype), " for ", nifti_datatype_string(h.datatype), ", found ", h.bitpix);
}

/// Reads the `size` voxel bytes from byte `offset` of a .nii.gz file, in blocks, so that memory grows with the
/// data actually there, not with what a corrupt header claims; then reads on to the stream's end, where zlib
/// checks the CRC and length of the whole stream.  Throws io_error for a stream that ends early or is corrupt.
inline std::vector<char> read_gzip_voxels(const std::string& name, std::uintmax_t offset, std::size_t size) {
  const GzipFile file(name);
  EQR_EXPECTS(file.get() != nullptr, io_error, "cannot read '", name, "': expected a readable file, found one that ",
              "cannot be opened");
  const auto fail = [&](const std::string& found) {
    throw io_error(eqr::detail::concat("'", name, "': expected ", size, " bytes of voxel data from byte ", offset,
                                       " of the decompressed stream, then the stream's end with the CRC of its ",
                                       "data, found ", found, " (zlib: ", file.error(), ")"));
  };
  EQR_EXPECTS(gzseek(file.get(), static_cast<z_off_t>(offset), SEEK_SET) == static_cast<z_off_t>(offset), io_error,
              "'", name, "': expected voxel data from byte ", offset, " (vox_offset) of the decompressed stream, ",
              "found a gzip stream that cannot seek there (zlib: ", file.error(), ")");
  constexpr std::size_t block = std::size_t{1} << 24;
  std::vector<char> bytes;
  while (bytes.size() < size) {
    const std::size_t want = std::min(block, size - bytes.size());
    const std::size_t at = bytes.size();
    bytes.resize(at + want);
    const int got = gzread(file.get(), bytes.data() + at, static_cast<unsigned>(want));
    if (got < 0 || !file.error().empty())
      fail(eqr::detail::concat("a gzip stream that ends early or is corrupt after ", at + std::size_t(std::max(got, 0)),
                               " bytes of voxels"));
    bytes.resize(at + static_cast<std::size_t>(got));
    if (static_cast<std::size_t>(got) < want) break;
  }
  EQR_EXPECTS(bytes.size() == size, io_error, "'", name, "': expected ", size, " bytes of voxel data from byte ",
              offset, " of the decompressed stream, found ", bytes.size(), " (a truncated gzip stream)");
  char rest[4096];
  int got = 0;
  do {
    got = gzread(file.get(), rest, sizeof rest);
  } while (got > 0);
  if (got < 0 || !file.error().empty()) fail("a gzip stream that ends early or is corrupt after the voxels");
  return bytes;
}

/// Reads the `size` voxel bytes from byte `offset` of a .nii file (whose size was checked).
inline std::vector<char> read_file_voxels(const std::string& name, std::uintmax_t offset, std::size_t size) {
  std::ifstream in(name, std::ios::binary);
  EQR_EXPECTS(in.is_open(), io_error, "cannot read '", name, "': expected a readable file, found one that ",
              "cannot be opened");
  std::vector<char> bytes(size);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  EQR_EXPECTS(in && static_cast<std::size_t>(in.gcount()) == size, io_error, "'", name, "': expected ", size,
              " bytes of voxel data from byte ", offset, ", could read only ", in.gcount());
  return bytes;
}

}  // namespace detail

inline NiftiVolume read_nifti(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  EQR_EXPECTS(std::filesystem::is_regular_file(path, ec), io_error, "cannot read '", name,
              "': expected an existing NIfTI-1 file, found ",
              std::filesystem::exists(path, ec) ? "something that is not a regular file" : "no such file");
  // nifticlib looks for other files when the name it is given lacks a NIfTI extension or is a .img file
  // (x → x.nii, x.nii.gz, x.hdr, …): only names it takes as they are reach it.
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() > suffix.size() && std::string_view(name).substr(name.size() - suffix.size()) == suffix;
  };
  const bool gzip = ends_with(".nii.gz");
  EQR_EXPECTS(gzip || ends_with(".nii"), io_error, "cannot read '", name,
              "': expected a NIfTI-1 file named *.nii or *.nii.gz, found another name");
  nifti_set_debug_level(0);  // no messages on stderr: the io_errors below say what went wrong

  int swapped = 0;
  const std::unique_ptr<nifti_1_header, detail::NiftiHeaderFree> header(
      nifti_read_header(name.c_str(), &swapped, 0));
  EQR_EXPECTS(header != nullptr, io_error, "'", name, "': expected a 348-byte NIfTI-1 header, found ",
              gzip ? "fewer bytes (a truncated file), or a corrupt gzip stream: one that ends early, does not "
                     "decompress or fails its CRC"
                   : "fewer bytes (a truncated file) or an ASCII NIfTI header");
  detail::check_nifti1_header(*header, name);
  EQR_EXPECTS(nifti_hdr_looks_good(header.get()) != 0, io_error, "'", name,
              "': expected a NIfTI-1 header that nifticlib accepts, found one it refuses");

  const std::unique_ptr<nifti_image, detail::NiftiImageFree> image(nifti_image_read(name.c_str(), 0));
  EQR_EXPECTS(image != nullptr, io_error, "'", name, "': expected a NIfTI-1 header that nifticlib converts, ",
              "found one it refuses");
  const nifti_image& im = *image;
  EQR_EXPECTS(im.nifti_type == NIFTI_FTYPE_NIFTI1_1, io_error, "'", name, "': expected a single-file NIfTI-1 ",
              "image, found nifticlib's file type ", im.nifti_type);
  EQR_EXPECTS(im.nt == 1 && im.nu == 1 && im.nv == 1 && im.nw == 1, io_error, "'", name,
              "': expected one 2-D or 3-D volume, found a ", im.ndim, "-d series of ", im.nt * im.nu * im.nv * im.nw,
              " volumes (nt = ", im.nt, ", nu = ", im.nu, ", nv = ", im.nv, ", nw = ", im.nw, ")");
  EQR_EXPECTS(im.nbyper == detail::nifti_voxel_bytes(im.datatype) && im.nx >= 1 && im.ny >= 1 && im.nz >= 1,
              io_error, "'", name, "': expected ", detail::nifti_voxel_bytes(im.datatype),
              " bytes per voxel and positive extents, found ", im.nbyper, " and ", im.nx, "×", im.ny, "×", im.nz);

  const auto nx = static_cast<std::size_t>(im.nx), ny = static_cast<std::size_t>(im.ny),
             nz = static_cast<std::size_t>(im.nz);
  const auto voxel_bytes = static_cast<std::size_t>(im.nbyper);
  constexpr std::size_t limit = std::numeric_limits<std::size_t>::max() / 8;
  EQR_EXPECTS(nx <= limit / ny && nx * ny <= limit / nz, io_error, "'", name, "': expected a volume that fits ",
              "in memory, found ", nx, "×", ny, "×", nz, " voxels");
  const std::size_t count = nx * ny * nz;
  const std::size_t size = count * voxel_bytes;
  const auto offset = static_cast<std::uintmax_t>(im.iname_offset);
  if (!gzip) {
    const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
    EQR_EXPECTS(!ec, io_error, "cannot read '", name, "': cannot determine its size: ", ec.message());
    EQR_EXPECTS(file_size >= offset && file_size - offset >= size, io_error, "'", name, "': expected ", size,
                " bytes of voxel data (", nx, "×", ny, "×", nz, " ", im.nbyper, "-byte voxels) from byte ", offset,
                ", found ", file_size > offset ? file_size - offset : 0, " (a truncated file)");
  }

  std::vector<char> bytes =
      gzip ? detail::read_gzip_voxels(name, offset, size) : detail::read_file_voxels(name, offset, size);
  if (im.swapsize > 1 && im.byteorder != nifti_short_order())
    nifti_swap_Nbytes(count, im.swapsize, bytes.data());

  NiftiVolume out;
  out.voxels = xt::xarray<float>::from_shape({nz, ny, nx});
  const double slope = im.scl_slope, inter = im.scl_inter;
  float* v = out.voxels.data();
  switch (im.datatype) {
    case NIFTI_TYPE_UINT8: detail::nifti_convert<std::uint8_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_INT8: detail::nifti_convert<std::int8_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_INT16: detail::nifti_convert<std::int16_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_UINT16: detail::nifti_convert<std::uint16_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_INT32: detail::nifti_convert<std::int32_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_UINT32: detail::nifti_convert<std::uint32_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_INT64: detail::nifti_convert<std::int64_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_UINT64: detail::nifti_convert<std::uint64_t>(bytes.data(), count, v, slope, inter); break;
    case NIFTI_TYPE_FLOAT32: detail::nifti_convert<float>(bytes.data(), count, v, slope, inter); break;
    default: detail::nifti_convert<double>(bytes.data(), count, v, slope, inter); break;  // FLOAT64, checked above
  }

  const auto spacing = [&](int axis, float pixdim) {  // NIfTI's axis 1, 2 or 3
    return im.ndim >= axis && std::isfinite(pixdim) && pixdim != 0 ? std::abs(double{pixdim}) : 1.0;
  };
  out.spacing = {spacing(3, im.dz), spacing(2, im.dy), spacing(1, im.dx)};
  const mat44& m = im.sform_code > 0 ? im.sto_xyz : im.qto_xyz;  // qto_xyz is diag(dx, dy, dz) without a qform
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) out.affine[r][c] = m.m[r][c];
  out.qform_code = im.qform_code;
  out.sform_code = im.sform_code;
  out.spatial_unit = nifti_units_string(im.xyz_units);
  out.ndim = im.ndim;
  out.datatype = im.datatype;
  out.datatype_name = nifti_datatype_string(im.datatype);
  out.scl_slope = slope;
  out.scl_inter = inter;
  out.description = im.descrip;
  return out;
}

}  // namespace eqr::io
