/// @file operators/operators.hpp
/// The forward operators of EquiRecon in one include: the LinearOperator concept and its algebra (compose,
/// scale, adjoint, opnorm, adjoint test, DataTerm), the type-erased AnyLinearOperator, the parallel-beam
/// Radon transform and FBP, the centred FFT and the masked Fourier (MRI) operator, line masks, Identity /
/// PixelMask / Blur, and noise models. Every operator is a template over its tensor backend (`Radon<B>`);
/// the backend's kernels come with the backend (backends/cpu/cpu.hpp, backends/torch/torch.hpp).
///
/// | name | math | code |
/// |---|---|---|
/// | forward operator | A : X → Y linear, batched over N | `LinearOperator`, `LinearOperatorOn<Op, B>` |
/// | adjoint | ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ | `a.adjoint(y)`, `adjoint(a)`, `adjoint_mismatch(a)` |
/// | operator norm | ‖A‖ = σ_max(A), power method on AᵀA | `opnorm(a, iterations, seed)` |
/// | data term | E(u) = ½‖Au − y‖², ∇E = Aᵀ(Au − y), VJP AᵀA v | `DataTerm` |
/// | ray transform (CT) | line integrals, Joseph's method | `Radon`, `ParallelBeamGeometry` |
/// | FBP | (π/A)·Aᵀ(ramp ∗ y) | `FilteredBackProjection` |
/// | MRI | y = M F u, F centred unitary DFT | `MaskedFourier`, `centered_fft`, line masks |
/// | CT noise (paper §5.1.1) | y = −log(max(n/N_in, η))/μ, n ~ Pois(N_in e^{−μAu}) | `ct_poisson_noise` |
#pragma once

#include "eqr/operators/algebra.hpp"
#include "eqr/operators/any_operator.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/fft.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/sampling_patterns.hpp"
#include "eqr/operators/noise.hpp"
#include "eqr/operators/parallel_beam.hpp"
#include "eqr/operators/radon.hpp"
