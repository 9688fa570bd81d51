// `eqr experiment train-size-ct` (the paper's Figure 7): CT with 50 angles and Poisson noise; ordinary vs
// C4-equivariant learned proximal gradient trained on nested training sets of several sizes, with FBP and TV,
// tested on upright and analytically rotated phantoms.
#include "experiments/train_size.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/noise.hpp"
#include "eqr/operators/radon.hpp"

namespace {

using namespace eqr::experiments;

template <int Fields>
int run_ct(const ExperimentArgs& args, std::size_t n, const TrainSizeSchedule& plan) {
  // The image spans one unit of length (pixel size 1/n), so line integrals are at most ~1.5; μ = 5 then
  // attenuates the thickest rays to about e^-6 of the 10^4 incident photons: low-dose noise, finite logs.
  const auto geometry = eqr::parallel_beam(n, 50, 0, 1.0 / static_cast<double>(n), 1.0 / static_cast<double>(n));
  eqr::CtPoissonNoise noise_model;
  noise_model.photons = 1e4;
  noise_model.mu = 5.0;
  const eqr::FilteredBackProjection<float> fbp(geometry, eqr::FbpFilter::hann);
  TrainSizeProblem<eqr::Radon<float>> problem{
      "train-size-ct",
      "CT (the paper's Figure 7): parallel beam, 50 angles in [0, π), " + std::to_string(n) + "×" + std::to_string(n) +
          " oriented phantoms, Poisson noise with N_in = 10⁴ photons, post-log data y = −log(max(n/N_in, η))/μ with "
          "μ = 5 per image width. Baselines: FBP (Hann filter) and TV (PDHG).",
      eqr::Radon<float>(geometry),
      [noise_model](const Tensor& ax, std::uint64_t s) { return eqr::ct_poisson_noise(ax, noise_model, s); },
      [fbp](const Tensor& y) { return fbp(y); },
      "fbp",
      eqr::data::PhantomKind::oriented,
      n};
  return run_train_size<1, Fields>(args, problem, plan);
}

int run(const ExperimentArgs& args) {
  TrainSizeSchedule plan;
  if (args.quick) {
    plan.sizes = {1, 4, 16};
    plan.test_images = 8;
    plan.steps = args.steps > 0 ? args.steps : 2000;
    plan.iterations = 4;
    plan.lr = 1e-3;
    plan.tv_lambdas = {1e-4, 3e-4, 1e-3, 3e-3};
    plan.tv_iterations = 200;
    return run_ct<6>(args, 32, plan);
  }
  plan.sizes = {1, 10, 100};
  plan.test_images = 50;
  plan.steps = args.steps > 0 ? args.steps : 20000;
  plan.iterations = 8;
  plan.lr = 1e-4;
  plan.tv_lambdas = {3e-5, 1e-4, 3e-4, 1e-3, 3e-3};
  plan.tv_iterations = 500;
  return run_ct<24>(args, 128, plan);
}

const bool registered = register_experiment(
    {"train-size-ct", "Figure 7: CT, 50 angles, Poisson noise; ordinary vs equivariant LPG over training-set sizes", run});

}  // namespace
