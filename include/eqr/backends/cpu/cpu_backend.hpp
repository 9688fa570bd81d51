/// @file backends/cpu/cpu_backend.hpp
/// `CpuBackend<T>`, the CPU model of `TensorBackend`: `xt::xtensor<T, 4>` storage (row-major N × C × H × W),
/// Eigen GEMMs inside the convolution kernel, oneTBB for parallelism, T = float or double.
///
/// The math of every primitive is documented at the `TensorBackend` concept (backends/concepts.hpp); the
/// convolution passes are in conv/conv2d.hpp and run on the inner algorithm `Kernel` (a `ConvKernel`:
/// `DefaultConvKernel`, i.e. im2col + a register-blocked microkernel on AVX-512 targets and im2col + Eigen
/// GEMM elsewhere), which a faster algorithm (Winograd, …) can replace without touching any caller.
/// Copies of `xt::xtensor` are deep, so `clone(t)` is a plain copy here.
#pragma once

#include "eqr/backends/cpu/detail/intrinsics.hpp"  // first: see the header

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/cpu/conv/conv2d.hpp"
#include "eqr/backends/cpu/conv/im2col_gemm.hpp"
#include "eqr/backends/cpu/conv/im2col_microkernel.hpp"
#include "eqr/backends/cpu/parallel.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::cpu {

/// The CPU tensor backend: a stateless policy whose tensors are `xt::xtensor<T, 4>` in host memory.
/// Models `TensorBackend`; see backends/concepts.hpp for the math of each primitive.
template <Real T, ConvKernel Kernel = DefaultConvKernel>
struct CpuBackend {
  using scalar_type = T;                        ///< float or double
  using tensor_type = xt::xtensor<T, 4>;        ///< N × C × H × W, row-major
  using kernel_type = Kernel;                   ///< the inner convolution algorithm
  using tensor_ref = std::reference_wrapper<const tensor_type>;

  /// The host CPU.
  static constexpr Device device() noexcept { return {DeviceKind::cpu, 0}; }
  /// "cpu".
  static constexpr const char* name() noexcept { return "cpu"; }
  /// Nothing to wait for: every CPU primitive has finished when it returns.
  static void synchronize() noexcept {}

  // ---- allocation and transfer ---------------------------------------------------------------------------

  /// The extents of t.
  static Shape4 shape(const tensor_type& t) noexcept {
    const auto& s = t.shape();
    return {s[0], s[1], s[2], s[3]};
  }
  /// An uninitialised tensor of shape s.
  static tensor_type empty(const Shape4& s) { return tensor_type(typename tensor_type::shape_type{s.n, s.c, s.h, s.w}); }
  /// A tensor of shape s filled with a.
  static tensor_type full(const Shape4& s, T a) {
    tensor_type t = empty(s);
    fill(t, a);
    return t;
  }
  /// A tensor of shape s filled with zeros.
  static tensor_type zeros(const Shape4& s) { return full(s, T(0)); }
  /// A tensor of shape s holding the N·C·H·W row-major values `data`.
  static tensor_type from_host(const Shape4& s, std::span<const T> data) {
    EQR_EXPECTS(data.size() == s.numel(), shape_error, "from_host: expected ", s.numel(), " values for shape ", s,
                ", found ", data.size());
    tensor_type t = empty(s);
    std::copy(data.begin(), data.end(), t.data());
    return t;
  }
  /// The values of t, row-major.
  static std::vector<T> to_host(const tensor_type& t) { return std::vector<T>(t.data(), t.data() + t.size()); }
  /// An independent copy of t.
  static tensor_type clone(const tensor_type& t) { return t; }

  // ---- convolution (conv/conv2d.hpp) --------------------------------------------------------------------

  /// y = conv2d(x, w) with stride 1, "same" size and the given padding.
  static tensor_type conv2d(const tensor_type& x, const tensor_type& w, Padding pad) {
    tensor_type y = empty(ConvShapes::forward(shape(x), shape(w), "conv2d"));
    conv2d_forward<Kernel>(x.data(), shape(x), w.data(), shape(w), static_cast<const T*>(nullptr), pad, y.data());
    return y;
  }
  /// y = conv2d(x, w) + bias, bias of shape 1 × C_out × 1 × 1.
  static tensor_type conv2d(const tensor_type& x, const tensor_type& w, const tensor_type& bias, Padding pad) {
    const Shape4 ys = ConvShapes::forward(shape(x), shape(w), "conv2d");
    ConvShapes::bias(shape(bias), ys.c, "conv2d");
    tensor_type y = empty(ys);
    conv2d_forward<Kernel>(x.data(), shape(x), w.data(), shape(w), bias.data(), pad, y.data());
    return y;
  }
  /// dx = (∂y/∂x)ᵀ dy for y = conv2d(x, w, pad).
  static tensor_type conv2d_backward_data(const tensor_type& dy, const tensor_type& w, Padding pad) {
    tensor_type dx = empty(ConvShapes::backward_data(shape(dy), shape(w), "conv2d_backward_data"));
    cpu::conv2d_backward_data<Kernel>(dy.data(), shape(dy), w.data(), shape(w), pad, dx.data());
    return dx;
  }
  /// dw = (∂y/∂w)ᵀ dy for y = conv2d(x, w, pad) with a k × k kernel.
  static tensor_type conv2d_backward_weights(const tensor_type& x, const tensor_type& dy, std::size_t k, Padding pad) {
    tensor_type dw = empty(ConvShapes::backward_weights(shape(x), shape(dy), k, "conv2d_backward_weights"));
    cpu::conv2d_backward_weights<Kernel>(x.data(), shape(x), dy.data(), shape(dy), k, pad, dw.data());
    return dw;
  }
  /// db[o] = Σ_{n,i,j} dy[n,o,i,j], shape 1 × C × 1 × 1.
  static tensor_type conv2d_backward_bias(const tensor_type& dy) {
    tensor_type db = empty(bias_shape(shape(dy).c));
    cpu::conv2d_backward_bias(dy.data(), shape(dy), db.data());
    return db;
  }
  /// y[n,o,i,j] += b[o], b of shape 1 × C × 1 × 1.
  static void add_bias(tensor_type& y, const tensor_type& b) {
    const Shape4 ys = shape(y);
    ConvShapes::bias(shape(b), ys.c, "add_bias");
    // Chunks of elements; element i lies in channel (i / (H·W)) mod C.
    parallel_chunks(ys.numel(), [&](std::size_t begin, std::size_t end) {
      while (begin < end) {
        const std::size_t plane = begin / ys.plane();
        const std::size_t stop = std::min(end, (plane + 1) * ys.plane());
        const T v = b.data()[plane % ys.c];
        for (T* p = y.data() + begin; p != y.data() + stop; ++p) *p += v;
        begin = stop;
      }
    });
  }

  // ---- elementwise --------------------------------------------------------------------------------------

  /// φ(x) elementwise.
  static tensor_type activation_forward(const tensor_type& x, const Activation& phi) {
    expect_valid(phi);
    const T p = static_cast<T>(phi.parameter);
    return visit_kind(phi, [&]<ActivationKind K>() { return map(x, [p](T v) { return activate_kind<K>(p, v); }); });
  }
  /// φ'(x) ⊙ dy elementwise (x is the forward input).
  static tensor_type activation_backward(const tensor_type& x, const tensor_type& dy, const Activation& phi) {
    expect_valid(phi);
    const T p = static_cast<T>(phi.parameter);
    return visit_kind(phi, [&]<ActivationKind K>() {
      return zip(x, dy, "activation_backward", [p](T v, T g) { return activate_kind_derivative<K>(p, v) * g; });
    });
  }
  /// a + b.
  static tensor_type add(const tensor_type& a, const tensor_type& b) {
    return zip(a, b, "add", [](T u, T v) { return u + v; });
  }
  /// a − b.
  static tensor_type subtract(const tensor_type& a, const tensor_type& b) {
    return zip(a, b, "subtract", [](T u, T v) { return u - v; });
  }
  /// a ⊙ b (elementwise product).
  static tensor_type multiply(const tensor_type& a, const tensor_type& b) {
    return zip(a, b, "multiply", [](T u, T v) { return u * v; });
  }
  /// y[n,c,i,j] = x[n,c,i,j]·m[0,0,i,j] for a 1 × 1 × H × W plane m.
  static tensor_type multiply_planes(const tensor_type& x, const tensor_type& m) {
    const Shape4 s = shape(x), ms = shape(m);
    EQR_EXPECTS(ms.n == 1 && ms.c == 1 && ms.h == s.h && ms.w == s.w, shape_error,
                "multiply_planes: expected a 1×1×", s.h, "×", s.w, " plane for ", s, ", found ", ms);
    tensor_type y = empty(s);
    const T* in = x.data();
    const T* mp = m.data();
    T* out = y.data();
    const std::size_t plane = s.plane();
    parallel_chunks(s.numel(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) out[i] = in[i] * mp[i % plane];
    });
    return y;
  }
  /// y ← y + αx.
  static void axpy(T alpha, const tensor_type& x, tensor_type& y) {
    expect_same_shape(shape(x), shape(y), "axpy");
    const T* xs = x.data();
    T* ys = y.data();
    parallel_chunks(x.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) ys[i] += alpha * xs[i];
    });
  }
  /// t ← αt.
  static void scale(tensor_type& t, T alpha) {
    T* p = t.data();
    parallel_chunks(t.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) p[i] *= alpha;
    });
  }
  /// t ← α everywhere.
  static void fill(tensor_type& t, T alpha) {
    T* p = t.data();
    parallel_chunks(t.size(), [&](std::size_t b, std::size_t e) { std::fill(p + b, p + e, alpha); });
  }

  // ---- channels -----------------------------------------------------------------------------------------

  /// The tensors stacked along C, in order; all must share N, H, W.
  static tensor_type concat_channels(std::initializer_list<tensor_ref> parts) {
    EQR_EXPECTS(parts.size() > 0, shape_error, "concat_channels: expected at least one tensor, found none");
    Shape4 out = shape(parts.begin()->get());
    out.c = 0;
    for (const tensor_ref& p : parts) {
      const Shape4 s = shape(p.get());
      EQR_EXPECTS(s.n == out.n && s.h == out.h && s.w == out.w, shape_error,
                  "concat_channels: expected tensors with equal N, H, W, found ", shape(parts.begin()->get()),
                  " and ", s);
      out.c += s.c;
    }
    tensor_type y = empty(out);
    std::size_t c0 = 0;
    for (const tensor_ref& p : parts) {
      copy_channels(p.get(), 0, y, c0, shape(p.get()).c);
      c0 += shape(p.get()).c;
    }
    return y;
  }
  /// Channels c0 … c0+count−1 of x.
  static tensor_type slice_channels(const tensor_type& x, std::size_t c0, std::size_t count) {
    const Shape4 s = shape(x);
    EQR_EXPECTS(count > 0 && c0 + count <= s.c, shape_error, "slice_channels: expected channels [", c0, ", ",
                c0 + count, ") inside the ", s.c, " channels of ", s);
    tensor_type y = empty({s.n, count, s.h, s.w});
    copy_channels(x, c0, y, 0, count);
    return y;
  }
  /// x cut along C into consecutive parts of `counts` channels (Σ counts = C).
  static std::vector<tensor_type> split_channels(const tensor_type& x, std::span<const std::size_t> counts) {
    return ::eqr::detail::split_channels_by_slices<CpuBackend>(x, counts);
  }
  /// y[:, c0 … c0+m−1] += part (m = part's channels): the adjoint of slice_channels.
  static void add_to_channels(tensor_type& y, std::size_t c0, const tensor_type& part) {
    const Shape4 ys = shape(y), ps = shape(part);
    EQR_EXPECTS(ps.n == ys.n && ps.h == ys.h && ps.w == ys.w && c0 + ps.c <= ys.c, shape_error,
                "add_to_channels: expected a part with equal N, H, W fitting from channel ", c0, " into ", ys,
                ", found ", ps);
    for (std::size_t n = 0; n < ys.n; ++n) {
      T* dst = y.data() + (n * ys.c + c0) * ys.plane();
      const T* src = part.data() + n * ps.c * ps.plane();
      parallel_chunks(ps.c * ps.plane(), [&](std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) dst[i] += src[i];
      });
    }
  }

  // ---- reductions ---------------------------------------------------------------------------------------

  /// Σ tᵢ in double.
  static double sum(const tensor_type& t) {
    const T* p = t.data();
    return parallel_sum(t.size(), [p](std::size_t i) { return static_cast<double>(p[i]); });
  }
  /// Σ aᵢbᵢ in double.
  static double dot(const tensor_type& a, const tensor_type& b) {
    expect_same_shape(shape(a), shape(b), "dot");
    const T* p = a.data();
    const T* q = b.data();
    return parallel_sum(a.size(), [p, q](std::size_t i) { return static_cast<double>(p[i]) * static_cast<double>(q[i]); });
  }
  /// Σ tᵢ² in double.
  static double squared_norm(const tensor_type& t) { return dot(t, t); }

 private:
  /// f(x) elementwise into a new tensor.
  template <std::invocable<T> F>
  static tensor_type map(const tensor_type& x, F f) {
    tensor_type y = empty(shape(x));
    const T* in = x.data();
    T* out = y.data();
    parallel_chunks(x.size(), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) out[i] = f(in[i]);
    });
    return y;
  }
  /// f(a, b) elementwise into a new tensor; a and b must have the same shape.
  template <std::invocable<T, T> F>
  static tensor_type zip(const tensor_type& a, const tensor_type& b, const char* what, F f) {
    expect_same_shape(shape(a), shape(b), what);
    tensor_type y = empty(shape(a));
    const T* p = a.data();
    const T* q = b.data();
    T* out = y.data();
    parallel_chunks(a.size(), [&](std::size_t s, std::size_t e) {
      for (std::size_t i = s; i < e; ++i) out[i] = f(p[i], q[i]);
    });
    return y;
  }
  /// Copies `count` channels of src starting at s0 into dst starting at d0 (equal N, H, W).
  static void copy_channels(const tensor_type& src, std::size_t s0, tensor_type& dst, std::size_t d0, std::size_t count) {
    const Shape4 ss = shape(src), ds = shape(dst);
    const std::size_t block = count * ss.plane();  // contiguous per image
    parallel_chunks(ss.n * block, [&](std::size_t begin, std::size_t end) {
      while (begin < end) {
        const std::size_t n = begin / block, offset = begin % block;
        const std::size_t stop = std::min(end, (n + 1) * block);
        std::copy(src.data() + (n * ss.c + s0) * ss.plane() + offset, src.data() + (n * ss.c + s0) * ss.plane() + offset + (stop - begin),
                  dst.data() + (n * ds.c + d0) * ds.plane() + offset);
        begin = stop;
      }
    });
  }
};

static_assert(TensorBackend<CpuBackend<float>> && TensorBackend<CpuBackend<double>>,
              "CpuBackend<float> and CpuBackend<double> must model TensorBackend.");

}  // namespace eqr::cpu

// The backend's filter expansion, wherever the backend is: `filter_expansion<B>` has a generic (host) primary
// template, so a translation unit that saw the backend but not its specialisation would silently use another
// definition (an ODR violation).
#include "eqr/backends/cpu/filter_expansion.hpp"
