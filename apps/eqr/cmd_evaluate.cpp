// `eqr evaluate --model RUN_DIR [--test-size N] [--rotated] [--json]`: PSNR/SSIM of a trained model on
// held-out synthetic images, upright and (with --rotated) analytically rotated by random angles.
#include <iostream>

#include "cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "experiments/model_run.hpp"

namespace {

using namespace eqr::experiments;

int run(eqr::cli::Args& args) {
  const std::filesystem::path dir = args.required("model");
  const long n_test = args.integer("test-size", 10);
  const bool rotated = args.flag("rotated");
  const bool json = args.flag("json");
  const int threads = static_cast<int>(args.integer("threads", 0));
  args.finish();
  if (n_test < 1) throw eqr::cli::usage_error("--test-size: expected >= 1, found " + std::to_string(n_test));
  const eqr::cpu::ThreadLimit limit(threads);
  RunConfig c = RunConfig::load(dir / "model.cfg");
  std::vector<ResultEntry> entries;
  with_method(c, [&](auto& lpg, const auto& problem) {
    eqr::nn::load_checkpoint(dir / "checkpoint.eqrc", lpg);
    for (const bool rot : {false, true}) {
      if (rot && !rotated) continue;
      eqr::data::SyntheticSpec spec{problem.phantoms, problem.size, eqr::data::Split::test,
                                    static_cast<std::size_t>(n_test), static_cast<std::uint64_t>(c.seed), rot, 2};
      const auto test = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
      const std::string t = rot ? "rotated" : "upright";
      entries.push_back(detail::evaluate(c.model, c.model == "ordinary" ? "C1" : c.group, c.train_size, t, test,
                                         [&](const Tensor& y) { return lpg.forward(y); }));
      entries.push_back(detail::evaluate(problem.direct_name, "", 0, t, test, problem.direct));
    }
  });
  if (json) {
    std::string results = "[";
    for (std::size_t k = 0; k < entries.size(); ++k) {
      const auto& e = entries[k];
      results.append(k ? ", " : "").append(eqr::cli::JsonObject{}.add("model", e.model).add("group", e.group)
                                               .add("train_size", e.train_size).add("test", e.test)
                                               .add("psnr", e.mean_psnr()).add("ssim", e.mean_ssim())
                                               .add("n_images", static_cast<long>(e.psnr.size())).str());
    }
    std::cout << eqr::cli::JsonObject{}.add("experiment", "evaluate").raw("results", results + "]")
                     .raw("config", eqr::cli::JsonObject{}.add("problem", c.problem).add("size", c.size)
                                        .add("model_dir", dir.string()).str()).str() << "\n";
  } else {
    for (const auto& e : entries)
      std::cout << e.model << " (" << e.test << "): PSNR " << eqr::io::format_fixed(e.mean_psnr(), 2) << " dB, SSIM "
                << eqr::io::format_fixed(e.mean_ssim(), 4) << " over " << e.psnr.size() << " images\n";
  }
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"evaluate", "PSNR/SSIM of a trained model on held-out images, upright and rotated",
     "--model RUN_DIR [--test-size N] [--rotated] [--json] [--threads N]\n\n"
     "Simulates N held-out test images (fixed test seeds) with the run's problem and noise, reconstructs them with\n"
     "the trained model and the classical direct method, and prints mean PSNR/SSIM. --rotated adds the same images\n"
     "rotated analytically by random angles. --json prints CLI.md's results shape.",
     run});

}  // namespace
