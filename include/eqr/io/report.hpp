/// @file io/report.hpp
/// Markdown reports of experiments and evaluations: a small builder for `index.md` (headings, paragraphs,
/// tables, images, bullet lists) with fixed-precision number formatting, written atomically.
///
/// The report is plain CommonMark plus GitHub's pipe tables, so it renders on any forge and in any
/// Markdown viewer; images are referenced by relative paths inside the report directory.
#pragma once

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"

namespace eqr::io {

/// `v` with exactly `digits` digits after the decimal point ("nan"/"inf" for non-finite values).
[[nodiscard]] inline std::string format_fixed(double v, int digits) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

/// A table cell's text with the characters that would break a pipe table escaped ('|' → "\|", newlines →
/// spaces).
[[nodiscard]] inline std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

/// A GitHub pipe table: a header row, the separator, then the rows; every row must have as many cells as
/// the header (shape_error otherwise).
[[nodiscard]] inline std::string markdown_table(const std::vector<std::string>& header,
                                                const std::vector<std::vector<std::string>>& rows) {
  EQR_EXPECTS(!header.empty(), shape_error, "markdown_table: expected at least one column, found none");
  std::string s = "|";
  for (const auto& h : header) s.append(" ").append(markdown_cell(h)).append(" |");
  s += "\n|";
  for (std::size_t k = 0; k < header.size(); ++k) s += "---|";
  s += "\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    EQR_EXPECTS(rows[r].size() == header.size(), shape_error, "markdown_table: expected ", header.size(),
                " cells in row ", r, ", found ", rows[r].size());
    s += "|";
    for (const auto& c : rows[r]) s.append(" ").append(markdown_cell(c)).append(" |");
    s += "\n";
  }
  return s;
}

/// A Markdown document built section by section.
class MarkdownReport {
 public:
  /// A heading of the given level (1–6).
  MarkdownReport& heading(const std::string& text, int level = 2) {
    EQR_EXPECTS(level >= 1 && level <= 6, value_error, "MarkdownReport::heading: expected a level in 1..6, found ",
                level);
    body_ += std::string(static_cast<std::size_t>(level), '#') + " " + text + "\n\n";
    return *this;
  }
  /// A paragraph.
  MarkdownReport& paragraph(const std::string& text) {
    body_ += text + "\n\n";
    return *this;
  }
  /// A bullet list.
  MarkdownReport& bullets(const std::vector<std::string>& items) {
    for (const auto& i : items) body_ += "- " + i + "\n";
    body_ += "\n";
    return *this;
  }
  /// A pipe table (see `markdown_table`).
  MarkdownReport& table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    body_ += markdown_table(header, rows) + "\n";
    return *this;
  }
  /// An image by relative path, with alternative text.
  MarkdownReport& image(const std::string& alt, const std::string& path) {
    body_ += "![" + alt + "](" + path + ")\n\n";
    return *this;
  }
  /// A fenced code block (e.g. the command that reproduces the report).
  MarkdownReport& code(const std::string& text) {
    body_ += "```\n" + text + "\n```\n\n";
    return *this;
  }
  /// The document so far.
  [[nodiscard]] const std::string& str() const { return body_; }
  /// Writes the document to `path` atomically.
  void save(const std::filesystem::path& path) const {
    write_atomically(path, [&](std::ostream& out) { out << body_; });
  }

 private:
  std::string body_;
};

}  // namespace eqr::io
