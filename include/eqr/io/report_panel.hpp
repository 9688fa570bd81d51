/// @file io/report_panel.hpp
/// Labelled PNG image panels for reports: a built-in 5×7 bitmap font (digits, letters, common punctuation),
/// text drawing on 8-bit images, and `make_panel`, which tiles gray images in a grid with one or two text
/// lines above each tile (e.g. "EQUIVARIANT" / "31.20 DB 0.912") — the figures of the experiments' reports.
///
/// The glyphs are this library's own: each is 7 rows of 5 pixels, stored as 7 bytes whose low 5 bits are
/// the row from left (bit 4) to right (bit 0). Lower-case letters are drawn as capitals; a character
/// without a glyph is drawn as '?'. Text is drawn with an integer scale factor (each font pixel becomes a
/// scale×scale block) and one blank column between characters.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/io/png.hpp"

namespace eqr::io {

/// One glyph of the 5×7 font: 7 rows, the low 5 bits of each from left (bit 4) to right (bit 0).
using Glyph = std::array<std::uint8_t, 7>;

/// Glyph width and height in font pixels, and the advance (glyph plus one blank column).
inline constexpr std::size_t glyph_width = 5;
inline constexpr std::size_t glyph_height = 7;
inline constexpr std::size_t glyph_advance = 6;

namespace detail {
struct GlyphEntry {
  char c;
  Glyph rows;
};
// clang-format off
inline constexpr GlyphEntry font_table[] = {
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}}, {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}}, {'3', {0x1E, 0x01, 0x01, 0x0E, 0x01, 0x01, 0x1E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}}, {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}}, {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}}, {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}}, {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}}, {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}}, {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}}, {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}}, {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}}, {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}}, {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04}}, {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}}, {',', {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}}, {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}}, {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}}, {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}}, {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
};
// clang-format on
}  // namespace detail

/// Whether the font has a glyph of its own for c (lower-case letters count, as they map to capitals).
[[nodiscard]] inline bool has_glyph(char c) {
  const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& e : detail::font_table)
    if (e.c == u) return true;
  return false;
}

/// The glyph of c: its capital's glyph for a lower-case letter, '?' for a character without one.
[[nodiscard]] inline const Glyph& glyph(char c) {
  const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& e : detail::font_table)
    if (e.c == u) return e.rows;
  for (const auto& e : detail::font_table)
    if (e.c == '?') return e.rows;
  return detail::font_table[0].rows;
}

/// The width in pixels of `text` drawn at `scale`: (6·len − 1)·scale (0 for an empty string).
[[nodiscard]] inline std::size_t text_width(const std::string& text, std::size_t scale = 1) {
  return text.empty() ? 0 : (glyph_advance * text.size() - 1) * scale;
}

/// Draws `text` onto the gray (or RGB: all channels) image with its top-left corner at (row, col), pixels of
/// the glyphs set to `value`; parts outside the image are clipped.
inline void draw_text(Image8& image, const std::string& text, std::size_t row, std::size_t col, std::size_t scale = 1,
                      std::uint8_t value = 255) {
  EQR_EXPECTS(scale >= 1, value_error, "draw_text: expected a scale >= 1, found ", scale);
  for (std::size_t k = 0; k < text.size(); ++k) {
    const Glyph& g = glyph(text[k]);
    for (std::size_t r = 0; r < glyph_height; ++r)
      for (std::size_t c = 0; c < glyph_width; ++c) {
        if (((g[r] >> (glyph_width - 1 - c)) & 1u) == 0) continue;
        for (std::size_t a = 0; a < scale; ++a)
          for (std::size_t b = 0; b < scale; ++b) {
            const std::size_t i = row + r * scale + a, j = col + (k * glyph_advance + c) * scale + b;
            if (i >= image.height || j >= image.width) continue;
            for (std::size_t ch = 0; ch < image.channels; ++ch)
              image.pixels[(i * image.width + j) * image.channels + ch] = value;
          }
      }
  }
}

/// One tile of a panel: a 2-D image, its display window (default: its own [min, max]) and up to a few
/// label lines drawn above it.
struct PanelTile {
  xt::xtensor<double, 2> image;
  std::vector<std::string> labels;
  std::optional<Window> window;
};

/// Layout of a panel: tiles per row, integer magnification of the images, font scale, margin in pixels.
struct PanelLayout {
  std::size_t columns = 5;
  std::size_t zoom = 2;
  std::size_t font_scale = 1;
  std::size_t margin = 4;
};

/// The panel image: tiles in a grid, row-major, each cell `margin` + label lines (7·font_scale + 2 each) +
/// the zoomed image; black background, white labels. Throws shape_error for no tiles or unequal sizes.
[[nodiscard]] inline Image8 make_panel(const std::vector<PanelTile>& tiles, const PanelLayout& layout = {}) {
  EQR_EXPECTS(!tiles.empty(), shape_error, "make_panel: expected at least one tile, found none");
  EQR_EXPECTS(layout.columns >= 1 && layout.zoom >= 1 && layout.font_scale >= 1, value_error,
              "make_panel: expected columns, zoom and font scale >= 1, found ", layout.columns, ", ", layout.zoom,
              ", ", layout.font_scale);
  const std::size_t h = tiles[0].image.shape(0), w = tiles[0].image.shape(1);
  std::size_t lines = 0;
  for (const auto& t : tiles) {
    EQR_EXPECTS(t.image.shape(0) == h && t.image.shape(1) == w, shape_error,
                "make_panel: expected all tiles of size ", h, "x", w, ", found ", t.image.shape(0), "x",
                t.image.shape(1));
    lines = std::max(lines, t.labels.size());
  }
  const std::size_t line_h = glyph_height * layout.font_scale + 2;
  std::size_t cell_w = w * layout.zoom;
  for (const auto& t : tiles)
    for (const auto& s : t.labels) cell_w = std::max(cell_w, text_width(s, layout.font_scale));
  const std::size_t cell_h = lines * line_h + h * layout.zoom;
  const std::size_t cols = std::min(layout.columns, tiles.size());
  const std::size_t rows = (tiles.size() + cols - 1) / cols;
  Image8 out{layout.margin + cols * (cell_w + layout.margin), layout.margin + rows * (cell_h + layout.margin), 1, {}};
  out.pixels.assign(out.width * out.height, 0);
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    const std::size_t top = layout.margin + (k / cols) * (cell_h + layout.margin);
    const std::size_t left = layout.margin + (k % cols) * (cell_w + layout.margin);
    for (std::size_t l = 0; l < tiles[k].labels.size(); ++l)
      draw_text(out, tiles[k].labels[l], top + l * line_h, left, layout.font_scale);
    const Image8 g = to_gray8(tiles[k].image, tiles[k].window);
    const std::size_t image_top = top + lines * line_h;
    for (std::size_t i = 0; i < h * layout.zoom; ++i)
      for (std::size_t j = 0; j < w * layout.zoom; ++j)
        out.pixels[(image_top + i) * out.width + left + j] = g.pixels[(i / layout.zoom) * w + j / layout.zoom];
  }
  return out;
}

/// Writes a labelled panel as a PNG file, atomically.
inline void save_panel(const std::filesystem::path& path, const std::vector<PanelTile>& tiles,
                       const PanelLayout& layout = {}) {
  write_png(path, make_panel(tiles, layout));
}

}  // namespace eqr::io
