// `eqr evaluate --model RUN_DIR [--data DIR] [--test-size N] [--rotated] [--json]`: PSNR/SSIM of a trained model
// on held-out images — built-in synthetic test phantoms (rotated analytically) or the user's DIR/test_gt.npy
// (and DIR/test_obs.npy), rotated through one resampling path with an upright control (DESIGN.md §4).
#include <functional>
#include <iostream>
#include <optional>

#include "support/cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/data/datasets.hpp"
#include "models/model.hpp"
#include "experiments/resample.hpp"

namespace {

using namespace eqr::experiments;

/// The user's test set, and (with rotated) the upright control and the rotated set through the resampling
/// path, measurements re-simulated with the run's operator and noise.
void evaluate_data(const std::filesystem::path& data, const RunConfig& c, const InverseProblem& problem, std::optional<long> count,
                   bool rotated, const std::function<Tensor(const Tensor&)>& model, std::vector<ResultEntry>& entries) {
  const auto seed = static_cast<std::uint64_t>(c.seed);
  eqr::nn::PairList<FB> test = load_pairs(data, "test", problem, seed + 2);
  EQR_EXPECTS(!test.pairs.empty(), eqr::io_error, "--data '", data.string(), "': expected test_gt.npy in it, found none");
  if (count) {
    EQR_EXPECTS(*count <= static_cast<long>(test.pairs.size()), eqr::value_error, "--test-size: expected at most ",
                test.pairs.size(), " (the images in '", (data / "test_gt.npy").string(), "'), found ", *count);
    test.pairs.resize(static_cast<std::size_t>(*count));
  }
  const std::string group = c.group();
  const DirectReconstruction direct = problem.direct();
  entries.push_back(detail::evaluate(c.spec.model, group, c.train_size, "upright", test, model));
  entries.push_back(detail::evaluate(problem.direct_name, "", 0, "upright", test, direct));
  if (!rotated) return;
  auto [control, turned] = resampled_test_sets(test, problem, seed);
  for (auto* set : {&control, &turned}) {
    const std::string t = set == &turned ? "rotated" : "upright";
    auto e = detail::evaluate(c.spec.model, group, c.train_size, t, *set, model);
    auto d = detail::evaluate(problem.direct_name, "", 0, t, *set, direct);
    e.note = d.note = "resampled";
    entries.push_back(e);
    entries.push_back(d);
  }
}

int run(eqr::cli::Args& args) {
  const std::filesystem::path dir = args.required("model");
  const auto n_test = args.integer("test-size");
  const bool rotated = args.flag("rotated");
  const bool json = args.flag("json");
  const bool no_export = args.flag("no-export");
  const auto data = args.value("data");
  const std::string backend = args.value("backend").value_or("cpu");
  const int threads = static_cast<int>(args.integer("threads", 0));
  args.finish();
  if (n_test && *n_test < 1) throw eqr::cli::usage_error("--test-size: expected >= 1, found " + std::to_string(*n_test));
  const eqr::cpu::ThreadLimit limit(threads);
  RunConfig c = RunConfig::load(dir / "model.cfg");
  std::vector<ResultEntry> entries;
  const InverseProblem problem = problem_of(c);
  const std::unique_ptr<Model> model = make_model(backend, c, problem);
  model->load(checkpoint_of(dir));
  const std::function<Tensor(const Tensor&)> reconstruct = [&](const Tensor& y) {
    return no_export ? model->reconstruct_unexported(y) : model->reconstruct(y);
  };
  if (data) {
    evaluate_data(*data, c, problem, n_test, rotated, reconstruct, entries);
  } else {
    const DirectReconstruction direct = problem.direct();
    for (const bool rot : {false, true}) {
      if (rot && !rotated) continue;
      eqr::data::SyntheticSpec spec{problem.phantoms, problem.size(), eqr::data::Split::test,
                                    static_cast<std::size_t>(n_test.value_or(10)), static_cast<std::uint64_t>(c.seed), rot, 2};
      const auto test = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
      const std::string t = rot ? "rotated" : "upright";
      entries.push_back(detail::evaluate(c.spec.model, c.group(), c.train_size, t, test, reconstruct));
      entries.push_back(detail::evaluate(problem.direct_name, "", 0, t, test, direct));
    }
  }
  if (json) {
    std::string results = "[";
    for (std::size_t k = 0; k < entries.size(); ++k) {
      const auto& e = entries[k];
      eqr::cli::JsonObject o;
      o.add("model", e.model).add("group", e.group).add("train_size", e.train_size).add("test", e.test);
      if (!e.note.empty()) o.add("note", e.note);
      o.add("psnr", e.mean_psnr()).add("ssim", e.mean_ssim()).add("n_images", static_cast<long>(e.psnr.size()));
      results.append(k ? ", " : "").append(o.str());
    }
    eqr::cli::JsonObject config;
    config.add("problem", c.setup.kind).add("method", c.spec.method).add("size", static_cast<long>(c.setup.size))
        .add("setup", problem.description).add("model_dir", dir.string())
        .add("exported", !no_export).add("backend", backend).add("trained_on", c.trained_on);
    if (data) config.add("data", *data);
    std::cout << eqr::cli::JsonObject{}.add("experiment", "evaluate").raw("results", results + "]").raw("config", config.str()).str()
              << "\n";
  } else {
    for (const auto& e : entries)
      std::cout << e.model << " (" << e.test << (e.note.empty() ? "" : ", " + e.note) << "): PSNR "
                << eqr::io::format_fixed(e.mean_psnr(), 2) << " dB, SSIM " << eqr::io::format_fixed(e.mean_ssim(), 4)
                << " over " << e.psnr.size() << " images\n";
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"evaluate", "PSNR/SSIM of a trained model on held-out images, upright and rotated",
     "--model RUN_DIR [--data DIR] [--test-size N] [--rotated] [--json] [--no-export]\n"
     "  [--backend cpu|torch-cpu|torch-cuda] [--threads N]\n\n"
     "Without --data: simulates N (default 10) held-out test phantoms (fixed test seeds) with the run's problem and\n"
     "noise, reconstructs them with the trained model and the classical direct method, and prints mean PSNR/SSIM;\n"
     "--rotated adds the same phantoms rotated analytically by random angles.\n"
     "With --data DIR: tests on DIR/test_gt.npy (N, H, H) with DIR/test_obs.npy measurements if present (used as\n"
     "they are; else simulated), the first N images with --test-size. --rotated then adds two sets made through\n"
     "one resampling path (2x bilinear up-sampling, rotation, 2x2 mean), measurements re-simulated: the images\n"
     "rotated by random angles (test \"rotated\") and rotated by 0 (test \"upright\"), both with note \"resampled\",\n"
     "so they differ only in orientation (DESIGN.md §4). --json prints CLI.md's results shape. Equivariant filters\n"
     "are exported into plain convolutions once; --no-export uses the training-mode layers (same numbers).\n"
     "--backend: the tensor backend that reconstructs (default cpu), whichever trained the run.",
     run});

}  // namespace
