/// @file backends/cpu/operators/fftw.hpp
/// The CPU backend's Fourier kernels (`fourier_kernels<CpuBackend<T, K>>`, operators/kernels.hpp) with FFTW:
/// the centred orthonormal 2-D DFT of complex images (fastMRI's convention,
///   F x = fftshift(fft2(ifftshift(x))) / √(H·W),   F⁻¹ = Fᴴ,
/// unitary for every H and W, odd or even) and the zero-padded real FFT filtering of sinogram rows that
/// filtered back-projection uses.
///
/// FFTW plans are made once per (size, direction, precision) and kept in a process-wide cache. FFTW's planner
/// is not thread-safe, so planning holds a mutex; the plans are then executed concurrently with the
/// new-array execute functions (fftw_execute_dft) on buffers from fftw_malloc, which have the alignment the
/// plans were made for. One task per image (2-D DFT) or per block of rows (filtering), in oneTBB.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <fftw3.h>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/operators/kernels.hpp"

namespace eqr {
namespace cpu::detail {

/// The one mutex that serialises every call into FFTW's planner in this program.
inline std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

/// FFTW's API for one precision: float → fftwf_*, double → fftw_*.
template <Real T>
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
template <Real T>
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
template <Real T>
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
template <Real T>
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
template <Real T>
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

/// The centred orthonormal 2-D DFT F (or Fᴴ with `inverse`) of the N complex images x (N × 2 × H × W,
/// channel 0 real, 1 imaginary, row-major) into y (same shape), one image per task.
template <Real T>
void centered_fft2(const T* x, std::size_t N, std::size_t H, std::size_t W, bool inverse, T* y) {
  const FftPlan2d<T>& plan = *fft_plan_2d<T>(H, W);
  const std::size_t hh = H / 2, wh = W / 2;  // numpy's fftshift rolls by ⌊n/2⌋, ifftshift by −⌊n/2⌋
  const double scale = 1.0 / std::sqrt(static_cast<double>(H) * static_cast<double>(W));
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
    FftwBuffer<T> in(H * W), out(H * W);
    for (std::size_t n = range.begin(); n != range.end(); ++n) {
      const T* re = x + n * 2 * H * W;
      const T* im = re + H * W;
      // ifftshift
      for (std::size_t i = 0; i < H; ++i) {
        const T* sre = re + in_row[i] * W;
        const T* sim = im + in_row[i] * W;
        auto* dst = in.get() + i * W;
        for (std::size_t j = 0; j < W; ++j) {
          const std::size_t sj = in_col[j];
          dst[j][0] = sre[sj];
          dst[j][1] = sim[sj];
        }
      }
      plan.execute(inverse, in.get(), out.get());
      // fftshift and the orthonormal scale 1/√(HW).
      T* yre = y + n * 2 * H * W;
      T* yim = yre + H * W;
      for (std::size_t i = 0; i < H; ++i) {
        const auto* src = out.get() + out_row[i] * W;
        for (std::size_t j = 0; j < W; ++j) {
          yre[i * W + j] = static_cast<T>(scale * src[out_col[j]][0]);
          yim[i * W + j] = static_cast<T>(scale * src[out_col[j]][1]);
        }
      }
    }
  });
}


/// The r2c and c2r plans of one row length (made and destroyed under FFTW's planner mutex).
template <Real T>
struct RowPlans {
  explicit RowPlans(std::size_t n) {
    FftwRealBuffer<T> real(n);
    FftwBuffer<T> cplx(n / 2 + 1);
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    forward = Fftw<T>::plan_r2c(static_cast<int>(n), real.get(), cplx.get(), FFTW_ESTIMATE);
    backward = Fftw<T>::plan_c2r(static_cast<int>(n), cplx.get(), real.get(), FFTW_ESTIMATE);
    EQR_EXPECTS(forward != nullptr && backward != nullptr, value_error, "FFTW: could not plan length ", n);
  }
  ~RowPlans() {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    Fftw<T>::destroy(forward);
    Fftw<T>::destroy(backward);
  }
  RowPlans(const RowPlans&) = delete;
  RowPlans& operator=(const RowPlans&) = delete;
  typename Fftw<T>::plan forward{}, backward{};
};

/// Every row of `rows` rows of length W (row-major at x) zero-padded to L, r2c-transformed, multiplied by
/// `response` (L/2 + 1 values), c2r-transformed back, its first W values written to y.
template <Real T>
void filter_rows(const RowPlans<T>& plans, std::size_t L, const std::vector<double>& response, const T* x,
                 std::size_t rows, std::size_t W, T* y) {
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, rows), [&](const auto& range) {
    FftwRealBuffer<T> line(L);
    FftwBuffer<T> spectrum(L / 2 + 1);
    for (std::size_t row = range.begin(); row != range.end(); ++row) {
      const T* in = x + row * W;
      std::copy(in, in + W, line.get());
      std::fill(line.get() + W, line.get() + L, T(0));
      Fftw<T>::execute_r2c(plans.forward, line.get(), spectrum.get());
      for (std::size_t k = 0; k <= L / 2; ++k) {
        spectrum.get()[k][0] = static_cast<T>(spectrum.get()[k][0] * response[k]);
        spectrum.get()[k][1] = static_cast<T>(spectrum.get()[k][1] * response[k]);
      }
      Fftw<T>::execute_c2r(plans.backward, spectrum.get(), line.get());
      std::copy(line.get(), line.get() + W, y + row * W);
    }
  });
}

}  // namespace cpu::detail

/// The Fourier kernels of the CPU backend (see the file comment).
template <Real T, cpu::ConvKernel K>
struct fourier_kernels<cpu::CpuBackend<T, K>> {
  using backend = cpu::CpuBackend<T, K>;
  using tensor = typename backend::tensor_type;

  /// The row filter: its padded length, its response and the shared plans.
  struct row_filter {
    std::size_t length = 0;
    std::vector<double> response;
    std::shared_ptr<const cpu::detail::RowPlans<T>> plans;
  };

  /// F x (or Fᴴ x) of the complex images x (N × 2 × H × W).
  static tensor centered_fft2(const tensor& x, bool inverse) {
    const Shape4 s = backend::shape(x);
    EQR_EXPECTS(s.c == 2 && s.h >= 1 && s.w >= 1, shape_error,
                "centered_fft2: expected complex images N×2×H×W, found ", s);
    tensor y = backend::empty(s);
    cpu::detail::centered_fft2(x.data(), s.n, s.h, s.w, inverse, y.data());
    return y;
  }
  /// Plans the filtering of rows zero-padded to `length` with the given response.
  static row_filter prepare_row_filter(std::size_t length, std::vector<double> response) {
    EQR_EXPECTS(length >= 2 && length % 2 == 0 && response.size() == length / 2 + 1, value_error,
                "prepare_row_filter: expected an even length and length/2 + 1 response values, found length ",
                length, " and ", response.size(), " values");
    return {length, std::move(response), std::make_shared<const cpu::detail::RowPlans<T>>(length)};
  }
  /// Every row of x filtered (see operators/kernels.hpp).
  static tensor filter_rows(const row_filter& f, const tensor& x) {
    const Shape4 s = backend::shape(x);
    EQR_EXPECTS(s.w <= f.length, shape_error, "filter_rows: expected rows of at most ", f.length,
                " values, found ", s);
    tensor y = backend::empty(s);
    cpu::detail::filter_rows(*f.plans, f.length, f.response, x.data(), s.n * s.c * s.h, s.w, y.data());
    return y;
  }
};

}  // namespace eqr
