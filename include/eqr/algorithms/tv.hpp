/// @file algorithms/tv.hpp
/// The discrete isotropic total variation of an image batch: the forward-difference gradient ∇ with a
/// Neumann boundary, its negative adjoint div = −∇ᵀ, and TV(u) = Σ_pixels |∇u|, vectorial over channels.
///
/// Math ↔ code:
/// | math                                                   | code                          |
/// |--------------------------------------------------------|-------------------------------|
/// | (∇u)_{c,k}[i, j], k = 0 (rows ∂ᵢ), k = 1 (columns ∂ⱼ)  | `discrete_gradient(u)`        |
/// | div p = −∇ᵀ p                                           | `discrete_divergence(p)`      |
/// | TV(u) = Σ_n Σ_{i,j} sqrt(Σ_c (∂ᵢu_c)² + (∂ⱼu_c)²)        | `total_variation(u)`          |
/// | ‖∇‖² ≤ 8                                                | `gradient_norm_squared_bound` |
///
/// For a one-channel image this is the usual isotropic TV (Rudin–Osher–Fatemi; the regulariser J = λ TV of the
/// paper's Problem (9) and its Example 2).  For C channels the channels share one magnitude,
/// |∇u| = sqrt(Σ_c |∇u_c|²), the vectorial TV of Blomgren–Chan / Bresson–Chan: a complex image stored as two
/// real channels then has TV(u) = Σ |∇ Re u|² + |∇ Im u|² under one root, which is the TV of the complex image
/// u = Re u + i Im u (|∇u| with the complex modulus), invariant under a global phase change.
///
/// Layouts are those of `detail/tv_kernels.hpp`: u is N × C × H × W, a gradient field N × C × 2 × H × W.
#pragma once

#include <cmath>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "eqr/algorithms/detail/tv_kernels.hpp"
#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// A gradient field of an image batch: N × C × 2 × H × W, component 0 = ∂ᵢ (down the rows), 1 = ∂ⱼ (along
/// the columns).
template <Real T>
using GradientField = xt::xtensor<T, 5>;

/// The bound ‖∇‖² ≤ 8 on the squared operator norm of the 2-D forward-difference gradient (Chambolle 2004);
/// every step size for TV in this library is derived from it.
inline constexpr double gradient_norm_squared_bound = 8.0;

namespace detail::tv {

/// The dimensions of a batch, after checking that it is not empty.
template <Real T>
Dims dims_of(const xt::xtensor<T, 4>& u, const char* what) {
  const auto& s = u.shape();
  EQR_EXPECTS(s[0] >= 1 && s[1] >= 1 && s[2] >= 1 && s[3] >= 1, shape_error, what,
              ": expected a non-empty N×C×H×W batch, found shape ", extents_string(s));
  return Dims{s[0], s[1], s[2], s[3]};
}

/// The dimensions of the images behind a gradient field N × C × 2 × H × W, after checking its shape.
template <Real T>
Dims dims_of(const xt::xtensor<T, 5>& p, const char* what) {
  const auto& s = p.shape();
  EQR_EXPECTS(s[2] == 2, shape_error, what, ": expected a gradient field of shape N×C×2×H×W, found shape ",
              extents_string(s));
  EQR_EXPECTS(s[0] >= 1 && s[1] >= 1 && s[3] >= 1 && s[4] >= 1, shape_error, what,
              ": expected a non-empty gradient field, found shape ", extents_string(s));
  return Dims{s[0], s[1], s[3], s[4]};
}

/// A zero gradient field for images of dimensions `d`.
template <Real T>
GradientField<T> zero_field(const Dims& d) {
  GradientField<T> p = GradientField<T>::from_shape({d.n, d.c, std::size_t{2}, d.h, d.w});
  std::fill(p.begin(), p.end(), T(0));
  return p;
}

}  // namespace detail::tv

/// The forward-difference gradient ∇u of a batch u (N × C × H × W) with a Neumann boundary: a field
/// N × C × 2 × H × W whose last row of ∂ᵢ and last column of ∂ⱼ are zero.  Throws shape_error for an
/// empty batch.
template <Real T>
[[nodiscard]] GradientField<T> discrete_gradient(const xt::xtensor<T, 4>& u) {
  const auto d = detail::tv::dims_of(u, "discrete_gradient");
  GradientField<T> g = GradientField<T>::from_shape({d.n, d.c, std::size_t{2}, d.h, d.w});
  detail::tv::for_each_row(d, [&](std::size_t n, std::size_t i) { detail::tv::gradient_row(u.data(), g.data(), d, n, i); });
  return g;
}

/// The discrete divergence div p = −∇ᵀp of a gradient field p (N × C × 2 × H × W), an N × C × H × W batch.
/// It is the exact negative adjoint of `discrete_gradient`: ⟨∇u, p⟩ = −⟨u, div p⟩ for all u, p (the entries
/// of p on the last row of component 0 and the last column of component 1 do not enter).  Throws
/// shape_error unless p's third extent is 2.
template <Real T>
[[nodiscard]] xt::xtensor<T, 4> discrete_divergence(const GradientField<T>& p) {
  const auto d = detail::tv::dims_of(p, "discrete_divergence");
  xt::xtensor<T, 4> out = xt::xtensor<T, 4>::from_shape({d.n, d.c, d.h, d.w});
  detail::tv::for_each_row(d, [&](std::size_t n, std::size_t i) {
    for (std::size_t c = 0; c < d.c; ++c)
      detail::tv::divergence_row(p.data(), out.data() + d.image(n, c) + i * d.w, d, n, c, i);
  });
  return out;
}

/// The isotropic (vectorial) total variation TV(u) = Σ_n Σ_{i,j} sqrt(Σ_c (∂ᵢu_c)² + (∂ⱼu_c)²), summed over
/// the batch and accumulated in double.  A vertical step edge of height a across an H-row image has
/// TV = |a|·H.  Throws shape_error for an empty batch.
template <Real T>
[[nodiscard]] double total_variation(const xt::xtensor<T, 4>& u) {
  const auto d = detail::tv::dims_of(u, "total_variation");
  return detail::tv::sum_over_rows(d, [&](std::size_t n, std::size_t i) { return detail::tv::tv_row(u.data(), d, n, i); });
}

/// The mixed norm ‖p‖_{2,1} = Σ_n Σ_{i,j} |p|(i, j) of a gradient field, the pointwise magnitude taken over
/// the channels and both components (so that TV(u) = ‖∇u‖_{2,1}), accumulated in double.
template <Real T>
[[nodiscard]] double mixed_norm(const GradientField<T>& p) {
  const auto d = detail::tv::dims_of(p, "mixed_norm");
  return detail::tv::sum_over_rows(d, [&](std::size_t n, std::size_t i) {
    double s = 0;
    for (std::size_t j = 0; j < d.w; ++j) s += static_cast<double>(detail::tv::magnitude_at(p.data(), d, n, i * d.w + j));
    return s;
  });
}

/// The largest pointwise magnitude max_{n,i,j} |p|(i, j) of a gradient field (the dual-feasibility measure:
/// a TV dual variable satisfies |p| ≤ 1).
template <Real T>
[[nodiscard]] double max_magnitude(const GradientField<T>& p) {
  const auto d = detail::tv::dims_of(p, "max_magnitude");
  double m = 0;
  for (std::size_t n = 0; n < d.n; ++n)
    for (std::size_t k = 0; k < d.plane(); ++k)
      m = std::max(m, static_cast<double>(detail::tv::magnitude_at(p.data(), d, n, k)));
  return m;
}

}  // namespace eqr
