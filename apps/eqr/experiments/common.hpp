/// @file apps/eqr/experiments/common.hpp
/// What every `eqr experiment` shares: tensor ↔ image conversion, PSNR/SSIM of a reconstruction, the
/// results.json of CLI.md (one entry per model, group, train_size and test, with the mean over the test
/// images, per-image values in per_image.json), and the experiment registry used by cmd_experiment.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "support/cli.hpp"
#include "support/json.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/io/svg_plot.hpp"
#include "eqr/metrics/psnr.hpp"
#include "eqr/metrics/ssim.hpp"

namespace eqr::experiments {

using FB = cpu::CpuBackend<float>;
using Tensor = FB::tensor_type;

/// Channel c of batch item 0 of a tensor as a double image.
inline xt::xtensor<double, 2> plane(const Tensor& t, std::size_t c = 0) {
  const Shape4 s = FB::shape(t);
  xt::xtensor<double, 2> out = xt::zeros<double>({s.h, s.w});
  for (std::size_t i = 0; i < s.h; ++i)
    for (std::size_t j = 0; j < s.w; ++j) out(i, j) = t(0, c, i, j);
  return out;
}

/// The magnitude image of a 1- or 2-channel (complex) tensor, batch item 0.
inline xt::xtensor<double, 2> magnitude_image(const Tensor& t) {
  const Shape4 s = FB::shape(t);
  if (s.c == 1) return plane(t);
  xt::xtensor<double, 2> out = xt::zeros<double>({s.h, s.w});
  for (std::size_t i = 0; i < s.h; ++i)
    for (std::size_t j = 0; j < s.w; ++j) out(i, j) = std::hypot(t(0, 0, i, j), t(0, 1, i, j));
  return out;
}

/// A 2-D image as a 1×1×H×W tensor.
inline Tensor batch_of(const xt::xtensor<double, 2>& image) {
  const std::size_t h = image.shape(0), w = image.shape(1);
  Tensor t = FB::zeros({1, 1, h, w});
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) t(0, 0, i, j) = static_cast<float>(image(i, j));
  return t;
}

/// PSNR and SSIM of a reconstruction against the truth (magnitudes; data range = max of the truth).
struct Quality {
  double psnr = 0;
  double ssim = 0;
};

inline Quality quality(const Tensor& truth, const Tensor& recon) {
  const auto t = magnitude_image(truth), r = magnitude_image(recon);
  return {metrics::psnr(t, r), metrics::ssim(t, r)};
}

/// One line of results.json: a model on a test set, with per-image values.
struct ResultEntry {
  std::string model;  ///< equivariant | ordinary | fbp | tv | zero-filled | noisy
  std::string group;  ///< e.g. "C4"; "C1" for ordinary; "" for classical baselines
  long train_size = 0;
  std::string test;   ///< upright | rotated
  std::vector<double> psnr, ssim;
  std::string note;   ///< extra qualifier (e.g. "fresh-noise"); empty when none

  [[nodiscard]] double mean_psnr() const { return mean(psnr); }
  [[nodiscard]] double mean_ssim() const { return mean(ssim); }
  static double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  }
  void add(const Quality& q) {
    psnr.push_back(q.psnr);
    ssim.push_back(q.ssim);
  }
};

/// Writes results.json ({"experiment", "results": [...means...], "config": {...}}) and per_image.json.
inline void write_results(const std::filesystem::path& dir, const std::string& experiment,
                          const std::vector<ResultEntry>& entries, const cli::JsonObject& config) {
  std::string results = "[", per_image = "[";
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& e = entries[k];
    cli::JsonObject o;
    o.add("model", e.model).add("group", e.group).add("train_size", e.train_size).add("test", e.test);
    if (!e.note.empty()) o.add("note", e.note);
    cli::JsonObject p = o;
    o.add("psnr", e.mean_psnr()).add("ssim", e.mean_ssim()).add("n_images", static_cast<long>(e.psnr.size()));
    std::string ps = "[", ss = "[";
    for (std::size_t i = 0; i < e.psnr.size(); ++i) {
      ps.append(i ? ", " : "").append(cli::json_number(e.psnr[i]));
      ss.append(i ? ", " : "").append(cli::json_number(e.ssim[i]));
    }
    p.raw("psnr", ps + "]").raw("ssim", ss + "]");
    results.append(k ? ",\n  " : "\n  ").append(o.str());
    per_image.append(k ? ",\n  " : "\n  ").append(p.str());
  }
  results += "\n]";
  per_image += "\n]";
  io::save_text(dir / "results.json", cli::JsonObject{}.add("experiment", experiment).raw("results", results)
                                              .raw("config", config.str()).str() + "\n");
  io::save_text(dir / "per_image.json", cli::JsonObject{}.add("experiment", experiment).raw("results", per_image).str() + "\n");
}

/// The mean PSNR of the entry matching (model, test, train_size), or NaN if absent.
inline double mean_psnr_of(const std::vector<ResultEntry>& entries, const std::string& model, const std::string& test,
                           long train_size = -1, const std::string& note = "") {
  for (const auto& e : entries)
    if (e.model == model && e.test == test && e.note == note && (train_size < 0 || e.train_size == train_size))
      return e.mean_psnr();
  return std::nan("");
}

/// Seconds since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// What an experiment gets from the command line: the variant, and optional overrides of its settings
/// (each experiment reads the ones that apply to it and records the values it used in results.json).
struct ExperimentArgs {
  std::filesystem::path out;
  bool quick = false;
  long steps = -1;  ///< override of the training steps (-1: the variant's default)
  long seed = 0;
  std::optional<long> size;          ///< image size n (n×n)
  std::optional<long> iterations;    ///< unrolled iterations of the learned methods
  std::optional<double> lr;          ///< Adam's learning rate
  std::optional<double> lr_drop_at;  ///< fraction of the steps after which the learning rate drops tenfold
  std::optional<double> mu;          ///< CT: attenuation coefficient μ per image width
  std::optional<double> photons;     ///< CT: photons per detector cell N_in
  std::optional<double> sigma;       ///< MRI / denoising: noise standard deviation
  std::vector<long> train_sizes;     ///< training-set sizes (empty: the variant's)
  std::optional<data::PhantomKind> phantoms;  ///< phantom family of the synthetic images (train-size experiments)
  std::optional<bool> warm_start;    ///< learned methods start from the direct reconstruction (--init direct) or 0
  std::optional<std::string> group;  ///< the group of the equivariant models (train-size experiments; default C4)
  std::optional<std::string> backend;  ///< the tensor backend that trains (default cpu)
  std::optional<std::filesystem::path> data;  ///< a data directory (CLI.md) instead of phantoms (train-size experiments)
};

/// One experiment: its name, what it reproduces, and its entry point.
struct Experiment {
  const char* name;
  const char* summary;
  int (*run)(const ExperimentArgs&);
};

/// The registry of experiments (filled by namespace-scope initialisers in apps/eqr/experiment_*.cpp).
inline std::map<std::string, Experiment>& experiment_registry() {
  static std::map<std::string, Experiment> r;
  return r;
}

inline bool register_experiment(const Experiment& e) {
  experiment_registry()[e.name] = e;
  return true;
}

}  // namespace eqr::experiments
