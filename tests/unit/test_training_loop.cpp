// Tests of the training loop: it learns a toy denoising task, N steps + resume + N steps equals 2N steps bit
// for bit, keep_best returns the best validation's parameters (across a resume), a non-finite loss stops it
// with a message naming the step, Ctrl-C (SIGINT) stops it cleanly with a checkpoint, validation and the run
// directory's log and plot are written, and bad options are rejected.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/backends/cpu/training.hpp"

#include "../support/learned_helpers.hpp"

namespace {

using FB = eqr::cpu::CpuBackend<float>;

/// Toy denoising pairs: smooth random images (sums of a few separable cosines) plus seeded Gaussian noise.
eqr::nn::PairList<FB> toy_pairs(std::size_t count, std::size_t n, std::uint64_t seed) {
  eqr::Random rng(seed);
  eqr::nn::PairList<FB> list;
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<float> clean(n * n), noisy(n * n);
    const double a = rng.uniform() * 3, b = rng.uniform() * 3, p = rng.uniform() * 6;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        clean[i * n + j] = static_cast<float>(0.5 + 0.4 * std::cos(a * static_cast<double>(i) / n * 3 + p) *
                                                        std::cos(b * static_cast<double>(j) / n * 3));
        noisy[i * n + j] = static_cast<float>(clean[i * n + j] + 0.2 * rng.normal());
      }
    list.pairs.push_back({FB::from_host({1, 1, n, n}, std::span<const float>(noisy)),
                          FB::from_host({1, 1, n, n}, std::span<const float>(clean))});
  }
  return list;
}

std::vector<std::vector<float>> parameters_of(eqr::OrdinaryProx<FB>& net) {
  std::vector<std::vector<float>> out;
  net.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<FB>& p) { out.push_back(FB::to_host(p.value)); });
  return out;
}

using eqr::testing::TempDir;

/// A pair source that raises SIGINT (as Ctrl-C would) when pair `trigger_call`-th is requested.
struct InterruptingSource {
  const eqr::nn::PairList<FB>* base;
  mutable int calls = 0;
  int trigger_call;
  std::size_t size() const { return base->size(); }
  eqr::nn::TrainingPair<FB> pair(std::size_t i) const {
    if (++calls == trigger_call) std::raise(SIGINT);
    return base->pair(i);
  }
};

}  // namespace

TEST_CASE("training lowers the loss of a toy denoiser, and validation is logged") {
  const eqr::cpu::ThreadLimit threads(2);
  const auto train = toy_pairs(6, 10, 1);
  const auto val = toy_pairs(3, 10, 2);
  auto net = eqr::make_ordinary_prox<FB>(1, 1, 8, 5);
  const double before = eqr::mean_loss(net, val);
  const auto result = eqr::train(net, train, val,
                                 eqr::TrainingOptions().steps(300).lr(3e-3).validate_every(100).progress(eqr::Progress::none));
  const double after = eqr::mean_loss(net, val);
  MESSAGE("validation ½·MSE before " << before << ", after " << after);
  CHECK(after < 0.25 * before);
  REQUIRE(result.log.size() == 300);
  CHECK(result.steps == 300);
  CHECK(!result.interrupted);
  int validations = 0;
  for (const auto& e : result.log) validations += e.val_loss.has_value();
  CHECK(validations == 3);
  CHECK(*result.log.back().val_loss == doctest::Approx(after).epsilon(1e-6));
}

TEST_CASE("N steps + resume + N steps equals 2N steps bit for bit, with the log continued") {
  const eqr::cpu::ThreadLimit threads(2);
  const auto train = toy_pairs(5, 8, 3);
  const eqr::nn::PairList<FB> none;
  TempDir a("eqr_train_a"), b("eqr_train_b");
  auto opts = eqr::TrainingOptions().lr(1e-3).seed(9).progress(eqr::Progress::none).clip_grad_norm(1.0);

  auto full = eqr::make_ordinary_prox<FB>(1, 1, 6, 7);
  const auto r_full = eqr::train(full, train, none, eqr::TrainingOptions(opts).steps(40).run_dir(a.path));

  auto first = eqr::make_ordinary_prox<FB>(1, 1, 6, 7);
  (void)eqr::train(first, train, none, eqr::TrainingOptions(opts).steps(20).run_dir(b.path));
  auto resumed = eqr::make_ordinary_prox<FB>(1, 1, 6, 99);  // different init: everything must come from the checkpoint
  const auto r_resumed = eqr::train(resumed, train, none, eqr::TrainingOptions(opts).steps(40).run_dir(b.path).resume(true));

  CHECK(r_resumed.first_step == 20);
  CHECK(r_resumed.steps == 40);
  CHECK(parameters_of(full) == parameters_of(resumed));
  REQUIRE(r_resumed.log.size() == 40);
  for (std::size_t k = 0; k < 40; ++k) {
    CAPTURE(k);
    CHECK(r_resumed.log[k].step == r_full.log[k].step);
    CHECK(r_resumed.log[k].loss == doctest::Approx(r_full.log[k].loss).epsilon(1e-7));  // CSV keeps 9 digits
  }
  // The run directory holds the checkpoint, the log (header + 40 rows) and the plot, and no temporary files.
  std::ifstream log(b.path / "log.csv");
  std::string line;
  std::getline(log, line);
  CHECK(line == "step,loss,val_loss,grad_norm,seconds");
  int rows = 0;
  while (std::getline(log, line)) ++rows;
  CHECK(rows == 40);
  CHECK(std::filesystem::exists(b.path / "checkpoint.eqrc"));
  std::ifstream svg(b.path / "loss.svg");
  std::stringstream svg_text;
  svg_text << svg.rdbuf();
  CHECK(svg_text.str().find("<polyline") != std::string::npos);
  for (const auto& e : std::filesystem::directory_iterator(b.path))
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}

namespace {

/// The lowest validation loss in a log and the step it was measured after.
std::pair<double, std::int64_t> lowest_validation(const std::vector<eqr::io::TrainingLogEntry>& log) {
  std::pair<double, std::int64_t> best{std::numeric_limits<double>::infinity(), 0};
  for (const auto& e : log)
    if (e.val_loss && *e.val_loss < best.first) best = {*e.val_loss, e.step};
  return best;
}

}  // namespace

TEST_CASE("keep_best returns the parameters of the lowest validation loss, also when it was an earlier run's") {
  const eqr::cpu::ThreadLimit threads(2);
  // Two noisy training images and a large learning rate: the validation loss falls, then overfitting and the
  // step size make it rise and jump, so its minimum is not at the last step.
  const auto train = toy_pairs(2, 8, 11);
  const auto val = toy_pairs(3, 8, 12);
  TempDir dir("eqr_train_best");
  const auto opts = eqr::TrainingOptions().lr(3e-2).seed(4).validate_every(2).progress(eqr::Progress::none).keep_best(true);

  auto net = eqr::make_ordinary_prox<FB>(1, 1, 6, 7);
  const auto r = eqr::train(net, train, val, eqr::TrainingOptions(opts).steps(30).run_dir(dir.path));
  const auto [lowest, at] = lowest_validation(r.log);
  REQUIRE(at < 30);  // otherwise the last parameters are the best ones and nothing is tested
  CHECK(r.best_step == at);
  CHECK(*r.best_val_loss == lowest);
  CHECK(eqr::mean_loss(net, val) == lowest);  // the same parameters give the same validation loss, bit for bit
  auto from_file = eqr::make_ordinary_prox<FB>(1, 1, 6, 99);
  eqr::nn::load_checkpoint(dir.path / "best.eqrc", from_file);
  CHECK(parameters_of(from_file) == parameters_of(net));
  // checkpoint.eqrc holds the last parameters, whose validation loss is the log's last one.
  auto last = eqr::make_ordinary_prox<FB>(1, 1, 6, 99);
  eqr::nn::load_checkpoint(dir.path / "checkpoint.eqrc", last);
  CHECK(eqr::mean_loss(last, val) == doctest::Approx(*r.log.back().val_loss).epsilon(1e-12));
  CHECK(eqr::mean_loss(last, val) > lowest);

  // A resumed run at a learning rate too small to move the parameters away from the last ones keeps the first
  // run's best, from best.eqrc.
  auto resumed = eqr::make_ordinary_prox<FB>(1, 1, 6, 99);
  const auto r2 = eqr::train(resumed, train, val, eqr::TrainingOptions(opts).lr(1e-7).steps(40).run_dir(dir.path).resume(true));
  REQUIRE(r2.first_step == 30);
  CHECK(r2.best_step == at);
  CHECK(*r2.best_val_loss == doctest::Approx(lowest).epsilon(1e-7));  // read back from log.csv (9 digits)
  CHECK(parameters_of(resumed) == parameters_of(net));

  // Without keep_best the last parameters are returned (the best is still reported).
  auto plain = eqr::make_ordinary_prox<FB>(1, 1, 6, 7);
  const auto r3 = eqr::train(plain, train, val, eqr::TrainingOptions(opts).keep_best(false).steps(30));
  CHECK(r3.best_step == at);
  CHECK(eqr::mean_loss(plain, val) == doctest::Approx(*r3.log.back().val_loss).epsilon(1e-12));
  CHECK(parameters_of(plain) == parameters_of(last));
}

TEST_CASE("resuming with keep_best without best.eqrc is refused, naming the missing file") {
  const auto train = toy_pairs(2, 6, 13);
  const auto val = toy_pairs(1, 6, 14);
  TempDir dir("eqr_train_best_missing");
  const auto opts = eqr::TrainingOptions().validate_every(2).progress(eqr::Progress::none).run_dir(dir.path);
  auto net = eqr::make_ordinary_prox<FB>(1, 1, 4, 1);
  (void)eqr::train(net, train, val, eqr::TrainingOptions(opts).steps(4));  // keep_best off: no best.eqrc
  CHECK_THROWS_WITH_AS(eqr::train(net, train, val, eqr::TrainingOptions(opts).steps(8).resume(true).keep_best(true)),
                       doctest::Contains("best.eqrc' (the best validation of step"), eqr::io_error);
}

TEST_CASE("a non-finite loss stops training with a message naming the step and the kept checkpoint") {
  auto train = toy_pairs(1, 6, 4);
  FB::fill(train.pairs[0].target, std::numeric_limits<float>::quiet_NaN());
  const eqr::nn::PairList<FB> none;
  auto net = eqr::make_ordinary_prox<FB>(1, 1, 4, 1);
  CHECK_THROWS_WITH_AS(eqr::train(net, train, none, eqr::TrainingOptions().steps(5).progress(eqr::Progress::none)),
                       doctest::Contains("training stopped at step 1: expected a finite loss, found nan; the last "
                                         "checkpoint (step 0) is kept"),
                       eqr::value_error);
}

TEST_CASE("Ctrl-C (SIGINT) stops training cleanly after the current step and keeps a checkpoint") {
  const auto base = toy_pairs(3, 6, 5);
  const InterruptingSource source{&base, 0, 7};
  const eqr::nn::PairList<FB> none;
  TempDir dir("eqr_train_int");
  auto net = eqr::make_ordinary_prox<FB>(1, 1, 4, 2);
  const auto r = eqr::train(net, source, none,
                            eqr::TrainingOptions().steps(100).run_dir(dir.path).progress(eqr::Progress::none));
  CHECK(r.interrupted);
  CHECK(r.steps == 7);  // the step during which SIGINT arrived completes; the next one does not start
  auto reloaded = eqr::make_ordinary_prox<FB>(1, 1, 4, 3);
  eqr::nn::load_checkpoint(dir.path / "checkpoint.eqrc", reloaded);
  CHECK(parameters_of(reloaded) == parameters_of(net));
}

TEST_CASE("invalid training options are rejected with what was expected and found") {
  const auto train = toy_pairs(1, 6, 6);
  auto net = eqr::make_ordinary_prox<FB>(1, 1, 4, 1);
  const auto quiet = eqr::TrainingOptions().progress(eqr::Progress::none);
  CHECK_THROWS_WITH_AS(eqr::train(net, train, train, eqr::TrainingOptions(quiet).lr(-1)), doctest::Contains("positive learning rate, found -1"),
                       eqr::value_error);
  CHECK_THROWS_WITH_AS(eqr::train(net, train, train, eqr::TrainingOptions(quiet).batch(0)), doctest::Contains("batch size >= 1, found 0"),
                       eqr::value_error);
  CHECK_THROWS_WITH_AS(eqr::train(net, train, train, eqr::TrainingOptions(quiet).resume(true)),
                       doctest::Contains("needs a run directory"), eqr::value_error);
  const eqr::nn::PairList<FB> none;
  CHECK_THROWS_WITH_AS(eqr::train(net, none, none, quiet), doctest::Contains("at least one training pair"),
                       eqr::value_error);
}
