/// @file io/npz.hpp
/// NumPy's .npz archives — what `numpy.savez` and `numpy.savez_compressed` write: a zip file whose members
/// are .npy files, stored or deflated.  Members are named as NumPy's `NpzFile` names them: without the
/// ".npy" suffix (`np.savez(f, a, image=b)` gives "arr_0" and "image"), and each one is read by the .npy
/// reader of io/npy.hpp, streamed out of the archive, so Fortran-order members arrive in C order as well.
///
/// The zip container is read by libzip (Debian's libzip-dev, found through pkg-config and linked by eqr::cpu).
/// Everything this reader does not accept — a missing file, bytes that are not a zip archive or a
/// damaged one, a member whose data fails to decompress or to match its CRC, a member that is not a .npy
/// file or whose .npy data is truncated, a name that is not in the archive — is an `io_error` naming the
/// file (and the member), what was expected and what was found.
#pragma once

#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/io/npy.hpp"

namespace eqr::io {

/// Reads every member of a .npz file, keyed by its name without the ".npy" suffix.
std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path);

/// Reads one member of a .npz file; `name` may carry the ".npy" suffix or not, as with NumPy's `NpzFile`.
/// A name that is not in the archive is an io_error listing the names that are.
NpyArray read_npz_array(const std::filesystem::path& path, std::string_view name);

/// The names of a .npz file's members (without ".npy"), in archive order (`NpzFile.files`).
std::vector<std::string> npz_member_names(const std::filesystem::path& path);

/// Reads every member of the complete bytes of a .npz file held in memory; `name` names them in errors.
std::map<std::string, NpyArray> read_npz_bytes(std::string_view bytes, const std::string& name);

// ---- implementation ---------------------------------------------------------------------------------

namespace detail {

/// A member's name as NumPy's `NpzFile` exposes it: without a final ".npy".
inline std::string npz_key(std::string_view member) {
  constexpr std::string_view suffix = ".npy";
  if (member.size() > suffix.size() && member.substr(member.size() - suffix.size()) == suffix)
    member.remove_suffix(suffix.size());
  return std::string(member);
}

/// The text of a libzip error code.
inline std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

/// A zip archive opened read-only with libzip (from a file or from bytes in memory), closed on destruction.
/// Opening checks the archive's consistency (ZIP_CHECKCONS): a damaged central directory is refused here.
class ZipArchive {
 public:
  /// Opens the zip file at `path`.
  explicit ZipArchive(const std::filesystem::path& path) : name_(path.string()) {
    std::error_code ec;
    const bool exists = std::filesystem::is_regular_file(path, ec);
    EQR_EXPECTS(exists, io_error, "cannot read '", name_, "': expected an existing readable .npz file, found ",
                std::filesystem::exists(path, ec) ? "something that is not a regular file" : "no such file");
    EQR_EXPECTS(std::filesystem::file_size(path, ec) > 0 || ec, io_error, "'", name_,
                "': expected a .npz (zip) archive, found an empty file");
    int code = 0;
    zip_ = zip_open(name_.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
    EQR_EXPECTS(zip_ != nullptr, io_error, "'", name_, "': expected a .npz (zip) archive, found ",
                code == ZIP_ER_NOZIP ? "no zip central directory (a truncated file, or not a zip archive)"
                                     : "a damaged or unreadable one",
                " (libzip: ", zip_error_text(code), ")");
  }

  /// Opens the zip archive held in `bytes` (which must outlive this object); `name` names it in errors.
  ZipArchive(std::string_view bytes, std::string name) : name_(std::move(name)) {
    EQR_EXPECTS(!bytes.empty(), io_error, "'", name_, "': expected a .npz (zip) archive, found no bytes");
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source != nullptr) {
      zip_ = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
      if (zip_ == nullptr) zip_source_free(source);  // on success the archive owns the source
    }
    const int code = zip_error_code_zip(&error);
    const std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    EQR_EXPECTS(zip_ != nullptr, io_error, "'", name_, "': expected a .npz (zip) archive, found ",
                code == ZIP_ER_NOZIP ? "no zip central directory (truncated bytes, or not a zip archive)"
                                     : "a damaged one",
                " (libzip: ", text, ")");
  }

  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;
  ~ZipArchive() {
    if (zip_ != nullptr) zip_discard(zip_);  // read-only: nothing to write back
  }

  zip_t* get() const { return zip_; }
  const std::string& name() const { return name_; }
  /// The number of members.
  std::size_t size() const { return static_cast<std::size_t>(zip_get_num_entries(zip_, 0)); }
  /// The name of member `i` as stored.
  std::string member_name(std::size_t i) const {
    const char* n = zip_get_name(zip_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    EQR_EXPECTS(n != nullptr, io_error, "'", name_, "': expected a name for member ", i, ", found none (libzip: ",
                zip_strerror(zip_), ")");
    return n;
  }
  /// The member names without ".npy", in archive order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < size(); ++i) out.push_back(npz_key(member_name(i)));
    return out;
  }

 private:
  std::string name_;
  zip_t* zip_ = nullptr;
};

/// A std::streambuf that decompresses one member of an open archive through libzip as it is read.  A libzip
/// failure (invalid compressed data, a CRC mismatch, found when the member's end is reached) ends the
/// stream and is kept: `check()` turns it into an io_error naming the member.
class ZipMemberBuffer : public std::streambuf {
 public:
  ZipMemberBuffer(const ZipArchive& archive, std::size_t index, std::string label) : label_(std::move(label)) {
    file_ = zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(index), 0);
    EQR_EXPECTS(file_ != nullptr, io_error, "'", label_, "': expected a readable stored or deflated member, found ",
                "one libzip cannot open (", zip_strerror(archive.get()), ")");
  }
  ZipMemberBuffer(const ZipMemberBuffer&) = delete;
  ZipMemberBuffer& operator=(const ZipMemberBuffer&) = delete;
  ~ZipMemberBuffer() override {
    if (file_ != nullptr) zip_fclose(file_);
  }

  /// Throws io_error if libzip reported a failure while the member was read.
  void check() const {
    EQR_EXPECTS(error_.empty(), io_error, "'", label_, "': expected member data that decompresses and matches ",
                "its CRC, found a corrupt member (libzip: ", error_, ")");
  }

  /// Reads and discards the rest of the member (libzip verifies the CRC at its end), then `check()`s: after
  /// the .npy reader failed, this tells a damaged member apart from a sound member that is not a good .npy.
  void check_to_end() {
    while (!traits_type::eq_int_type(underflow(), traits_type::eof())) setg(eback(), egptr(), egptr());
    check();
  }

  /// Reads to the member's end — where libzip verifies the CRC — and throws io_error for a failure or for
  /// bytes beyond those already consumed.
  void finish() {
    const bool at_end = traits_type::eq_int_type(underflow(), traits_type::eof());
    check();
    EQR_EXPECTS(at_end, io_error, "'", label_, "': expected the member to end after its .npy data, found more bytes");
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!error_.empty()) return traits_type::eof();
    const zip_int64_t n = zip_fread(file_, buffer_.data(), buffer_.size());
    if (n < 0) {
      error_ = zip_file_strerror(file_);
      return traits_type::eof();
    }
    if (n == 0) return traits_type::eof();
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  std::string label_;
  zip_file_t* file_ = nullptr;
  std::string error_;
  std::vector<char> buffer_ = std::vector<char>(65536);  // on the heap: members live on the stack
};

/// Reads member `index` of `archive` as a .npy array.
inline NpyArray read_npz_member(const ZipArchive& archive, std::size_t index) {
  const std::string member = archive.member_name(index);
  // read_npy quotes the name it is given: this label reads "'file.npz' member 'x.npy'" in its messages.
  const std::string label = concat(archive.name(), "' member '", member);
  zip_stat_t st;
  zip_stat_init(&st);
  EQR_EXPECTS(zip_stat_index(archive.get(), static_cast<zip_uint64_t>(index), 0, &st) == 0 &&
                  (st.valid & ZIP_STAT_SIZE) != 0,
              io_error, "'", label, "': expected a member of known size, found none (libzip: ",
              zip_strerror(archive.get()), ")");
  ZipMemberBuffer buffer(archive, index, label);
  std::istream in(&buffer);
  try {
    NpyArray array = read_npy(in, static_cast<std::uintmax_t>(st.size), label);
    buffer.finish();
    return array;
  } catch (const io_error&) {
    buffer.check_to_end();  // a zip failure is the cause: report it rather than what it made the reader see
    throw;
  }
}

/// Reads every member of an open archive, keyed by name without ".npy".
inline std::map<std::string, NpyArray> read_npz_members(const ZipArchive& archive) {
  std::map<std::string, NpyArray> out;
  for (std::size_t i = 0; i < archive.size(); ++i) {
    std::string key = npz_key(archive.member_name(i));
    EQR_EXPECTS(!out.contains(key), io_error, "'", archive.name(), "': expected distinct member names, found '",
                key, "' twice");
    out.emplace(std::move(key), read_npz_member(archive, i));
  }
  return out;
}

}  // namespace detail

inline std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path) {
  const detail::ZipArchive archive(path);
  return detail::read_npz_members(archive);
}

inline NpyArray read_npz_array(const std::filesystem::path& path, std::string_view name) {
  const detail::ZipArchive archive(path);
  for (std::size_t i = 0; i < archive.size(); ++i) {
    const std::string member = archive.member_name(i);
    if (member == name || detail::npz_key(member) == name) return detail::read_npz_member(archive, i);
  }
  std::string found;
  for (const std::string& key : archive.keys()) found += (found.empty() ? "'" : ", '") + key + "'";
  throw io_error(detail::concat("'", archive.name(), "': expected a member named '", name, "', found ",
                        found.empty() ? std::string("no members") : "only " + found));
}

inline std::vector<std::string> npz_member_names(const std::filesystem::path& path) {
  return detail::ZipArchive(path).keys();
}

inline std::map<std::string, NpyArray> read_npz_bytes(std::string_view bytes, const std::string& name) {
  const detail::ZipArchive archive(bytes, name);
  return detail::read_npz_members(archive);
}

}  // namespace eqr::io
