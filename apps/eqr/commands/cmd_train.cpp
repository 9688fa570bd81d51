// `eqr train`: trains a learned reconstruction (learned proximal gradient or primal-dual, ordinary or
// equivariant to any group of the catalogue) on built-in synthetic data or a data directory, on any backend,
// and writes a run directory (model.cfg, checkpoint.eqrc, log.csv, loss.svg); --resume continues exactly.
#include <iostream>

#include "models/model.hpp"
#include "support/cli.hpp"
#include "eqr/backends/cpu/threads.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/io/npy.hpp"

namespace {

using namespace eqr::experiments;

int run(eqr::cli::Args& args) {
  const std::filesystem::path out = args.required("out");
  const bool resume = args.flag("resume");
  const std::string backend = args.value("backend").value_or("cpu");
  RunConfig c;
  c.problem = args.value("problem").value_or("ct");
  c.spec.model = args.value("model").value_or("equivariant");
  c.spec.group = args.value("group").value_or(c.spec.model == "ordinary" ? "C1" : "C4");
  c.spec.method = args.value("method").value_or("lpg");
  c.size = args.integer("size", 32);
  c.spec.iterations = static_cast<int>(args.integer("iterations", 4));
  c.spec.width = args.integer("width", 24);
  c.seed = args.integer("seed", 0);
  c.spec.seed = static_cast<std::uint64_t>(c.seed);
  c.mu = args.real("mu", ct_default_mu);
  const std::string init = args.value("init").value_or("zero");
  const auto train_size_arg = args.integer("train-size");
  const bool args_train_size_given = train_size_arg.has_value();
  const long train_size = train_size_arg.value_or(16);
  const long steps = args.integer("steps", 2000);
  const double lr = args.real("lr", 1e-4);
  const long batch = args.integer("batch", 1);
  const auto clip = args.real("clip");
  const long validate_every = args.integer("validate-every", 0);
  const auto data = args.value("data");
  const int threads = static_cast<int>(args.integer("threads", 0));
  args.finish();
  if (train_size < 1) throw eqr::cli::usage_error("--train-size: expected >= 1, found " + std::to_string(train_size));
  if (init != "zero" && init != "direct") throw eqr::cli::usage_error("--init: expected zero or direct, found '" + init + "'");
  c.warm_start = init == "direct";
  const eqr::cpu::ThreadLimit limit(threads);
  c.validate();  // before anything is written
  expect_available_backend(backend);
  std::filesystem::create_directories(out);
  if (resume && std::filesystem::exists(out / "model.cfg")) c = RunConfig::load(out / "model.cfg");
  if (data && !resume) {  // the image size comes from the data
    const auto gt = eqr::io::read_npy(std::filesystem::path(*data) / "train_gt.npy");
    EQR_EXPECTS(gt.shape().size() == 3 && gt.shape()[1] == gt.shape()[2], eqr::shape_error, "'", *data,
                "/train_gt.npy': expected square images (N, H, H), found ", eqr::io::detail::shape_string(gt.shape()));
    c.size = static_cast<long>(gt.shape()[1]);
  }
  c.validate();
  const InverseProblem problem = problem_of(c);
  const std::unique_ptr<Model> model = make_model(backend, c, problem);
  c.trained_on = backend;
  c.save(out / "model.cfg");  // now with the operator norm
  eqr::data::SyntheticSpec spec{problem.phantoms, problem.size(), eqr::data::Split::train,
                                static_cast<std::size_t>(train_size), static_cast<std::uint64_t>(c.seed), false, 2};
  eqr::nn::PairList<FB> train, val;
  if (data) {
    train = load_pairs(*data, "train", problem, static_cast<std::uint64_t>(c.seed));
    EQR_EXPECTS(!train.pairs.empty(), eqr::io_error, "--data '", *data, "': expected train_gt.npy in it, found none");
    if (static_cast<long>(train.pairs.size()) > train_size && args_train_size_given) train.pairs.resize(static_cast<std::size_t>(train_size));
    val = load_pairs(*data, "val", problem, static_cast<std::uint64_t>(c.seed) + 1);
  } else {
    train = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
    spec.split = eqr::data::Split::validation;
    spec.count = 4;
    val = eqr::data::make_pairs<FB>(problem.op, problem.noise, spec);
  }
  c.train_size = static_cast<long>(train.pairs.size());
  c.save(out / "model.cfg");  // now with the training-set size, which evaluate reports
  auto options = eqr::TrainingOptions().steps(steps).lr(lr).batch(static_cast<int>(batch)).seed(static_cast<std::uint64_t>(c.seed))
                     .validate_every(validate_every > 0 ? validate_every : std::max(1L, steps / 10))
                     .checkpoint_every(std::max(1L, steps / 10)).run_dir(out).resume(resume);
  if (clip) options.clip_grad_norm(*clip);
  const auto r = model->train(train, val, options);
  std::cout << (r.interrupted ? "interrupted" : "trained") << " " << c.spec.model << " "
            << (c.spec.model == "ordinary" ? std::string() : c.spec.group + " ") << (c.spec.method == "lpd" ? "LPD" : "LPG")
            << " (" << c.problem << ", " << c.size << "x" << c.size << ") on " << backend << " to step " << r.steps
            << "; run directory " << out.string() << "\n";
  return 0;
}

const bool registered = eqr::cli::register_command(
    {"train", "train a learned reconstruction on built-in synthetic data",
     "--problem ct|mri|denoise --model equivariant|ordinary [--group G] [--method lpg|lpd] [--train-size N]\n"
     "  [--steps S] [--lr LR] [--batch B] [--clip G] [--seed S] [--size N] [--iterations I] [--width W] [--mu MU]\n"
     "  [--init zero|direct] [--backend cpu|torch-cpu|torch-cuda] [--validate-every K] [--data DIR] [--threads N]\n"
     "  --out RUN_DIR [--resume]\n\n"
     "Trains a learned reconstruction on oriented-ellipse phantoms with fixed seeds. --method lpg (default): the\n"
     "learned proximal gradient method (Algorithm 2; 5 memory channels; prox K_project∘(id+φ∘K_intermediate)∘φ∘K_lift,\n"
     "3×3, replicate padding). --method lpd: learned primal-dual (Adler & Öktem; 5 primal and 5 dual memory groups,\n"
     "primal networks as the prox, dual networks of the same width over the measurements with zero padding).\n"
     "CT: 50 angles, Poisson noise with 10^4 photons and attenuation --mu per image width (default 12, the\n"
     "train-size-ct experiment's; recorded in model.cfg); MRI: ~20% Cartesian lines, complex Gaussian noise 0.03;\n"
     "denoise: Gaussian noise 0.1. Ordinary: plain convolutions of --width channels. Equivariant: --group G, any\n"
     "group `eqr info` lists (default C4), with width/|G| regular fields (--width a multiple of |G|), for LPG and\n"
     "for LPD's primal networks. --init direct starts the method from the FBP / zero-filled reconstruction\n"
     "(default: 0, the paper's start). --backend: the tensor backend that trains (default cpu; `eqr info` lists\n"
     "the ones of this build and machine); a run directory evaluates and reconstructs on any backend.\n"
     "Writes RUN_DIR/model.cfg (problem, method, geometry, normalisation, network, backend), checkpoint.eqrc,\n"
     "log.csv and loss.svg; --resume continues from the checkpoint exactly. Ctrl-C stops cleanly.\n"
     "--data DIR: train on DIR/train_gt.npy (N, H, H) (and val_gt.npy), with DIR/train_obs.npy measurements if\n"
     "present (used as they are), else simulated with the problem's operator and noise.",
     run});

}  // namespace
