/// @file operators/kernels.hpp
/// The operators' customisation points: the device kernels a tensor backend provides so that the forward
/// operators of operators/ — written once, on `TensorBackend` primitives — run on it. Modelled on
/// `training_primitives<B>` (backends/training.hpp): a primary template that is declared and never defined,
/// a concept that says what a specialisation must provide, and one specialisation per backend in that
/// backend's folder (backends/cpu/operators/, backends/torch/operators/). operators/ itself includes no
/// intrinsics, threading library or FFT library.
///
/// - `ray_kernels<B>`: Joseph's projection and its exact transpose from the geometry's `JosephTables`
///   (`Radon<B>`, `FilteredBackProjection<B>`);
/// - `fourier_kernels<B>`: the centred orthonormal 2-D DFT of complex images (`MaskedFourier<B>`,
///   `centered_fft`) and the zero-padded FFT filtering of sinogram rows (`FilteredBackProjection<B>`).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/operators/joseph_tables.hpp"

namespace eqr {

/// How a backend computes the ray transform: `automatic` (its fastest exact kernel), `sparse` (the Joseph
/// matrix as a stored sparse matrix, what a GPU runs; lets a CPU device test that path), `projector` (the
/// CPU's vectorised Joseph loops). A backend refuses a kernel it does not have with a value_error.
enum class RadonKernel : std::uint8_t { automatic, sparse, projector };

/// The ray-transform kernels of backend B. A specialisation provides
/// - `using state = …;` what the kernels keep per geometry (e.g. device matrices; may be empty), and
/// - `static state prepare(const JosephTables<T>& t, RadonKernel kernel);`
/// - `static tensor project(const JosephTables<T>& t, const state& s, const tensor& x);` the sinograms
///   N × 1 × A × D of the images x (N × 1 × H × W): (A u)_{a,j} = Σ entries of `t.for_each_entry`;
/// - `static tensor backproject(const JosephTables<T>& t, const state& s, const tensor& y);` Aᵀ y with the
///   same weights (the exact transpose);
/// where T = B::scalar_type and tensor = B::tensor_type; the shapes are checked by the caller.
template <class B>
struct ray_kernels;

/// A tensor backend with ray-transform kernels (`ray_kernels<B>` specialised).
template <class B>
concept RayTransformBackend =
    TensorBackend<B> && requires(const JosephTables<typename B::scalar_type>& t,
                                 const typename ray_kernels<B>::state& s, const typename B::tensor_type& x,
                                 RadonKernel kernel) {
      { ray_kernels<B>::prepare(t, kernel) } -> std::same_as<typename ray_kernels<B>::state>;
      { ray_kernels<B>::project(t, s, x) } -> std::same_as<typename B::tensor_type>;
      { ray_kernels<B>::backproject(t, s, x) } -> std::same_as<typename B::tensor_type>;
    };

/// The Fourier kernels of backend B. A specialisation provides
/// - `static tensor centered_fft2(const tensor& x, bool inverse);` for complex images x (N × 2 × H × W,
///   channel 0 real, 1 imaginary): F x = fftshift(fft2(ifftshift(x)))/√(HW) per image, or F⁻¹ = Fᴴ with
///   `inverse` (fastMRI's convention; unitary for every H, W);
/// - `using row_filter = …;` and `static row_filter prepare_row_filter(std::size_t length, std::vector<double>
///   response);` a real filter for rows zero-padded to `length` (even), given by its response at the
///   length/2 + 1 non-negative DFT frequencies (the 1/length of the inverse DFT included);
/// - `static tensor filter_rows(const row_filter& f, const tensor& x);` every row r of x (length W ≤ length)
///   zero-padded to `length`, transformed, multiplied by the response, transformed back, its first W values:
///   the linear convolution of r with the filter's kernel when length ≥ 2W.
template <class B>
struct fourier_kernels;

/// A tensor backend with Fourier kernels (`fourier_kernels<B>` specialised).
template <class B>
concept FourierBackend =
    TensorBackend<B> && requires(const typename B::tensor_type& x, bool inverse, std::size_t length,
                                 std::vector<double> response, const typename fourier_kernels<B>::row_filter& f) {
      { fourier_kernels<B>::centered_fft2(x, inverse) } -> std::same_as<typename B::tensor_type>;
      { fourier_kernels<B>::prepare_row_filter(length, response) } ->
          std::same_as<typename fourier_kernels<B>::row_filter>;
      { fourier_kernels<B>::filter_rows(f, x) } -> std::same_as<typename B::tensor_type>;
    };

}  // namespace eqr
