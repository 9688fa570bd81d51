/// @file io/png.hpp
/// PNG output without a library: 8-bit grayscale or RGB images, windowed from floating-point arrays, written
/// atomically.  The image data is stored uncompressed: zlib framing (RFC 1950) around "stored" deflate blocks
/// (RFC 1951 §3.2.4, BTYPE = 00, at most 65535 bytes each), every scanline with filter type 0 (None).  Any
/// PNG reader decodes such files; they are larger than compressed ones, which is fine for the tool's
/// previews and reports.
///
/// File layout (PNG specification, 2nd ed.): the 8-byte signature, then chunks `length (4, big-endian) |
/// type (4) | data | CRC-32 of type and data`: IHDR (width, height, bit depth 8, colour type 0 gray or 2 RGB,
/// compression 0, filter 0, interlace 0), one IDAT with the zlib stream, IEND.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"
#include "eqr/io/checksums.hpp"

namespace eqr::io {

/// An 8-bit image: `height` rows of `width` pixels, each of `channels` bytes (1 gray, 3 RGB), row-major.
struct Image8 {
  std::size_t width = 0;
  std::size_t height = 0;
  std::size_t channels = 1;
  std::vector<std::uint8_t> pixels;  ///< height·width·channels bytes, top row first
};

/// The intensity window [low, high] mapped linearly onto 0…255 (values outside are clipped).
struct Window {
  double low = 0.0;
  double high = 1.0;
};

/// The window [min, max] of an image's values (throws value_error for an empty or non-finite image).
template <std::floating_point T>
Window full_range(const xt::xtensor<T, 2>& image) {
  EQR_EXPECTS(image.size() > 0, shape_error, "PNG window: expected a non-empty image, found shape (",
              image.shape(0), ", ", image.shape(1), ")");
  Window w{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (const T& v : image) {
    const double d = static_cast<double>(v);
    EQR_EXPECTS(std::isfinite(d), value_error, "PNG window: expected finite pixel values, found ", d);
    w.low = std::min(w.low, d);
    w.high = std::max(w.high, d);
  }
  return w;
}

/// A 2-D real image as 8-bit gray: p = round(255 · clamp((x − low)/(high − low), 0, 1)).
/// Without a window, [min, max] of the image is used; a constant image then maps to 0.  An explicit window
/// needs low < high (value_error otherwise); a non-finite pixel is a value_error.
template <std::floating_point T>
Image8 to_gray8(const xt::xtensor<T, 2>& image, std::optional<Window> window = std::nullopt) {
  const Window auto_window = full_range(image);
  const Window w = window.value_or(auto_window);
  EQR_EXPECTS(!window || (std::isfinite(w.low) && std::isfinite(w.high) && w.low < w.high), value_error,
              "PNG window: expected finite low < high, found [", w.low, ", ", w.high, "]");
  Image8 out{image.shape(1), image.shape(0), 1, std::vector<std::uint8_t>(image.size(), 0)};
  const double span = w.high - w.low;
  if (span > 0) {
    for (std::size_t i = 0; i < image.size(); ++i) {
      const double t = std::clamp((static_cast<double>(image.flat(i)) - w.low) / span, 0.0, 1.0);
      out.pixels[i] = static_cast<std::uint8_t>(std::lround(255.0 * t));
    }
  }
  return out;
}

namespace detail {

inline void put_u32_be(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFFu);
}

/// Appends one chunk (length, type, data, CRC-32 over type and data).
inline void put_chunk(std::string& out, const char (&type)[5], const std::string& data) {
  EQR_EXPECTS(data.size() <= 0x7FFFFFFFu, value_error, "PNG chunk ", type, ": expected at most 2^31 - 1 bytes, found ",
              data.size());
  put_u32_be(out, static_cast<std::uint32_t>(data.size()));
  std::string typed(type, 4);
  typed += data;
  out += typed;
  put_u32_be(out, crc32(typed));
}

/// The zlib stream (RFC 1950) of `raw` with stored deflate blocks: CMF 0x78 (deflate, 32 KiB window),
/// FLG 0x01 (check bits: 0x7801 is a multiple of 31, no dictionary), blocks, Adler-32 big-endian.
inline std::string zlib_stored(const std::string& raw) {
  std::string out("\x78\x01", 2);
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - pos);
    const bool final = pos + n == raw.size();
    out += static_cast<char>(final ? 0x01 : 0x00);  // BFINAL, BTYPE = 00 (stored); byte-aligned already
    out += static_cast<char>(n & 0xFFu);
    out += static_cast<char>((n >> 8) & 0xFFu);
    out += static_cast<char>(~n & 0xFFu);
    out += static_cast<char>((~n >> 8) & 0xFFu);
    out.append(raw, pos, n);
    pos += n;
  } while (pos < raw.size());
  put_u32_be(out, adler32(raw));
  return out;
}

}  // namespace detail

/// The complete PNG file of an 8-bit gray or RGB image.
inline std::string encode_png(const Image8& image) {
  EQR_EXPECTS(image.channels == 1 || image.channels == 3, value_error,
              "PNG: expected 1 (gray) or 3 (RGB) channels, found ", image.channels);
  EQR_EXPECTS(image.width >= 1 && image.height >= 1 && image.width <= 0x7FFFFFFFu && image.height <= 0x7FFFFFFFu,
              shape_error, "PNG: expected width and height in 1..2^31-1, found ", image.width, "x", image.height);
  EQR_EXPECTS(image.pixels.size() == image.width * image.height * image.channels, shape_error,
              "PNG: expected ", image.width * image.height * image.channels, " pixel bytes for ", image.width, "x",
              image.height, "x", image.channels, ", found ", image.pixels.size());
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  detail::put_u32_be(ihdr, static_cast<std::uint32_t>(image.width));
  detail::put_u32_be(ihdr, static_cast<std::uint32_t>(image.height));
  ihdr += static_cast<char>(8);                             // bit depth
  ihdr += static_cast<char>(image.channels == 1 ? 0 : 2);  // colour type: gray / truecolour
  ihdr += std::string(3, '\0');                             // compression, filter, interlace
  detail::put_chunk(out, "IHDR", ihdr);
  const std::size_t row = image.width * image.channels;
  std::string raw;
  raw.reserve(image.height * (row + 1));
  for (std::size_t i = 0; i < image.height; ++i) {
    raw += '\0';  // filter type None
    raw.append(reinterpret_cast<const char*>(image.pixels.data() + i * row), row);
  }
  detail::put_chunk(out, "IDAT", detail::zlib_stored(raw));
  detail::put_chunk(out, "IEND", std::string());
  return out;
}

/// Writes an 8-bit image as a PNG file, atomically.
inline void write_png(const std::filesystem::path& path, const Image8& image) {
  const std::string bytes = encode_png(image);
  write_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

/// Writes a 2-D real image as an 8-bit gray PNG with the given window (default: the image's [min, max]).
template <std::floating_point T>
void save_png(const std::filesystem::path& path, const xt::xtensor<T, 2>& image,
              std::optional<Window> window = std::nullopt) {
  write_png(path, to_gray8(image, window));
}

}  // namespace eqr::io
