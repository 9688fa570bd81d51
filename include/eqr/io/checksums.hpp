/// @file io/checksums.hpp
/// The two checksums a PNG file needs: CRC-32 (ISO 3309 / ITU-T V.42, the reflected polynomial 0xEDB88320,
/// as PNG chunks and zlib's crc32 use it) and Adler-32 (RFC 1950, the zlib stream trailer).
/// Standard check values: crc32("123456789") = 0xCBF43926, adler32("123456789") = 0x091E01DE.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace eqr::io {

namespace detail {
/// The byte-wise CRC-32 table of the reflected polynomial 0xEDB88320, built at compile time.
inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}();
}  // namespace detail

/// A running CRC-32: `update` with consecutive pieces, then `value()`; equal to crc32 of the concatenation.
class Crc32 {
 public:
  Crc32& update(std::span<const std::uint8_t> bytes) {
    for (std::uint8_t b : bytes) state_ = detail::crc32_table[(state_ ^ b) & 0xFFu] ^ (state_ >> 8);
    return *this;
  }
  Crc32& update(std::string_view bytes) {
    return update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  std::uint32_t value() const { return state_ ^ 0xFFFFFFFFu; }

 private:
  std::uint32_t state_ = 0xFFFFFFFFu;
};

/// A running Adler-32: s1 = 1 + Σ bytes, s2 = Σ s1 after each byte, both mod 65521; value = s2·65536 + s1.
class Adler32 {
 public:
  Adler32& update(std::span<const std::uint8_t> bytes) {
    constexpr std::uint32_t mod = 65521;
    // 5552 is the largest n with 255·n(n+1)/2 + (n+1)(mod−1) < 2³², so the sums cannot overflow in a run.
    std::size_t i = 0;
    while (i < bytes.size()) {
      const std::size_t end = std::min(bytes.size(), i + 5552);
      for (; i < end; ++i) {
        a_ += bytes[i];
        b_ += a_;
      }
      a_ %= mod;
      b_ %= mod;
    }
    return *this;
  }
  Adler32& update(std::string_view bytes) {
    return update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  std::uint32_t value() const { return (b_ << 16) | a_; }

 private:
  std::uint32_t a_ = 1;
  std::uint32_t b_ = 0;
};

/// CRC-32 of a byte string.
inline std::uint32_t crc32(std::string_view bytes) { return Crc32{}.update(bytes).value(); }
/// Adler-32 of a byte string.
inline std::uint32_t adler32(std::string_view bytes) { return Adler32{}.update(bytes).value(); }

}  // namespace eqr::io
