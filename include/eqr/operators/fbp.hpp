/// @file operators/fbp.hpp
/// Filtered back-projection for the parallel-beam geometry: the classical analytic inverse of the Radon
/// transform, with the ram-lak, shepp-logan, cosine, hamming and hann filters and a frequency scaling
/// (cut-off), sinogram rows zero-padded to a fast FFT length and filtered by the backend's Fourier kernels
/// (`fourier_kernels<B>::filter_rows`, operators/kernels.hpp).
///
/// The inversion formula (Kak & Slaney, "Principles of Computerized Tomographic Imaging", §3.3) is
///   f(x) = ∫₀^π (P_θ ∗ h)(x·θ) dθ,   ĥ(ω) = |ω|,
/// discretised with the band-limited ramp kernel of detector spacing s,
///   h(0) = 1/(4s²),  h(ns) = −1/(π²n²s²) for odd n,  0 for even n ≠ 0,
///   Q_θ(u_j) = s·Σ_k h(u_j − u_k)·P_θ(u_k),   f(x) ≈ (π/A)·Σ_a Q_{θ_a}(x·θ_a).
/// The last sum is an interpolating back-projection.  Joseph's transpose Aᵀ (operators/radon.hpp) weights a
/// pixel's triangle footprint, whose samples sum to p²/s (pixel area over detector spacing), so
///   FBP(y) = (π/A)·(s/p²)·Aᵀ Q,
/// which recovers attenuation values in image units (the value of a disc to a few percent).  The factor
/// π/A assumes angles evenly covering a half-turn, as the default angle list does; the footprint sum p²/s
/// is accurate when the detector spacing does not exceed the pixel size (coarser detectors alias).
///
/// Filters (ν = frequency / Nyquist ∈ [0, 1], d = frequency scaling ∈ (0, 1], all zero for ν > d, the same
/// windows as ODL's fbp_filter_op): ram-lak 1; shepp-logan sinc(ν/(2d)); cosine cos(πν/(2d));
/// hamming 0.54 + 0.46·cos(πν/d); hann cos²(πν/(2d)); each multiplies the ramp's frequency response.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/kernels.hpp"
#include "eqr/operators/parallel_beam.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr {

/// The frequency windows of filtered back-projection.
enum class FbpFilter { ram_lak, shepp_logan, cosine, hamming, hann };

/// Parses "ram-lak", "shepp-logan", "cosine", "hamming" or "hann" (throws value_error otherwise).
inline FbpFilter parse_fbp_filter(const std::string& name) {
  if (name == "ram-lak") return FbpFilter::ram_lak;
  if (name == "shepp-logan") return FbpFilter::shepp_logan;
  if (name == "cosine") return FbpFilter::cosine;
  if (name == "hamming") return FbpFilter::hamming;
  if (name == "hann") return FbpFilter::hann;
  throw value_error(detail::concat("FBP filter: expected ram-lak, shepp-logan, cosine, hamming or hann, found '",
                                   name, "'"));
}

/// The smallest n' ≥ n of the form 2^a·3^b·5^c (a length FFTW transforms fast).
inline std::size_t fast_fft_length(std::size_t n) {
  for (std::size_t m = std::max<std::size_t>(n, 1);; ++m) {
    std::size_t r = m;
    for (const std::size_t f : {2u, 3u, 5u})
      while (r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

/// The window of `filter` at normalised frequency ν ∈ [0, 1] for frequency scaling d (0 for ν > d).
inline double fbp_window(FbpFilter filter, double nu, double d) {
  if (nu > d) return 0.0;
  const double pi = std::numbers::pi;
  switch (filter) {
    case FbpFilter::ram_lak: return 1.0;
    case FbpFilter::shepp_logan: {
      const double x = pi * nu / (2 * d);
      return x == 0.0 ? 1.0 : std::sin(x) / x;
    }
    case FbpFilter::cosine: return std::cos(pi * nu / (2 * d));
    case FbpFilter::hamming: return 0.54 + 0.46 * std::cos(pi * nu / d);
    case FbpFilter::hann: {
      const double c = std::cos(pi * nu / (2 * d));
      return c * c;
    }
  }
  return 0.0;
}

/// A tensor backend that runs filtered back-projection: ray-transform and Fourier kernels.
template <class B>
concept FbpBackend = RayTransformBackend<B> && FourierBackend<B>;

/// Filtered back-projection for one ParallelBeamGeometry on backend B: `apply` maps sinograms (N, 1, A, D)
/// to images (N, 1, H, W) in image units. The filter is planned once; calls are thread-safe.
///
/// FBP is linear, and it is a `LinearOperator` from sinograms to images, so it can start a learned method
/// (algorithms/warm_start.hpp) with an exact gradient. Its transpose is FBPᵀ x = (π/A)·(s/p²)·H (A x),
/// where H, the filter, is symmetric: the zero-padded linear convolution of a row with an even kernel
/// (padding to L ≥ 2D leaves no wrap-around).
template <FbpBackend B>
class FilteredBackProjection {
 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;

  /// Prepares FBP for `geometry` with `filter` and frequency scaling `frequency_scaling` ∈ (0, 1].
  explicit FilteredBackProjection(ParallelBeamGeometry geometry, FbpFilter filter = FbpFilter::ram_lak,
                                  double frequency_scaling = 1.0)
      : radon_(std::move(geometry)) {
    EQR_EXPECTS(std::isfinite(frequency_scaling) && frequency_scaling > 0.0 && frequency_scaling <= 1.0,
                value_error, "FBP: expected a frequency scaling in (0, 1], found ", frequency_scaling);
    const auto& g = radon_.geometry();
    std::size_t length = fast_fft_length(2 * g.detectors);
    while (length % 2 != 0) length = fast_fft_length(length + 1);  // even: the kernel's parity below
    std::vector<double> response = ramp_response(length, g.detector_spacing);
    for (std::size_t k = 0; k < response.size(); ++k) {
      const double nu = 2.0 * static_cast<double>(k) / static_cast<double>(length);
      response[k] *= fbp_window(filter, nu, frequency_scaling) / static_cast<double>(length);  // 1/L: the inverse DFT's
    }
    rows_ = fourier_kernels<B>::prepare_row_filter(length, std::move(response));
  }

  /// The FBP reconstructions of a batch of sinograms.
  [[nodiscard]] tensor_type apply(const tensor_type& sinograms) const {
    tensor_type images = radon_.adjoint(filter(sinograms));
    B::scale(images, static_cast<scalar_type>(scale()));
    return images;
  }
  /// The transpose FBPᵀ x = (π/A)·(s/p²)·H (A x) of a batch of images.
  [[nodiscard]] tensor_type adjoint(const tensor_type& images) const {
    tensor_type q = filter(radon_.apply(images));
    B::scale(q, static_cast<scalar_type>(scale()));
    return q;
  }
  /// Sinogram batch shape (N, 1, A, D).
  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return radon_.range_shape(n); }
  /// Image batch shape (N, 1, H, W).
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return radon_.domain_shape(n); }

  /// The ramp-filtered (and windowed) sinograms Q = s·(h ∗ P) row by row, zero-padded linear convolution.
  [[nodiscard]] tensor_type filter(const tensor_type& sinograms) const {
    expect_batch<B>(sinograms, [this](std::size_t n) { return radon_.range_shape(n); }, "FBP (sinograms N×1×A×D)");
    return fourier_kernels<B>::filter_rows(rows_, sinograms);
  }

  /// The projector whose transpose back-projects.
  [[nodiscard]] const Radon<B>& radon() const { return radon_; }
  /// The zero-padded FFT length (the smallest even 2^a·3^b·5^c ≥ 2D).
  [[nodiscard]] std::size_t padded_length() const { return rows_.length; }
  /// The filter's frequency response at the L/2 + 1 non-negative frequencies (times 1/L).
  [[nodiscard]] const std::vector<double>& frequency_response() const { return rows_.response; }

 private:
  /// The factor (π/A)·(s/p²) between the back-projection of the filtered sinogram and the image.
  [[nodiscard]] double scale() const {
    const auto& g = radon_.geometry();
    return std::numbers::pi / static_cast<double>(g.num_angles()) * g.detector_spacing / (g.pixel_size * g.pixel_size);
  }

  /// The exact DFT of the circularly placed kernel s·h(n s), n = −L/2 … L/2 − 1: real and even, so only
  /// the cosine sum is needed; computed in double from the closed form.
  static std::vector<double> ramp_response(std::size_t L, double s) {
    std::vector<double> kernel(L, 0.0);
    kernel[0] = 1.0 / (4.0 * s);
    for (std::size_t m = 1; m < L; ++m) {
      const long n = m <= L / 2 ? static_cast<long>(m) : static_cast<long>(m) - static_cast<long>(L);
      if (n % 2 != 0) kernel[m] = -1.0 / (std::numbers::pi * std::numbers::pi * static_cast<double>(n * n) * s);
    }
    std::vector<double> response(L / 2 + 1, 0.0);
    const double w = 2.0 * std::numbers::pi / static_cast<double>(L);
    for (std::size_t k = 0; k <= L / 2; ++k) {
      double sum = kernel[0];
      for (std::size_t m = 1; m < L; m += 2)  // odd offsets only (n odd ⇔ m odd, L even)
        sum += kernel[m] * std::cos(w * static_cast<double>((k * m) % L));
      response[k] = sum;
    }
    return response;
  }

  Radon<B> radon_;
  typename fourier_kernels<B>::row_filter rows_;
};

}  // namespace eqr
