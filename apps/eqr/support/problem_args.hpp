/// @file apps/eqr/support/problem_args.hpp
/// The problem flags of `eqr train` (CLI.md): the kind (--problem), the CT geometry (--angles A |
/// --angles-file a.npy, --detectors, --pixel-size, --detector-spacing), the MRI mask (--mask m.npy, or
/// --mask-kind/--acceleration/--center-fraction/--mask-seed) and the noise of simulated measurements
/// (--noise poisson|gaussian|complex-gaussian|none with --photons/--mu, --sigma or --relative). They are read
/// before anything is written and resolved into a `ProblemSetup` once the image size is known (it may come
/// from a data directory); a flag that does not belong to the problem or to the noise kind is refused.
#pragma once

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "experiments/problems.hpp"
#include "support/cli.hpp"
#include "support/geometry_args.hpp"
#include "support/npy_args.hpp"

namespace eqr::cli {

/// The problem flags as given (see the file comment).
class ProblemArgs {
 public:
  explicit ProblemArgs(Args& args)
      : kind_(args.value("problem").value_or("ct")),
        beam_(args),
        mask_(args.value("mask")),
        mask_kind_(args.value("mask-kind")),
        acceleration_(args.real("acceleration")),
        center_fraction_(args.real("center-fraction")),
        mask_seed_(args.integer("mask-seed")),
        noise_(args.value("noise")),
        photons_(args.real("photons")),
        mu_(args.real("mu")),
        sigma_(args.real("sigma")),
        relative_(args.real("relative")) {
    if (kind_ != "ct" && kind_ != "mri" && kind_ != "denoise")
      throw usage_error("--problem: expected ct, mri or denoise, found '" + kind_ + "'");
    only_for("ct", {{"--angles", beam_.angles.has_value()}, {"--angles-file", beam_.angles_file.has_value()},
                    {"--detectors", beam_.detectors.has_value()}, {"--pixel-size", beam_.pixel_size.has_value()},
                    {"--detector-spacing", beam_.detector_spacing.has_value()}});
    only_for("mri", {{"--mask", mask_.has_value()}, {"--mask-kind", mask_kind_.has_value()},
                     {"--acceleration", acceleration_.has_value()}, {"--center-fraction", center_fraction_.has_value()},
                     {"--mask-seed", mask_seed_.has_value()}});
    if (mask_ && (mask_kind_ || acceleration_ || center_fraction_ || mask_seed_))
      throw usage_error("--mask FILE gives the mask: expected no --mask-kind, --acceleration, --center-fraction or --mask-seed with it");
    if (mask_seed_ && *mask_seed_ < 0) throw usage_error("--mask-seed: expected >= 0, found " + std::to_string(*mask_seed_));
    const std::string noise = noise_.value_or(experiments::ProblemSetup::defaults(kind_, 32).noise.kind);
    const auto only_for_noise = [&](const std::string& kinds, const char* flag, bool given) {
      if (given && kinds.find(noise) == std::string::npos)
        throw usage_error(std::string(flag) + " belongs to --noise " + kinds + ", found --noise " + noise +
                          (noise_ ? "" : " (the default of --problem " + kind_ + ")"));
    };
    only_for_noise("poisson", "--photons", photons_.has_value());
    only_for_noise("poisson", "--mu", mu_.has_value());
    only_for_noise("gaussian or complex-gaussian", "--sigma", sigma_.has_value());
    only_for_noise("gaussian", "--relative", relative_.has_value());
    if (sigma_ && relative_) throw usage_error("give either --sigma S or --relative R, not both");
  }

  /// The problem kind (--problem).
  [[nodiscard]] const std::string& kind() const { return kind_; }

  /// The setup for n×n images: files read (angles, mask), defaults filled in, and validated (value_error
  /// naming the flag otherwise).
  [[nodiscard]] experiments::ProblemSetup setup(std::size_t n) const {
    experiments::ProblemSetup s = experiments::ProblemSetup::defaults(kind_, n);
    if (beam_.angles) s.angle_count = static_cast<std::size_t>(*beam_.angles);
    if (beam_.angles_file) s.angles = read_angles_file(*beam_.angles_file);
    if (beam_.detectors) s.detectors = static_cast<std::size_t>(*beam_.detectors);
    s.pixel_size = beam_.pixel_size.value_or(0.0);
    s.detector_spacing = beam_.detector_spacing.value_or(0.0);
    if (mask_) {
      s.mask_kind = "given";
      s.mask = read_mask(*mask_, n, n);
    }
    if (mask_kind_) s.mask_kind = *mask_kind_;
    if (acceleration_) s.acceleration = *acceleration_;
    if (center_fraction_) s.center_fraction = *center_fraction_;
    if (mask_seed_) s.mask_seed = static_cast<std::uint64_t>(*mask_seed_);
    if (noise_ && *noise_ != s.noise.kind) s.noise = {*noise_, 1e4, experiments::ct_default_mu, 0, 0};
    if (photons_) s.noise.photons = *photons_;
    if (mu_) s.noise.mu = *mu_;
    if (sigma_ || relative_) {
      s.noise.sigma = sigma_.value_or(0.0);
      s.noise.relative = relative_.value_or(0.0);
    }
    s.validate();
    return s;
  }

 private:
  /// Refuses the given flags unless the problem is `problem`.
  void only_for(const std::string& problem, std::initializer_list<std::pair<const char*, bool>> flags) const {
    for (const auto& [flag, given] : flags)
      if (given && kind_ != problem)
        throw usage_error(std::string(flag) + " belongs to --problem " + problem + ", found --problem " + kind_);
  }

  std::string kind_;
  GeometryArgs beam_;  ///< the CT flags, checked as the array commands check them
  std::optional<std::string> mask_, mask_kind_;
  std::optional<double> acceleration_, center_fraction_;
  std::optional<long> mask_seed_;
  std::optional<std::string> noise_;
  std::optional<double> photons_, mu_, sigma_, relative_;
};

}  // namespace eqr::cli
