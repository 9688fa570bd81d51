/// @file operators/masked_fourier.hpp
/// The single-coil MRI forward operator: the orthonormal centred 2-D DFT followed by a Cartesian line mask
/// over k-space columns (phase-encode lines), A = diag(m)·F, on complex images stored as two real channels.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <utility>

#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/fft.hpp"

namespace eqr {

/// Single-coil Cartesian MRI, A u = M F u: F the centred orthonormal DFT (operators/fft.hpp), M the
/// multiplication of k-space column j by the mask value m_j (1 = phase-encode line acquired, 0 = skipped;
/// other finite weights are allowed).  Domain and range are (N, 2, H, W), channel 0 real and 1 imaginary;
/// the range is the masked k-space, zero off the mask.  The adjoint is Aᵀ y = Fᴴ M y (exact, F unitary):
/// for the real two-channel inner product ⟨Ax, y⟩ = Re⟨Fx, My⟩_ℂ = Re⟨x, FᴴMy⟩_ℂ = ⟨x, Aᵀy⟩.
/// The FFTW plans are shared (process-wide) and copies of the operator share the mask.
template <RealScalar T>
class MaskedFourier {
 public:
  using value_type = T;
  using domain_type = xt::xtensor<T, 4>;
  using range_type = xt::xtensor<T, 4>;

  /// The operator for H×W images with the column mask `column_mask` (W finite values, centred k-space:
  /// column W/2 is the zero frequency for even W, (W−1)/2 for odd W).
  MaskedFourier(std::size_t height, xt::xtensor<T, 1> column_mask)
      : h_(height), mask_(std::make_shared<const xt::xtensor<T, 1>>(std::move(column_mask))) {
    EQR_EXPECTS(height >= 1 && mask_->size() >= 1, shape_error,
                "MaskedFourier: expected an image height ≥ 1 and a mask of ≥ 1 columns, found height ", height,
                " and ", mask_->size(), " columns");
    for (const T v : *mask_)
      EQR_EXPECTS(std::isfinite(v), value_error, "MaskedFourier: expected finite mask values, found ", v);
    plan_ = detail::fft_plan_2d<T>(h_, mask_->size());
  }

  TensorShape domain_shape(std::size_t n) const { return {n, 2, h_, mask_->size()}; }
  TensorShape range_shape(std::size_t n) const { return {n, 2, h_, mask_->size()}; }

  /// The masked centred k-space M F x of a batch of complex images.
  range_type apply(const domain_type& x) const {
    expect_shape(x, domain_shape(x.shape()[0]), "MaskedFourier::apply (complex images N x 2 x H x W)");
    return CenteredFft2::run<T>(x, false, mask_->data(), *plan_);
  }
  /// The zero-filled inverse Fᴴ M y of a batch of k-space data (the exact adjoint).
  domain_type adjoint(const range_type& y) const {
    expect_shape(y, range_shape(y.shape()[0]), "MaskedFourier::adjoint (k-space N x 2 x H x W)");
    return CenteredFft2::run<T>(y, true, mask_->data(), *plan_);
  }
  /// The column mask (W values).
  const xt::xtensor<T, 1>& mask() const { return *mask_; }
  /// The fraction of k-space acquired: Σ m_j / W for a 0/1 mask.
  double sampling_fraction() const {
    double s = 0.0;
    for (const T v : *mask_) s += static_cast<double>(v != T(0));
    return s / static_cast<double>(mask_->size());
  }

 private:
  std::size_t h_;
  std::shared_ptr<const xt::xtensor<T, 1>> mask_;
  std::shared_ptr<const detail::FftPlan2d<T>> plan_;
};

}  // namespace eqr
