// `eqr experiment train-size-mri` (the paper's Figure 9): single-coil Cartesian MRI with ~20% of the k-space
// columns and complex white Gaussian noise; ordinary vs C4-equivariant learned proximal gradient over
// training-set sizes, with zero-filling and TV, tested on upright and analytically rotated phantoms.
#include "experiments/train_size.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/noise.hpp"

namespace {

using namespace eqr::experiments;

template <int Fields>
int run_mri(const ExperimentArgs& args, std::size_t n, const TrainSizeSchedule& plan, double sigma) {
  // fastMRI's random column mask: acceleration 5 with 8% fully sampled centre, i.e. ~20% of k-space.
  const auto mask = eqr::random_line_mask<float>(n, 5.0, 0.08, 1234);
  const eqr::MaskedFourier<float> op(n, mask);
  TrainSizeProblem<eqr::MaskedFourier<float>> problem{
      "train-size-mri",
      "MRI (the paper's Figure 9): orthonormal centred 2-D DFT, a random Cartesian column mask (acceleration 5, "
      "8% centre; sampled fraction " + eqr::io::format_fixed(op.sampling_fraction(), 3) + "), complex white "
      "Gaussian noise σ = " + eqr::io::format_fixed(sigma, 3) + " per real and imaginary part, " +
          std::to_string(n) + "×" + std::to_string(n) + " oriented phantoms as complex images (two channels, "
          "imaginary part 0). Baselines: zero-filled inverse DFT and TV (PDHG, vectorial over the two channels). "
          "Metrics on magnitudes.",
      op,
      [mask, sigma](const Tensor& ax, std::uint64_t s) { return eqr::complex_gaussian_noise(ax, sigma, s, &mask); },
      [op](const Tensor& y) { return op.adjoint(y); },
      "zero-filled",
      eqr::data::PhantomKind::oriented,
      n};
  return run_train_size<2, Fields>(args, problem, plan);
}

int run(const ExperimentArgs& args) {
  TrainSizeSchedule plan;
  if (args.quick) {
    plan.sizes = {1, 4, 16};
    plan.test_images = 8;
    plan.steps = args.steps > 0 ? args.steps : 1000;
    plan.iterations = 4;
    plan.lr = 1e-3;
    plan.tv_lambdas = {3e-4, 1e-3, 3e-3, 1e-2};
    plan.tv_iterations = 200;
    return run_mri<6>(args, 32, plan, 0.03);
  }
  plan.sizes = {1, 10, 100};
  plan.test_images = 50;
  plan.steps = args.steps > 0 ? args.steps : 20000;
  plan.iterations = 8;
  plan.lr = 1e-4;
  plan.tv_lambdas = {3e-4, 1e-3, 3e-3, 1e-2, 3e-2};
  plan.tv_iterations = 500;
  return run_mri<24>(args, 128, plan, 0.03);
}

const bool registered = register_experiment(
    {"train-size-mri", "Figure 9: masked Cartesian MRI with complex noise; ordinary vs equivariant LPG over training-set sizes", run});

}  // namespace
