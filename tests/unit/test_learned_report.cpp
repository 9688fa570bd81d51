// Tests of the report outputs: the 5×7 bitmap font and labelled PNG panels, SVG line and box plots (quantiles
// against hand-computed values, nice ticks, escaping), Markdown tables, and atomic writing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "eqr/io/report.hpp"
#include "eqr/io/report_panel.hpp"
#include "eqr/io/svg_plot.hpp"

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

std::size_t lit_pixels(const eqr::io::Image8& im) {
  std::size_t n = 0;
  for (auto p : im.pixels) n += p != 0;
  return n;
}

}  // namespace

TEST_CASE("the bitmap font: distinct glyphs, hand-drawn shapes, widths and clipping") {
  const std::string chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.,-+:/()=%_?";
  std::set<eqr::io::Glyph> seen;
  for (char c : chars) {
    CAPTURE(c);
    CHECK(eqr::io::has_glyph(c));
    seen.insert(eqr::io::glyph(c));
  }
  CHECK(seen.size() == chars.size());  // no two characters look the same
  CHECK(eqr::io::glyph('a') == eqr::io::glyph('A'));
  CHECK(!eqr::io::has_glyph('~'));
  CHECK(eqr::io::glyph('~') == eqr::io::glyph('?'));

  // '-' is one full row of 5 pixels in the middle row (row 3); at scale 2 it is a 10×2 block.
  eqr::io::Image8 im{12, 16, 1, std::vector<std::uint8_t>(12 * 16, 0)};
  eqr::io::draw_text(im, "-", 0, 0, 2);
  CHECK(lit_pixels(im) == 20);
  for (std::size_t j = 0; j < 10; ++j) {
    CHECK(im.pixels[6 * 12 + j] == 255);
    CHECK(im.pixels[7 * 12 + j] == 255);
  }
  // '1' drawn by hand as rows 00100 01100 00100 00100 00100 00100 01110: 1 + 2 + 1 + 1 + 1 + 1 + 3 = 10 pixels.
  eqr::io::Image8 one{5, 7, 1, std::vector<std::uint8_t>(35, 0)};
  eqr::io::draw_text(one, "1", 0, 0);
  CHECK(lit_pixels(one) == 10);
  CHECK(eqr::io::text_width("PSNR 31.2", 1) == 9 * 6 - 1);
  CHECK(eqr::io::text_width("AB", 3) == 33);
  CHECK(eqr::io::text_width("", 3) == 0);
  // Text running off the image is clipped, not written out of bounds.
  eqr::io::Image8 tiny{3, 3, 1, std::vector<std::uint8_t>(9, 0)};
  eqr::io::draw_text(tiny, "8888", 1, 1, 4);
  CHECK(tiny.pixels.size() == 9);
}

TEST_CASE("a labelled panel: its size follows the layout and the images are placed, zoomed, under the labels") {
  xt::xtensor<double, 2> a = xt::zeros<double>({4, 6});
  xt::xtensor<double, 2> b = xt::ones<double>({4, 6});
  a(0, 0) = 1.0;  // one white pixel in the corner of tile a
  std::vector<eqr::io::PanelTile> tiles{{a, {"TRUTH"}, eqr::io::Window{0.0, 1.0}},
                                        {b, {"ORDINARY", "31.20 DB"}, eqr::io::Window{0.0, 1.0}},
                                        {a, {}, eqr::io::Window{0.0, 1.0}}};
  const eqr::io::PanelLayout layout{2, 3, 1, 4};
  const auto im = eqr::io::make_panel(tiles, layout);
  // Cell width = max(6·3, width of "ORDINARY" = 47) = 47; cell height = 2 label lines·9 + 4·3 = 30.
  CHECK(im.width == 4 + 2 * (47 + 4));
  CHECK(im.height == 4 + 2 * (30 + 4));
  // Tile a (first cell): its image starts at row 4 + 18, column 4; pixel (0,0) zoomed 3× is white.
  CHECK(im.pixels[(22 + 0) * im.width + 4] == 255);
  CHECK(im.pixels[(22 + 2) * im.width + 6] == 255);
  CHECK(im.pixels[(22 + 3) * im.width + 7] == 0);
  // Tile b (second cell, all ones) is white throughout its 12×18 image area.
  std::size_t white = 0;
  for (std::size_t i = 0; i < 12; ++i)
    for (std::size_t j = 0; j < 18; ++j) white += im.pixels[(22 + i) * im.width + 4 + 51 + j] == 255;
  CHECK(white == 12 * 18);
  CHECK_THROWS_AS((void)eqr::io::make_panel({}), eqr::shape_error);
  tiles.push_back({xt::zeros<double>({5, 6}), {}, {}});
  CHECK_THROWS_WITH_AS((void)eqr::io::make_panel(tiles), doctest::Contains("expected all tiles of size 4x6, found 5x6"),
                       eqr::shape_error);
}

TEST_CASE("quantiles and box statistics match hand-computed values (numpy's linear interpolation)") {
  // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25].
  CHECK(eqr::io::quantile({4, 1, 3, 2}, 0.25) == doctest::Approx(1.75));
  CHECK(eqr::io::quantile({4, 1, 3, 2}, 0.5) == doctest::Approx(2.5));
  CHECK(eqr::io::quantile({4, 1, 3, 2}, 0.75) == doctest::Approx(3.25));
  CHECK(eqr::io::quantile({7}, 0.3) == 7);
  // {1..9, 100}: Q1 = 3.25, Q3 = 7.75, IQR = 4.5, upper fence 14.5 → 100 is an outlier, whisker at 9.
  const auto s = eqr::io::box_stats({1, 2, 3, 4, 5, 6, 7, 8, 9, 100});
  CHECK(s.q1 == doctest::Approx(3.25));
  CHECK(s.median == doctest::Approx(5.5));
  CHECK(s.q3 == doctest::Approx(7.75));
  CHECK(s.whisker_low == 1);
  CHECK(s.whisker_high == 9);
  CHECK(s.outliers == std::vector<double>{100});
  CHECK_THROWS_AS((void)eqr::io::box_stats({}), eqr::value_error);
  CHECK_THROWS_AS((void)eqr::io::box_stats({1.0, std::nan("")}), eqr::value_error);
}

TEST_CASE("nice ticks are 1-2-5 multiples inside the range") {
  CHECK(eqr::io::nice_ticks(0, 10) == std::vector<double>{0, 2, 4, 6, 8, 10});
  const auto f = eqr::io::nice_ticks(0.13, 0.97);
  REQUIRE(f.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) CHECK(f[k] == doctest::Approx(0.2 * static_cast<double>(k + 1)));
  const auto t = eqr::io::nice_ticks(23.4, 31.9);
  CHECK(t == std::vector<double>{24, 26, 28, 30});
  CHECK(eqr::io::nice_ticks(5, 5) == std::vector<double>{5});
  CHECK_THROWS_AS((void)eqr::io::nice_ticks(2, 1), eqr::value_error);
}

TEST_CASE("SVG plots: one polyline per series, one box per group, escaped labels, bad input rejected") {
  const std::vector<eqr::io::Series> series{{"ordinary <C1>", {1, 2, 3}, {20, 25, 27}}, {"equivariant & C4", {1, 2, 3}, {24, 27, 28}}};
  const auto svg = eqr::io::line_plot_svg(series, {"PSNR vs training size", "images", "PSNR [dB]", false, 640, 400});
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(count_of(svg, "<polyline") == 2);
  CHECK(count_of(svg, "<circle") == 6);
  CHECK(svg.find("ordinary &lt;C1&gt;") != std::string::npos);
  CHECK(svg.find("equivariant &amp; C4") != std::string::npos);
  CHECK(svg.find("<C1>") == std::string::npos);
  const auto log_svg = eqr::io::line_plot_svg({{"loss", {0, 1, 2, 3}, {1, 0.1, 0.01, 0.001}}}, {"", "", "", true, 640, 400});
  CHECK(log_svg.find(">0.01<") != std::string::npos);  // a decade tick label
  CHECK_THROWS_WITH_AS((void)eqr::io::line_plot_svg({{"loss", {0, 1}, {1, 0}}}, {"", "", "", true, 640, 400}),
                       doctest::Contains("expected finite values with y > 0, found (1, 0)"), eqr::value_error);
  CHECK_THROWS_WITH_AS((void)eqr::io::line_plot_svg({{"s", {0, 1}, {1}}}),
                       doctest::Contains("expected equally many x and y values (at least one), found 2 and 1"),
                       eqr::shape_error);

  const auto box = eqr::io::box_plot_svg({{"FBP", {20, 21, 22}}, {"TV", {24, 25, 26, 40}}, {"C4", {30}}});
  CHECK(count_of(box, "<g class=\"box\">") == 3);
  CHECK(count_of(box, "<circle") == 1);  // 40 is the only outlier
  CHECK_THROWS_AS((void)eqr::io::box_plot_svg({{"empty", {}}}), eqr::value_error);
}

TEST_CASE("Markdown tables and reports; files are written atomically") {
  CHECK(eqr::io::markdown_table({"model", "PSNR"}, {{"C4", "31.20"}, {"a|b", "1"}}) ==
        "| model | PSNR |\n|---|---|\n| C4 | 31.20 |\n| a\\|b | 1 |\n");
  CHECK_THROWS_WITH_AS((void)eqr::io::markdown_table({"a", "b"}, {{"1"}}), doctest::Contains("expected 2 cells in row 0, found 1"),
                       eqr::shape_error);
  CHECK(eqr::io::format_fixed(31.2049, 2) == "31.20");
  CHECK(eqr::io::format_fixed(-0.5, 0) == "-0");
  CHECK(eqr::io::format_fixed(std::nan(""), 2) == "nan");

  const auto dir = std::filesystem::temp_directory_path() / ("eqr_report_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  eqr::io::MarkdownReport r;
  r.heading("Rotation", 1).paragraph("text").image("panel", "panel.png").bullets({"a", "b"});
  r.save(dir / "index.md");
  std::ifstream in(dir / "index.md");
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "# Rotation\n\ntext\n\n![panel](panel.png)\n\n- a\n- b\n\n");
  eqr::io::save_text(dir / "plot.svg", "<svg/>");
  eqr::io::save_panel(dir / "p.png", {{xt::zeros<double>({2, 2}), {"X"}, {}}});
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
  }
  CHECK(files == 3);
  CHECK_THROWS_AS(eqr::io::save_text(dir / "missing_dir" / "x.svg", "x"), eqr::io_error);
  std::filesystem::remove_all(dir);
}
