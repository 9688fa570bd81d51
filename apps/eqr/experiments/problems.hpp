/// @file apps/eqr/experiments/problems.hpp
/// The inverse problems of the experiments, set up once: low-dose parallel-beam CT (Figure 7, Figure 6)
/// and masked Cartesian MRI (Figure 9), each with its noise model and its classical direct reconstruction.
#pragma once

#include <string>

#include "train_size.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/noise.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr::experiments {

/// CT: 50 angles in [0, π) on an n×n image spanning one unit of length (pixel size and detector spacing 1/n,
/// so line integrals are at most ~1.5), Poisson noise with the paper's N_in = 10⁴ photons and μ = 2.5 (post-log
/// noise of standard deviation ≈ e^{μa/2}/(μ√N_in) ≈ 0.01 on a line integral a ≈ 0.5), FBP with the Hann filter.
inline TrainSizeProblem<Radon<float>> ct_problem(std::size_t n, const std::string& experiment) {
  const auto geometry = parallel_beam(n, 50, 0, 1.0 / static_cast<double>(n), 1.0 / static_cast<double>(n));
  CtPoissonNoise noise_model;
  noise_model.photons = 1e4;
  noise_model.mu = 2.5;
  const FilteredBackProjection<float> fbp(geometry, FbpFilter::hann);
  return {experiment,
          "CT: parallel beam, 50 angles in [0, π), " + std::to_string(n) + "×" + std::to_string(n) +
              " oriented phantoms, Poisson noise with N_in = 10⁴ photons, post-log data y = −log(max(n/N_in, η))/μ "
              "with μ = 2.5 (line integrals in units of the image width). Baselines: FBP (Hann filter) and TV (PDHG).",
          Radon<float>(geometry),
          [noise_model](const Tensor& ax, std::uint64_t s) { return ct_poisson_noise(ax, noise_model, s); },
          [fbp](const Tensor& y) { return fbp(y); },
          "fbp",
          data::PhantomKind::oriented,
          n};
}

/// MRI: fastMRI's random column mask (acceleration 5, 8 % centre: ~20 % of k-space), complex white Gaussian
/// noise σ per real and imaginary part, zero-filled inverse DFT.
inline TrainSizeProblem<MaskedFourier<float>> mri_problem(std::size_t n, double sigma, const std::string& experiment) {
  const auto mask = random_line_mask<float>(n, 5.0, 0.08, 1234);
  const MaskedFourier<float> op(n, mask);
  return {experiment,
          "MRI: orthonormal centred 2-D DFT, a random Cartesian column mask (acceleration 5, 8% centre; sampled "
          "fraction " + io::format_fixed(op.sampling_fraction(), 3) + "), complex white Gaussian noise σ = " +
              io::format_fixed(sigma, 3) + " per real and imaginary part, " + std::to_string(n) + "×" +
              std::to_string(n) + " oriented phantoms as complex images (two channels, imaginary part 0). "
              "Baselines: zero-filled inverse DFT and TV (PDHG, vectorial over the two channels). Metrics on magnitudes.",
          op,
          [mask, sigma](const Tensor& ax, std::uint64_t s) { return complex_gaussian_noise(ax, sigma, s, &mask); },
          [op](const Tensor& y) { return op.adjoint(y); },
          "zero-filled",
          data::PhantomKind::oriented,
          n};
}

}  // namespace eqr::experiments
