/// @file operators/fbp.hpp
/// Filtered back-projection for the parallel-beam geometry: the classical analytic inverse of the Radon
/// transform, with the ram-lak, shepp-logan, cosine, hamming and hann filters and a frequency scaling
/// (cut-off), sinogram rows zero-padded to a fast FFT length and filtered with FFTW.
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

#include <cmath>
#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <numbers>
#include <string>
#include <vector>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/fft.hpp"
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

/// Filtered back-projection for one ParallelBeamGeometry: `operator()` maps sinograms (N, 1, A, D) to images
/// (N, 1, H, W) in image units.  Plans and the filter are made once; calls are thread-safe and parallel
/// over sinogram rows.
///
/// FBP is linear, and it is a `LinearOperator` from sinograms to images (`apply` = `operator()`), so it can
/// start a learned method (algorithms/warm_start.hpp) with an exact gradient.  Its transpose is
/// FBPᵀ x = (π/A)·(s/p²)·H (A x), where H, the filter, is symmetric: the zero-padded linear convolution of a
/// row with an even kernel (padding to L ≥ 2D leaves no wrap-around).
template <RealScalar T>
class FilteredBackProjection {
 public:
  using value_type = T;
  using domain_type = xt::xtensor<T, 4>;  ///< sinograms
  using range_type = xt::xtensor<T, 4>;   ///< images

  /// Prepares FBP for `geometry` with `filter` and frequency scaling `frequency_scaling` ∈ (0, 1].
  explicit FilteredBackProjection(ParallelBeamGeometry geometry, FbpFilter filter = FbpFilter::ram_lak,
                                  double frequency_scaling = 1.0)
      : radon_(std::move(geometry)), filter_(filter), scaling_(frequency_scaling) {
    EQR_EXPECTS(std::isfinite(frequency_scaling) && frequency_scaling > 0.0 && frequency_scaling <= 1.0,
                value_error, "FBP: expected a frequency scaling in (0, 1], found ", frequency_scaling);
    const auto& g = radon_.geometry();
    length_ = fast_fft_length(2 * g.detectors);
    while (length_ % 2 != 0) length_ = fast_fft_length(length_ + 1);  // even: the kernel's parity below
    plans_ = std::make_shared<const Plans>(length_);
    response_ = ramp_response(length_, g.detector_spacing);
    for (std::size_t k = 0; k < response_.size(); ++k) {
      const double nu = 2.0 * static_cast<double>(k) / static_cast<double>(length_);
      response_[k] *= fbp_window(filter, nu, scaling_) / static_cast<double>(length_);  // 1/L: FFTW's c2r
    }
  }

  /// The FBP reconstructions of a batch of sinograms.
  xt::xtensor<T, 4> operator()(const xt::xtensor<T, 4>& sinograms) const {
    auto images = radon_.adjoint(filter(sinograms));
    for (auto& v : images) v = static_cast<T>(scale() * v);
    return images;
  }
  /// The FBP reconstructions of a batch of sinograms (LinearOperator spelling of `operator()`).
  xt::xtensor<T, 4> apply(const xt::xtensor<T, 4>& sinograms) const { return (*this)(sinograms); }
  /// The transpose FBPᵀ x = (π/A)·(s/p²)·H (A x) of a batch of images.
  xt::xtensor<T, 4> adjoint(const xt::xtensor<T, 4>& images) const {
    auto q = filter(radon_.apply(images));
    for (auto& v : q) v = static_cast<T>(scale() * v);
    return q;
  }
  /// Sinogram batch shape (N, 1, A, D).
  TensorShape domain_shape(std::size_t n) const { return radon_.range_shape(n); }
  /// Image batch shape (N, 1, H, W).
  TensorShape range_shape(std::size_t n) const { return radon_.domain_shape(n); }

  /// The ramp-filtered (and windowed) sinograms Q = s·(h ∗ P) row by row, zero-padded linear convolution.
  xt::xtensor<T, 4> filter(const xt::xtensor<T, 4>& sinograms) const {
    expect_shape(sinograms, radon_.range_shape(sinograms.shape()[0]), "FBP (sinograms N x 1 x A x D)");
    const std::size_t D = radon_.geometry().detectors, rows = sinograms.size() / D, L = length_;
    xt::xtensor<T, 4> q = xt::xtensor<T, 4>::from_shape(sinograms.shape());
    oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, rows), [&](const auto& range) {
      detail::FftwRealBuffer<T> line(L);
      detail::FftwBuffer<T> spectrum(L / 2 + 1);
      for (std::size_t row = range.begin(); row != range.end(); ++row) {
        const T* in = sinograms.data() + row * D;
        std::copy(in, in + D, line.get());
        std::fill(line.get() + D, line.get() + L, T(0));
        detail::Fftw<T>::execute_r2c(plans_->forward, line.get(), spectrum.get());
        for (std::size_t k = 0; k <= L / 2; ++k) {
          spectrum.get()[k][0] = static_cast<T>(spectrum.get()[k][0] * response_[k]);
          spectrum.get()[k][1] = static_cast<T>(spectrum.get()[k][1] * response_[k]);
        }
        detail::Fftw<T>::execute_c2r(plans_->backward, spectrum.get(), line.get());
        std::copy(line.get(), line.get() + D, q.data() + row * D);
      }
    });
    return q;
  }

  /// The projector whose transpose back-projects.
  const Radon<T>& radon() const { return radon_; }
  /// The zero-padded FFT length (the smallest even 2^a·3^b·5^c ≥ 2D).
  std::size_t padded_length() const { return length_; }
  /// The filter's frequency response at the L/2 + 1 non-negative frequencies (times 1/L).
  const std::vector<double>& frequency_response() const { return response_; }

 private:
  /// The factor (π/A)·(s/p²) between the back-projection of the filtered sinogram and the image.
  double scale() const {
    const auto& g = radon_.geometry();
    return std::numbers::pi / static_cast<double>(g.num_angles()) * g.detector_spacing / (g.pixel_size * g.pixel_size);
  }

  /// The r2c and c2r plans of length L (made and destroyed under FFTW's planner mutex).
  struct Plans {
    explicit Plans(std::size_t n) {
      detail::FftwRealBuffer<T> real(n);
      detail::FftwBuffer<T> cplx(n / 2 + 1);
      const std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
      forward = detail::Fftw<T>::plan_r2c(static_cast<int>(n), real.get(), cplx.get(), FFTW_ESTIMATE);
      backward = detail::Fftw<T>::plan_c2r(static_cast<int>(n), cplx.get(), real.get(), FFTW_ESTIMATE);
      EQR_EXPECTS(forward != nullptr && backward != nullptr, value_error, "FFTW: could not plan length ", n);
    }
    ~Plans() {
      const std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
      detail::Fftw<T>::destroy(forward);
      detail::Fftw<T>::destroy(backward);
    }
    Plans(const Plans&) = delete;
    Plans& operator=(const Plans&) = delete;
    typename detail::Fftw<T>::plan forward{}, backward{};
  };

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

  Radon<T> radon_;
  FbpFilter filter_;
  double scaling_;
  std::size_t length_ = 0;
  std::shared_ptr<const Plans> plans_;
  std::vector<double> response_;
};

}  // namespace eqr
