/// @file apps/eqr/models/run_config.hpp
/// The run directory of `eqr train` and how `eqr reconstruct` / `eqr evaluate` rebuild the trained method
/// from it. `model.cfg` (one `key = value` per line) records the problem (`ProblemSetup`: the kind, the image
/// size, the CT geometry, the MRI mask and the noise model), the method's architecture (`LearnedModelSpec`: method, model,
/// group, width, iterations, memory), how it starts (`init`), the operator norm used for normalisation
/// (DESIGN.md §3) and the backend it was trained on, so no geometry flag is needed later and the run
/// evaluates on any backend; `checkpoint.eqrc` holds the parameters (and Adam's state, for --resume).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "experiments/problems.hpp"
#include "eqr/io/npy.hpp"
#include "eqr/algorithms/learned_model_spec.hpp"

namespace eqr::experiments {

/// What a run directory records about its model.
struct RunConfig {
  ProblemSetup setup;          ///< the problem: kind, size, CT geometry, MRI mask, noise of simulated data
  LearnedModelSpec spec;       ///< the architecture; its seed is the dataset seed below
  bool warm_start = false;     ///< start from the direct reconstruction (init = direct) instead of 0
  double operator_norm = 0;    ///< ‖A‖ used for normalisation (0: estimate)
  long seed = 0;               ///< dataset seed (and the networks' first seed)
  long train_size = 0;         ///< number of training images (0: not recorded)
  std::string trained_on;      ///< the backend that trained the run (informational)
  std::string data;            ///< the data directory it trained on ("" for built-in phantoms; informational)

  /// The group reported in results: the spec's for equivariant models, "C1" for ordinary ones.
  [[nodiscard]] std::string group() const { return spec.model == "ordinary" ? "C1" : spec.group; }

  /// Writes model.cfg atomically.
  void save(const std::filesystem::path& file) const;
  /// Reads model.cfg; io_error naming the file and the key for a missing or malformed entry. Keys added
  /// after the first runs (method, memory, init, mu, trained_on, the geometry, mask and noise keys) have the
  /// values those runs used.
  static RunConfig load(const std::filesystem::path& file);
  /// Throws value_error naming the first unsupported setting (with the flag's name, as the user gave it).
  void validate() const;
};

/// The parameters a run directory's model is evaluated with: `best.eqrc` (the lowest validation loss, written
/// by training with keep_best) when the run has one, else `checkpoint.eqrc` (the last step); says which on
/// stderr when it is the best.
std::filesystem::path checkpoint_of(const std::filesystem::path& run_dir);

/// The problem of the configuration's setup on `phantoms` (named as the images of its data directory when it has one).
InverseProblem problem_of(const RunConfig& c, data::PhantomKind phantoms = data::PhantomKind::oriented);

/// The side H of the square training images (N, H, H) of a data directory's train_gt.npy; io_error naming the
/// directory when the file is missing, shape_error when the images are not square.
std::size_t data_image_size(const std::filesystem::path& dir);

/// The measurements of a stack (N, H, W) as N tensors of the problem's range shape (N = 1 for one (H, W)
/// measurement): real values in channel 0, or complex values as the real and imaginary channels when the
/// range is k-space (two channels). k-space is restricted to the problem's mask, y ↦ A Aᵀ y = M² y (M y for a
/// 0/1 mask): a fully sampled scan, fastMRI's, becomes the undersampled one the model is for, and no learned
/// step sees lines the mask did not acquire. The caller has checked the shape and the dtype.
std::vector<Tensor> measurements_of(const io::NpyArray& stack, const InverseProblem& problem);

/// The pairs of a data directory split (CLI.md): `<split>_gt.npy` (N, H, W) real ground truths and, if present,
/// `<split>_obs.npy` measurements used as they are ((N, A, D) sinograms, (N, H, W) complex k-space restricted
/// to the mask as `measurements_of` says, (N, H, W) noisy images); missing measurements are simulated with the problem's operator and noise. Returns an empty
/// list when `<split>_gt.npy` does not exist. Throws shape_error naming the file for wrong shapes.
nn::PairList<FB> load_pairs(const std::filesystem::path& dir, const std::string& split, const InverseProblem& problem,
                               std::uint64_t seed);

}  // namespace eqr::experiments
