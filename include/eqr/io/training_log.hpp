/// @file io/training_log.hpp
/// The training log of a run directory (algorithms/training.hpp): one row per optimiser step, written as
/// `log.csv` (`step,loss,val_loss,grad_norm,seconds`; val_loss empty between validations) and read back
/// when a run resumes, and `loss.svg`, the training and validation loss on a log scale.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/io/svg_plot.hpp"

namespace eqr::io {

/// One row of the training log.
struct TrainingLogEntry {
  std::int64_t step = 0;
  double loss = 0;                    ///< training loss of this step (mean over its batch)
  std::optional<double> val_loss;     ///< mean validation loss, at validation steps
  double grad_norm = 0;               ///< global gradient norm before clipping
  double seconds = 0;                 ///< wall time since the start of this run (resumed runs restart at 0)
};

/// The log as CSV text.
inline std::string training_log_csv(const std::vector<TrainingLogEntry>& log) {
  std::ostringstream out;
  out << std::setprecision(9) << "step,loss,val_loss,grad_norm,seconds\n";
  for (const auto& e : log) {
    out << e.step << "," << e.loss << ",";
    if (e.val_loss) out << *e.val_loss;
    out << "," << e.grad_norm << "," << e.seconds << "\n";
  }
  return out.str();
}

/// Reads a log written by `training_log_csv` (for resuming), keeping the rows up to `max_step`.
inline std::vector<TrainingLogEntry> read_training_log_csv(const std::filesystem::path& path, std::int64_t max_step) {
  std::vector<TrainingLogEntry> log;
  std::ifstream in(path);
  if (!in) return log;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 2) continue;
    TrainingLogEntry e;
    try {
      e.step = std::stoll(f[0]);
      e.loss = std::stod(f[1]);
      if (f.size() > 2 && !f[2].empty()) e.val_loss = std::stod(f[2]);
      if (f.size() > 3 && !f[3].empty()) e.grad_norm = std::stod(f[3]);
      if (f.size() > 4 && !f[4].empty()) e.seconds = std::stod(f[4]);
    } catch (const std::exception&) {
      throw io_error(eqr::detail::concat("training log '", path.string(), "': expected numeric CSV rows, found '", line, "'"));
    }
    if (e.step <= max_step) log.push_back(e);
  }
  return log;
}

/// The loss plot: training loss (smoothed over windows of ~1% of the steps) and validation loss.
inline std::string training_loss_svg(const std::vector<TrainingLogEntry>& log) {
  Series train{"training loss", {}, {}}, val{"validation loss", {}, {}};
  const std::size_t window = std::max<std::size_t>(1, log.size() / 100);
  for (std::size_t k = 0; k + window <= log.size(); k += window) {
    double sum = 0;
    for (std::size_t j = k; j < k + window; ++j) sum += log[j].loss;
    const double mean = sum / static_cast<double>(window);
    if (mean > 0 && std::isfinite(mean)) {
      train.x.push_back(static_cast<double>(log[k + window - 1].step));
      train.y.push_back(mean);
    }
  }
  for (const auto& e : log)
    if (e.val_loss && *e.val_loss > 0 && std::isfinite(*e.val_loss)) {
      val.x.push_back(static_cast<double>(e.step));
      val.y.push_back(*e.val_loss);
    }
  std::vector<Series> series;
  if (!train.x.empty()) series.push_back(train);
  if (!val.x.empty()) series.push_back(val);
  if (series.empty()) return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\"/>\n";
  return line_plot_svg(series, {"Loss (1/2 MSE)", "step", "loss", true, 640, 400});
}

}  // namespace eqr::io
