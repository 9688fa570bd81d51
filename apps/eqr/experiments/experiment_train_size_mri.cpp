// `eqr experiment train-size-mri` (the paper's Figure 9): single-coil Cartesian MRI with ~20% of the k-space
// columns and complex white Gaussian noise; ordinary vs G-equivariant (C4 by default) learned proximal gradient over
// training-set sizes, with zero-filling and TV, tested on upright and analytically rotated phantoms (smooth
// oriented phantoms by default, as in train-size-ct).
#include "experiments/train_size.hpp"

namespace {

using namespace eqr::experiments;

/// The experiment at n×n with noise σ and prox networks of `width` channels.
int run_mri(const ExperimentArgs& args, std::size_t n, const TrainSizeSchedule& defaults, double sigma, long width) {
  const TrainSizeSchedule plan = defaults.overridden_by(args);
  const std::size_t size = experiment_image_size(args, n);
  return run_train_size(args,
                        mri_problem(size, args.sigma.value_or(sigma), "train-size-mri",
                                    args.phantoms.value_or(eqr::data::PhantomKind::oriented_smooth),
                                    experiment_images(args, size)),
                        plan, width);
}

int run(const ExperimentArgs& args) {
  TrainSizeSchedule plan;
  if (args.quick) {
    plan.sizes = {1, 4, 16};
    plan.test_images = 8;
    plan.steps = 1500;
    plan.iterations = 4;
    plan.lr = 1e-3;
    plan.lr_drop_at = 0.75;
    plan.tv_lambdas = {1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
    plan.tv_iterations = 200;
    return run_mri(args, 48, plan, 0.03, 48);
  }
  plan.sizes = {1, 10, 100};
  plan.test_images = 50;
  plan.steps = 20000;
  plan.iterations = 8;
  plan.lr = 1e-4;
  plan.tv_lambdas = {1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
  plan.tv_iterations = 500;
  return run_mri(args, 128, plan, 0.03, 96);
}

const bool registered = register_experiment(
    {"train-size-mri", "Figure 9: masked Cartesian MRI with complex noise; ordinary vs equivariant LPG over training-set sizes", run});

}  // namespace
