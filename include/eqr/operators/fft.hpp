/// @file operators/fft.hpp
/// The orthonormal centred 2-D discrete Fourier transform of MRI (fastMRI's convention),
///   F x = fftshift(fft2(ifftshift(x))) / √(H·W),   F⁻¹ = Fᴴ = ifftshift-ifft2-fftshift · √(H·W) / (H·W),
/// for complex images stored as two real channels (N, 2, H, W) — channel 0 the real part, 1 the imaginary
/// part — with FFTW.  F is unitary for every H and W, odd or even.
///
/// FFTW plans are made once per (size, direction, precision) and kept in a process-wide cache.  FFTW's
/// planner is not thread-safe, so planning holds a mutex; the plans are then executed concurrently with
/// the new-array execute functions (fftw_execute_dft) on buffers from fftw_malloc, which have the alignment
/// the plans were made for.
#pragma once

#include <cmath>
#include <complex>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include <fftw3.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

namespace detail {

/// The one mutex that serialises every call into FFTW's planner in this program.
inline std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

/// FFTW's API for one precision: float → fftwf_*, double → fftw_*.
template <RealScalar T>
struct Fftw;

template <>
struct Fftw<double> {
  using complex = fftw_complex;
  using plan = fftw_plan;
  static complex* alloc(std::size_t n) { return fftw_alloc_complex(n); }
  static void free(complex* p) { fftw_free(p); }
  static plan plan_2d(int h, int w, complex* in, complex* out, int sign, unsigned flags) {
    return fftw_plan_dft_2d(h, w, in, out, sign, flags);
  }
  static void execute(plan p, complex* in, complex* out) { fftw_execute_dft(p, in, out); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static double* alloc_real(std::size_t n) { return fftw_alloc_real(n); }
  static void free_real(double* p) { fftw_free(p); }
  static plan plan_r2c(int n, double* in, complex* out, unsigned flags) { return fftw_plan_dft_r2c_1d(n, in, out, flags); }
  static plan plan_c2r(int n, complex* in, double* out, unsigned flags) { return fftw_plan_dft_c2r_1d(n, in, out, flags); }
  static void execute_r2c(plan p, double* in, complex* out) { fftw_execute_dft_r2c(p, in, out); }
  static void execute_c2r(plan p, complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
};

template <>
struct Fftw<float> {
  using complex = fftwf_complex;
  using plan = fftwf_plan;
  static complex* alloc(std::size_t n) { return fftwf_alloc_complex(n); }
  static void free(complex* p) { fftwf_free(p); }
  static plan plan_2d(int h, int w, complex* in, complex* out, int sign, unsigned flags) {
    return fftwf_plan_dft_2d(h, w, in, out, sign, flags);
  }
  static void execute(plan p, complex* in, complex* out) { fftwf_execute_dft(p, in, out); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static float* alloc_real(std::size_t n) { return fftwf_alloc_real(n); }
  static void free_real(float* p) { fftwf_free(p); }
  static plan plan_r2c(int n, float* in, complex* out, unsigned flags) { return fftwf_plan_dft_r2c_1d(n, in, out, flags); }
  static plan plan_c2r(int n, complex* in, float* out, unsigned flags) { return fftwf_plan_dft_c2r_1d(n, in, out, flags); }
  static void execute_r2c(plan p, float* in, complex* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void execute_c2r(plan p, complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
};

/// A buffer of n complex values from fftw_malloc (SIMD-aligned), freed on destruction.
template <RealScalar T>
class FftwBuffer {
 public:
  explicit FftwBuffer(std::size_t n) : p_(Fftw<T>::alloc(n)) {
    EQR_EXPECTS(p_ != nullptr, value_error, "FFTW: could not allocate ", n, " complex values");
  }
  ~FftwBuffer() { Fftw<T>::free(p_); }
  FftwBuffer(const FftwBuffer&) = delete;
  FftwBuffer& operator=(const FftwBuffer&) = delete;
  typename Fftw<T>::complex* get() const { return p_; }

 private:
  typename Fftw<T>::complex* p_;
};

/// A buffer of n real values from fftw_malloc (SIMD-aligned), freed on destruction.
template <RealScalar T>
class FftwRealBuffer {
 public:
  explicit FftwRealBuffer(std::size_t n) : p_(Fftw<T>::alloc_real(n)) {
    EQR_EXPECTS(p_ != nullptr, value_error, "FFTW: could not allocate ", n, " real values");
  }
  ~FftwRealBuffer() { Fftw<T>::free_real(p_); }
  FftwRealBuffer(const FftwRealBuffer&) = delete;
  FftwRealBuffer& operator=(const FftwRealBuffer&) = delete;
  T* get() const { return p_; }

 private:
  T* p_;
};

/// A pair of out-of-place 2-D FFTW plans (forward, e^{−2πi·}; backward, e^{+2πi·}) for H×W arrays.
template <RealScalar T>
class FftPlan2d {
 public:
  FftPlan2d(std::size_t h, std::size_t w) : h_(h), w_(w) {
    FftwBuffer<T> in(h * w), out(h * w);
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    // FFTW_ESTIMATE plans without touching (overwriting) the arrays and in well under a millisecond.
    forward_ = Fftw<T>::plan_2d(static_cast<int>(h), static_cast<int>(w), in.get(), out.get(), FFTW_FORWARD,
                                FFTW_ESTIMATE);
    backward_ = Fftw<T>::plan_2d(static_cast<int>(h), static_cast<int>(w), in.get(), out.get(), FFTW_BACKWARD,
                                 FFTW_ESTIMATE);
    EQR_EXPECTS(forward_ != nullptr && backward_ != nullptr, value_error, "FFTW: could not plan a ", h, "x", w,
                " transform");
  }
  ~FftPlan2d() {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    Fftw<T>::destroy(forward_);
    Fftw<T>::destroy(backward_);
  }
  FftPlan2d(const FftPlan2d&) = delete;
  FftPlan2d& operator=(const FftPlan2d&) = delete;

  /// Runs the unnormalised transform in → out (distinct fftw_malloc buffers of H·W values); thread-safe.
  void execute(bool inverse, typename Fftw<T>::complex* in, typename Fftw<T>::complex* out) const {
    Fftw<T>::execute(inverse ? backward_ : forward_, in, out);
  }
  std::size_t height() const { return h_; }
  std::size_t width() const { return w_; }

 private:
  std::size_t h_, w_;
  typename Fftw<T>::plan forward_{}, backward_{};
};

/// The shared plans for H×W in precision T, made on first use (process-wide cache, guarded by a mutex).
template <RealScalar T>
std::shared_ptr<const FftPlan2d<T>> fft_plan_2d(std::size_t h, std::size_t w) {
  // The planner mutex must outlive the cache (whose plans lock it when destroyed at exit): statics are
  // destroyed in the reverse order of construction, so construct it first.
  [[maybe_unused]] static std::mutex& planner = fftw_planner_mutex();
  static std::mutex cache_mutex;
  static std::map<std::pair<std::size_t, std::size_t>, std::shared_ptr<const FftPlan2d<T>>> cache;
  const std::lock_guard<std::mutex> lock(cache_mutex);
  auto& slot = cache[{h, w}];
  if (!slot) slot = std::make_shared<const FftPlan2d<T>>(h, w);
  return slot;
}

}  // namespace detail

/// The centred orthonormal 2-D DFT (or its inverse) of a batch of complex images, with an optional real
/// weight per k-space column applied in k-space: forward  y = diag(m)·F x,  inverse  x = Fᴴ·diag(m)·y.
/// Shapes (N, 2, H, W) in and out.  Used by `centered_fft`, `centered_ifft` and MaskedFourier.
class CenteredFft2 {
 public:
  /// Transforms `x` (forward when `inverse` is false).  `column_weights`, if non-null, has W entries.
  template <RealScalar T>
  static xt::xtensor<T, 4> run(const xt::xtensor<T, 4>& x, bool inverse, const T* column_weights,
                               const detail::FftPlan2d<T>& plan) {
    const std::size_t N = x.shape()[0], H = x.shape()[2], W = x.shape()[3];
    const std::size_t hh = H / 2, wh = W / 2;  // numpy's fftshift rolls by ⌊n/2⌋, ifftshift by −⌊n/2⌋
    const double scale = 1.0 / std::sqrt(static_cast<double>(H) * static_cast<double>(W));
    xt::xtensor<T, 4> y = xt::xtensor<T, 4>::from_shape({N, 2, H, W});
    // ifftshift reads index (i + ⌊n/2⌋) mod n, fftshift reads (i + n − ⌊n/2⌋) mod n.
    std::vector<std::size_t> in_row(H), in_col(W), out_row(H), out_col(W);
    for (std::size_t i = 0; i < H; ++i) {
      in_row[i] = (i + hh) % H;
      out_row[i] = (i + H - hh) % H;
    }
    for (std::size_t j = 0; j < W; ++j) {
      in_col[j] = (j + wh) % W;
      out_col[j] = (j + W - wh) % W;
    }
    oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, N), [&](const auto& range) {
      detail::FftwBuffer<T> in(H * W), out(H * W);
      for (std::size_t n = range.begin(); n != range.end(); ++n) {
        const T* re = x.data() + n * 2 * H * W;
        const T* im = re + H * W;
        // ifftshift; the column weights (inverse direction) act on the centred k-space before the shift.
        for (std::size_t i = 0; i < H; ++i) {
          const T* sre = re + in_row[i] * W;
          const T* sim = im + in_row[i] * W;
          auto* dst = in.get() + i * W;
          for (std::size_t j = 0; j < W; ++j) {
            const std::size_t sj = in_col[j];
            const T m = (inverse && column_weights != nullptr) ? column_weights[sj] : T(1);
            dst[j][0] = m * sre[sj];
            dst[j][1] = m * sim[sj];
          }
        }
        plan.execute(inverse, in.get(), out.get());
        // fftshift, the orthonormal scale 1/√(HW), and the column weights (forward direction).
        T* yre = y.data() + n * 2 * H * W;
        T* yim = yre + H * W;
        for (std::size_t i = 0; i < H; ++i) {
          const auto* src = out.get() + out_row[i] * W;
          for (std::size_t j = 0; j < W; ++j) {
            const double m = (!inverse && column_weights != nullptr) ? scale * column_weights[j] : scale;
            yre[i * W + j] = static_cast<T>(m * src[out_col[j]][0]);
            yim[i * W + j] = static_cast<T>(m * src[out_col[j]][1]);
          }
        }
      }
    });
    return y;
  }
};

/// The centred orthonormal 2-D DFT fftshift(fft2(ifftshift(x)))/√(HW) of each complex image of a batch
/// (N, 2, H, W) (channel 0 real, 1 imaginary): unitary, so ‖F x‖ = ‖x‖.
template <RealScalar T>
xt::xtensor<T, 4> centered_fft(const xt::xtensor<T, 4>& x) {
  EQR_EXPECTS(x.shape()[1] == 2 && x.shape()[2] >= 1 && x.shape()[3] >= 1, shape_error,
              "centered_fft: expected complex images (N, 2, H, W), found ", detail::shape_string(x.shape()));
  return CenteredFft2::run<T>(x, false, nullptr, *detail::fft_plan_2d<T>(x.shape()[2], x.shape()[3]));
}

/// The inverse of `centered_fft` (its adjoint): fftshift(ifft2(ifftshift(y)))·√(HW)/(HW) per image.
template <RealScalar T>
xt::xtensor<T, 4> centered_ifft(const xt::xtensor<T, 4>& y) {
  EQR_EXPECTS(y.shape()[1] == 2 && y.shape()[2] >= 1 && y.shape()[3] >= 1, shape_error,
              "centered_ifft: expected complex k-space (N, 2, H, W), found ", detail::shape_string(y.shape()));
  return CenteredFft2::run<T>(y, true, nullptr, *detail::fft_plan_2d<T>(y.shape()[2], y.shape()[3]));
}

}  // namespace eqr
