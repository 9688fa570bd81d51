/// @file apps/eqr/experiments/problems.hpp
/// The inverse problems of the experiments, set up once: low-dose parallel-beam CT (Figures 6 and 7) and
/// masked Cartesian MRI (Figure 9), each with its noise model and its classical direct reconstruction; the
/// schedule of a training run; and the evaluation of a reconstruction function on a test set.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/io/report.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/noise.hpp"
#include "eqr/operators/any_operator.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr::experiments {

/// A classical direct reconstruction y ↦ W y (FBP with one filter, or zero-filling), type-erased: linear,
/// with its transpose, so it can also start a learned method (`WarmStart`, algorithms/warm_start.hpp).
using DirectReconstruction = AnyLinearOperator<FB>;

/// One inverse problem of a train-size experiment: the operator, the noise model and the classical
/// direct reconstruction (FBP or zero-filling).
template <class Op>
struct TrainSizeProblem {
  std::string experiment;      ///< "train-size-ct" / "train-size-mri"
  std::string description;     ///< one paragraph for the report, naming the phantom family (`phantom_phrase`)
  Op op;
  std::function<Tensor(const Tensor&, std::uint64_t)> noise;  ///< noisy data from A u and a seed
  DirectReconstruction direct;                                 ///< FBP / zero-filled reconstruction
  std::string direct_name;     ///< "fbp" / "zero-filled"
  data::PhantomKind phantoms = data::PhantomKind::oriented;
  std::size_t size = 32;
  /// Settings of the direct reconstruction to choose from on the validation images (empty: `direct` as it is).
  std::vector<std::pair<std::string, DirectReconstruction>> direct_variants;
  /// Numeric settings of the problem recorded in results.json's config (e.g. mu, photons, sigma).
  std::vector<std::pair<std::string, double>> settings;
};

/// The schedule of a train-size run.
struct TrainSizeSchedule {
  std::vector<long> sizes;       ///< training-set sizes (nested)
  long test_images = 10;
  long validation_images = 3;
  long steps = 500;              ///< Adam steps per model
  double lr = 1e-3;
  double lr_drop_at = 1.0;       ///< fraction of the steps after which the learning rate drops tenfold (1: never)
  int iterations = 4;            ///< unrolled iterations
  bool warm_start = false;       ///< start the learned methods from the direct reconstruction (u₀ = W y), not 0
  std::vector<double> tv_lambdas;  ///< TV λ candidates (chosen on the validation set)
  int tv_iterations = 200;

  /// This schedule with the command line's overrides (training sizes, iterations, learning rate and its
  /// drop, steps) applied.
  [[nodiscard]] TrainSizeSchedule overridden_by(const ExperimentArgs& args) const {
    TrainSizeSchedule plan = *this;
    if (!args.train_sizes.empty()) plan.sizes = args.train_sizes;
    if (args.iterations) plan.iterations = static_cast<int>(*args.iterations);
    if (args.lr) plan.lr = *args.lr;
    if (args.lr_drop_at) plan.lr_drop_at = *args.lr_drop_at;
    if (args.steps > 0) plan.steps = args.steps;
    if (args.warm_start) plan.warm_start = *args.warm_start;
    return plan;
  }
};

/// How a problem description names its images: "N×N <family> phantoms".
inline std::string phantom_phrase(std::size_t n, data::PhantomKind kind) {
  return std::to_string(n) + "×" + std::to_string(n) + " " + data::name(kind) + " phantoms";
}

namespace detail {

/// Evaluates a reconstruction function on a test set into a result entry.
template <class F>
ResultEntry evaluate(const std::string& model, const std::string& group, long train_size, const std::string& test,
                     const PairList<FB>& set, F&& reconstruct, std::vector<Tensor>* keep = nullptr) {
  ResultEntry e{model, group, train_size, test, {}, {}, ""};
  for (const auto& p : set.pairs) {
    Tensor r;
    if constexpr (LinearOperator<std::remove_cvref_t<F>>)
      r = reconstruct.apply(p.input);
    else
      r = reconstruct(p.input);
    e.add(quality(p.target, r));
    if (keep != nullptr && keep->size() < 1) keep->push_back(r);
  }
  return e;
}

}  // namespace detail

/// The CT attenuation coefficient μ per image width of the experiments' low-dose regime, matched to the
/// paper's photon statistics rather than copied from its units. The paper (and its code) uses N_in = 10⁴ and
/// μ_max = 81.36 m⁻¹ on LIDC chest slices about 0.36 m wide stored as DICOM/4096 (water 0.25, air-filled
/// lungs ≈ 0.05): its thickest rays have μ·∫u ≈ 4.5–6, i.e. keep ~25–120 photons. Our phantoms are on the
/// same intensity scale (body 0.2–0.5) but have no lungs, so their thickest line integrals are ≈ 0.35–0.6
/// image widths; μ = 29.3 (the paper's μ_max·0.36 m) would leave those rays < 1 photon. μ = 12 puts them at
/// μ·∫u ≈ 4–7 (≈ 10–180 photons), the paper's regime. (Before: μ = 2.5, ~3000 photons.)
inline constexpr double ct_default_mu = 12.0;

/// CT: 50 angles in [0, π) on an n×n image spanning one unit of length (pixel size and detector spacing 1/n),
/// Poisson noise with the paper's N_in = 10⁴ photons, post-log data y = −log(max(n/N_in, η))/μ. μ converts our
/// line integrals (image widths × phantom intensity) into attenuation; it sets how many photons survive the
/// thickest rays and so the noise level (DESIGN.md §4; see ct_default_mu). FBP's filter and frequency scaling
/// are chosen on the validation images among `direct_variants` (a tuned baseline, as TV's λ is).
inline TrainSizeProblem<Radon<FB>> ct_problem(std::size_t n, const std::string& experiment, double mu = ct_default_mu,
                                                 double photons = 1e4,
                                                 data::PhantomKind phantoms = data::PhantomKind::oriented) {
  const auto geometry = parallel_beam(n, 50, 0, 1.0 / static_cast<double>(n), 1.0 / static_cast<double>(n));
  CtPoissonNoise noise_model;
  noise_model.photons = photons;
  noise_model.mu = mu;
  noise_model.validate();
  const std::vector<std::tuple<FbpFilter, const char*, double>> filters{
      {FbpFilter::ram_lak, "ram-lak", 1.0},  {FbpFilter::shepp_logan, "shepp-logan", 1.0}, {FbpFilter::hann, "hann", 1.0},
      {FbpFilter::hann, "hann", 0.8},        {FbpFilter::hann, "hann", 0.6},              {FbpFilter::hann, "hann", 0.45}};
  std::vector<std::pair<std::string, DirectReconstruction>> variants;
  for (const auto& [filter, name, scaling] : filters) {
    variants.push_back({std::string(name) + " filter, frequency scaling " + io::format_fixed(scaling, 2),
                        DirectReconstruction(FilteredBackProjection<FB>(geometry, filter, scaling))});
  }
  const DirectReconstruction hann = variants[2].second;  // Hann at full bandwidth where no validation set chooses
  TrainSizeProblem<Radon<FB>> p{
      experiment,
      "CT: parallel beam, 50 angles in [0, π), " + phantom_phrase(n, phantoms) +
          ", Poisson noise with N_in = " + io::format_fixed(photons, 0) +
          " photons, post-log data y = −log(max(n/N_in, η))/μ with μ = " + io::format_fixed(mu, 2) +
          " per image width (line integrals in units of the image width). Baselines: FBP (filter and frequency "
          "scaling chosen on the validation images) and TV (PDHG, λ chosen on the validation images).",
      Radon<FB>(geometry),
      [noise_model](const Tensor& ax, std::uint64_t s) { return ct_poisson_noise(ax, noise_model, s); },
      hann,
      "fbp",
      phantoms,
      n,
      std::move(variants),
      {}};
  p.settings = {{"mu", mu}, {"photons", photons}, {"angles", 50.0}};
  return p;
}

/// MRI: fastMRI's random column mask (acceleration 5, 8 % centre: ~20 % of k-space), complex white Gaussian
/// noise σ per real and imaginary part, zero-filled inverse DFT.
inline TrainSizeProblem<MaskedFourier<FB>> mri_problem(std::size_t n, double sigma, const std::string& experiment,
                                                          data::PhantomKind phantoms = data::PhantomKind::oriented) {
  const auto mask = random_line_mask<float>(n, 5.0, 0.08, 1234);
  const MaskedFourier<FB> op(n, mask);
  return {experiment,
          "MRI: orthonormal centred 2-D DFT, a random Cartesian column mask (acceleration 5, 8% centre; sampled "
          "fraction " + io::format_fixed(op.sampling_fraction(), 3) + "), complex white Gaussian noise σ = " +
              io::format_fixed(sigma, 3) + " per real and imaginary part, " + phantom_phrase(n, phantoms) +
              " as complex images (two channels, imaginary part 0). "
              "Baselines: zero-filled inverse DFT and TV (PDHG, vectorial over the two channels). Metrics on magnitudes.",
          op,
          [mask, sigma](const Tensor& ax, std::uint64_t s) { return complex_gaussian_noise(ax, sigma, s, &mask); },
          DirectReconstruction(adjoint(op)),
          "zero-filled",
          phantoms,
          n,
          {},
          {{"sigma", sigma}, {"sampling_fraction", op.sampling_fraction()}}};
}

}  // namespace eqr::experiments
