/// @file apps/eqr/experiments/problems.hpp
/// The inverse problems of the tool and the experiments, set up once: low-dose parallel-beam CT (Figures 6
/// and 7), masked Cartesian MRI (Figure 9) and denoising, each with its noise model and its classical direct
/// reconstruction; how to build its operator and direct reconstruction on any tensor backend; the schedule
/// of a training run; and the evaluation of a reconstruction function on a test set.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.hpp"
#include "eqr/algorithms/training.hpp"
#include "eqr/data/datasets.hpp"
#include "eqr/io/report.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/any_operator.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/sampling_patterns.hpp"
#include "eqr/operators/noise.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr::experiments {

/// A classical direct reconstruction y ↦ W y (FBP with one filter, or zero-filling), type-erased: linear,
/// with its transpose, so it can also start a learned method (`WarmStart`, algorithms/warm_start.hpp).
using DirectReconstruction = AnyLinearOperator<FB>;

/// What a problem's operator is, so that it can be built on any backend: CT (a parallel-beam geometry and the
/// FBP filter of its direct reconstruction), MRI (a column mask of the centred k-space), denoising.
struct ProblemGeometry {
  std::string kind = "ct";  ///< ct | mri | denoise
  std::size_t size = 32;    ///< n (n×n images)
  ParallelBeamGeometry beam;                    ///< CT
  FbpFilter filter = FbpFilter::hann;           ///< CT: the direct reconstruction's filter
  double frequency_scaling = 1.0;               ///< CT: and its frequency scaling
  std::vector<double> mask;                     ///< MRI: the column mask (n values) or 2-D pattern (n·n)

  /// The forward operator A on backend B.
  template <class B>
  [[nodiscard]] AnyLinearOperator<B> forward() const {
    if (kind == "ct") return Radon<B>(beam);
    if (kind == "mri") return MaskedFourier<B>(size, size, mask);
    return Identity<B>(size, size, 1);
  }
  /// The direct reconstruction W on backend B: FBP, the zero-filled inverse DFT (Aᵀ), or the identity.
  template <class B>
  [[nodiscard]] AnyLinearOperator<B> direct() const {
    if (kind == "ct") return FilteredBackProjection<B>(beam, filter, frequency_scaling);
    if (kind == "mri") return adjoint(MaskedFourier<B>(size, size, mask));
    return Identity<B>(size, size, 1);
  }
};

/// The CT attenuation coefficient μ per image width of the experiments' low-dose regime, matched to the
/// paper's photon statistics rather than copied from its units. The paper (and its code) uses N_in = 10⁴ and
/// μ_max = 81.36 m⁻¹ on LIDC chest slices about 0.36 m wide stored as DICOM/4096 (water 0.25, air-filled
/// lungs ≈ 0.05): its thickest rays have μ·∫u ≈ 4.5–6, i.e. keep ~25–120 photons. Our phantoms are on the
/// same intensity scale (body 0.2–0.5) but have no lungs, so their thickest line integrals are ≈ 0.35–0.6
/// image widths; μ = 29.3 (the paper's μ_max·0.36 m) would leave those rays < 1 photon. μ = 12 puts them at
/// μ·∫u ≈ 4–7 (≈ 10–180 photons), the paper's regime. (Before: μ = 2.5, ~3000 photons.)
inline constexpr double ct_default_mu = 12.0;

/// How a problem's measurements are simulated from the noiseless A u (when they are not given as data).
struct NoiseSetup {
  /// poisson (CT, post-log) | gaussian (additive, σ or a relative level) | complex-gaussian (MRI) | none.
  std::string kind = "poisson";
  double photons = 1e4;        ///< poisson: N_in, photons per detector cell
  double mu = ct_default_mu;   ///< poisson: attenuation per unit of the geometry's length (see ct_default_mu)
  double sigma = 0;            ///< gaussian / complex-gaussian: the absolute standard deviation
  double relative = 0;         ///< gaussian: σ = relative · mean |A u| of each measurement (DIVal's convention)

  /// Throws value_error naming the flag of the first unsupported setting for a `kind` ∈ ct | mri | denoise problem.
  void validate(const std::string& problem) const;
  /// One phrase for reports: "Poisson noise with N_in = 10000 photons, …".
  [[nodiscard]] std::string phrase() const;
};

/// Everything that defines one of the tool's inverse problems, as a run directory records it (model.cfg) and
/// the `eqr train` flags set it: the kind and image size, the CT geometry (angles, detectors, pixel size and
/// detector spacing), the MRI column mask (generated from a kind, acceleration, centre fraction and seed, or
/// given), and the noise model of simulated measurements. The defaults are the experiments' problems.
struct ProblemSetup {
  std::string kind = "ct";       ///< ct | mri | denoise
  std::size_t size = 32;         ///< n (n×n images)
  // CT (DESIGN.md §3: pixel units of 1/n make the image one unit of length wide)
  std::size_t angle_count = 50;  ///< equispaced angles linspace(0, π, A, endpoint=False) …
  std::vector<double> angles;    ///< … unless this list (radians, e.g. from --angles-file) is given
  std::size_t detectors = 0;     ///< 0: ⌈√2·n·pixel_size/detector_spacing⌉, every ray through the image
  double pixel_size = 0;         ///< 0: 1/n
  double detector_spacing = 0;   ///< 0: the pixel size
  // MRI
  std::string mask_kind = "random";  ///< random | equispaced | variable-density | radial | variable-density-2d | given
  double acceleration = 5.0;
  double center_fraction = 0.08;
  std::uint64_t mask_seed = 1234;
  std::vector<double> mask;      ///< the mask when mask_kind = given (n column values or an n·n pattern)
  NoiseSetup noise;              ///< the default of each kind: poisson 10⁴ photons μ = 12 | complex-gaussian 0.03 | gaussian 0.1

  /// The setup of a kind with that kind's default noise.
  static ProblemSetup defaults(const std::string& kind, std::size_t size);
  /// Throws value_error naming the flag of the first unsupported setting.
  void validate() const;
  /// The operator geometry (the CT beam with its FBP filter, the MRI mask, or the identity).
  [[nodiscard]] ProblemGeometry geometry() const;
};

/// One inverse problem of the tool and the experiments: the operator, the noise model and the classical
/// direct reconstruction (FBP or zero-filling), on the CPU backend where the data are made and the
/// baselines run, and its geometry, from which a learned method builds them on its own backend.
struct InverseProblem {
  std::string experiment;      ///< "train-size-ct", "train" …
  std::string description;     ///< one paragraph for the report, naming the phantom family (`phantom_phrase`)
  ProblemGeometry geometry;
  AnyLinearOperator<FB> op;    ///< A = geometry.forward<FB>()
  std::function<Tensor(const Tensor&, std::uint64_t)> noise;  ///< noisy data from A u and a seed
  std::string direct_name;     ///< "fbp" / "zero-filled" / "noisy"
  data::PhantomKind phantoms = data::PhantomKind::oriented;
  /// Settings of the direct reconstruction to choose from on the validation images (their geometries differ
  /// only in the filter); the first is used where no validation set chooses.
  std::vector<std::pair<std::string, ProblemGeometry>> direct_variants;
  /// Numeric settings of the problem recorded in results.json's config (e.g. mu, photons, sigma).
  std::vector<std::pair<std::string, double>> settings;
  /// What the problem was made from (`make_problem`), as a run directory records it.
  ProblemSetup setup;

  /// The image size n.
  [[nodiscard]] std::size_t size() const { return geometry.size; }
  /// The direct reconstruction of the problem's geometry on the CPU backend.
  [[nodiscard]] DirectReconstruction direct() const;
};

/// The inverse problem of a setup on `phantoms`: its operator, noise, direct reconstruction (and for CT the
/// FBP variants to choose from) and a description that names the geometry, the noise and the images — the
/// phantom family, or `images` when it is given (e.g. "128×128 images of DIR").
InverseProblem make_problem(const ProblemSetup& setup, const std::string& experiment,
                            data::PhantomKind phantoms = data::PhantomKind::oriented, const std::string& images = "");

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
  [[nodiscard]] TrainSizeSchedule overridden_by(const ExperimentArgs& args) const;
};

/// How a problem description names its images: "N×N <family> phantoms".
std::string phantom_phrase(std::size_t n, data::PhantomKind kind);

namespace detail {

/// Evaluates a reconstruction function on a test set into a result entry.
template <class F>
ResultEntry evaluate(const std::string& model, const std::string& group, long train_size, const std::string& test,
                     const nn::PairList<FB>& set, F&& reconstruct, std::vector<Tensor>* keep = nullptr) {
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

/// CT, the experiments' problem (`make_problem` of the CT defaults): 50 angles in [0, π) on an n×n image one
/// unit of length wide (pixel size and detector spacing 1/n), Poisson noise with the paper's N_in = 10⁴
/// photons, post-log data y = −log(max(n/N_in, η))/μ. μ converts our line integrals (image widths × phantom
/// intensity) into attenuation; it sets how many photons survive the thickest rays and so the noise level
/// (DESIGN.md §4; see ct_default_mu). FBP's filter and frequency scaling are chosen on the validation images
/// among `direct_variants` (a tuned baseline, as TV's λ is); Hann at full bandwidth where nothing chooses.
InverseProblem ct_problem(std::size_t n, const std::string& experiment, double mu = ct_default_mu,
                          double photons = 1e4, data::PhantomKind phantoms = data::PhantomKind::oriented,
                          const std::string& images = "");

/// MRI: fastMRI's random column mask (acceleration 5, 8 % centre: ~20 % of k-space), complex white Gaussian
/// noise σ per real and imaginary part, zero-filled inverse DFT.
InverseProblem mri_problem(std::size_t n, double sigma, const std::string& experiment,
                           data::PhantomKind phantoms = data::PhantomKind::oriented, const std::string& images = "");

/// Denoising: identity operator, Gaussian noise σ = 0.1, the noisy image as direct reconstruction.
InverseProblem denoise_problem(std::size_t n);

// Instantiated once, in problems.cpp: the CPU operators of every problem.
extern template AnyLinearOperator<FB> ProblemGeometry::forward<FB>() const;
extern template AnyLinearOperator<FB> ProblemGeometry::direct<FB>() const;

}  // namespace eqr::experiments
