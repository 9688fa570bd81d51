/// @file io/dicom.hpp
/// DICOM images on GDCM: `read_dicom` reads one single-frame grayscale image file into a `DicomImage` (pixels
/// in modality units — Hounsfield units for CT — and the geometry tags), and `read_dicom_series` reads every
/// slice file of one series in a directory into a `DicomVolume`, sorted along the slice normal.
///
/// Decoding is GDCM's (`gdcm::PixmapReader`, `gdcm::Bitmap::GetBuffer`): uncompressed little- and big-endian,
/// implicit and explicit VR, RLE, JPEG baseline / extended / lossless, JPEG-LS and JPEG 2000 — whatever the
/// installed GDCM was built with (Debian's: all of these, with CharLS and OpenJPEG).  The tags are parsed
/// here, from their bytes, so every value this reader returns is one it checked:
///  - stored values: BitsAllocated 8, 16 or 32 (or float pixel data), only the BitsStored bits below HighBit
///    count (higher bits are masked off, PixelRepresentation 1 sign-extends), as DICOM PS3.5 §8 says;
///  - modality values: stored · RescaleSlope (0028,1053) + RescaleIntercept (0028,1052), slope 1 and
///    intercept 0 when the tags are absent (PS3.3 C.7.6.16.2.9/C.11.1); no VOI window, no LUT;
///  - geometry: PixelSpacing (0028,0030) as (row spacing, column spacing) in mm, i.e. the spacing along the
///    array's axes 0 and 1; ImagePositionPatient (0020,0032); ImageOrientationPatient (0020,0037).
///
/// Only DICOM Part 10 files ("DICM" after a 128-byte preamble) are read.  Before GDCM sees a file,
/// `detail::check_dicom_structure` (io/detail/dicom_structure.hpp) walks its encoding and the few values GDCM
/// asserts on: GDCM as Debian builds it keeps its assert()s and aborts the process on many truncated or
/// malformed files (a file cut anywhere in its data set, a corrupt length or VR, Rows that disagree with a
/// JPEG stream), its decoders can corrupt the heap, and it zero-fills a truncated Pixel Data value without
/// saying so.  With the walk, none of some 40 000 files made by replacing one header byte of pydicom's
/// CT_small and MR_small files (all their encodings) by a random value aborts: each is read or refused.
///
/// Refused, each with an `io_error` that names the file, what was expected and what was found: a missing,
/// non-DICOM, corrupt or truncated file; a DICOM file without pixel data; a multi-frame file (NumberOfFrames
/// > 1: read the frames with GDCM directly; a Siemens mosaic is one frame and reads as one large image);
/// colour (SamplesPerPixel ≠ 1, PALETTE COLOR); 1-bit or 12-bit-packed pixels; 32-bit pixels in explicit VR
/// big endian (GDCM 3.0 swaps their 16-bit halves); pixel data GDCM cannot decode; malformed geometry or
/// rescale tags; more than 1 GiB of pixels.  MONOCHROME1 images are read like MONOCHROME2: the values are
/// modality values either way, only their display is inverted.  The walk does not reach inside deflated files
/// (…1.2.1.99) nor past the frame header of compressed pixel data: there a malformed file may still trip an
/// assert in GDCM or a decoder — read untrusted files in a separate process.  GDCM's warnings go to its
/// trace streams (stderr by default; `gdcm::Trace::WarningOff()` silences them).
///
/// Pixels are float32: exact for every integer stored value up to 2^24 in magnitude and an integer slope and
/// intercept (every CT scanner's 12–16-bit data), rounded to float otherwise.
///
/// Needs the `eqr::dicom` CMake target (eqr::cpu + GDCM), which defines EQR_HAVE_DICOM=1.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmPixmap.h>
#include <gdcmPixmapReader.h>
#include <gdcmPhotometricInterpretation.h>
#include <gdcmPixelFormat.h>
#include <gdcmTag.h>
#include <gdcmUIDs.h>
#include <xtensor/xarray.hpp>

#include "eqr/config.hpp"
#include "eqr/io/detail/dicom_structure.hpp"

namespace eqr::io {

/// One DICOM single-frame grayscale image: its pixels in modality units and the tags that place it.
struct DicomImage {
  xt::xarray<float> pixels;  ///< (Rows, Columns), row-major: stored value · slope + intercept (HU for CT)
  std::optional<std::array<double, 2>> pixel_spacing;  ///< PixelSpacing (0028,0030): (row, column) spacing, mm
  std::optional<std::array<double, 3>> position;       ///< ImagePositionPatient (0020,0032): first pixel's centre, mm
  std::optional<std::array<double, 6>> orientation;    ///< ImageOrientationPatient (0020,0037): row, column directions
  std::optional<double> slice_thickness;               ///< SliceThickness (0018,0050), mm
  std::optional<double> spacing_between_slices;        ///< SpacingBetweenSlices (0018,0088), mm
  std::optional<long> instance_number;                 ///< InstanceNumber (0020,0013)
  double rescale_slope = 1.0;                          ///< RescaleSlope (0028,1053), 1 when absent
  double rescale_intercept = 0.0;                      ///< RescaleIntercept (0028,1052), 0 when absent
  std::string modality;                                ///< Modality (0008,0060): "CT", "MR", … ("" when absent)
  std::string series_uid;                              ///< SeriesInstanceUID (0020,000E) ("" when absent)
  std::string photometric;                             ///< "MONOCHROME1" or "MONOCHROME2"
  std::string transfer_syntax;                         ///< the transfer syntax UID the pixel data was stored in
};

/// The slices of one DICOM series as a volume, sorted along the slice normal.
struct DicomVolume {
  xt::xarray<float> voxels;         ///< (slices, Rows, Columns) in modality units
  std::array<double, 3> spacing{};  ///< (slice, row, column) spacing, mm
  std::optional<std::array<double, 3>> position;     ///< ImagePositionPatient of the first slice
  std::optional<std::array<double, 6>> orientation;  ///< the common ImageOrientationPatient
  bool sorted_by_position = false;  ///< true: by position along the normal; false: by InstanceNumber
  std::string modality;             ///< the common Modality
  std::string series_uid;           ///< the common SeriesInstanceUID
  std::vector<std::filesystem::path> files;  ///< the slice files, in slice order
};

/// Whether `path` is a regular file with the DICOM Part 10 marker: "DICM" at bytes 128–131, after the
/// 128-byte preamble (PS3.10 §7.1).  This is the rule `read_dicom_series` uses to pick its files.
inline bool is_dicom_file(const std::filesystem::path& path);

/// Reads a single-frame grayscale DICOM image file (see the file comment for what is decoded and refused).
inline DicomImage read_dicom(const std::filesystem::path& path);

/// Reads the DICOM series in `directory`: every regular file that `is_dicom_file` accepts (others, and a
/// file named DICOMDIR, are skipped; subdirectories are not searched) is read with `read_dicom`.  All slices
/// must have the same Rows × Columns, SeriesInstanceUID, Modality, PixelSpacing and ImageOrientationPatient
/// (within 1e-4); otherwise, or if no slice is found, io_error.  The slices are sorted by the position of
/// ImagePositionPatient along the normal n = row direction × column direction when every slice has both
/// tags, by InstanceNumber otherwise (then every slice needs a distinct one).  The slice spacing is the gap
/// between consecutive positions (which must agree within 1 % — a missing slice is an io_error, and so are
/// two slices at one position); with one slice or no positions it is SpacingBetweenSlices, else
/// SliceThickness, else io_error.  Every slice needs PixelSpacing.
inline DicomVolume read_dicom_series(const std::filesystem::path& directory);

// ---- implementation ---------------------------------------------------------------------------------

namespace detail {

/// The value of a string-valued tag with trailing spaces and NULs removed, or nullopt when absent or empty.
inline std::optional<std::string> dicom_string(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  if (!ds.FindDataElement(tag)) return std::nullopt;
  const gdcm::DataElement& de = ds.GetDataElement(tag);
  const gdcm::ByteValue* bv = de.GetByteValue();
  if (bv == nullptr || bv->GetPointer() == nullptr || bv->GetLength() == 0) return std::nullopt;
  std::string s(bv->GetPointer(), bv->GetLength());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  if (s.empty()) return std::nullopt;
  return s;
}

/// "(gggg,eeee)" for messages.
inline std::string tag_name(const gdcm::Tag& tag, const char* keyword) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string s = std::string(keyword) + " (";
  for (int shift = 12; shift >= 0; shift -= 4) s += hex[(tag.GetGroup() >> shift) & 0xF];
  s += ',';
  for (int shift = 12; shift >= 0; shift -= 4) s += hex[(tag.GetElement() >> shift) & 0xF];
  return s + ")";
}

/// The numbers of a DS or IS tag (backslash-separated, spaces allowed around each), or nullopt when absent.
/// Throws io_error naming the file and the tag if there are not exactly `count` finite numbers.
inline std::optional<std::vector<double>> dicom_numbers(const gdcm::DataSet& ds, const gdcm::Tag& tag,
                                                        const char* keyword, std::size_t count,
                                                        const std::string& file) {
  const std::optional<std::string> text = dicom_string(ds, tag);
  if (!text) return std::nullopt;
  std::vector<double> values;
  std::string_view rest = *text;
  while (true) {
    const std::size_t cut = rest.find('\\');
    std::string_view item = rest.substr(0, cut);
    while (!item.empty() && (item.front() == ' ' || item.front() == '+')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\0')) item.remove_suffix(1);
    double v = 0.0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    EQR_EXPECTS(!item.empty() && ec == std::errc() && end == item.data() + item.size() && std::isfinite(v),
                io_error, "'", file, "': expected ", tag_name(tag, keyword), " to hold ", count,
                " decimal number(s), found '", *text, "'");
    values.push_back(v);
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 1);
  }
  EQR_EXPECTS(values.size() == count, io_error, "'", file, "': expected ", tag_name(tag, keyword), " to hold ",
              count, " number(s), found ", values.size(), ": '", *text, "'");
  return values;
}

/// One number of a DS or IS tag, or nullopt when absent.
inline std::optional<double> dicom_number(const gdcm::DataSet& ds, const gdcm::Tag& tag, const char* keyword,
                                          const std::string& file) {
  const auto v = dicom_numbers(ds, tag, keyword, 1, file);
  if (!v) return std::nullopt;
  return (*v)[0];
}

/// The `N` numbers of a DS tag as an array, or nullopt when absent.
template <std::size_t N>
std::optional<std::array<double, N>> dicom_array(const gdcm::DataSet& ds, const gdcm::Tag& tag, const char* keyword,
                                                 const std::string& file) {
  const auto v = dicom_numbers(ds, tag, keyword, N, file);
  if (!v) return std::nullopt;
  std::array<double, N> a{};
  std::copy(v->begin(), v->end(), a.begin());
  return a;
}

/// The stored values of the `n` decoded pixels in `buffer`, as the integers (or floats) the pixel format says.
/// Integer samples keep only the BitsStored bits ending at HighBit, sign-extended for PixelRepresentation 1.
inline std::vector<double> stored_values(const std::vector<char>& buffer, std::size_t n, const gdcm::PixelFormat& pf,
                                         bool floating) {
  std::vector<double> out(n);
  const unsigned allocated = pf.GetBitsAllocated();
  const unsigned bytes = allocated / 8;
  if (floating) {
    for (std::size_t i = 0; i < n; ++i) {
      if (bytes == 4) {
        float f;
        std::memcpy(&f, buffer.data() + i * 4, 4);
        out[i] = f;
      } else {
        double d;
        std::memcpy(&d, buffer.data() + i * 8, 8);
        out[i] = d;
      }
    }
    return out;
  }
  const unsigned stored = pf.GetBitsStored();
  const unsigned shift = pf.GetHighBit() + 1u - stored;
  const std::uint64_t mask = stored >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << stored) - 1;
  const bool is_signed = pf.GetPixelRepresentation() == 1;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t raw = 0;
    if (bytes == 1) {
      std::uint8_t v;
      std::memcpy(&v, buffer.data() + i, 1);
      raw = v;
    } else if (bytes == 2) {
      std::uint16_t v;
      std::memcpy(&v, buffer.data() + i * 2, 2);
      raw = v;
    } else {
      std::uint32_t v;
      std::memcpy(&v, buffer.data() + i * 4, 4);
      raw = v;
    }
    const std::uint64_t bits = (raw >> shift) & mask;
    const bool negative = is_signed && ((bits >> (stored - 1)) & 1u) != 0;
    out[i] = negative ? static_cast<double>(static_cast<std::int64_t>(bits) - (std::int64_t{1} << stored))
                      : static_cast<double>(bits);
  }
  return out;
}

/// Why GDCM's PixmapReader failed on a file whose structure `check_dicom_structure` accepted, as the end of
/// an io_error message.
inline std::string diagnose_unreadable(const gdcm::PixmapReader& reader) {
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  if (!ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0010)) && !ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0008)) &&
      !ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0009))) {
    const std::string sop = dicom_string(ds, gdcm::Tag(0x0008, 0x0016)).value_or("unknown");
    return "expected a DICOM image, found no Pixel Data (7FE0,0010) that GDCM can read (SOP class " + sop +
           "; not an image, or a corrupt file)";
  }
  return "expected a DICOM image file, found one GDCM cannot parse (corrupt file)";
}

}  // namespace detail

inline bool is_dicom_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char head[132] = {};
  in.read(head, sizeof head);
  return in.gcount() == 132 && std::memcmp(head + 128, "DICM", 4) == 0;
}

inline DicomImage read_dicom(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  EQR_EXPECTS(std::filesystem::is_regular_file(path, ec), io_error, "cannot read '", name,
              "': expected an existing DICOM file, found ",
              std::filesystem::exists(path, ec) ? "something that is not a regular file" : "no such file");
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    EQR_EXPECTS(in.is_open(), io_error, "cannot read '", name, "': expected a readable DICOM file, found one that "
                "cannot be opened");
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  detail::check_dicom_structure(bytes, name);  // before GDCM, which aborts on many malformed files
  std::istringstream stream(std::move(bytes));
  gdcm::PixmapReader reader;
  reader.SetStream(stream);
  bool read = false;
  try {
    read = reader.Read();
  } catch (const std::exception& e) {
    throw io_error(eqr::detail::concat("'", name, "': expected a DICOM image file, found one GDCM cannot parse: ",
                                       e.what()));
  }
  EQR_EXPECTS(read, io_error, "'", name, "': ", detail::diagnose_unreadable(reader));
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  const gdcm::Pixmap& image = reader.GetPixmap();

  DicomImage out;
  out.transfer_syntax = detail::dicom_string(reader.GetFile().GetHeader(), gdcm::Tag(0x0002, 0x0010))
                            .value_or(image.GetTransferSyntax().GetString() ? image.GetTransferSyntax().GetString()
                                                                            : "");
  gdcm::UIDs ts_uid;
  const char* ts_name = ts_uid.SetFromUID(out.transfer_syntax.c_str()) ? ts_uid.GetName() : nullptr;
  const std::string syntax = out.transfer_syntax + (ts_name ? std::string(" (") + ts_name + ")" : std::string());

  const auto frames = detail::dicom_number(ds, gdcm::Tag(0x0028, 0x0008), "NumberOfFrames", name);
  const unsigned* dims = image.GetDimensions();
  const unsigned depth = image.GetNumberOfDimensions() >= 3 ? dims[2] : 1u;
  EQR_EXPECTS(depth == 1 && frames.value_or(1.0) == 1.0, io_error, "'", name,
              "': expected a single-frame image, found ", std::max<double>(depth, frames.value_or(1.0)),
              " frames (read multi-frame files with GDCM directly)");
  const std::size_t cols = dims[0], rows = dims[1];
  EQR_EXPECTS(rows >= 1 && cols >= 1, io_error, "'", name, "': expected at least one row and column, found ", rows,
              " x ", cols);

  const gdcm::PhotometricInterpretation& pi = image.GetPhotometricInterpretation();
  const gdcm::PixelFormat& declared = image.GetPixelFormat();
  out.photometric = pi.GetString() ? pi.GetString() : "";
  while (!out.photometric.empty() && out.photometric.back() == ' ') out.photometric.pop_back();
  EQR_EXPECTS(declared.GetSamplesPerPixel() == 1 && (pi == gdcm::PhotometricInterpretation::MONOCHROME1 ||
                                                     pi == gdcm::PhotometricInterpretation::MONOCHROME2),
              io_error, "'", name, "': expected a grayscale image (1 sample per pixel, MONOCHROME1/2), found ",
              declared.GetSamplesPerPixel(), " samples per pixel, photometric interpretation '", out.photometric,
              "'");

  const gdcm::Tag pixel_data(0x7FE0, 0x0010);
  std::optional<std::size_t> native_length;  // the length of a native (not encapsulated) Pixel Data value
  if (ds.FindDataElement(pixel_data) && ds.GetDataElement(pixel_data).GetByteValue() != nullptr)
    native_length = ds.GetDataElement(pixel_data).GetVL();
  const std::size_t length = image.GetBufferLength();
  EQR_EXPECTS(length <= (std::size_t{1} << 30), io_error, "'", name, "': expected at most 1 GiB of pixels, found ",
              rows, " x ", cols, " pixels of ", declared.GetBitsAllocated(), " bits (", length, " bytes)");
  if (native_length)  // GDCM zero-fills a native Pixel Data value shorter than Rows × Columns × BitsAllocated
    EQR_EXPECTS(*native_length >= length, io_error, "'", name, "': expected ", length,
                " bytes of Pixel Data (7FE0,0010) for ", rows, " x ", cols, " pixels of ", declared.GetBitsAllocated(),
                " bits, found ", *native_length, " (Rows, Columns or BitsAllocated do not match the pixel data)");
  std::vector<char> buffer(length);
  bool decoded = false;
  try {
    decoded = image.GetBuffer(buffer.data());
  } catch (const std::exception& e) {
    throw io_error(eqr::detail::concat("'", name, "': GDCM cannot decode its pixel data (transfer syntax ",
                                       syntax, "): ", e.what()));
  }
  EQR_EXPECTS(decoded, io_error, "'", name, "': expected pixel data GDCM can decode, found transfer syntax ", syntax,
              " that it cannot decode, or corrupt or truncated pixel data");
  const gdcm::PixelFormat& pf = image.GetPixelFormat();  // after decoding: what the buffer holds
  const bool floating = pf.GetScalarType() == gdcm::PixelFormat::FLOAT32 ||
                        pf.GetScalarType() == gdcm::PixelFormat::FLOAT64;
  const unsigned allocated = pf.GetBitsAllocated(), stored = pf.GetBitsStored(), high = pf.GetHighBit();
  EQR_EXPECTS(floating ? (allocated == 32 || allocated == 64)
                       : ((allocated == 8 || allocated == 16 || allocated == 32) && stored >= 1 &&
                          stored <= allocated && high + 1u >= stored && high < allocated),
              io_error, "'", name, "': expected 8, 16 or 32 bits allocated per pixel with BitsStored <= HighBit + 1 "
              "<= BitsAllocated, found BitsAllocated ", allocated, ", BitsStored ", stored, ", HighBit ", high);
  EQR_EXPECTS(!(out.transfer_syntax == "1.2.840.10008.1.2.2" && allocated > 16), io_error, "'", name,
              "': expected at most 16 bits allocated per pixel in explicit VR big endian, found ", allocated,
              " (GDCM 3.0 returns such pixels with their 16-bit halves swapped)");
  const std::size_t n = rows * cols;
  EQR_EXPECTS(buffer.size() == n * (allocated / 8), io_error, "'", name, "': expected ", n * (allocated / 8),
              " bytes of decoded pixel data for ", rows, " x ", cols, " pixels of ", allocated, " bits, found ",
              buffer.size());

  const auto slope = detail::dicom_number(ds, gdcm::Tag(0x0028, 0x1053), "RescaleSlope", name);
  const auto intercept = detail::dicom_number(ds, gdcm::Tag(0x0028, 0x1052), "RescaleIntercept", name);
  out.rescale_slope = slope.value_or(1.0);
  out.rescale_intercept = intercept.value_or(0.0);
  EQR_EXPECTS(out.rescale_slope != 0.0, io_error, "'", name,
              "': expected a non-zero RescaleSlope (0028,1053), found 0");

  const std::vector<double> values = detail::stored_values(buffer, n, pf, floating);
  out.pixels = xt::xarray<float>::from_shape({rows, cols});
  for (std::size_t i = 0; i < n; ++i)
    out.pixels.flat(i) = static_cast<float>(values[i] * out.rescale_slope + out.rescale_intercept);

  out.pixel_spacing = detail::dicom_array<2>(ds, gdcm::Tag(0x0028, 0x0030), "PixelSpacing", name);
  if (out.pixel_spacing)
    EQR_EXPECTS((*out.pixel_spacing)[0] > 0 && (*out.pixel_spacing)[1] > 0, io_error, "'", name,
                "': expected a positive PixelSpacing (0028,0030), found ", (*out.pixel_spacing)[0], "\\",
                (*out.pixel_spacing)[1]);
  out.position = detail::dicom_array<3>(ds, gdcm::Tag(0x0020, 0x0032), "ImagePositionPatient", name);
  out.orientation = detail::dicom_array<6>(ds, gdcm::Tag(0x0020, 0x0037), "ImageOrientationPatient", name);
  if (out.orientation) {
    const auto& o = *out.orientation;
    const double r = std::hypot(o[0], o[1], o[2]), c = std::hypot(o[3], o[4], o[5]);
    const double dot = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
    EQR_EXPECTS(std::abs(r - 1) < 1e-3 && std::abs(c - 1) < 1e-3 && std::abs(dot) < 1e-3, io_error, "'", name,
                "': expected ImageOrientationPatient (0020,0037) to hold two orthogonal unit vectors, found lengths ",
                r, " and ", c, " with dot product ", dot);
  }
  out.slice_thickness = detail::dicom_number(ds, gdcm::Tag(0x0018, 0x0050), "SliceThickness", name);
  out.spacing_between_slices = detail::dicom_number(ds, gdcm::Tag(0x0018, 0x0088), "SpacingBetweenSlices", name);
  if (const auto number = detail::dicom_number(ds, gdcm::Tag(0x0020, 0x0013), "InstanceNumber", name)) {
    EQR_EXPECTS(*number == std::floor(*number) && std::abs(*number) < 1e15, io_error, "'", name,
                "': expected an integer InstanceNumber (0020,0013), found ", *number);
    out.instance_number = static_cast<long>(*number);
  }
  out.modality = detail::dicom_string(ds, gdcm::Tag(0x0008, 0x0060)).value_or("");
  out.series_uid = detail::dicom_string(ds, gdcm::Tag(0x0020, 0x000E)).value_or("");
  return out;
}

inline DicomVolume read_dicom_series(const std::filesystem::path& directory) {
  namespace fs = std::filesystem;
  const std::string dir = directory.string();
  std::error_code ec;
  EQR_EXPECTS(fs::is_directory(directory, ec), io_error, "cannot read the series '", dir,
              "': expected a directory, found ", fs::exists(directory, ec) ? "something else" : "nothing");
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.path().filename() != "DICOMDIR" && is_dicom_file(entry.path())) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  EQR_EXPECTS(!paths.empty(), io_error, "cannot read the series '", dir,
              "': expected DICOM files ('DICM' at byte 128), found none");

  std::vector<DicomImage> slices;
  slices.reserve(paths.size());
  for (const auto& p : paths) slices.push_back(read_dicom(p));

  const DicomImage& first = slices.front();
  const std::string first_name = paths.front().string();
  for (std::size_t k = 0; k < slices.size(); ++k) {
    const DicomImage& s = slices[k];
    const std::string name = paths[k].string();
    EQR_EXPECTS(s.pixel_spacing.has_value(), io_error, "'", name,
                "': expected PixelSpacing (0028,0030) in every slice of a series, found none");
    EQR_EXPECTS(s.pixels.shape() == first.pixels.shape(), io_error, "series '", dir, "': expected every slice to have ",
                first.pixels.shape(0), " x ", first.pixels.shape(1), " pixels like '", first_name, "', found ",
                s.pixels.shape(0), " x ", s.pixels.shape(1), " in '", name, "'");
    EQR_EXPECTS(s.series_uid == first.series_uid, io_error, "series '", dir,
                "': expected one SeriesInstanceUID, found '", first.series_uid, "' in '", first_name, "' and '",
                s.series_uid, "' in '", name, "'");
    EQR_EXPECTS(s.modality == first.modality, io_error, "series '", dir, "': expected one Modality, found '",
                first.modality, "' in '", first_name, "' and '", s.modality, "' in '", name, "'");
    const auto& a = *first.pixel_spacing;
    const auto& b = *s.pixel_spacing;
    EQR_EXPECTS(std::abs(a[0] - b[0]) <= 1e-4 * a[0] && std::abs(a[1] - b[1]) <= 1e-4 * a[1], io_error, "series '",
                dir, "': expected one PixelSpacing, found ", a[0], "\\", a[1], " in '", first_name, "' and ", b[0],
                "\\", b[1], " in '", name, "'");
    EQR_EXPECTS(s.orientation.has_value() == first.orientation.has_value(), io_error, "series '", dir,
                "': expected ImageOrientationPatient in all slices or in none, found it in only one of '", first_name,
                "' and '", name, "'");
    if (s.orientation)
      for (std::size_t i = 0; i < 6; ++i)
        EQR_EXPECTS(std::abs((*s.orientation)[i] - (*first.orientation)[i]) <= 1e-4, io_error, "series '", dir,
                    "': expected one ImageOrientationPatient, found different ones in '", first_name, "' and '",
                    name, "'");
  }

  const bool by_position = first.orientation.has_value() &&
                           std::all_of(slices.begin(), slices.end(), [](const DicomImage& s) {
                             return s.position.has_value();
                           });
  std::vector<double> key(slices.size());
  if (by_position) {
    const auto& o = *first.orientation;
    const std::array<double, 3> normal{o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5],
                                       o[0] * o[4] - o[1] * o[3]};
    for (std::size_t k = 0; k < slices.size(); ++k) {
      const auto& p = *slices[k].position;
      key[k] = p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    }
  } else {
    for (std::size_t k = 0; k < slices.size(); ++k) {
      EQR_EXPECTS(slices[k].instance_number.has_value(), io_error, "'", paths[k].string(),
                  "': expected ImagePositionPatient and ImageOrientationPatient, or else an InstanceNumber, to order "
                  "the slices of series '", dir, "', found neither");
      key[k] = static_cast<double>(*slices[k].instance_number);
    }
  }
  std::vector<std::size_t> order(slices.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return key[i] < key[j]; });

  DicomVolume out;
  out.sorted_by_position = by_position;
  out.modality = first.modality;
  out.series_uid = first.series_uid;
  out.orientation = first.orientation;
  out.position = slices[order.front()].position;
  const double row = (*first.pixel_spacing)[0], col = (*first.pixel_spacing)[1];
  double slice = 0.0;
  if (by_position && slices.size() >= 2) {
    std::vector<double> gaps;
    for (std::size_t k = 1; k < order.size(); ++k) gaps.push_back(key[order[k]] - key[order[k - 1]]);
    const auto [lo, hi] = std::minmax_element(gaps.begin(), gaps.end());
    const std::size_t at = static_cast<std::size_t>(lo - gaps.begin());
    EQR_EXPECTS(*lo > 1e-6, io_error, "series '", dir, "': expected one slice per position, found '",
                paths[order[at]].string(), "' and '", paths[order[at + 1]].string(), "' at the same position ",
                key[order[at]], " mm along the normal");
    EQR_EXPECTS(*hi - *lo <= 0.01 * *lo, io_error, "series '", dir,
                "': expected equally spaced slices (within 1 %), found gaps from ", *lo, " to ", *hi,
                " mm along the normal (a missing slice?)");
    // The mean gap: the distance from the first to the last slice over the number of gaps.
    slice = (key[order.back()] - key[order.front()]) / static_cast<double>(gaps.size());
  } else {
    if (!by_position)
      for (std::size_t k = 1; k < order.size(); ++k)
        EQR_EXPECTS(key[order[k]] != key[order[k - 1]], io_error, "series '", dir,
                    "': expected distinct InstanceNumbers to order the slices, found ",
                    static_cast<long>(key[order[k]]), " in both '", paths[order[k - 1]].string(), "' and '",
                    paths[order[k]].string(), "'");
    const std::optional<double> given = first.spacing_between_slices ? first.spacing_between_slices
                                                                     : first.slice_thickness;
    EQR_EXPECTS(given.has_value() && *given > 0, io_error, "series '", dir,
                "': expected slice positions, SpacingBetweenSlices or SliceThickness to give the slice spacing, "
                "found none (in '", first_name, "')");
    slice = *given;
  }
  out.spacing = {slice, row, col};

  const std::size_t rows = first.pixels.shape(0), cols = first.pixels.shape(1);
  out.voxels = xt::xarray<float>::from_shape({slices.size(), rows, cols});
  for (std::size_t k = 0; k < order.size(); ++k) {
    const DicomImage& s = slices[order[k]];
    std::copy(s.pixels.begin(), s.pixels.end(), out.voxels.begin() + static_cast<std::ptrdiff_t>(k * rows * cols));
    out.files.push_back(paths[order[k]]);
  }
  return out;
}

}  // namespace eqr::io
