/// @file operators/masked_fourier.hpp
/// The single-coil MRI forward operator: the orthonormal centred 2-D DFT followed by a Cartesian line mask
/// over k-space columns (phase-encode lines), A = diag(m)·F, on complex images stored as two real channels.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/kernels.hpp"

namespace eqr {

/// Single-coil Cartesian MRI on backend B, A u = M F u: F the centred orthonormal DFT (operators/fft.hpp), M
/// the multiplication of k-space column j by the mask value m_j (1 = phase-encode line acquired, 0 = skipped;
/// other finite weights are allowed). Domain and range are (N, 2, H, W), channel 0 real and 1 imaginary; the
/// range is the masked k-space, zero off the mask. The adjoint is Aᵀ y = Fᴴ M y (exact, F unitary): for the
/// real two-channel inner product ⟨Ax, y⟩ = Re⟨Fx, My⟩_ℂ = Re⟨x, FᴴMy⟩_ℂ = ⟨x, Aᵀy⟩. Copies share the mask.
template <FourierBackend B>
class MaskedFourier {
 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;

  /// The operator for H×W images with the column mask `column_mask` (W finite values, centred k-space:
  /// column W/2 is the zero frequency for even W, (W−1)/2 for odd W), e.g. from operators/masks.hpp.
  template <HostArray Mask>
  MaskedFourier(std::size_t height, const Mask& column_mask)
      : h_(height), mask_(std::make_shared<const std::vector<double>>(host_values<double>(column_mask))) {
    const std::size_t w = mask_->size();
    EQR_EXPECTS(height >= 1 && w >= 1, shape_error, "MaskedFourier: expected an image height ≥ 1 and a mask of ≥ 1 ",
                "columns, found height ", height, " and ", w, " columns");
    for (const double v : *mask_)
      EQR_EXPECTS(std::isfinite(v), value_error, "MaskedFourier: expected finite mask values, found ", v);
    std::vector<scalar_type> plane(h_ * w);
    for (std::size_t i = 0; i < plane.size(); ++i) plane[i] = static_cast<scalar_type>((*mask_)[i % w]);
    plane_ = std::make_shared<const tensor_type>(B::from_host({1, 1, h_, w}, plane));
  }

  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return {n, 2, h_, mask_->size()}; }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return {n, 2, h_, mask_->size()}; }

  /// The masked centred k-space M F x of a batch of complex images.
  [[nodiscard]] tensor_type apply(const tensor_type& x) const {
    expect_batch<B>(x, [this](std::size_t n) { return domain_shape(n); }, "MaskedFourier::apply (complex images N×2×H×W)");
    return B::multiply_planes(fourier_kernels<B>::centered_fft2(x, false), *plane_);
  }
  /// The zero-filled inverse Fᴴ M y of a batch of k-space data (the exact adjoint).
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const {
    expect_batch<B>(y, [this](std::size_t n) { return range_shape(n); }, "MaskedFourier::adjoint (k-space N×2×H×W)");
    return fourier_kernels<B>::centered_fft2(B::multiply_planes(y, *plane_), true);
  }
  /// The column mask (W values).
  [[nodiscard]] const std::vector<double>& mask() const { return *mask_; }
  /// The fraction of k-space acquired: the share of columns with a non-zero mask value.
  [[nodiscard]] double sampling_fraction() const {
    double s = 0.0;
    for (const double v : *mask_) s += static_cast<double>(v != 0.0);
    return s / static_cast<double>(mask_->size());
  }

 private:
  std::size_t h_;
  std::shared_ptr<const std::vector<double>> mask_;
  std::shared_ptr<const tensor_type> plane_;  // the mask broadcast over the rows, 1 × 1 × H × W on the device
};

}  // namespace eqr
