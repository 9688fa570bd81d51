/// @file io/detail/dicom_structure.hpp
/// A structural check of a DICOM Part 10 file, before GDCM sees it.  GDCM (as Debian builds it, with its
/// assert()s) aborts the process on many truncated or malformed files instead of reporting them — a CT file
/// cut anywhere inside its data set does — so `check_dicom_structure` walks the encoding first and throws
/// io_error for anything that would not parse: no "DICM" marker, a data element, item or fragment whose
/// length runs past the end of the file (or of its sequence or item), a missing delimiter, an invalid VR.
/// Beyond the structure it checks only the few values GDCM asserts on or silently replaces (the Image Pixel
/// attributes, the RLE segment headers, the JPEG / JPEG 2000 frame headers, the retired RecognitionCode);
/// what the elements mean is GDCM's and io/dicom.hpp's business.
///
/// The encoding (PS3.10 §7.1, PS3.5 §7): a 128-byte preamble, "DICM", the File Meta Information group 0002
/// in explicit VR little endian, then the data set in the transfer syntax (0002,0010) names: implicit VR
/// little endian (1.2.840.10008.1.2), explicit VR big endian (1.2.840.10008.1.2.2), deflated (…1.2.1.99,
/// not walked: its bytes are a zlib stream), and explicit VR little endian for every other one, including
/// the compressed ones, whose Pixel Data (7FE0,0010) has undefined length and holds fragment items.  Each
/// element is tag (4 bytes) [VR (2) [00 00]] length (2 or 4); a length of FFFFFFFF means a sequence or
/// item closed by a delimiter (FFFE,E0DD) / (FFFE,E00D); items are (FFFE,E000).  Undefined-length UN
/// elements hold implicit VR little endian data (PS3.5 §6.2.2).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "eqr/config.hpp"

namespace eqr::io::detail {

/// Walks the bytes of a DICOM Part 10 file; throws io_error naming `file` at the first structural error.
class DicomStructure {
 public:
  DicomStructure(const std::uint8_t* data, std::size_t size, std::string file)
      : d_(data), n_(size), file_(std::move(file)) {}

  /// Checks the whole file.
  void check() {
    EQR_EXPECTS(n_ >= 132 && std::memcmp(d_ + 128, "DICM", 4) == 0, io_error, "'", file_,
                "': expected a DICOM file, found no 'DICM' marker at byte 128 (not DICOM, or not a DICOM Part 10 "
                "file with its 128-byte preamble)");
    std::size_t pos = 132;
    std::string syntax;
    while (pos + 4 <= n_ && u16(pos, false) == 0x0002) {  // File Meta Information: explicit VR little endian
      const Element e = header(pos, n_, true, false);
      EQR_EXPECTS(e.length != undefined, io_error, "'", file_, "': expected File Meta Information elements of "
                  "defined length, found an undefined length at byte ", pos);
      fits(e.value, e.length, n_, pos);
      if (e.element == 0x0010) syntax.assign(reinterpret_cast<const char*>(d_ + e.value), e.length);
      pos = e.value + e.length;
    }
    while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
    EQR_EXPECTS(!syntax.empty(), io_error, "'", file_,
                "': expected a TransferSyntaxUID (0002,0010) in the File Meta Information, found none");
    if (syntax == "1.2.840.10008.1.2.1.99") return;  // deflated: GDCM inflates and parses it
    rle_ = syntax == "1.2.840.10008.1.2.5";
    const std::string_view jpeg_family = "1.2.840.10008.1.2.4.";
    if (syntax.rfind(jpeg_family, 0) == 0) {
      const int kind = std::atoi(syntax.c_str() + jpeg_family.size());
      jpeg_ = (kind >= 50 && kind <= 70) || kind == 80 || kind == 81;
      j2k_ = (kind >= 90 && kind <= 93) || (kind >= 201 && kind <= 203);
    }
    const bool explicit_vr = syntax != "1.2.840.10008.1.2";
    const bool big = syntax == "1.2.840.10008.1.2.2";
    const std::size_t end = data_set(pos, n_, explicit_vr, big, 0, false);
    EQR_EXPECTS(end == n_, io_error, "'", file_, "': expected the data set to end at the end of the file, found a "
                "stray delimiter at byte ", end);
    check_pixel_format();
  }

 private:
  /// The Image Pixel values GDCM asserts on, or silently replaces: SamplesPerPixel 1, 3 or 4; BitsAllocated
  /// 1, 8, 12, 16, 24, 32 or 64; 1 <= BitsStored <= BitsAllocated; HighBit = BitsStored − 1 (GDCM keeps no
  /// other, so pixels stored in higher bits would be misread); PixelRepresentation and PlanarConfiguration 0
  /// or 1.  Absent values are GDCM's to default.
  void check_pixel_format() const {
    EQR_EXPECTS(samples_ < 0 || samples_ == 1 || samples_ == 3 || samples_ == 4, io_error, "'", file_,
                "': expected SamplesPerPixel (0028,0002) 1, 3 or 4, found ", samples_);
    EQR_EXPECTS(allocated_ < 0 || allocated_ == 1 || allocated_ == 8 || allocated_ == 12 || allocated_ == 16 ||
                    allocated_ == 24 || allocated_ == 32 || allocated_ == 64,
                io_error, "'", file_, "': expected BitsAllocated (0028,0100) 1, 8, 12, 16, 24, 32 or 64, found ",
                allocated_);
    EQR_EXPECTS(stored_ < 0 || (stored_ >= 1 && (allocated_ < 0 || stored_ <= allocated_)), io_error, "'", file_,
                "': expected 1 <= BitsStored (0028,0101) <= BitsAllocated (", allocated_, "), found ", stored_);
    EQR_EXPECTS(high_ < 0 || stored_ < 0 || high_ == stored_ - 1, io_error, "'", file_,
                "': expected HighBit (0028,0102) = BitsStored - 1 = ", stored_ - 1, ", found ", high_);
    EQR_EXPECTS(representation_ < 0 || representation_ <= 1, io_error, "'", file_,
                "': expected PixelRepresentation (0028,0103) 0 or 1, found ", representation_);
    EQR_EXPECTS(planar_ < 0 || planar_ <= 1, io_error, "'", file_,
                "': expected PlanarConfiguration (0028,0006) 0 or 1, found ", planar_);
  }

  static constexpr std::uint32_t undefined = 0xFFFFFFFFu;
  static constexpr int max_depth = 32;

  struct Element {
    std::uint16_t group, element;
    char vr[2];
    std::size_t value;  ///< the offset of the value
    std::uint32_t length;
  };

  /// "(gggg,eeee)", as DICOM writes tags.
  static std::string tag(std::uint16_t group, std::uint16_t element) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string s = "(";
    for (int shift = 12; shift >= 0; shift -= 4) s += hex[(group >> shift) & 0xF];
    s += ',';
    for (int shift = 12; shift >= 0; shift -= 4) s += hex[(element >> shift) & 0xF];
    return s + ")";
  }

  /// Whether `vr` is one of the value representations of PS3.5 Table 6.2-1.
  static bool is_vr(std::string_view vr) {
    static constexpr std::string_view all = "AEASATCSDADSDTFDFLISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
    for (std::size_t i = 0; i < all.size(); i += 2)
      if (all.substr(i, 2) == vr) return true;
    return false;
  }

  std::uint16_t u16(std::size_t at, bool big) const {
    return big ? static_cast<std::uint16_t>(d_[at] << 8 | d_[at + 1])
               : static_cast<std::uint16_t>(d_[at + 1] << 8 | d_[at]);
  }
  std::uint32_t u32(std::size_t at, bool big) const {
    return big ? std::uint32_t{u16(at, true)} << 16 | u16(at + 2, true)
               : std::uint32_t{u16(at + 2, false)} << 16 | u16(at, false);
  }

  void need(std::size_t at, std::size_t bytes, std::size_t end) const {
    EQR_EXPECTS(at <= end && bytes <= end - at, io_error, "'", file_, "': expected ", bytes,
                " more bytes of a data element header at byte ", at, ", found ", at <= end ? end - at : 0,
                end == n_ ? " (truncated file)" : " (the enclosing item or sequence ends first: corrupt file)");
  }
  void fits(std::size_t at, std::uint32_t length, std::size_t end, std::size_t start) const {
    EQR_EXPECTS(at <= end && length <= end - at, io_error, "'", file_, "': expected ", length,
                " bytes of the value of the element at byte ", start, ", found ", at <= end ? end - at : 0,
                end == n_ ? " (truncated file)" : " (the enclosing item or sequence ends first: corrupt file)");
  }

  /// The header of the element at `at`: tag, VR (explicit only) and length.
  Element header(std::size_t at, std::size_t end, bool explicit_vr, bool big) const {
    need(at, 8, end);
    Element e{u16(at, big), u16(at + 2, big), {'?', '?'}, at + 8, u32(at + 4, big)};
    if (!explicit_vr || e.group == 0xFFFE) return e;  // items and delimiters have no VR
    e.vr[0] = static_cast<char>(d_[at + 4]);
    e.vr[1] = static_cast<char>(d_[at + 5]);
    const std::string_view vr(e.vr, 2);
    EQR_EXPECTS(is_vr(vr), io_error, "'", file_, "': expected a value representation (PS3.5 §6.2) at byte ",
                at + 4, ", found bytes ", int(d_[at + 4]), " ", int(d_[at + 5]),
                " (corrupt file, or not the transfer syntax it declares)");
    const bool long_form = vr == "OB" || vr == "OD" || vr == "OF" || vr == "OL" || vr == "OV" || vr == "OW" ||
                           vr == "SQ" || vr == "SV" || vr == "UC" || vr == "UN" || vr == "UR" || vr == "UT" ||
                           vr == "UV";
    if (long_form) {
      need(at, 12, end);
      e.value = at + 12;
      e.length = u32(at + 8, big);
    } else {
      e.value = at + 8;
      e.length = u16(at + 6, big);
    }
    return e;
  }

  /// The Image Pixel attributes GDCM reads with assert()s on their VR, length and value: SamplesPerPixel,
  /// PlanarConfiguration, Rows, Columns, BitsAllocated, BitsStored, HighBit, PixelRepresentation (US, one
  /// value), PhotometricInterpretation (CS) and NumberOfFrames (IS).
  void image_pixel_attribute(const Element& e, bool explicit_vr, bool big, std::size_t at) {
    const std::string_view vr(e.vr, 2);
    const std::uint16_t el = e.element;
    if (el == 0x0002 || el == 0x0006 || el == 0x0010 || el == 0x0011 || (el >= 0x0100 && el <= 0x0103)) {
      EQR_EXPECTS((!explicit_vr || vr == "US") && e.length == 2, io_error, "'", file_, "': expected the Image "
                  "Pixel attribute ", tag(0x0028, el), " at byte ", at, " as one US value, found VR ",
                  explicit_vr ? vr : std::string_view("(implicit)"), " and ", e.length, " bytes (corrupt file)");
      const std::uint16_t v = u16(e.value, big);
      switch (el) {
        case 0x0002: samples_ = v; break;
        case 0x0006: planar_ = v; break;
        case 0x0010: rows_ = v; break;
        case 0x0011: columns_ = v; break;
        case 0x0100: allocated_ = v; break;
        case 0x0101: stored_ = v; break;
        case 0x0102: high_ = v; break;
        case 0x0103: representation_ = v; break;
        default: break;
      }
    } else if (explicit_vr && (el == 0x0004 || el == 0x0008)) {
      EQR_EXPECTS(vr == (el == 0x0004 ? "CS" : "IS"), io_error, "'", file_, "': expected the Image Pixel attribute "
                  , tag(0x0028, el), " at byte ", at, " with VR ", el == 0x0004 ? "CS" : "IS",
                  ", found ", vr, " (corrupt file)");
    }
  }

  /// The retired RecognitionCode (0008,0010) of ACR-NEMA files, whose value GDCM asserts on.
  void recognition_code(const Element& e, std::size_t at) const {
    const std::string_view value(reinterpret_cast<const char*>(d_ + e.value), e.length);
    EQR_EXPECTS(value.rfind("ACR-NEMA", 0) == 0 || value.rfind("ACRNEMA", 0) == 0 || value.rfind("MIPS 2.0", 0) == 0,
                io_error, "'", file_, "': expected the retired RecognitionCode (0008,0010) at byte ", at,
                " to start with ACR-NEMA, ACRNEMA or MIPS 2.0, found '", value, "' (corrupt file)");
  }

  /// Walks a data set in [pos, end); in an undefined-length item (`in_item`) up to and past its delimiter.
  /// Returns the offset after it, or at the first top-level delimiter (which `check` then reports).
  std::size_t data_set(std::size_t pos, std::size_t end, bool explicit_vr, bool big, int depth, bool in_item) {
    EQR_EXPECTS(depth <= max_depth, io_error, "'", file_, "': expected sequences nested at most ", max_depth,
                " deep, found deeper ones (corrupt file)");
    while (pos < end) {
      const Element e = header(pos, end, explicit_vr, big);
      if (e.group == 0xFFFE) {
        if (in_item && e.element == 0xE00D) return pos + 8;  // item delimitation
        EQR_EXPECTS(depth == 0, io_error, "'", file_, "': expected a data element at byte ", pos,
                    ", found the item or delimiter tag ", tag(e.group, e.element), " (corrupt file)");
        return pos;
      }
      const std::string_view vr(e.vr, 2);
      if (e.length == undefined) {
        if (e.group == 0x7FE0 && e.element == 0x0010 && depth == 0) {
          pos = fragments(e.value, end, big);
        } else {
          EQR_EXPECTS(!explicit_vr || vr == "SQ" || vr == "UN", io_error, "'", file_,
                      "': expected a defined length for the element of VR ", vr, " at byte ", pos,
                      ", found FFFFFFFF (corrupt file)");
          const bool implicit_inside = vr == "UN";
          pos = sequence(e.value, end, implicit_inside ? false : explicit_vr, implicit_inside ? false : big,
                         depth + 1, false);
        }
      } else {
        fits(e.value, e.length, end, pos);
        if (depth == 0 && e.group == 0x0028) image_pixel_attribute(e, explicit_vr, big, pos);
        if (depth == 0 && e.group == 0x0008 && e.element == 0x0010) recognition_code(e, pos);
        if (explicit_vr && vr == "SQ") sequence(e.value, e.value + e.length, explicit_vr, big, depth + 1, true);
        pos = e.value + e.length;
      }
    }
    EQR_EXPECTS(!in_item, io_error, "'", file_, "': expected an item delimiter (FFFE,E00D) before byte ", end,
                ", found none", end == n_ ? " (truncated file)" : " (corrupt file)");
    return pos;
  }

  /// Walks the items of a sequence starting at `pos`: up to `end` for a defined length, else up to and past
  /// its delimiter (FFFE,E0DD).
  std::size_t sequence(std::size_t pos, std::size_t end, bool explicit_vr, bool big, int depth, bool defined) {
    while (true) {
      if (defined && pos == end) return pos;
      const Element item = header(pos, end, false, big);
      if (item.group == 0xFFFE && item.element == 0xE0DD) return pos + 8;
      EQR_EXPECTS(item.group == 0xFFFE && item.element == 0xE000, io_error, "'", file_,
                  "': expected a sequence item (FFFE,E000) at byte ", pos, ", found ", tag(item.group, item.element),
                  " (corrupt file)");
      if (item.length == undefined) {
        pos = data_set(item.value, end, explicit_vr, big, depth, true);
      } else {
        fits(item.value, item.length, end, pos);
        data_set(item.value, item.value + item.length, explicit_vr, big, depth, false);
        pos = item.value + item.length;
      }
    }
  }

  /// Walks the fragments of encapsulated Pixel Data: items of defined length, then the delimiter.  After the
  /// first item (the basic offset table), RLE fragments must start with a valid RLE header (PS3.5 §G.5): the
  /// number of segments (1 to 15), then 15 offsets, the first 64, increasing and inside the fragment, the
  /// unused ones 0 (GDCM's RLE decoder reads out of bounds or asserts otherwise).
  std::size_t fragments(std::size_t pos, std::size_t end, bool big) {
    for (bool offset_table = true;; offset_table = false) {
      const Element item = header(pos, end, false, big);
      if (item.group == 0xFFFE && item.element == 0xE0DD) return pos + 8;
      EQR_EXPECTS(item.group == 0xFFFE && item.element == 0xE000 && item.length != undefined, io_error, "'", file_,
                  "': expected a Pixel Data fragment (FFFE,E000) of defined length at byte ", pos,
                  " (corrupt file)");
      fits(item.value, item.length, end, pos);
      if (rle_ && !offset_table) rle_header(item.value, item.length);
      if ((jpeg_ || j2k_) && !offset_table && !first_fragment_seen_) codestream_header(item.value, item.length);
      if (!offset_table) first_fragment_seen_ = true;
      pos = item.value + item.length;
    }
  }

  /// The image size, components and precision in the header of the first JPEG (SOFn, JPEG-LS SOF55) or
  /// JPEG 2000 (SIZ) codestream must be Rows × Columns, SamplesPerPixel and at most BitsAllocated: GDCM's
  /// decoders write past their buffers otherwise.  A stream whose header is not found is left to GDCM.
  void codestream_header(std::size_t at, std::uint32_t length) const {
    const std::uint8_t* p = d_ + at;
    long height = -1, width = -1, components = -1, precision = -1;
    if (jpeg_) {
      // SOI, then marker segments up to the start of scan (SOS, FFDA); libjpeg's header reader, whose errors
      // GDCM asserts on, wants a marker at every segment boundary.
      EQR_EXPECTS(length >= 2 && p[0] == 0xFF && p[1] == 0xD8, io_error, "'", file_,
                  "': expected a JPEG stream (start of image FFD8) at byte ", at, " (corrupt file)");
      for (std::size_t i = 2; i + 4 <= length;) {
        EQR_EXPECTS(p[i] == 0xFF, io_error, "'", file_, "': expected a JPEG marker at byte ", at + i,
                    ", found the byte ", int(p[i]), " (corrupt file)");
        const std::uint8_t m = p[i + 1];
        if (m == 0xFF) {  // fill byte
          ++i;
          continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {  // markers without a segment
          i += 2;
          continue;
        }
        const std::size_t segment = std::size_t{p[i + 2]} << 8 | p[i + 3];
        EQR_EXPECTS(segment >= 2 && m != 0x00 && m != 0xD9, io_error, "'", file_, "': expected a JPEG marker segment "
                    "at byte ", at + i, ", found marker ", int(m), " of length ", segment, " (corrupt file)");
        const bool sof = (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xF7;
        if (sof && segment >= 8 && i + 2 + segment <= length) {
          precision = p[i + 4];
          EQR_EXPECTS(m == 0xF7 ? precision >= 2 && precision <= 16 : precision == 8 || precision == 12 ||
                                                                       precision == 16,
                      io_error, "'", file_, "': expected a JPEG", m == 0xF7 ? "-LS" : "", " precision of ",
                      m == 0xF7 ? "2 to 16" : "8, 12 or 16 (GDCM's JPEG decoders)", " bits at byte ", at + i + 4,
                      ", found ", precision, " (corrupt file)");
          height = long{p[i + 5]} << 8 | p[i + 6];
          width = long{p[i + 7]} << 8 | p[i + 8];
          components = p[i + 9];
        }
        if (m == 0xDA) break;  // start of scan: the entropy-coded data follows
        i += 2 + segment;
      }
    } else {
      const std::string_view bytes(reinterpret_cast<const char*>(p), length);
      const std::size_t siz = bytes.find("\xFF\x4F\xFF\x51");
      if (siz != std::string_view::npos && siz + 4 + 38 + 3 <= length) {
        const std::size_t q = at + siz + 4;  // Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz Ssiz…
        const std::uint32_t x = u32(q + 4, true), y = u32(q + 8, true), x0 = u32(q + 12, true), y0 = u32(q + 16, true);
        width = x >= x0 ? long{x - x0} : -2;
        height = y >= y0 ? long{y - y0} : -2;
        components = u16(q + 36, true);
        precision = (p[siz + 4 + 38] & 0x7F) + 1;
      }
    }
    if (width == -1) return;
    const bool fits = (rows_ < 0 || height == 0 || height == rows_) && (columns_ < 0 || width == columns_) &&
                      (samples_ < 0 || components == samples_) && (allocated_ < 0 || precision <= allocated_);
    EQR_EXPECTS(fits, io_error, "'", file_, "': expected the ", jpeg_ ? "JPEG" : "JPEG 2000", " stream at byte ",
                at, " to hold Rows x Columns = ", rows_, " x ", columns_, " pixels of ", samples_,
                " component(s) of at most BitsAllocated = ", allocated_, " bits, found ", height, " x ", width,
                " pixels of ", components, " component(s) of ", precision, " bits (corrupt file)");
  }

  void rle_header(std::size_t at, std::uint32_t length) const {
    EQR_EXPECTS(length >= 64, io_error, "'", file_, "': expected an RLE fragment of at least 64 bytes at byte ", at,
                ", found ", length, " (corrupt file)");
    const std::uint32_t segments = u32(at, false);
    bool valid = segments >= 1 && segments <= 15 && u32(at + 4, false) == 64;
    for (std::uint32_t i = 1; valid && i < 15; ++i) {
      const std::uint32_t offset = u32(at + 4 + 4 * i, false), previous = u32(at + 4 * i, false);
      valid = i < segments ? offset > previous && offset < length : offset == 0;
    }
    valid = valid && u32(at + 4 * segments, false) < length;
    EQR_EXPECTS(valid, io_error, "'", file_, "': expected an RLE header (1 to 15 segments at increasing offsets "
                "from 64 inside the fragment) at byte ", at, ", found ", segments, " segments (corrupt file)");
  }

  bool rle_ = false;   ///< the transfer syntax is RLE lossless
  bool jpeg_ = false;  ///< … JPEG (baseline, extended, lossless) or JPEG-LS
  bool j2k_ = false;   ///< … JPEG 2000 or HTJ2K
  bool first_fragment_seen_ = false;
  /// The top-level Image Pixel values, −1 while absent.
  long samples_ = -1, planar_ = -1, rows_ = -1, columns_ = -1, allocated_ = -1, stored_ = -1, high_ = -1,
       representation_ = -1;
  const std::uint8_t* d_;
  std::size_t n_;
  std::string file_;
};

/// Checks the structure of the DICOM Part 10 file held in `bytes` (see the file comment); throws io_error
/// naming `file` otherwise.
inline void check_dicom_structure(const std::string& bytes, const std::string& file) {
  DicomStructure(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), file).check();
}

}  // namespace eqr::io::detail
