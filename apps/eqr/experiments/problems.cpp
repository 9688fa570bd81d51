// The inverse problems of the tool and the experiments (experiments/problems.hpp), compiled once.
#include "experiments/problems.hpp"

#include <algorithm>
#include <cmath>

#include <xtensor/xmath.hpp>

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

void NoiseSetup::validate(const std::string& problem) const {
  const auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (kind == "poisson") {
    EQR_EXPECTS(problem == "ct", value_error, "--noise poisson: expected the ct problem (post-log CT data), found '",
                problem, "'");
    EQR_EXPECTS(positive(photons), value_error, "--photons: expected a positive photon count, found ", photons);
    EQR_EXPECTS(positive(mu), value_error, "--mu: expected a positive attenuation, found ", mu);
  } else if (kind == "gaussian") {
    EQR_EXPECTS(problem != "mri", value_error,
                "--noise gaussian: expected the ct or denoise problem (MRI k-space takes complex-gaussian), found 'mri'");
    EQR_EXPECTS((sigma > 0) != (relative > 0), value_error,
                "--noise gaussian: expected one of --sigma S or --relative R (positive), found ",
                sigma > 0 ? "both" : "neither");
    EQR_EXPECTS(std::isfinite(sigma) && sigma >= 0, value_error, "--sigma: expected a standard deviation >= 0, found ", sigma);
    EQR_EXPECTS(std::isfinite(relative) && relative >= 0, value_error, "--relative: expected a level >= 0, found ", relative);
  } else if (kind == "complex-gaussian") {
    EQR_EXPECTS(problem == "mri", value_error, "--noise complex-gaussian: expected the mri problem, found '", problem, "'");
    EQR_EXPECTS(positive(sigma), value_error, "--sigma: expected a positive standard deviation, found ", sigma);
  } else {
    EQR_EXPECTS(kind == "none", value_error,
                "--noise: expected poisson, gaussian, complex-gaussian or none, found '", kind, "'");
  }
}

std::string NoiseSetup::phrase() const {
  if (kind == "poisson")
    return "Poisson noise with N_in = " + io::format_fixed(photons, 0) +
           " photons, post-log data y = −log(max(n/N_in, η))/μ with μ = " + io::format_fixed(mu, 2) +
           " per unit length";
  if (kind == "gaussian")
    return relative > 0 ? "additive white Gaussian noise, σ = " + io::format_fixed(100 * relative, 2) +
                              " % of the mean |Au| of each measurement"
                        : "additive white Gaussian noise σ = " + io::format_fixed(sigma, 4);
  if (kind == "complex-gaussian")
    return "complex white Gaussian noise σ = " + io::format_fixed(sigma, 3) + " per real and imaginary part";
  return "no noise";
}

ProblemSetup ProblemSetup::defaults(const std::string& kind, std::size_t size) {
  ProblemSetup s;
  s.kind = kind;
  s.size = size;
  if (kind == "mri") s.noise = {"complex-gaussian", 1e4, ct_default_mu, 0.03, 0};
  if (kind == "denoise") s.noise = {"gaussian", 1e4, ct_default_mu, 0.1, 0};
  return s;
}

void ProblemSetup::validate() const {
  EQR_EXPECTS(kind == "denoise" || kind == "ct" || kind == "mri", value_error,
              "--problem: expected denoise, ct or mri, found '", kind, "'");
  EQR_EXPECTS(size >= 8 && size <= 1024, value_error, "--size: expected 8..1024, found ", size);
  if (kind == "ct") {
    EQR_EXPECTS(angle_count >= 1 || !angles.empty(), value_error, "--angles: expected at least one angle, found 0");
    for (const double a : angles) EQR_EXPECTS(std::isfinite(a), value_error, "--angles-file: expected finite angles, found ", a);
    EQR_EXPECTS(std::isfinite(pixel_size) && pixel_size >= 0, value_error, "--pixel-size: expected a positive length, found ",
                pixel_size);
    EQR_EXPECTS(std::isfinite(detector_spacing) && detector_spacing >= 0, value_error,
                "--detector-spacing: expected a positive length, found ", detector_spacing);
  }
  if (kind == "mri") {
    if (mask_kind == "given") {
      EQR_EXPECTS(mask.size() == size || mask.size() == size * size, value_error, "--mask: expected a column mask of ", size,
                  " values (the image width) or a ", size, "x", size, " pattern, found ", mask.size(), " values");
      EQR_EXPECTS(std::any_of(mask.begin(), mask.end(), [](double m) { return m != 0; }), value_error,
                  "--mask: expected at least one acquired point, found none");
    } else {
      EQR_EXPECTS(mask_kind == "random" || mask_kind == "equispaced" || mask_kind == "variable-density" ||
                      is_pattern_kind(mask_kind),
                  value_error, "--mask-kind: expected random, equispaced, variable-density, radial or variable-density-2d, found '",
                  mask_kind, "'");
      EQR_EXPECTS(std::isfinite(acceleration) && acceleration >= 1, value_error, "--acceleration: expected >= 1, found ",
                  acceleration);
      EQR_EXPECTS(center_fraction >= 0 && center_fraction <= 1, value_error, "--center-fraction: expected 0..1, found ",
                  center_fraction);
    }
  }
  noise.validate(kind);
}

ProblemGeometry ProblemSetup::geometry() const {
  validate();
  ProblemGeometry g;
  g.kind = kind;
  g.size = size;
  if (kind == "ct") {
    const double pixel = pixel_size > 0 ? pixel_size : 1.0 / static_cast<double>(size);
    const double spacing = detector_spacing > 0 ? detector_spacing : pixel;
    // The default covers every ray through the image: ⌈√2·n⌉ detectors for equal pixel size and spacing.
    const std::size_t count =
        detectors > 0 || spacing == pixel
            ? detectors
            : static_cast<std::size_t>(std::ceil(std::sqrt(2.0) * static_cast<double>(size) * pixel / spacing - 1e-9));
    g.beam = parallel_beam(size, size, angles.empty() ? default_angles(angle_count) : angles, count, pixel, spacing);
  } else if (kind == "mri") {
    if (mask_kind == "given") {
      g.mask = mask;
    } else if (is_pattern_kind(mask_kind)) {
      const auto m = sampling_pattern<double>(parse_pattern_kind(mask_kind), size, size, acceleration, center_fraction, mask_seed);
      g.mask.assign(m.begin(), m.end());
    } else {
      const auto m = line_mask<double>(parse_line_mask_kind(mask_kind), size, acceleration, center_fraction, mask_seed);
      g.mask.assign(m.begin(), m.end());
    }
  }
  return g;
}

namespace {

/// The noise of a setup as the problem's function of (A u, seed).
std::function<Tensor(const Tensor&, std::uint64_t)> noise_of(const NoiseSetup& n, const ProblemGeometry& g) {
  if (n.kind == "poisson") {
    CtPoissonNoise model;
    model.photons = n.photons;
    model.mu = n.mu;
    model.validate();
    return [model](const Tensor& ax, std::uint64_t s) { return ct_poisson_noise(ax, model, s); };
  }
  if (n.kind == "gaussian") {
    return [sigma = n.sigma, relative = n.relative](const Tensor& ax, std::uint64_t s) {
      double level = sigma;
      if (relative > 0) level = relative * xt::mean(xt::abs(xt::cast<double>(ax)))();
      return gaussian_noise(ax, level, s);
    };
  }
  if (n.kind == "complex-gaussian")
    return [mask = g.mask, sigma = n.sigma](const Tensor& ax, std::uint64_t s) {
      return complex_gaussian_noise(ax, sigma, s, &mask);
    };
  return [](const Tensor& ax, std::uint64_t) { return ax; };
}

/// The FBP filters and frequency scalings a CT problem's direct reconstruction is chosen from.
std::vector<std::pair<std::string, ProblemGeometry>> fbp_variants(const ProblemGeometry& geometry) {
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
  return variants;
}

/// "50 angles in [0, π)" or "30 angles from a list (0.000 … 3.037 rad)".
std::string angle_phrase(const ProblemSetup& s, const ParallelBeamGeometry& beam) {
  if (s.angles.empty()) return std::to_string(beam.angles.size()) + " angles in [0, π)";
  const auto [lo, hi] = std::minmax_element(beam.angles.begin(), beam.angles.end());
  return std::to_string(beam.angles.size()) + " angles from a list (" + io::format_fixed(*lo, 3) + " … " +
         io::format_fixed(*hi, 3) + " rad)";
}

}  // namespace

InverseProblem make_problem(const ProblemSetup& setup, const std::string& experiment, data::PhantomKind phantoms,
                            const std::string& images) {
  const ProblemGeometry geometry = setup.geometry();
  const std::size_t n = setup.size;
  const auto& noise = setup.noise;
  const std::string pictures = images.empty() ? phantom_phrase(n, phantoms) : images;
  std::vector<std::pair<std::string, double>> settings;
  if (noise.kind == "poisson") settings = {{"mu", noise.mu}, {"photons", noise.photons}};
  if (noise.kind == "gaussian") settings = {{noise.relative > 0 ? "relative_sigma" : "sigma", noise.relative > 0 ? noise.relative : noise.sigma}};
  if (noise.kind == "complex-gaussian") settings = {{"sigma", noise.sigma}};
  if (setup.kind == "ct") {
    const auto& b = geometry.beam;
    settings.push_back({"angles", static_cast<double>(b.angles.size())});
    settings.push_back({"detectors", static_cast<double>(b.detectors)});
    settings.push_back({"detector_spacing", b.detector_spacing});
    settings.push_back({"pixel_size", b.pixel_size});
    const bool unit_width = setup.pixel_size == 0;
    return {experiment,
            "CT: parallel beam, " + angle_phrase(setup, b) + ", " + std::to_string(b.detectors) + " detectors of spacing " +
                io::format_fixed(b.detector_spacing, 5) + ", pixel size " + io::format_fixed(b.pixel_size, 5) +
                (unit_width ? " (the image one unit wide)" : "") + ", " + pictures + ", " +
                noise.phrase() + ".",
            geometry, geometry.forward<FB>(), noise_of(noise, geometry), "fbp", phantoms, fbp_variants(geometry),
            std::move(settings), setup};
  }
  if (setup.kind == "mri") {
    const MaskedFourier<FB> op(n, n, geometry.mask);
    const std::string shape = op.is_line_mask() ? " Cartesian column mask" : " 2-D sampling pattern";
    const std::string mask = setup.mask_kind == "given"
                                 ? "a given" + shape
                                 : "a " + setup.mask_kind + shape + " (acceleration " +
                                       io::format_fixed(setup.acceleration, 1) + ", " +
                                       io::format_fixed(100 * setup.center_fraction, 0) + "% centre, seed " +
                                       std::to_string(setup.mask_seed) + ")";
    settings.push_back({"sampling_fraction", op.sampling_fraction()});
    return {experiment,
            "MRI: orthonormal centred 2-D DFT, " + mask + "; sampled fraction " + io::format_fixed(op.sampling_fraction(), 3) +
                ", " + noise.phrase() + ", " + pictures +
                " as complex images (two channels, imaginary part 0). Metrics on magnitudes.",
            geometry, op, noise_of(noise, geometry), "zero-filled", phantoms, {}, std::move(settings), setup};
  }
  return {experiment, "Denoising: y = u + noise, " + noise.phrase() + ".", geometry, geometry.forward<FB>(),
          noise_of(noise, geometry), "noisy", phantoms, {}, std::move(settings), setup};
}

InverseProblem ct_problem(std::size_t n, const std::string& experiment, double mu, double photons,
                          data::PhantomKind phantoms, const std::string& images) {
  ProblemSetup s = ProblemSetup::defaults("ct", n);
  s.noise.mu = mu;
  s.noise.photons = photons;
  return make_problem(s, experiment, phantoms, images);
}

InverseProblem mri_problem(std::size_t n, double sigma, const std::string& experiment, data::PhantomKind phantoms,
                           const std::string& images) {
  ProblemSetup s = ProblemSetup::defaults("mri", n);
  s.noise.sigma = sigma;
  return make_problem(s, experiment, phantoms, images);
}

InverseProblem denoise_problem(std::size_t n) { return make_problem(ProblemSetup::defaults("denoise", n), "denoise"); }

}  // namespace eqr::experiments
