// `eqr experiment train-size-ct` (the paper's Figure 7): CT with 50 angles and Poisson noise; ordinary vs
// G-equivariant (C4 by default, `--group`) learned proximal gradient trained on nested training sets of several
// sizes, with FBP and TV, tested on upright and analytically rotated phantoms.  The images are smooth oriented phantoms by default:
// piecewise-constant ones are exactly TV's prior, unlike the paper's chest CT slices (`--phantoms oriented`
// runs them; benchmarks/results/learned-2026-11-25-session3-smooth.md compares the two).
#include "experiments/train_size.hpp"

namespace {

using namespace eqr::experiments;

/// The experiment at n×n with prox networks of `width` channels.
int run_ct(const ExperimentArgs& args, std::size_t n, const TrainSizeSchedule& defaults, long width) {
  const TrainSizeSchedule plan = defaults.overridden_by(args);
  const std::size_t size = experiment_image_size(args, n);
  return run_train_size(args,
                        ct_problem(size, "train-size-ct", args.mu.value_or(ct_default_mu), args.photons.value_or(1e4),
                                   args.phantoms.value_or(eqr::data::PhantomKind::oriented_smooth),
                                   experiment_images(args, size)),
                        plan, width);
}

int run(const ExperimentArgs& args) {
  TrainSizeSchedule plan;
  if (args.quick) {
    plan.sizes = {1, 4, 16};
    plan.test_images = 8;
    plan.steps = 4000;
    plan.iterations = 4;
    plan.warm_start = true;  // from FBP: at this budget, from 0 the ordinary model stays below TV (results file)
    plan.lr = 1e-3;
    plan.lr_drop_at = 0.75;
    plan.tv_lambdas = {3e-5, 1e-4, 3e-4, 1e-3, 3e-3};
    plan.tv_iterations = 200;
    return run_ct(args, 64, plan, 24);
  }
  plan.sizes = {1, 10, 100};
  plan.test_images = 50;
  plan.steps = 20000;
  plan.iterations = 8;
  plan.lr = 1e-4;
  plan.tv_lambdas = {3e-5, 1e-4, 3e-4, 1e-3, 3e-3};
  plan.tv_iterations = 500;
  return run_ct(args, 128, plan, 96);
}

const bool registered = register_experiment(
    {"train-size-ct", "Figure 7: CT, 50 angles, Poisson noise; ordinary vs equivariant LPG over training-set sizes", run});

}  // namespace
