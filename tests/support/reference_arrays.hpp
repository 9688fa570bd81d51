/// @file tests/support/reference_arrays.hpp
/// Reading the reference data of `../shared/reference/` in core (Eigen-only) tests: a float32 .npy reader and
/// a reader of the flat JSON case lists (`index.json`) that describe the arrays.
///
/// Why not `eqr/io/npy.hpp`: it pulls in xtensor, which the core test areas (groups, reps, kernels, core) do
/// not link.  The header parser it uses, `eqr/io/detail/npy_header.hpp`, depends on nothing but
/// `eqr/config.hpp`, so the reader here reuses that strict parser and adds only what these files need:
/// a little-endian, C-order float32 array, read whole.  Anything else is an `io_error` that names the file.
#pragma once

#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/io/detail/npy_header.hpp"

namespace eqr::testing {

/// A float32 array read from a .npy file: its shape and its elements in C (row-major) order.
struct Float32Array {
  std::vector<std::size_t> shape;
  std::vector<float> data;
};

/// Reads a little-endian, C-order float32 .npy file.  Throws `io_error` for a missing file, a corrupt header,
/// another dtype, or a data block of the wrong length.
inline Float32Array read_npy_float32(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  EQR_EXPECTS(!ec, io_error, "'", file, "': expected a readable reference .npy file, found none (", ec.message(),
              ")");
  std::ifstream in(path, std::ios::binary);
  EQR_EXPECTS(in.good(), io_error, "'", file, "': expected a readable reference .npy file, found one that "
              "cannot be opened");
  const auto header = io::detail::read_npy_header(in, size, file);
  EQR_EXPECTS(header.dtype == io::detail::DType::float32, io_error, "'", file,
              "': expected a float32 ('<f4') array, found dtype ", io::detail::dtype_name(header.dtype));
  EQR_EXPECTS(!header.fortran_order, io_error, "'", file, "': expected a C-order array, found fortran_order: True");
  const std::size_t count = io::detail::checked_element_count(header.shape, "'" + file + "'");
  EQR_EXPECTS(size - header.data_offset == count * sizeof(float), io_error, "'", file, "': expected ",
              count * sizeof(float), " data bytes for shape ", io::detail::shape_string(header.shape), ", found ",
              size - header.data_offset);
  Float32Array out{header.shape, std::vector<float>(count)};
  in.read(reinterpret_cast<char*>(out.data.data()), static_cast<std::streamsize>(count * sizeof(float)));
  EQR_EXPECTS(in.gcount() == static_cast<std::streamsize>(count * sizeof(float)), io_error, "'", file,
              "': could not read the ", count * sizeof(float), " data bytes");
  return out;
}

/// One record of a JSON case list: keys to string or integer values.
using JsonRecord = std::map<std::string, std::variant<std::string, long long>, std::less<>>;

namespace detail {
/// A reader of the one JSON shape the case lists use: an array of flat objects whose values are strings
/// (without escapes) or integers.  Every other construct is an `io_error` naming the file and the offset.
class FlatJsonReader {
 public:
  FlatJsonReader(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  std::vector<JsonRecord> records() {
    std::vector<JsonRecord> out;
    expect('[');
    if (!take(']')) {
      do {
        out.push_back(record());
      } while (take(','));
      expect(']');
    }
    skip_space();
    EQR_EXPECTS(pos_ == text_.size(), io_error, "'", file_, "': expected the end of the file after the case list, "
                "found text at offset ", pos_);
    return out;
  }

 private:
  JsonRecord record() {
    JsonRecord r;
    expect('{');
    if (take('}')) return r;
    do {
      std::string key = string_value();
      expect(':');
      skip_space();
      if (peek() == '"') {
        r[key] = string_value();
      } else {
        r[key] = integer_value();
      }
    } while (take(','));
    expect('}');
    return r;
  }
  std::string string_value() {
    expect('"');
    const std::size_t end = text_.find('"', pos_);
    EQR_EXPECTS(end != std::string_view::npos, io_error, "'", file_, "': expected a closing '\"', found the end");
    std::string s(text_.substr(pos_, end - pos_));
    EQR_EXPECTS(s.find('\\') == std::string::npos, io_error, "'", file_,
                "': expected strings without escapes, found \"", s, "\"");
    pos_ = end + 1;
    return s;
  }
  long long integer_value() {
    const bool negative = take('-');
    EQR_EXPECTS(pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])), io_error, "'", file_,
                "': expected a string or an integer value, found ", found_here());
    long long v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      v = v * 10 + (text_[pos_++] - '0');
    EQR_EXPECTS(pos_ >= text_.size() || (text_[pos_] != '.' && text_[pos_] != 'e' && text_[pos_] != 'E'), io_error,
                "'", file_, "': expected an integer value, found a number with a fraction at offset ", pos_);
    return negative ? -v : v;
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool take(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    EQR_EXPECTS(take(c), io_error, "'", file_, "': expected '", c, "', found ", found_here());
  }
  std::string found_here() const {
    return pos_ < text_.size() ? ::eqr::detail::concat("'", text_[pos_], "' at offset ", pos_)
                               : std::string("the end of the file");
  }

  std::string_view text_;
  std::string file_;
  std::size_t pos_ = 0;
};
}  // namespace detail

/// Reads a JSON case list (an array of flat objects with string and integer values).  Throws `io_error` if
/// the file is missing or has any other shape.
inline std::vector<JsonRecord> read_case_list(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EQR_EXPECTS(in.good(), io_error, "'", path.string(), "': expected a readable JSON case list, found none");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  return detail::FlatJsonReader(s, path.string()).records();
}

/// The string value of `key` in a record; throws `io_error` if it is absent or not a string.
inline const std::string& string_field(const JsonRecord& r, std::string_view key) {
  const auto it = r.find(key);
  EQR_EXPECTS(it != r.end() && std::holds_alternative<std::string>(it->second), io_error,
              "case list: expected a string field '", key, "', found ", it == r.end() ? "none" : "an integer");
  return std::get<std::string>(it->second);
}

/// The integer value of `key` in a record; throws `io_error` if it is absent or not an integer.
inline long long integer_field(const JsonRecord& r, std::string_view key) {
  const auto it = r.find(key);
  EQR_EXPECTS(it != r.end() && std::holds_alternative<long long>(it->second), io_error,
              "case list: expected an integer field '", key, "', found ", it == r.end() ? "none" : "a string");
  return std::get<long long>(it->second);
}

}  // namespace eqr::testing
