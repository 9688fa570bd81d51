// `eqr train`: trains a learned reconstruction (learned proximal gradient or primal-dual, ordinary or
// equivariant to any group of the catalogue) on built-in synthetic data or a data directory, for the user's
// CT geometry, MRI mask and noise model, on any backend, and writes a run directory (model.cfg,
// checkpoint.eqrc, best.eqrc, log.csv, loss.svg); --resume continues exactly.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "models/model.hpp"
#include "support/cli.hpp"
#include "support/problem_args.hpp"
#include "eqr/backends/cpu/threads.hpp"

namespace {

using namespace eqr::experiments;

int run(eqr::cli::Args& args) {
  const std::filesystem::path out = args.required("out");
  const bool resume = args.flag("resume");
  const std::string backend = args.value("backend").value_or("cpu");
  const eqr::cli::ProblemArgs problem_args(args);
  RunConfig c;
  c.spec.model = args.value("model").value_or("equivariant");
  c.spec.group = args.value("group").value_or(c.spec.model == "ordinary" ? "C1" : "C4");
  c.spec.method = args.value("method").value_or("lpg");
  const long size = args.integer("size", 32);
  c.spec.iterations = static_cast<int>(args.integer("iterations", 4));
  c.spec.width = args.integer("width", 24);
  c.seed = args.integer("seed", 0);
  c.spec.seed = static_cast<std::uint64_t>(c.seed);
  const std::string init = args.value("init").value_or("zero");
  const auto train_size_arg = args.integer("train-size");
  const long steps = args.integer("steps", 2000);
  const double lr = args.real("lr", 1e-4);
  const double lr_drop_at = args.real("lr-drop-at", 1.0);
  const long batch = args.integer("batch", 1);
  const auto clip = args.real("clip");
  const long validate_every = args.integer("validate-every", 0);
  const bool keep_best_flag = args.flag("keep-best"), no_keep_best = args.flag("no-keep-best");
  const auto data = args.value("data");
  const int threads = static_cast<int>(args.integer("threads", 0));
  args.finish();
  // Everything is checked before the run directory is created: a refused run leaves nothing behind.
  if (train_size_arg && *train_size_arg < 1)
    throw eqr::cli::usage_error("--train-size: expected >= 1, found " + std::to_string(*train_size_arg));
  if (steps < 1) throw eqr::cli::usage_error("--steps: expected >= 1, found " + std::to_string(steps));
  if (!(lr_drop_at > 0 && lr_drop_at <= 1))
    throw eqr::cli::usage_error("--lr-drop-at: expected a fraction of the steps in (0, 1], found " + std::to_string(lr_drop_at));
  if (keep_best_flag && no_keep_best) throw eqr::cli::usage_error("give either --keep-best or --no-keep-best, not both");
  if (init != "zero" && init != "direct") throw eqr::cli::usage_error("--init: expected zero or direct, found '" + init + "'");
  if (size < 8 || size > 1024) throw eqr::cli::usage_error("--size: expected 8..1024, found " + std::to_string(size));
  c.warm_start = init == "direct";
  const eqr::cpu::ThreadLimit limit(threads);
  const bool resuming = resume && std::filesystem::exists(out / "model.cfg");
  if (resuming) {
    c = RunConfig::load(out / "model.cfg");
  } else {
    c.setup = problem_args.setup(data ? data_image_size(*data) : static_cast<std::size_t>(size));
    if (data) c.data = std::filesystem::absolute(*data).string();
  }
  c.validate();
  expect_available_backend(backend);
  const InverseProblem problem = problem_of(c);
  eqr::nn::PairList<FB> train, val;
  if (data) {
    train = load_pairs(*data, "train", problem, static_cast<std::uint64_t>(c.seed));
    if (train_size_arg && static_cast<long>(train.pairs.size()) > *train_size_arg)
      train.pairs.resize(static_cast<std::size_t>(*train_size_arg));
    val = load_pairs(*data, "val", problem, static_cast<std::uint64_t>(c.seed) + 1);
  } else {
    eqr::data::SyntheticSpec spec{problem.phantoms, problem.size(), eqr::data::Split::train,
                                  static_cast<std::size_t>(train_size_arg.value_or(16)), static_cast<std::uint64_t>(c.seed), false, 2};
    train = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
    spec.split = eqr::data::Split::validation;
    spec.count = 4;
    val = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
  }
  const bool keep_best = !no_keep_best && !val.pairs.empty();
  if (keep_best_flag && val.pairs.empty())
    throw eqr::value_error("--keep-best: expected validation images (" + (data ? *data + "/val_gt.npy" : std::string("none")) +
                           "), found none");
  std::cerr << problem.description << "\n"
            << (data && std::filesystem::exists(std::filesystem::path(*data) / "train_obs.npy")
                    ? "measurements: " + *data + "/train_obs.npy as given (no noise simulated)\n"
                    : std::string());
  const std::unique_ptr<Model> model = make_model(backend, c, problem);
  c.trained_on = backend;
  c.train_size = static_cast<long>(train.pairs.size());
  std::filesystem::create_directories(out);
  c.save(out / "model.cfg");  // with the operator norm and the training-set size, which evaluate reports
  const long first = std::clamp(static_cast<long>(std::lround(lr_drop_at * static_cast<double>(steps))), 1L, steps);
  const auto options = [&](long until, double rate) {
    auto o = eqr::TrainingOptions().steps(until).lr(rate).batch(static_cast<int>(batch)).seed(static_cast<std::uint64_t>(c.seed))
                 .validate_every(validate_every > 0 ? validate_every : std::max(1L, steps / 10))
                 .checkpoint_every(std::max(1L, steps / 10)).run_dir(out).keep_best(keep_best);
    if (clip) o.clip_grad_norm(*clip);
    return o;
  };
  // The learning-rate drop: Adam at lr up to the step `first`, then at lr/10, continuing the first phase's
  // checkpoint (parameters and Adam's moments), so the two phases are one run with a step decay.
  auto r = model->train(train, val, options(first, lr).resume(resume));
  if (!r.interrupted && first < steps) r = model->train(train, val, options(steps, lr / 10).resume(true));
  std::cout << (r.interrupted ? "interrupted" : "trained") << " " << c.spec.model << " "
            << (c.spec.model == "ordinary" ? std::string() : c.spec.group + " ") << (c.spec.method == "lpd" ? "LPD" : "LPG")
            << " (" << c.setup.kind << ", " << c.setup.size << "x" << c.setup.size << ") on " << backend << " to step " << r.steps
            << (keep_best && r.best_val_loss ? "; best validation at step " + std::to_string(r.best_step) + " in best.eqrc" : "")
            << "; run directory " << out.string() << "\n";
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"train", "train a learned reconstruction on built-in phantoms or a data directory",
     "--problem ct|mri|denoise --model equivariant|ordinary [--group G] [--method lpg|lpd] [--train-size N]\n"
     "  [--steps S] [--lr LR] [--lr-drop-at F] [--batch B] [--clip G] [--seed S] [--size N] [--iterations I]\n"
     "  [--width W] [--init zero|direct] [--keep-best|--no-keep-best] [--validate-every K] [--data DIR]\n"
     "  [CT: --angles A | --angles-file a.npy] [--detectors D] [--pixel-size P] [--detector-spacing S]\n"
     "  [MRI: --mask m.npy | --mask-kind random|equispaced|variable-density|radial|variable-density-2d\n"
     "   --acceleration R --center-fraction F --mask-seed S] [--noise poisson|gaussian|complex-gaussian|none]\n"
     "  [--photons N] [--mu MU] [--sigma S] [--relative R] [--backend cpu|torch-cpu|torch-cuda] [--threads N] --out RUN_DIR [--resume]\n\n"
     "Trains a learned reconstruction on oriented-ellipse phantoms with fixed seeds (or on --data DIR). --method lpg\n"
     "(default): the learned proximal gradient method (Algorithm 2; 5 memory channels; prox K_project∘(id+φ∘\n"
     "K_intermediate)∘φ∘K_lift, 3×3, replicate padding). --method lpd: learned primal-dual (Adler & Öktem; 5 primal\n"
     "and 5 dual memory groups, primal networks as the prox, dual networks of the same width over the measurements\n"
     "with zero padding). Ordinary: plain convolutions of --width channels. Equivariant: --group G, any group\n"
     "`eqr info` lists (default C4), with width/|G| regular fields (--width a multiple of |G|).\n"
     "Problem (all recorded in model.cfg: evaluate and reconstruct need no geometry flag):\n"
     "  CT: parallel beam, --angles A equispaced in [0, π) (default 50) or --angles-file (radians), --detectors D\n"
     "  (default ⌈√2·n·P/S⌉, every ray through the image), --pixel-size P (default 1/n: the image one unit wide),\n"
     "  --detector-spacing S (default P). MRI: orthonormal centred DFT with a k-space mask: --mask m.npy (n column\n"
     "  values, an (n, n) line mask, or an (n, n) 2-D sampling pattern, as `eqr mask` writes them) or generated\n"
     "  (default random lines, acceleration 5, centre 0.08, seed 1234; radial and variable-density-2d are 2-D). Noise of simulated measurements: CT --noise poisson (default; post-log, --photons N_in\n"
     "  default 10^4, --mu attenuation per unit length default 12) or gaussian; MRI --noise complex-gaussian\n"
     "  (default, --sigma 0.03 per real and imaginary part); denoise --noise gaussian (default --sigma 0.1);\n"
     "  --noise gaussian takes --sigma S or --relative R (σ = R·mean|Au| of each measurement, DIVal's convention);\n"
     "  --noise none. The problem description is printed at the start.\n"
     "Schedule: Adam at --lr (default 1e-4) for --steps, dropping tenfold after the fraction --lr-drop-at of them\n"
     "(default 1: never); --init direct starts the method from the FBP / zero-filled reconstruction (default 0,\n"
     "the paper's start). With validation images (4 phantoms, or DIR/val_gt.npy) the parameters of the lowest\n"
     "validation loss are kept in best.eqrc (--keep-best, the default; --no-keep-best turns it off), which evaluate\n"
     "and reconstruct then use. --backend: the tensor backend that trains (default cpu; `eqr info` lists the ones\n"
     "of this build and machine); a run directory evaluates and reconstructs on any backend.\n"
     "Writes RUN_DIR/model.cfg, checkpoint.eqrc, best.eqrc, log.csv and loss.svg; --resume continues from the\n"
     "checkpoint exactly (with model.cfg's problem). Ctrl-C stops cleanly.\n"
     "--data DIR: train on DIR/train_gt.npy (N, H, H) (the first --train-size images; and val_gt.npy), with\n"
     "DIR/train_obs.npy measurements if present (used as they are), else simulated with the problem's noise.",
     run});

}  // namespace
