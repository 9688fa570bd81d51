// `eqr experiment NAME --out REPORT_DIR [--quick] [--steps S] [--seed S]`: reproduces one of the paper's
// experiments end to end and writes a report directory (index.md, PNG panels, SVG plots, results.json).
#include <iostream>
#include <string>

#include "cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "experiments/common.hpp"

namespace {

int run(eqr::cli::Args& args) {
  const auto name = args.positional();
  eqr::experiments::ExperimentArgs e;
  e.out = args.required("out");
  e.quick = args.flag("quick");
  e.steps = args.integer("steps", -1);
  e.seed = args.integer("seed", 0);
  const int threads = static_cast<int>(args.integer("threads", 0));
  args.finish();
  const auto& registry = eqr::experiments::experiment_registry();
  std::string known;
  for (const auto& [n, x] : registry) known.append(known.empty() ? "" : ", ").append(n);
  if (!name) throw eqr::cli::usage_error("experiment: expected an experiment name (" + known + "), found none");
  const auto it = registry.find(*name);
  if (it == registry.end())
    throw eqr::cli::usage_error("experiment: expected one of " + known + ", found '" + *name + "'");
  if (e.steps == 0 || e.steps < -1) throw eqr::cli::usage_error("experiment: expected --steps >= 1, found " + std::to_string(e.steps));
  const eqr::cpu::ThreadLimit limit(threads);
  return it->second.run(e);
}

const bool registered = eqr::cli::register_command(
    {"experiment", "reproduce one of the paper's experiments and write a report",
     "NAME --out REPORT_DIR [--quick] [--steps S] [--seed S] [--threads N]\n\n"
     "NAME: rotation-denoise (Figure 1), train-size-ct (Figure 7), train-size-mri (Figure 9), group-order (Figure 6)\n"
     "(those compiled into this build are listed by an unknown name). Writes REPORT_DIR/index.md with tables and\n"
     "figures, PNG panels, SVG plots, results.json (means per model, group, train_size and test) and\n"
     "per_image.json. --quick runs the small variant (minutes on 2 cores); --steps overrides the training steps.",
     run});

}  // namespace
