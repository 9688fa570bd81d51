/// @file algorithms/training.hpp
/// `train`: the supervised training loop of learned reconstructions (DESIGN.md §4: Adam, lr 1e-4, batch 1,
/// loss ½·MSE), with optional gradient-norm clipping, validation every K steps, atomic checkpoints in a run
/// directory, a resume that continues exactly, a CSV log and an SVG loss plot, a progress bar on a
/// terminal (plain lines otherwise), a clear stop on a non-finite loss, and a clean stop on Ctrl-C.
///
/// **Exact resume.** Which training pair step t uses depends only on (seed, t): item b of the batch of
/// step t is `Random(mix(seed, t, b)).below(size)`. The checkpoint holds every parameter, Adam's moments
/// and its step count, so N steps, a resume and N more steps give bit for bit the parameters of 2N steps
/// in one run (at a fixed thread count, as the backend's reductions are then deterministic).
///
/// **Best validation** (`TrainingOptions::keep_best`): model selection on the validation set, as the
/// classical baselines' parameters are chosen. The model returned holds the parameters of the validation
/// with the lowest loss (over resumed runs too); `checkpoint.eqrc` keeps the last ones, so that a resume
/// still continues exactly.
///
/// **Run directory** (`TrainingOptions::run_dir`, optional): `checkpoint.eqrc` (nn/checkpoint.hpp
/// format), `log.csv` (`step,loss,val_loss,grad_norm,seconds`; val_loss empty between validations),
/// `loss.svg` (training and validation loss, log scale), and with `keep_best` `best.eqrc` (the best
/// validation's parameters, no optimiser state). All are rewritten atomically at each checkpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/training.hpp"
#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"
#include "eqr/io/training_log.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/checkpoint.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/nn/pairs.hpp"
#include "eqr/core/random.hpp"

namespace eqr {

/// How progress is shown: a redrawn bar on a terminal, plain lines, or nothing; `automatic` picks the bar
/// when stderr is a terminal and lines otherwise.
enum class Progress { automatic, bar, lines, none };

/// Settings of `train` (chained setters; defaults are the paper's: Adam lr 1e-4, batch 1).
class TrainingOptions {
 public:
  /// Total number of optimiser steps to reach (a resumed run continues up to this count).
  TrainingOptions& steps(std::int64_t v) { steps_ = v; return *this; }
  /// Training pairs per step (gradients of the mean loss over the batch).
  TrainingOptions& batch(int v) { batch_ = v; return *this; }
  /// Adam's learning rate.
  TrainingOptions& lr(double v) { lr_ = v; return *this; }
  /// Global gradient-norm clipping (off by default).
  TrainingOptions& clip_grad_norm(double v) { clip_ = v; return *this; }
  /// Seed of the sampling order.
  TrainingOptions& seed(std::uint64_t v) { seed_ = v; return *this; }
  /// Validate every K steps (0: never).
  TrainingOptions& validate_every(std::int64_t v) { validate_every_ = v; return *this; }
  /// Write a checkpoint (and the log and plot) every K steps and at the end (0: only at the end).
  TrainingOptions& checkpoint_every(std::int64_t v) { checkpoint_every_ = v; return *this; }
  /// The run directory (empty: no files).
  TrainingOptions& run_dir(std::filesystem::path v) { run_dir_ = std::move(v); return *this; }
  /// Continue from the run directory's checkpoint if there is one.
  TrainingOptions& resume(bool v) { resume_ = v; return *this; }
  /// Progress display.
  TrainingOptions& progress(Progress v) { progress_ = v; return *this; }
  /// Return the parameters of the best validation instead of the last ones (needs a validation set and
  /// `validate_every` > 0 to select anything; otherwise the last parameters are returned).
  TrainingOptions& keep_best(bool v) { keep_best_ = v; return *this; }

  [[nodiscard]] std::int64_t steps() const { return steps_; }
  [[nodiscard]] int batch() const { return batch_; }
  [[nodiscard]] double lr() const { return lr_; }
  [[nodiscard]] std::optional<double> clip_grad_norm() const { return clip_; }
  [[nodiscard]] std::uint64_t seed() const { return seed_; }
  [[nodiscard]] std::int64_t validate_every() const { return validate_every_; }
  [[nodiscard]] std::int64_t checkpoint_every() const { return checkpoint_every_; }
  [[nodiscard]] const std::filesystem::path& run_dir() const { return run_dir_; }
  [[nodiscard]] bool resume() const { return resume_; }
  [[nodiscard]] Progress progress() const { return progress_; }
  [[nodiscard]] bool keep_best() const { return keep_best_; }

  /// Throws value_error naming the first invalid setting.
  void validate() const {
    EQR_EXPECTS(steps_ >= 0, value_error, "training: expected a step count >= 0, found ", steps_);
    EQR_EXPECTS(batch_ >= 1, value_error, "training: expected a batch size >= 1, found ", batch_);
    EQR_EXPECTS(std::isfinite(lr_) && lr_ > 0, value_error, "training: expected a positive learning rate, found ", lr_);
    EQR_EXPECTS(!clip_ || (std::isfinite(*clip_) && *clip_ > 0), value_error,
                "training: expected a positive gradient-norm clip, found ", clip_.value_or(0.0));
    EQR_EXPECTS(validate_every_ >= 0 && checkpoint_every_ >= 0, value_error,
                "training: expected validation and checkpoint intervals >= 0, found ", validate_every_, " and ",
                checkpoint_every_);
    EQR_EXPECTS(!resume_ || !run_dir_.empty(), value_error, "training: --resume needs a run directory, found none");
  }

 private:
  std::int64_t steps_ = 1000;
  int batch_ = 1;
  double lr_ = 1e-4;
  std::optional<double> clip_;
  std::uint64_t seed_ = 0;
  std::int64_t validate_every_ = 0;
  std::int64_t checkpoint_every_ = 0;
  std::filesystem::path run_dir_;
  bool resume_ = false;
  Progress progress_ = Progress::automatic;
  bool keep_best_ = false;
};

/// What `train` did.
struct TrainingResult {
  std::int64_t first_step = 0;        ///< steps already done when this call started (resume)
  std::int64_t steps = 0;             ///< optimiser steps done in total
  bool interrupted = false;           ///< stopped early by Ctrl-C (the checkpoint is written)
  std::vector<io::TrainingLogEntry> log;  ///< every step of this call (and of earlier runs, when resumed)
  std::optional<double> best_val_loss;  ///< the lowest validation loss in the log (none without validation)
  std::int64_t best_step = 0;           ///< the step it was measured after (0 without validation)
};

/// The process-wide stop request set by Ctrl-C while `train` runs (or by the caller, e.g. from a test).
inline std::atomic<bool>& training_stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace detail {

/// Installs a SIGINT handler that requests a clean stop, restoring the previous handler on destruction.
class InterruptGuard {
 public:
  InterruptGuard() { previous_ = std::signal(SIGINT, &InterruptGuard::handle); }
  ~InterruptGuard() { std::signal(SIGINT, previous_); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  static void handle(int) { training_stop_requested().store(true); }
  using Handler = void (*)(int);
  Handler previous_ = SIG_DFL;
};

/// The seed of the sampler for batch item b of step t: SplitMix64 of (seed, t, b).
inline std::uint64_t sample_seed(std::uint64_t seed, std::int64_t step, int item) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(step + 1) +
                    0xD1B54A32D192ED03ull * static_cast<std::uint64_t>(item);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace detail

/// ½·MSE = ½·mean((u − t)²) of a prediction against its target, accumulated in double.
template <TensorBackend B>
double half_mse(const typename B::tensor_type& u, const typename B::tensor_type& t) {
  const Shape4 s = B::shape(u);
  EQR_EXPECTS(s == B::shape(t), shape_error, "loss: expected prediction and target of the same shape, found ", s,
              " and ", B::shape(t));
  return 0.5 * B::squared_norm(B::subtract(u, t)) / static_cast<double>(s.numel());
}

/// The mean ½·MSE of a model's inference over every pair of a set.
template <Layer M, class S>
  requires nn::PairSource<S, typename M::backend>
double mean_loss(const M& model, const S& set) {
  using B = typename M::backend;
  double sum = 0;
  for (std::size_t i = 0; i < set.size(); ++i) {
    const nn::TrainingPair<B> p = set.pair(i);
    sum += half_mse<B>(model.forward(p.input), p.target);
  }
  return set.size() > 0 ? sum / static_cast<double>(set.size()) : 0.0;
}

/// Trains `model` with Adam on the pairs of `train_set`, validating on `val_set` (may be empty); see the
/// file comment. Throws value_error, with the step and the last checkpoint, if the loss becomes non-finite.
template <Layer M, class S, class V>
  requires nn::PairSource<S, typename M::backend> && nn::PairSource<V, typename M::backend> &&
           TrainingBackend<typename M::backend>
TrainingResult train(M& model, const S& train_set, const V& val_set, const TrainingOptions& options) {
  using B = typename M::backend;
  using T = typename B::scalar_type;
  options.validate();
  EQR_EXPECTS(train_set.size() >= 1, value_error, "training: expected at least one training pair, found none");
  nn::AdamOptions adam_options = nn::AdamOptions().lr(options.lr());
  if (options.clip_grad_norm()) adam_options.clip_grad_norm(*options.clip_grad_norm());
  nn::Adam<B> adam(adam_options);

  const std::filesystem::path dir = options.run_dir();
  const std::filesystem::path checkpoint = dir / "checkpoint.eqrc";
  const std::filesystem::path best_checkpoint = dir / "best.eqrc";
  TrainingResult result;
  if (!dir.empty()) std::filesystem::create_directories(dir);
  if (options.resume() && std::filesystem::exists(checkpoint)) {
    nn::load_checkpoint(checkpoint, model, adam);
    result.first_step = adam.steps();
    result.log = io::read_training_log_csv(dir / "log.csv", result.first_step);
    for (const auto& e : result.log)
      if (e.val_loss && (!result.best_val_loss || *e.val_loss < *result.best_val_loss)) {
        result.best_val_loss = e.val_loss;
        result.best_step = e.step;
      }
    EQR_EXPECTS(!options.keep_best() || !result.best_val_loss || std::filesystem::exists(best_checkpoint), io_error,
                "training: resuming with keep_best expected '", best_checkpoint.string(), "' (the best validation of step ",
                result.best_step, " in the log), found no such file");
  }
  // The best validation's parameters while they are not the model's (empty: none found in this call).
  std::vector<typename B::tensor_type> best;
  const auto swap_best = [&] {
    std::size_t k = 0;
    model.visit_parameters("", [&](const std::string&, nn::Parameter<B>& p) { std::swap(p.value, best[k++]); });
  };
  bool best_unsaved = false;
  const auto save = [&] {
    if (dir.empty()) return;
    nn::save_checkpoint(checkpoint, model, adam);
    io::save_text(dir / "log.csv", io::training_log_csv(result.log));
    io::save_text(dir / "loss.svg", io::training_loss_svg(result.log));
    if (best_unsaved) {
      swap_best();
      nn::save_checkpoint(best_checkpoint, model);
      swap_best();
      best_unsaved = false;
    }
  };

  Progress progress = options.progress();
  if (progress == Progress::automatic) progress = ::isatty(STDERR_FILENO) ? Progress::bar : Progress::lines;
  training_stop_requested().store(false);
  detail::InterruptGuard guard;
  const auto start = std::chrono::steady_clock::now();
  std::int64_t last_saved = result.first_step;
  const std::int64_t total = options.steps();
  const std::int64_t report_every = std::max<std::int64_t>(1, total / 20);

  for (std::int64_t step = adam.steps(); step < total; ++step) {
    if (training_stop_requested().load()) {
      result.interrupted = true;
      break;
    }
    nn::zero_grad(model);
    double loss = 0;
    for (int b = 0; b < options.batch(); ++b) {
      Random pick(detail::sample_seed(options.seed(), step, b));
      const nn::TrainingPair<B> p = train_set.pair(static_cast<std::size_t>(pick.below(train_set.size())));
      typename M::context ctx;
      const auto u = model.forward(p.input, ctx);
      const double item_loss = half_mse<B>(u, p.target);
      loss += item_loss / options.batch();
      if (!std::isfinite(item_loss)) break;
      // d(½·mean((u − t)²))/du = (u − t)/numel, averaged over the batch.
      auto du = B::subtract(u, p.target);
      B::scale(du, static_cast<T>(1.0 / (static_cast<double>(B::shape(u).numel()) * options.batch())));
      (void)model.backward(ctx, du);
    }
    EQR_EXPECTS(std::isfinite(loss), value_error, "training stopped at step ", step + 1,
                ": expected a finite loss, found ", loss, "; the last checkpoint (step ", last_saved,
                ") is kept. Lower the learning rate (now ", options.lr(), ") or enable gradient-norm clipping.");
    const double grad_norm = nn::gradient_norm(model);
    adam.step(model);
    io::TrainingLogEntry entry{step + 1, loss, std::nullopt, grad_norm,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    if (options.validate_every() > 0 && val_set.size() > 0 &&
        ((step + 1) % options.validate_every() == 0 || step + 1 == total))
      entry.val_loss = mean_loss(model, val_set);
    if (entry.val_loss && (!result.best_val_loss || *entry.val_loss < *result.best_val_loss)) {
      result.best_val_loss = entry.val_loss;
      result.best_step = entry.step;
      if (options.keep_best()) {
        best.clear();
        model.visit_parameters("", [&](const std::string&, nn::Parameter<B>& p) { best.push_back(B::clone(p.value)); });
        best_unsaved = true;
      }
    }
    result.log.push_back(entry);
    if (options.checkpoint_every() > 0 && (step + 1) % options.checkpoint_every() == 0) {
      save();
      last_saved = step + 1;
    }
    if (progress != Progress::none) {
      const double done = static_cast<double>(step + 1 - result.first_step);
      const double rate = done / std::max(1e-9, entry.seconds);
      if (progress == Progress::bar) {
        const int width = 30;
        const int filled = static_cast<int>(width * static_cast<double>(step + 1) / static_cast<double>(total));
        std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
                  << std::string(static_cast<std::size_t>(width - filled), ' ') << "] " << step + 1 << "/" << total
                  << " loss " << std::setprecision(4) << loss << " " << std::setprecision(3) << rate << " steps/s"
                  << std::flush;
        if (step + 1 == total) std::cerr << "\n";
      } else if ((step + 1) % report_every == 0 || step + 1 == total) {
        std::cerr << "step " << step + 1 << "/" << total << " loss " << std::setprecision(4) << loss;
        if (entry.val_loss) std::cerr << " val " << *entry.val_loss;
        std::cerr << " " << std::setprecision(3) << rate << " steps/s\n";
      }
    }
  }
  if (progress == Progress::bar && result.interrupted) std::cerr << "\n";
  if (result.interrupted && progress != Progress::none)
    std::cerr << "interrupted: checkpoint written at step " << adam.steps() << "\n";
  save();
  result.steps = adam.steps();
  if (options.keep_best() && result.best_val_loss) {
    if (!best.empty())
      swap_best();
    else
      nn::load_checkpoint(best_checkpoint, model);  // the best is an earlier run's
  }
  return result;
}

}  // namespace eqr
