/// @file operators/masked_fourier.hpp
/// The single-coil MRI forward operator: the orthonormal centred 2-D DFT followed by a k-space mask — a
/// Cartesian line mask over columns (phase-encode lines) or a 2-D sampling pattern —, A = diag(m)·F, on
/// complex images stored as two real channels.
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

/// Single-coil MRI on backend B, A u = M F u: F the centred orthonormal DFT (operators/fft.hpp), M the
/// multiplication of k-space entry (i, j) by the mask value m_ij (1 = acquired, 0 = skipped; other finite
/// weights are allowed). The mask is either a Cartesian line mask — one value per k-space column
/// (phase-encode line), m_ij = m_j — or a 2-D sampling pattern of H·W values, any set of points of the
/// Cartesian k-space grid (radial or spiral trajectories gridded to it, 2-D variable-density random
/// sampling). Domain and range are (N, 2, H, W), channel 0 real and 1 imaginary; the range is the masked
/// k-space, zero off the mask. The adjoint is Aᵀ y = Fᴴ M y (exact, F unitary): for the real two-channel inner
/// product ⟨Ax, y⟩ = Re⟨Fx, My⟩_ℂ = Re⟨x, FᴴMy⟩_ℂ = ⟨x, Aᵀy⟩. Copies share the mask.
template <FourierBackend B>
class MaskedFourier {
 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;

  /// The operator for H×W images with the column mask `column_mask` (W finite values, centred k-space:
  /// column W/2 is the zero frequency for even W, (W−1)/2 for odd W), e.g. from operators/masks.hpp.
  template <HostArray Mask>
  MaskedFourier(std::size_t height, const Mask& column_mask) : MaskedFourier(Values{}, height, 0, host_values<double>(column_mask)) {}

  /// The operator for `height`×`width` images with `mask`: `width` values (a column mask, as above) or
  /// `height`·`width` values in row-major order (a 2-D sampling pattern of the centred k-space, entry
  /// (H/2, W/2) the zero frequency for even sides).
  template <HostArray Mask>
  MaskedFourier(std::size_t height, std::size_t width, const Mask& mask) : MaskedFourier(Values{}, height, width, host_values<double>(mask)) {}

  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return {n, 2, h_, w_}; }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return {n, 2, h_, w_}; }

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
  /// The mask as given: W column values, or H·W values of a 2-D pattern (`is_line_mask` says which).
  [[nodiscard]] const std::vector<double>& mask() const { return *mask_; }
  /// Whether the mask is a Cartesian line mask (one value per column).
  [[nodiscard]] bool is_line_mask() const { return mask_->size() == w_; }
  /// The fraction of k-space acquired: the share of entries with a non-zero mask value.
  [[nodiscard]] double sampling_fraction() const {
    double s = 0.0;
    for (const double v : *mask_) s += static_cast<double>(v != 0.0);
    return s / static_cast<double>(mask_->size());
  }

 private:
  /// The constructors' common body; `width` 0: the width is the mask's length (a column mask).
  struct Values {};
  MaskedFourier(Values, std::size_t height, std::size_t width, std::vector<double> values)
      : h_(height), w_(width == 0 ? values.size() : width), mask_(std::make_shared<const std::vector<double>>(std::move(values))) {
    EQR_EXPECTS(h_ >= 1 && w_ >= 1, shape_error, "MaskedFourier: expected an image height ≥ 1 and a mask of ≥ 1 ",
                "columns, found height ", h_, " and ", w_, " columns");
    EQR_EXPECTS(mask_->size() == w_ || mask_->size() == h_ * w_, shape_error, "MaskedFourier: expected a mask of ", w_,
                " column values or ", h_, "x", w_, " = ", h_ * w_, " values, found ", mask_->size());
    for (const double v : *mask_)
      EQR_EXPECTS(std::isfinite(v), value_error, "MaskedFourier: expected finite mask values, found ", v);
    const bool columns = mask_->size() == w_;
    std::vector<scalar_type> plane(h_ * w_);
    for (std::size_t i = 0; i < plane.size(); ++i) plane[i] = static_cast<scalar_type>((*mask_)[columns ? i % w_ : i]);
    plane_ = std::make_shared<const tensor_type>(B::from_host({1, 1, h_, w_}, plane));
  }

  std::size_t h_, w_;
  std::shared_ptr<const std::vector<double>> mask_;
  std::shared_ptr<const tensor_type> plane_;  // the mask as an H × W plane, 1 × 1 × H × W on the device
};

}  // namespace eqr
