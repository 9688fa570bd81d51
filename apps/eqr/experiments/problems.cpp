// The inverse problems of the tool and the experiments (experiments/problems.hpp), compiled once.
#include "experiments/problems.hpp"

namespace eqr::experiments {

template AnyLinearOperator<FB> ProblemGeometry::forward<FB>() const;
template AnyLinearOperator<FB> ProblemGeometry::direct<FB>() const;

DirectReconstruction InverseProblem::direct() const { return geometry.direct<FB>(); }

TrainSizeSchedule TrainSizeSchedule::overridden_by(const ExperimentArgs& args) const {
  TrainSizeSchedule plan = *this;
  if (!args.train_sizes.empty()) plan.sizes = args.train_sizes;
  if (args.iterations) plan.iterations = static_cast<int>(*args.iterations);
  if (args.lr) plan.lr = *args.lr;
  if (args.lr_drop_at) plan.lr_drop_at = *args.lr_drop_at;
  if (args.steps > 0) plan.steps = args.steps;
  if (args.warm_start) plan.warm_start = *args.warm_start;
  return plan;
}

std::string phantom_phrase(std::size_t n, data::PhantomKind kind) {
  return std::to_string(n) + "×" + std::to_string(n) + " " + data::name(kind) + " phantoms";
}

ParallelBeamGeometry ct_geometry(std::size_t n) {
  return parallel_beam(n, 50, 0, 1.0 / static_cast<double>(n), 1.0 / static_cast<double>(n));
}

InverseProblem ct_problem(std::size_t n, const std::string& experiment, double mu, double photons,
                          data::PhantomKind phantoms) {
  CtPoissonNoise noise_model;
  noise_model.photons = photons;
  noise_model.mu = mu;
  noise_model.validate();
  ProblemGeometry geometry;
  geometry.kind = "ct";
  geometry.size = n;
  geometry.beam = ct_geometry(n);
  const std::vector<std::tuple<FbpFilter, const char*, double>> filters{
      {FbpFilter::hann, "hann", 1.0},        {FbpFilter::ram_lak, "ram-lak", 1.0}, {FbpFilter::shepp_logan, "shepp-logan", 1.0},
      {FbpFilter::hann, "hann", 0.8},        {FbpFilter::hann, "hann", 0.6},       {FbpFilter::hann, "hann", 0.45}};
  std::vector<std::pair<std::string, ProblemGeometry>> variants;
  for (const auto& [filter, name, scaling] : filters) {
    ProblemGeometry g = geometry;
    g.filter = filter;
    g.frequency_scaling = scaling;
    variants.push_back({std::string(name) + " filter, frequency scaling " + io::format_fixed(scaling, 2), g});
  }
  return {experiment,
          "CT: parallel beam, 50 angles in [0, π), " + phantom_phrase(n, phantoms) +
              ", Poisson noise with N_in = " + io::format_fixed(photons, 0) +
              " photons, post-log data y = −log(max(n/N_in, η))/μ with μ = " + io::format_fixed(mu, 2) +
              " per image width (line integrals in units of the image width). Baselines: FBP (filter and frequency "
              "scaling chosen on the validation images) and TV (PDHG, λ chosen on the validation images).",
          geometry,
          geometry.forward<FB>(),
          [noise_model](const Tensor& ax, std::uint64_t s) { return ct_poisson_noise(ax, noise_model, s); },
          "fbp",
          phantoms,
          std::move(variants),
          {{"mu", mu}, {"photons", photons}, {"angles", 50.0}}};
}

InverseProblem mri_problem(std::size_t n, double sigma, const std::string& experiment, data::PhantomKind phantoms) {
  const auto mask = random_line_mask<double>(n, 5.0, 0.08, 1234);
  ProblemGeometry geometry;
  geometry.kind = "mri";
  geometry.size = n;
  geometry.mask.assign(mask.begin(), mask.end());
  const MaskedFourier<FB> op(n, mask);
  return {experiment,
          "MRI: orthonormal centred 2-D DFT, a random Cartesian column mask (acceleration 5, 8% centre; sampled "
          "fraction " + io::format_fixed(op.sampling_fraction(), 3) + "), complex white Gaussian noise σ = " +
              io::format_fixed(sigma, 3) + " per real and imaginary part, " + phantom_phrase(n, phantoms) +
              " as complex images (two channels, imaginary part 0). "
              "Baselines: zero-filled inverse DFT and TV (PDHG, vectorial over the two channels). Metrics on magnitudes.",
          geometry,
          op,
          [mask, sigma](const Tensor& ax, std::uint64_t s) { return complex_gaussian_noise(ax, sigma, s, &mask); },
          "zero-filled",
          phantoms,
          {},
          {{"sigma", sigma}, {"sampling_fraction", op.sampling_fraction()}}};
}

InverseProblem denoise_problem(std::size_t n) {
  ProblemGeometry geometry;
  geometry.kind = "denoise";
  geometry.size = n;
  return {"denoise", "Denoising: y = u + N(0, 0.1²).", geometry, geometry.forward<FB>(),
          [](const Tensor& u, std::uint64_t s) { return gaussian_noise(u, 0.1, s); }, "noisy", data::PhantomKind::oriented,
          {}, {{"sigma", 0.1}}};
}

}  // namespace eqr::experiments
