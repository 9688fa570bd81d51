/// @file operators/noise.hpp
/// Seeded noise models of the paper's experiments (§5.1): post-log Poisson noise for low-dose CT, complex
/// white Gaussian noise for MRI k-space, and white Gaussian noise for denoising.  Every function takes the
/// noiseless data and a seed and returns new noisy data; the same seed gives the same noise on every
/// platform (eqr::Random: std::mt19937_64 with written-out transforms).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/core/random.hpp"

namespace eqr {

/// The parameters of the paper's low-dose CT model (§5.1.1):
///   n ~ Pois(N_in · exp(−μ·(Au))),   y = −log(max(n/N_in, η)) / μ.
/// The defaults are the paper's: N_in = 10⁴ photons per detector cell, η = 10⁻⁸, and μ = 81.35858, the
/// base attenuation coefficient of the authors' code (mu_max, per metre; the same as LoDoPaB-CT's).  μ
/// relates the units of Au to attenuation: with μ = 81.35858 the line integrals must be in metres of
/// normalised tissue (images in [0, 1], pixel size in metres, e.g. 0.26 m / 512); for pixel-unit geometries
/// choose μ so that μ·max(Au) is a few units.  η (a floor on the transmitted fraction) keeps the logarithm
/// finite when no photon arrives: such a reading becomes −log(η)/μ.
struct CtPoissonNoise {
  /// Mean photon count per detector cell without attenuation, N_in.
  double photons = 1e4;
  /// Base attenuation coefficient μ (per unit of the line integrals).
  double mu = 81.35858;
  /// Floor η on n/N_in inside the logarithm.
  double eta = 1e-8;

  /// Throws value_error naming the parameter if one is not positive and finite.
  void validate() const {
    EQR_EXPECTS(std::isfinite(photons) && photons > 0.0, value_error,
                "CT Poisson noise: expected a positive photon count N_in, found ", photons);
    EQR_EXPECTS(std::isfinite(mu) && mu > 0.0, value_error,
                "CT Poisson noise: expected a positive attenuation coefficient mu, found ", mu);
    EQR_EXPECTS(std::isfinite(eta) && eta > 0.0 && eta < 1.0, value_error,
                "CT Poisson noise: expected eta in (0, 1), found ", eta);
  }
};

/// Simulates post-log low-dose CT data from noiseless line integrals `projections` (= A u, any shape):
/// y = −log(max(n/N_in, η))/μ with n ~ Pois(N_in·exp(−μ·(Au))), independently per entry.
template <Real T, std::size_t R>
xt::xtensor<T, R> ct_poisson_noise(const xt::xtensor<T, R>& projections, const CtPoissonNoise& model,
                                   std::uint64_t seed) {
  model.validate();
  Random rng(seed);
  xt::xtensor<T, R> y = projections;
  for (auto& v : y) {
    EQR_EXPECTS(std::isfinite(v), value_error, "CT Poisson noise: expected finite projections, found ", v);
    const double counts = rng.poisson(model.photons * std::exp(-model.mu * static_cast<double>(v)));
    v = static_cast<T>(-std::log(std::max(counts / model.photons, model.eta)) / model.mu);
  }
  return y;
}

/// Adds white Gaussian noise of standard deviation `sigma` ≥ 0 to every entry (denoising).
template <Real T, std::size_t R>
xt::xtensor<T, R> gaussian_noise(const xt::xtensor<T, R>& x, double sigma, std::uint64_t seed) {
  EQR_EXPECTS(std::isfinite(sigma) && sigma >= 0.0, value_error,
              "Gaussian noise: expected a standard deviation ≥ 0, found ", sigma);
  Random rng(seed);
  xt::xtensor<T, R> y = x;
  for (auto& v : y) v = static_cast<T>(static_cast<double>(v) + sigma * rng.normal());
  return y;
}

/// Adds complex white Gaussian noise to k-space data (N, 2, H, W): the real and the imaginary part of every
/// acquired entry each get independent N(0, σ²) noise (as the authors' simulate_kspace), so E|ε|² = 2σ².
/// With a mask — a column mask (W values) or a 2-D pattern (H·W values, as MaskedFourier takes) — entries whose
/// mask value is 0 stay exactly zero (not acquired).
template <Real T, HostArray Mask = std::vector<double>>
xt::xtensor<T, 4> complex_gaussian_noise(const xt::xtensor<T, 4>& kspace, double sigma, std::uint64_t seed,
                                         const Mask* mask = nullptr) {
  EQR_EXPECTS(kspace.shape()[1] == 2, shape_error, "complex Gaussian noise: expected k-space (N, 2, H, W), found ",
              extents_string(kspace.shape()));
  const std::size_t W = kspace.shape()[3], plane = kspace.shape()[2] * W;
  EQR_EXPECTS(mask == nullptr || mask->size() == W || mask->size() == plane, shape_error,
              "complex Gaussian noise: expected a mask of ", W, " column values or ", plane, " values, found ",
              mask ? mask->size() : 0);
  EQR_EXPECTS(std::isfinite(sigma) && sigma >= 0.0, value_error,
              "complex Gaussian noise: expected a standard deviation ≥ 0, found ", sigma);
  Random rng(seed);
  xt::xtensor<T, 4> y = kspace;
  const std::size_t period = mask != nullptr ? mask->size() : 1;  // W: the column of entry i; H·W: its plane entry
  T* p = y.data();
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double e = sigma * rng.normal();  // drawn for every entry: the stream does not depend on the mask
    const T m = mask ? static_cast<T>(mask->data()[i % period]) : T(1);
    p[i] = m == T(0) ? T(0) : static_cast<T>(static_cast<double>(p[i]) + e);
  }
  return y;
}

}  // namespace eqr
