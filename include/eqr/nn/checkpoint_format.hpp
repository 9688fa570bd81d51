/// @file nn/checkpoint_format.hpp
/// The byte-level checkpoint format: named, shaped arrays ("records") on the host, encoded to and decoded
/// from bytes, and written to / read from files atomically.  Standard library + config.hpp only (no backend),
/// so that the reader can be fuzzed on its own (tests/fuzz/fuzz_checkpoint.cpp).  nn/checkpoint.hpp binds it
/// to a model's parameters and an optimiser's state.
///
/// ## Format, version 1 (all integers unsigned little-endian; floats IEEE-754 little-endian)
///
///     offset  size  field
///     0       8     magic "EQRCKPT\0" (45 51 52 43 4B 50 54 00)
///     8       4     u32 version = 1
///     12      4     u32 record count R (≤ 2²⁰)
///     16      4     u32 CRC-32 of bytes 0 … 15
///     20      …     R records, one after another:
///                     u32 name length L (1 ≤ L ≤ 4096), L bytes of name (UTF-8, unique within the file)
///                     u8  dtype: 1 = float32, 2 = float64
///                     u8  rank r (≤ 8), r × u64 extents (their product n ≤ the bytes left / element size)
///                     n × (4 or 8) bytes of values, row-major
///                     u32 CRC-32 (ISO 3309, as zlib) of every byte of the record before it
///     end           nothing may follow the last record
///
/// A reader rejects (with an `io_error` that names the file and, once known, the record) a wrong magic or
/// version, a header or record CRC mismatch, a truncated file, limits exceeded, an unknown dtype, a duplicate
/// name or trailing bytes.  It never allocates more than the input's size.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"
#include "eqr/io/checksums.hpp"

namespace eqr::nn {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "the checkpoint format needs a little- or big-endian platform (mixed endianness is not supported).");

/// The element type of a record as stored in the file.
enum class CheckpointDType : std::uint8_t { float32 = 1, float64 = 2 };

/// One named array: its extents, its stored element type, and its values (held as double on the host, so
/// float32 values round-trip exactly).
struct CheckpointRecord {
  std::string name;
  std::vector<std::uint64_t> shape;
  CheckpointDType dtype = CheckpointDType::float32;
  std::vector<double> values;
};

/// The format's constants.
struct CheckpointFormat {
  static constexpr char magic[8] = {'E', 'Q', 'R', 'C', 'K', 'P', 'T', '\0'};
  static constexpr std::uint32_t version = 1;
  static constexpr std::uint32_t max_records = 1u << 20;
  static constexpr std::uint32_t max_name_length = 4096;
  static constexpr std::uint8_t max_rank = 8;
  static constexpr std::size_t header_size = 20;
};

namespace detail {
inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) { return io::Crc32().update(bytes).value(); }

/// A bounds-checked little-endian reader over a byte span; every overrun is an io_error naming the context.
class ByteReader {
 public:
  ByteReader(std::span<const std::uint8_t> bytes, std::string_view source) : bytes_(bytes), source_(source) {}
  std::size_t position() const { return at_; }
  std::size_t remaining() const { return bytes_.size() - at_; }
  void need(std::size_t n, std::string_view what) const {
    EQR_EXPECTS(n <= remaining(), io_error, "checkpoint '", source_, "': truncated while reading ", what, " (expected ",
                n, " more bytes at offset ", at_, ", found ", remaining(), ")");
  }
  std::uint8_t u8(std::string_view what) {
    need(1, what);
    return bytes_[at_++];
  }
  std::uint32_t u32(std::string_view what) {
    need(4, what);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(bytes_[at_ + i]) << (8 * i);
    at_ += 4;
    return v;
  }
  std::uint64_t u64(std::string_view what) {
    need(8, what);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(bytes_[at_ + i]) << (8 * i);
    at_ += 8;
    return v;
  }
  std::span<const std::uint8_t> take(std::size_t n, std::string_view what) {
    need(n, what);
    auto s = bytes_.subspan(at_, n);
    at_ += n;
    return s;
  }
  std::span<const std::uint8_t> since(std::size_t start) const { return bytes_.subspan(start, at_ - start); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::string_view source_;
  std::size_t at_ = 0;
};
}  // namespace detail

/// The number of elements of a record's shape (1 for rank 0).
inline std::uint64_t element_count(const std::vector<std::uint64_t>& shape) {
  std::uint64_t n = 1;
  for (auto e : shape) n *= e;
  return n;
}

/// Encodes records into the bytes of a version-1 checkpoint.  Throws value_error for an empty, over-long or
/// duplicate name, a rank above 8, or a value count that does not match the shape.
inline std::vector<std::uint8_t> encode_checkpoint(const std::vector<CheckpointRecord>& records) {
  EQR_EXPECTS(records.size() <= CheckpointFormat::max_records, value_error, "checkpoint: expected at most ",
              CheckpointFormat::max_records, " records, found ", records.size());
  std::vector<std::uint8_t> out(std::begin(CheckpointFormat::magic), std::end(CheckpointFormat::magic));
  detail::put_u32(out, CheckpointFormat::version);
  detail::put_u32(out, static_cast<std::uint32_t>(records.size()));
  detail::put_u32(out, detail::crc32_of(out));
  std::set<std::string> names;
  for (const auto& r : records) {
    EQR_EXPECTS(!r.name.empty() && r.name.size() <= CheckpointFormat::max_name_length, value_error,
                "checkpoint: expected a record name of 1 to ", CheckpointFormat::max_name_length, " bytes, found ",
                r.name.size(), " bytes ('", r.name.substr(0, 64), "')");
    EQR_EXPECTS(names.insert(r.name).second, value_error, "checkpoint: expected unique record names, found '", r.name,
                "' twice");
    EQR_EXPECTS(r.shape.size() <= CheckpointFormat::max_rank, value_error, "checkpoint record '", r.name,
                "': expected rank <= 8, found ", r.shape.size());
    EQR_EXPECTS(element_count(r.shape) == r.values.size(), value_error, "checkpoint record '", r.name, "': expected ",
                element_count(r.shape), " values for its shape, found ", r.values.size());
    const std::size_t start = out.size();
    detail::put_u32(out, static_cast<std::uint32_t>(r.name.size()));
    out.insert(out.end(), r.name.begin(), r.name.end());
    out.push_back(static_cast<std::uint8_t>(r.dtype));
    out.push_back(static_cast<std::uint8_t>(r.shape.size()));
    for (auto e : r.shape) detail::put_u64(out, e);
    for (double v : r.values) {
      if (r.dtype == CheckpointDType::float32)
        detail::put_u32(out, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
      else
        detail::put_u64(out, std::bit_cast<std::uint64_t>(v));
    }
    detail::put_u32(out, detail::crc32_of(std::span<const std::uint8_t>(out).subspan(start)));
  }
  return out;
}

/// Decodes the bytes of a checkpoint; `source` names it in error messages (a file name).  Throws io_error for
/// anything that is not a valid version-1 checkpoint (see the file comment); never reads out of bounds.
inline std::vector<CheckpointRecord> decode_checkpoint(std::span<const std::uint8_t> bytes,
                                                       std::string_view source = "<memory>") {
  detail::ByteReader in(bytes, source);
  const auto magic = in.take(8, "the magic number");
  EQR_EXPECTS(std::memcmp(magic.data(), CheckpointFormat::magic, 8) == 0, io_error, "checkpoint '", source,
              "': expected the magic number EQRCKPT, found other bytes (not an EquiRecon checkpoint)");
  const std::uint32_t version = in.u32("the version");
  EQR_EXPECTS(version == CheckpointFormat::version, io_error, "checkpoint '", source, "': expected format version ",
              CheckpointFormat::version, ", found ", version);
  const std::uint32_t count = in.u32("the record count");
  const std::uint32_t header_crc = in.u32("the header checksum");
  EQR_EXPECTS(header_crc == detail::crc32_of(bytes.subspan(0, 16)), io_error, "checkpoint '", source,
              "': header checksum mismatch (the file is corrupted)");
  EQR_EXPECTS(count <= CheckpointFormat::max_records, io_error, "checkpoint '", source, "': expected at most ",
              CheckpointFormat::max_records, " records, found ", count);
  std::vector<CheckpointRecord> records;
  std::set<std::string> names;
  for (std::uint32_t r = 0; r < count; ++r) {
    const std::size_t start = in.position();
    const std::string where = "record " + std::to_string(r);
    const std::uint32_t length = in.u32(where + "'s name length");
    EQR_EXPECTS(length >= 1 && length <= CheckpointFormat::max_name_length, io_error, "checkpoint '", source, "': ",
                where, ": expected a name of 1 to ", CheckpointFormat::max_name_length, " bytes, found ", length);
    const auto name_bytes = in.take(length, where + "'s name");
    CheckpointRecord rec;
    rec.name.assign(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
    const std::string what = "parameter '" + rec.name + "'";
    const std::uint8_t dtype = in.u8(what + "'s dtype");
    EQR_EXPECTS(dtype == 1 || dtype == 2, io_error, "checkpoint '", source, "': ", what,
                ": expected dtype 1 (float32) or 2 (float64), found ", static_cast<int>(dtype));
    rec.dtype = static_cast<CheckpointDType>(dtype);
    const std::uint8_t rank = in.u8(what + "'s rank");
    EQR_EXPECTS(rank <= CheckpointFormat::max_rank, io_error, "checkpoint '", source, "': ", what,
                ": expected rank <= 8, found ", static_cast<int>(rank));
    const std::size_t size = dtype == 1 ? 4 : 8;
    std::uint64_t n = 1;
    for (std::uint8_t d = 0; d < rank; ++d) {
      const std::uint64_t e = in.u64(what + "'s shape");
      rec.shape.push_back(e);
      // Keep n·size within the bytes left, so that a corrupt extent can neither overflow nor allocate.
      EQR_EXPECTS(e == 0 || n <= in.remaining() / size / e, io_error, "checkpoint '", source, "': ", what,
                  ": its shape needs more values than the ", in.remaining(), " bytes left in the file (truncated or corrupted)");
      n *= e;
    }
    const auto payload = in.take(static_cast<std::size_t>(n) * size, what + "'s values");
    rec.values.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < rec.values.size(); ++i) {
      const std::uint8_t* p = payload.data() + i * size;
      if (dtype == 1) {
        std::uint32_t u = 0;
        for (int b = 0; b < 4; ++b) u |= static_cast<std::uint32_t>(p[b]) << (8 * b);
        rec.values[i] = std::bit_cast<float>(u);
      } else {
        std::uint64_t u = 0;
        for (int b = 0; b < 8; ++b) u |= static_cast<std::uint64_t>(p[b]) << (8 * b);
        rec.values[i] = std::bit_cast<double>(u);
      }
    }
    const std::uint32_t expected_crc = detail::crc32_of(in.since(start));
    const std::uint32_t crc = in.u32(what + "'s checksum");
    EQR_EXPECTS(crc == expected_crc, io_error, "checkpoint '", source, "': ", what,
                ": checksum mismatch (the record is corrupted)");
    EQR_EXPECTS(names.insert(rec.name).second, io_error, "checkpoint '", source, "': ", what,
                " appears twice (expected unique names)");
    records.push_back(std::move(rec));
  }
  EQR_EXPECTS(in.remaining() == 0, io_error, "checkpoint '", source, "': expected the end of the file after ", count,
              " records, found ", in.remaining(), " more bytes");
  return records;
}

/// Writes records to `path` atomically (temporary file + rename).  Throws value_error (bad records) or io_error.
inline void write_checkpoint_file(const std::filesystem::path& path, const std::vector<CheckpointRecord>& records) {
  const auto bytes = encode_checkpoint(records);
  io::write_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
}

/// Reads and decodes the checkpoint at `path`.  Throws io_error (missing file, or see `decode_checkpoint`).
inline std::vector<CheckpointRecord> read_checkpoint_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  EQR_EXPECTS(file.is_open(), io_error, "checkpoint '", path.string(), "': expected a readable file, found none");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EQR_EXPECTS(!file.bad(), io_error, "checkpoint '", path.string(), "': reading failed");
  return decode_checkpoint(bytes, path.string());
}

}  // namespace eqr::nn
