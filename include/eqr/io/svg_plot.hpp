/// @file io/svg_plot.hpp
/// Self-contained SVG figures for reports and training logs: line plots (loss curves, PSNR against
/// training-set size; optional logarithmic y axis) and box plots (per-image PSNR/SSIM of each method), with
/// axes, "nice" tick values (1, 2, 5 × 10^k), a legend and XML-escaped labels; written atomically.
///
/// Box plots follow the usual convention (Tukey; matplotlib's default): the box spans the quartiles Q1–Q3
/// (linear interpolation between order statistics, numpy.percentile's default), the line is the median,
/// whiskers reach the most extreme values within 1.5·IQR of the box, and values beyond are drawn as points.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"

namespace eqr::io {

/// The text with the five XML special characters escaped (&amp; &lt; &gt; &quot; &apos;).
[[nodiscard]] inline std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Tick values covering [low, high]: multiples of a step 1, 2 or 5 × 10^k chosen so that about `target`
/// ticks fall in the range; every returned tick t satisfies low ≤ t ≤ high (up to rounding).
[[nodiscard]] inline std::vector<double> nice_ticks(double low, double high, int target = 5) {
  EQR_EXPECTS(std::isfinite(low) && std::isfinite(high) && low <= high && target >= 1, value_error,
              "nice_ticks: expected finite low <= high and target >= 1, found [", low, ", ", high, "], ", target);
  if (low == high) return {low};
  const double raw = (high - low) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / magnitude;
  const double step = (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * magnitude;
  std::vector<double> ticks;
  const double eps = 1e-9 * step;
  const double first = std::ceil((low - eps) / step);
  for (double k = first; k * step <= high + eps; k += 1.0) {
    const double t = k * step;
    ticks.push_back(std::abs(t) < eps ? 0.0 : t);
  }
  return ticks;
}

/// The five-number summary of a box plot.
struct BoxStats {
  double q1 = 0, median = 0, q3 = 0;
  double whisker_low = 0, whisker_high = 0;  ///< extreme values within 1.5·IQR of the box
  std::vector<double> outliers;              ///< values beyond the whiskers
};

/// The p-quantile (0 ≤ p ≤ 1) of the values by linear interpolation between order statistics at
/// position p·(n − 1) (numpy.percentile's default).
[[nodiscard]] inline double quantile(std::vector<double> values, double p) {
  EQR_EXPECTS(!values.empty(), value_error, "quantile: expected at least one value, found none");
  EQR_EXPECTS(p >= 0 && p <= 1, value_error, "quantile: expected p in [0, 1], found ", p);
  std::sort(values.begin(), values.end());
  const double pos = p * static_cast<double>(values.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const double f = pos - static_cast<double>(i);
  return i + 1 < values.size() ? values[i] + f * (values[i + 1] - values[i]) : values[i];
}

/// The box-plot statistics of the values (non-empty, finite).
[[nodiscard]] inline BoxStats box_stats(const std::vector<double>& values) {
  EQR_EXPECTS(!values.empty(), value_error, "box_stats: expected at least one value, found none");
  for (double v : values) EQR_EXPECTS(std::isfinite(v), value_error, "box_stats: expected finite values, found ", v);
  BoxStats s;
  s.q1 = quantile(values, 0.25);
  s.median = quantile(values, 0.5);
  s.q3 = quantile(values, 0.75);
  const double iqr = s.q3 - s.q1, lo = s.q1 - 1.5 * iqr, hi = s.q3 + 1.5 * iqr;
  s.whisker_low = s.q1;
  s.whisker_high = s.q3;
  for (double v : values) {
    if (v < lo || v > hi) {
      s.outliers.push_back(v);
    } else {
      s.whisker_low = std::min(s.whisker_low, v);
      s.whisker_high = std::max(s.whisker_high, v);
    }
  }
  return s;
}

/// One line of a line plot: a name for the legend and the points (x[i], y[i]).
struct Series {
  std::string name;
  std::vector<double> x, y;
};

/// One box of a box plot: its label and the values summarised.
struct BoxGroup {
  std::string label;
  std::vector<double> values;
};

/// Title, axis labels, size and scale of a plot.
struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;  ///< logarithmic y axis (all y values must be > 0)
  double width = 640;
  double height = 400;
};

namespace detail {

/// Colours of successive series (colour-blind friendly palette, Okabe–Ito).
inline const char* series_colour(std::size_t k) {
  static const char* palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
  return palette[k % 7];
}

/// A number for a tick label: up to 4 significant digits, no trailing zeros.
inline std::string tick_label(double v) {
  std::ostringstream out;
  out << std::setprecision(4) << v;
  return out.str();
}

/// The plot frame: maps data coordinates to the SVG canvas and draws axes, ticks, labels and title.
struct Frame {
  double left = 70, right = 20, top = 40, bottom = 50;
  double width, height, x0, x1, y0, y1;
  bool log_y;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (width - left - right); }
  double py(double y) const {
    const double t = log_y ? (std::log10(y) - y0) / (y1 - y0) : (y - y0) / (y1 - y0);
    return height - bottom - t * (height - top - bottom);
  }
};

inline std::string open_svg(const PlotOptions& o) {
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height
    << "\" viewBox=\"0 0 " << o.width << " " << o.height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!o.title.empty())
    s << "<text x=\"" << o.width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(o.title)
      << "</text>\n";
  return s.str();
}

/// Draws the y axis with ticks and grid lines, the x axis line, and both axis labels.
inline std::string axes(const Frame& f, const PlotOptions& o, const std::vector<double>& y_ticks) {
  std::ostringstream s;
  const double xa = f.left, xb = f.width - f.right, yb = f.height - f.bottom;
  s << "<line x1=\"" << xa << "\" y1=\"" << f.top << "\" x2=\"" << xa << "\" y2=\"" << yb << "\" stroke=\"black\"/>\n"
    << "<line x1=\"" << xa << "\" y1=\"" << yb << "\" x2=\"" << xb << "\" y2=\"" << yb << "\" stroke=\"black\"/>\n";
  for (double t : y_ticks) {
    const double y = f.py(t);
    s << "<line x1=\"" << xa << "\" y1=\"" << y << "\" x2=\"" << xb << "\" y2=\"" << y
      << "\" stroke=\"#dddddd\"/>\n<text x=\"" << xa - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">"
      << tick_label(t) << "</text>\n";
  }
  if (!o.x_label.empty())
    s << "<text x=\"" << (xa + xb) / 2 << "\" y=\"" << f.height - 10 << "\" text-anchor=\"middle\">"
      << xml_escape(o.x_label) << "</text>\n";
  if (!o.y_label.empty())
    s << "<text x=\"16\" y=\"" << (f.top + yb) / 2 << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
      << (f.top + yb) / 2 << ")\">" << xml_escape(o.y_label) << "</text>\n";
  return s.str();
}

/// y-axis ticks for [lo, hi]: nice linear ticks, or the powers of ten (and 2×, 5× when few) for a log axis.
inline std::vector<double> y_ticks_for(double lo, double hi, bool log_y) {
  if (!log_y) return nice_ticks(lo, hi);
  std::vector<double> t;
  for (double e = std::floor(lo); e <= std::ceil(hi); e += 1.0)
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, e);
      const double l = std::log10(v);
      if (l >= lo - 1e-12 && l <= hi + 1e-12 && (m == 1.0 || hi - lo < 2.5)) t.push_back(v);
    }
  return t;
}

}  // namespace detail

/// An SVG line plot of the series (each with at least one point, equal x and y lengths, finite values;
/// y > 0 with a log axis): polylines with point markers, axes with nice ticks, a legend at the top right.
[[nodiscard]] inline std::string line_plot_svg(const std::vector<Series>& series, const PlotOptions& o = {}) {
  EQR_EXPECTS(!series.empty(), value_error, "line_plot_svg: expected at least one series, found none");
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : series) {
    EQR_EXPECTS(!s.x.empty() && s.x.size() == s.y.size(), shape_error, "line_plot_svg: series '", s.name,
                "': expected equally many x and y values (at least one), found ", s.x.size(), " and ", s.y.size());
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      EQR_EXPECTS(std::isfinite(s.x[i]) && std::isfinite(s.y[i]) && (!o.log_y || s.y[i] > 0), value_error,
                  "line_plot_svg: series '", s.name, "': expected finite values", o.log_y ? " with y > 0" : "",
                  ", found (", s.x[i], ", ", s.y[i], ")");
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      const double y = o.log_y ? std::log10(s.y[i]) : s.y[i];
      ymin = std::min(ymin, y);
      ymax = std::max(ymax, y);
    }
  }
  if (xmax == xmin) { xmin -= 0.5; xmax += 0.5; }
  if (ymax == ymin) { ymin -= 0.5; ymax += 0.5; }
  const double pad = 0.05 * (ymax - ymin);
  detail::Frame f{70, 20, 40, 50, o.width, o.height, xmin, xmax, ymin - pad, ymax + pad, o.log_y};
  std::ostringstream s;
  s << detail::open_svg(o);
  s << detail::axes(f, o, detail::y_ticks_for(f.y0, f.y1, o.log_y));
  for (double t : nice_ticks(xmin, xmax))
    s << "<text x=\"" << f.px(t) << "\" y=\"" << f.height - f.bottom + 16 << "\" text-anchor=\"middle\">"
      << detail::tick_label(t) << "</text>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& sr = series[k];
    s << "<polyline fill=\"none\" stroke=\"" << detail::series_colour(k) << "\" stroke-width=\"1.5\" points=\"";
    for (std::size_t i = 0; i < sr.x.size(); ++i) s << (i ? " " : "") << f.px(sr.x[i]) << "," << f.py(sr.y[i]);
    s << "\"/>\n";
    if (sr.x.size() <= 50)
      for (std::size_t i = 0; i < sr.x.size(); ++i)
        s << "<circle cx=\"" << f.px(sr.x[i]) << "\" cy=\"" << f.py(sr.y[i]) << "\" r=\"3\" fill=\""
          << detail::series_colour(k) << "\"/>\n";
    const double ly = f.top + 8 + 16 * static_cast<double>(k), lx = f.width - f.right - 150;
    s << "<line x1=\"" << lx << "\" y1=\"" << ly << "\" x2=\"" << lx + 20 << "\" y2=\"" << ly << "\" stroke=\""
      << detail::series_colour(k) << "\" stroke-width=\"2\"/>\n<text x=\"" << lx + 26 << "\" y=\"" << ly + 4
      << "\">" << xml_escape(sr.name) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

/// An SVG box plot with one box per group (each with at least one finite value), labelled below.
[[nodiscard]] inline std::string box_plot_svg(const std::vector<BoxGroup>& groups, const PlotOptions& o = {}) {
  EQR_EXPECTS(!groups.empty(), value_error, "box_plot_svg: expected at least one group, found none");
  std::vector<BoxStats> stats;
  double ymin = std::numeric_limits<double>::infinity(), ymax = -ymin;
  for (const auto& g : groups) {
    EQR_EXPECTS(!g.values.empty(), value_error, "box_plot_svg: group '", g.label,
                "': expected at least one value, found none");
    stats.push_back(box_stats(g.values));
    for (double v : g.values) {
      ymin = std::min(ymin, v);
      ymax = std::max(ymax, v);
    }
  }
  if (ymax == ymin) { ymin -= 0.5; ymax += 0.5; }
  const double pad = 0.05 * (ymax - ymin);
  const double n = static_cast<double>(groups.size());
  detail::Frame f{70, 20, 40, 50, o.width, o.height, 0.0, n, ymin - pad, ymax + pad, false};
  std::ostringstream s;
  s << detail::open_svg(o) << detail::axes(f, o, nice_ticks(f.y0, f.y1));
  const double slot = (f.width - f.left - f.right) / n, box_w = std::min(60.0, 0.5 * slot);
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const BoxStats& b = stats[k];
    const double cx = f.px(static_cast<double>(k) + 0.5);
    const char* colour = detail::series_colour(k);
    s << "<g class=\"box\">\n"
      << "<line x1=\"" << cx << "\" y1=\"" << f.py(b.whisker_low) << "\" x2=\"" << cx << "\" y2=\"" << f.py(b.q1)
      << "\" stroke=\"black\"/>\n"
      << "<line x1=\"" << cx << "\" y1=\"" << f.py(b.q3) << "\" x2=\"" << cx << "\" y2=\"" << f.py(b.whisker_high)
      << "\" stroke=\"black\"/>\n"
      << "<rect x=\"" << cx - box_w / 2 << "\" y=\"" << f.py(b.q3) << "\" width=\"" << box_w << "\" height=\""
      << std::max(0.5, f.py(b.q1) - f.py(b.q3)) << "\" fill=\"" << colour << "\" fill-opacity=\"0.35\" stroke=\""
      << colour << "\"/>\n"
      << "<line x1=\"" << cx - box_w / 2 << "\" y1=\"" << f.py(b.median) << "\" x2=\"" << cx + box_w / 2
      << "\" y2=\"" << f.py(b.median) << "\" stroke=\"black\" stroke-width=\"2\"/>\n";
    for (double v : b.outliers)
      s << "<circle cx=\"" << cx << "\" cy=\"" << f.py(v) << "\" r=\"2.5\" fill=\"none\" stroke=\"black\"/>\n";
    s << "</g>\n<text x=\"" << cx << "\" y=\"" << f.height - f.bottom + 16 << "\" text-anchor=\"middle\">"
      << xml_escape(groups[k].label) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

/// Writes SVG (or any text) to `path` atomically.
inline void save_text(const std::filesystem::path& path, const std::string& text) {
  write_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace eqr::io
