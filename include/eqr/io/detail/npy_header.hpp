/// @file io/detail/npy_header.hpp
/// The .npy header: dtype descriptors, and a strict parser and writer of the header's Python dict literal
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`).  Used by io/npy.hpp.
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "eqr/config.hpp"

namespace eqr::io::detail {

/// This namespace would hide eqr::detail inside eqr::io; re-export the message builder.
using ::eqr::detail::concat;

/// The dtypes read and written: little-endian floating-point, complex and integer numbers, and booleans.
enum class DType { float32, float64, complex64, complex128, int8, int16, int32, int64, uint8, uint16, uint32, boolean };

/// Every dtype, in the order of the enumeration.
inline constexpr DType all_dtypes[] = {DType::float32, DType::float64, DType::complex64, DType::complex128,
                                       DType::int8,    DType::int16,   DType::int32,     DType::int64,
                                       DType::uint8,   DType::uint16,  DType::uint32,    DType::boolean};

/// NumPy's name of a dtype ("float32", ...).
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::complex64: return "complex64";
    case DType::complex128: return "complex128";
    case DType::int8: return "int8";
    case DType::int16: return "int16";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
    case DType::uint16: return "uint16";
    case DType::uint32: return "uint32";
    case DType::boolean: return "bool";
  }
  return "?";
}

/// The .npy descriptor of a dtype as NumPy writes it ('<f4', ..., '|i1', '|u1', '|b1').
inline const char* dtype_descr(DType t) {
  switch (t) {
    case DType::float32: return "<f4";
    case DType::float64: return "<f8";
    case DType::complex64: return "<c8";
    case DType::complex128: return "<c16";
    case DType::int8: return "|i1";
    case DType::int16: return "<i2";
    case DType::int32: return "<i4";
    case DType::int64: return "<i8";
    case DType::uint8: return "|u1";
    case DType::uint16: return "<u2";
    case DType::uint32: return "<u4";
    case DType::boolean: return "|b1";
  }
  return "?";
}

/// Bytes per element.
inline std::size_t item_size(DType t) {
  switch (t) {
    case DType::float32: return 4;
    case DType::float64: return 8;
    case DType::complex64: return 8;
    case DType::complex128: return 16;
    case DType::int16:
    case DType::uint16: return 2;
    case DType::int32:
    case DType::uint32: return 4;
    case DType::int64: return 8;
    case DType::int8:
    case DType::uint8:
    case DType::boolean: return 1;
  }
  return 0;
}

/// A shape as NumPy prints it: "(3, 4)", "(5,)", "()".
inline std::string shape_string(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// The number of elements of `shape`, checked against overflow (an absurd header must not allocate).
inline std::size_t checked_element_count(const std::vector<std::size_t>& shape, const std::string& where) {
  std::size_t n = 1;
  for (std::size_t d : shape) {
    EQR_EXPECTS(d == 0 || n <= std::numeric_limits<std::size_t>::max() / 16 / d, io_error, where,
                ": expected a shape whose element count fits in memory, found ", shape_string(shape));
    n *= d;
  }
  return n;
}

/// What a parsed header says.
struct NpyHeader {
  DType dtype = DType::float32;
  std::vector<std::size_t> shape;
  bool fortran_order = false;      ///< the elements are stored column-major (first axis fastest)
  std::uintmax_t data_offset = 0;  ///< bytes from the file's start to the first element
};

/// A recursive-descent reader of the header's dict literal; every failure names the file and the text.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        EQR_EXPECTS(peek() == '\'' || peek() == '"', io_error, "'", file_,
                    "': expected a simple dtype descriptor such as '<f4', found a structured dtype in header ",
                    quoted());
        h.dtype = dtype_from_descr(string_literal());
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean_literal();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple_literal();
        have_shape = true;
      } else {
        fail("one of the keys 'descr', 'fortran_order', 'shape'", concat("the key '", key, "'"));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      EQR_EXPECTS(peek() == '}', io_error, "'", file_, "': expected ',' or '}' in the header dict, found ",
                  found_here(), " in ", quoted());
    }
    ++pos_;
    while (pos_ < text_.size()) {
      EQR_EXPECTS(text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\0', io_error, "'", file_,
                  "': expected only padding after the header dict, found ", found_here());
      ++pos_;
    }
    EQR_EXPECTS(have_descr && have_order && have_shape, io_error, "'", file_,
                "': expected the keys 'descr', 'fortran_order' and 'shape' in the header, found ", quoted());
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
    throw io_error(concat("'", file_, "': corrupt .npy header: expected ", expected, ", found ", found, " in ",
                          quoted()));
  }
  std::string quoted() const { return concat('"', text_.substr(0, 200), '"'); }
  std::string found_here() const {
    return pos_ < text_.size() ? concat('\'', text_[pos_], "' at offset ", pos_) : std::string("the end of the header");
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(concat('\'', c, '\''), found_here());
    ++pos_;
  }
  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("a quoted string", found_here());
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("a closing quote", "the end of the header");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool boolean_literal() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("True or False", found_here());
  }
  std::vector<std::size_t> tuple_literal() {
    std::vector<std::size_t> shape;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("a non-negative integer dimension", found_here());
      std::size_t d = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const auto digit = static_cast<std::size_t>(peek() - '0');
        if (d > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("a dimension that fits in 64 bits", "an overflow");
        d = d * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      shape.push_back(d);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != ')') fail("',' or ')' in the shape tuple", found_here());
    }
    ++pos_;
    return shape;
  }
  DType dtype_from_descr(const std::string& d) const {
    for (DType t : all_dtypes)
      if (d == dtype_descr(t)) return t;
    if (d == "<i1" || d == "i1") return DType::int8;
    if (d == "<u1" || d == "u1") return DType::uint8;
    if (d == "<b1" || d == "b1") return DType::boolean;
    EQR_EXPECTS(d.empty() || d[0] != '>', io_error, "'", file_,
                "': expected a little-endian array, found the big-endian dtype '", d,
                "' (convert it with numpy: a.astype(a.dtype.newbyteorder('<')))");
    throw io_error(concat("'", file_, "': expected dtype float32 '<f4', float64 '<f8', complex64 '<c8', ",
                          "complex128 '<c16', int8 '|i1', int16 '<i2', int32 '<i4', int64 '<i8', uint8 '|u1', ",
                          "uint16 '<u2', uint32 '<u4' or bool '|b1', found '", d, "'"));
  }
  template <class... A>
  static std::string concat(A&&... a) {
    return ::eqr::detail::concat(std::forward<A>(a)...);
  }

  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
};

/// Reads the magic, version and header of a .npy stream of `file_size` bytes, leaving `in` at the data.
inline NpyHeader read_npy_header(std::istream& in, std::uintmax_t file_size, const std::string& file) {
  char lead[10] = {};
  in.read(lead, 8);
  EQR_EXPECTS(in.gcount() == 8 && std::string_view(lead, 6) == std::string_view("\x93NUMPY", 6), io_error, "'",
              file, "': expected a .npy file starting with \"\\x93NUMPY\", found ",
              in.gcount() < 8 ? "a file shorter than the 8-byte preamble" : "other leading bytes");
  const int major = static_cast<unsigned char>(lead[6]), minor = static_cast<unsigned char>(lead[7]);
  EQR_EXPECTS((major == 1 || major == 2 || major == 3) && minor == 0, io_error, "'", file,
              "': expected .npy format version 1.0, 2.0 or 3.0, found ", major, ".", minor);
  const int length_bytes = major == 1 ? 2 : 4;
  unsigned char len[4] = {};
  in.read(reinterpret_cast<char*>(len), length_bytes);
  EQR_EXPECTS(in.gcount() == length_bytes, io_error, "'", file, "': truncated .npy preamble: expected a ",
              length_bytes, "-byte header length, found the end of the file");
  std::uintmax_t header_length = 0;
  for (int i = length_bytes - 1; i >= 0; --i) header_length = (header_length << 8) | len[i];
  const std::uintmax_t offset = 8 + static_cast<std::uintmax_t>(length_bytes) + header_length;
  EQR_EXPECTS(offset <= file_size, io_error, "'", file, "': truncated .npy header: expected ", header_length,
              " header bytes, found only ", file_size - std::min<std::uintmax_t>(file_size, offset - header_length));
  std::string text(static_cast<std::size_t>(header_length), '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_length));
  EQR_EXPECTS(in.gcount() == static_cast<std::streamsize>(header_length), io_error, "'", file,
              "': could not read the ", header_length, "-byte header");
  NpyHeader h = HeaderParser(text, file).parse();
  h.data_offset = offset;
  checked_element_count(h.shape, "'" + file + "'");
  return h;
}

/// The complete preamble + header of a .npy file (version 1.0, or 2.0 if it would not fit in 64 KiB),
/// padded with spaces and a newline so that the data begins at a multiple of 64 bytes.
inline std::string make_npy_header(DType dtype, const std::vector<std::size_t>& shape) {
  std::string dict = std::string("{'descr': '") + dtype_descr(dtype) + "', 'fortran_order': False, 'shape': " +
                     shape_string(shape) + ", }";
  const bool v1 = (10 + dict.size() + 1 + 63) / 64 * 64 - 10 <= 65535;  // the 1.0 length field has 16 bits
  const std::size_t preamble = v1 ? 10 : 12;
  const std::size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  const std::size_t n = dict.size();
  for (std::size_t i = 0; i < (v1 ? 2u : 4u); ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + dict;
}

}  // namespace eqr::io::detail
