/// @file backends/torch/torch_backend.hpp
/// `TorchBackend<T, D>`, the LibTorch model of `TensorBackend`: `torch::Tensor` storage (4-d, contiguous,
/// row-major N × C × H × W) on `torch::kCPU` or `torch::kCUDA`, T = float or double.
///
/// The math of every primitive is documented at the `TensorBackend` concept (backends/concepts.hpp); this
/// header maps each one onto LibTorch operators, with the same shape checks and error messages as the CPU
/// backend, so that every layer, optimiser and learned method runs unchanged on it and can be compared
/// number for number with `cpu::CpuBackend` (tests/unit/test_torch_backend.cpp, test_torch_layers.cpp).
///
/// - The convolution forward is `torch::conv2d` (zeros padding: LibTorch's own `padding = r`; replicate:
///   `torch::nn::functional::pad` with `kReplicate` and then a convolution without padding).
/// - The data gradient is `torch::conv2d` of dy with the flipped, transposed kernel (the exact adjoint of a
///   stride-1 convolution); for replicate padding it is computed on the padded image and then folded back
///   by `fold_replicate`, the adjoint of replicate padding: the gradient of every clamped tap is added onto
///   the border pixel it read.
/// - The weight gradient is `at::convolution_backward` on the (padded) input.
/// - Activations reproduce core/activation.hpp exactly, including the derivative's left value at the kink
///   x = 0: leaky ReLU through LibTorch's fused `leaky_relu` / `leaky_relu_backward` kernels, the others
///   written with `torch::where`.
/// - Reductions convert to double on the device, reduce there and return the host value (so they
///   synchronise, as the concept says).
///
/// Float convolutions on CUDA: LibTorch lets cuDNN use TF32 (a 10-bit mantissa) on Ampere and later GPUs
/// by default, which is not float arithmetic; code that compares against the CPU backend (the CUDA tests)
/// turns it off with `at::globalContext().setAllowTF32CuDNN(false)`, a process-wide LibTorch setting that
/// this stateless policy leaves to the program.
///
/// CPU threads: LibTorch's intra-op pool is OpenMP (libgomp in Debian's build), whose idle threads spin-wait
/// after every parallel region. When its threads share cores with oneTBB's workers (the CPU backend, the CPU
/// Joseph loops that `Radon<TorchBackend<T, cpu>>` runs) or with other processes, a spinning or descheduled thread stalls each of
/// the many small operators of a network, and torch-CPU runs 2–3× slower than its unloaded time (measured
/// on 2 vCPUs under load, benchmarks/results/torch-2026-11-25-epyc-zen4-2vcpu.md). libgomp reads the policy
/// once, when it is loaded, so programs set `OMP_WAIT_POLICY=PASSIVE` in the environment before they start
/// (bench_torch_learned re-executes itself with it); this header cannot change it.
///
/// Tensors never require gradients: training uses the library's own reverse mode (DESIGN.md §3b), not
/// LibTorch autograd. The CUDA backend uses device ordinal 0 (`device()` = {cuda, 0}); select the GPU with
/// CUDA_VISIBLE_DEVICES. LibTorch runs its primitives asynchronously on CUDA; `synchronize()` waits.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/torch/dtype.hpp"
#include "eqr/config.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::libtorch {

/// The number of calls of any `TorchBackend` so far, process-wide, that copy between the device and the host
/// (`from_host`, `to_host`) or read a reduction back (`sum`, `dot`, `squared_norm`): on CUDA each of them
/// waits for the device. Counted on every device, so a test on the CPU device can check that a layer would
/// not synchronise on a GPU (tests/unit/test_torch_layers.cpp).
inline std::atomic<std::uint64_t>& host_synchronisations() {
  static std::atomic<std::uint64_t> count{0};
  return count;
}

/// The LibTorch tensor backend: a stateless policy whose tensors are 4-d contiguous `torch::Tensor`s of
/// dtype T on device D (CUDA: ordinal 0). Models `TensorBackend`; see backends/concepts.hpp for the math.
template <Real T, DeviceKind D = DeviceKind::cpu>
struct TorchBackend {
  using scalar_type = T;                  ///< float or double
  using tensor_type = torch::Tensor;      ///< N × C × H × W, contiguous, dtype T, on device D
  using tensor_ref = std::reference_wrapper<const tensor_type>;

  /// The device kind D with ordinal 0.
  static constexpr Device device() noexcept { return {D, 0}; }
  /// "torch-cpu" or "torch-cuda".
  static constexpr const char* name() noexcept { return D == DeviceKind::cpu ? "torch-cpu" : "torch-cuda"; }
  /// Waits for every queued CUDA kernel (torch::cuda::synchronize); nothing to do on the CPU.
  static void synchronize() {
    if constexpr (D == DeviceKind::cuda) torch::cuda::synchronize();
  }
  /// The dtype and device of every tensor of this backend.
  static torch::TensorOptions options() { return torch::TensorOptions().dtype(dtype_of<T>()).device(torch_device_of(D)); }

  // ---- allocation and transfer ---------------------------------------------------------------------------

  /// The extents of t: a shape_error unless t is 4-d, a value_error unless its dtype is T and it lives on
  /// a device of kind D (every primitive checks its operands through this).
  static Shape4 shape(const tensor_type& t) {
    EQR_EXPECTS(t.defined() && t.dim() == 4, shape_error, name(), ": expected a 4-d N×C×H×W tensor, found ",
                t.defined() ? t.dim() : 0, " dimensions");
    EQR_EXPECTS(t.scalar_type() == dtype_of<T>() && t.device().type() == torch_device_of(D).type(), value_error,
                name(), ": expected a ", c10::toString(dtype_of<T>()), " tensor on ", torch_device_of(D).str(),
                ", found ", c10::toString(t.scalar_type()), " on ", t.device().str());
    return {static_cast<std::size_t>(t.size(0)), static_cast<std::size_t>(t.size(1)),
            static_cast<std::size_t>(t.size(2)), static_cast<std::size_t>(t.size(3))};
  }
  /// An uninitialised tensor of shape s.
  static tensor_type empty(const Shape4& s) { return torch::empty(sizes(s), options()); }
  /// A tensor of shape s filled with a.
  static tensor_type full(const Shape4& s, T a) { return torch::full(sizes(s), a, options()); }
  /// A tensor of shape s filled with zeros.
  static tensor_type zeros(const Shape4& s) { return torch::zeros(sizes(s), options()); }
  /// A tensor of shape s holding the N·C·H·W row-major values `data` (copied to the device).
  static tensor_type from_host(const Shape4& s, std::span<const T> data) {
    EQR_EXPECTS(data.size() == s.numel(), shape_error, "from_host: expected ", s.numel(), " values for shape ", s,
                ", found ", data.size());
    ++host_synchronisations();
    tensor_type host = torch::empty(sizes(s), torch::TensorOptions().dtype(dtype_of<T>()));
    std::copy(data.begin(), data.end(), host.data_ptr<T>());
    if constexpr (D == DeviceKind::cpu)
      return host;
    else
      return host.to(options().device());
  }
  /// The values of t, row-major, copied to the host.
  static std::vector<T> to_host(const tensor_type& t) {
    (void)shape(t);
    ++host_synchronisations();
    const tensor_type host = t.to(torch::kCPU).contiguous();
    const T* p = host.data_ptr<T>();
    return std::vector<T>(p, p + host.numel());
  }
  /// An independent copy of t.
  static tensor_type clone(const tensor_type& t) { return t.clone(at::MemoryFormat::Contiguous); }

  // ---- convolution --------------------------------------------------------------------------------------

  /// y = conv2d(x, w) with stride 1, "same" size and the given padding.
  static tensor_type conv2d(const tensor_type& x, const tensor_type& w, Padding pad) {
    ConvShapes::forward(shape(x), shape(w), "conv2d");
    return convolve(x, w, tensor_type(), pad);
  }
  /// y = conv2d(x, w) + bias, bias of shape 1 × C_out × 1 × 1.
  static tensor_type conv2d(const tensor_type& x, const tensor_type& w, const tensor_type& bias, Padding pad) {
    const Shape4 ys = ConvShapes::forward(shape(x), shape(w), "conv2d");
    ConvShapes::bias(shape(bias), ys.c, "conv2d");
    return convolve(x, w, bias.reshape({static_cast<std::int64_t>(ys.c)}), pad);
  }
  /// dx = (∂y/∂x)ᵀ dy for y = conv2d(x, w, pad): the correlation of dy with the flipped, transposed
  /// kernel w'[c,o,a,b] = w[o,c,k−1−a,k−1−b], i.e. dx̃[n,c,p,q] = Σ_{o,a,b} w[o,c,a,b] dy[n,o,p−a,q−b]
  /// (a forward convolution: LibTorch 1.13's CPU conv_transpose2d is ~20× slower than its conv2d).
  /// Zeros: "same" size (padding r). Replicate: the gradient on the padded image (H + 2r) × (W + 2r)
  /// (padding 2r), folded back by `fold_replicate`.
  static tensor_type conv2d_backward_data(const tensor_type& dy, const tensor_type& w, Padding pad) {
    ConvShapes::backward_data(shape(dy), shape(w), "conv2d_backward_data");
    const std::int64_t r = radius(w);
    const tensor_type flipped = w.flip({2, 3}).transpose(0, 1).contiguous();
    if (pad == Padding::zeros || r == 0) return torch::conv2d(dy, flipped, {}, 1, r).contiguous();
    return fold_replicate(torch::conv2d(dy, flipped, {}, 1, 2 * r), r);
  }
  /// dw = (∂y/∂w)ᵀ dy for y = conv2d(x, w, pad) with a k × k kernel:
  /// dw[o,c,a,b] = Σ_{n,i,j} dy[n,o,i,j] · x̃[n,c,i+a−r,j+b−r].
  static tensor_type conv2d_backward_weights(const tensor_type& x, const tensor_type& dy, std::size_t k, Padding pad) {
    const Shape4 ws = ConvShapes::backward_weights(shape(x), shape(dy), k, "conv2d_backward_weights");
    const std::int64_t r = static_cast<std::int64_t>(k / 2);
    const tensor_type weight_sizes = torch::empty(sizes(ws), options());  // only its sizes are read
    const bool replicate = pad == Padding::replicate && r > 0;
    const tensor_type input = replicate ? pad_replicate(x, r) : x;
    const std::int64_t p = replicate ? 0 : r;
    auto grads = at::convolution_backward(dy, input, weight_sizes, c10::nullopt, {1, 1}, {p, p}, {1, 1}, false,
                                          {0, 0}, 1, {false, true, false});
    return std::get<1>(grads).contiguous();
  }
  /// db[o] = Σ_{n,i,j} dy[n,o,i,j], shape 1 × C × 1 × 1.
  static tensor_type conv2d_backward_bias(const tensor_type& dy) {
    (void)shape(dy);
    return dy.sum({0, 2, 3}, /*keepdim=*/true).contiguous();
  }
  /// y[n,o,i,j] += b[o], b of shape 1 × C × 1 × 1.
  static void add_bias(tensor_type& y, const tensor_type& b) {
    ConvShapes::bias(shape(b), shape(y).c, "add_bias");
    y.add_(b);
  }

  // ---- elementwise --------------------------------------------------------------------------------------

  /// φ(x) elementwise, exactly `activate` of core/activation.hpp.
  static tensor_type activation_forward(const tensor_type& x, const Activation& phi) {
    expect_valid(phi);
    (void)shape(x);
    const T p = static_cast<T>(phi.parameter);
    switch (phi.kind) {
      case ActivationKind::identity: return clone(x);
      case ActivationKind::relu: return torch::where(x > 0, x, torch::zeros_like(x));
      case ActivationKind::leaky_relu: return torch::leaky_relu(x, p);  // one kernel: x > 0 ? x : x·p
      case ActivationKind::elu: return torch::where(x > 0, x, torch::expm1(x) * p);
      case ActivationKind::tanh: return torch::tanh(x);
    }
    return clone(x);
  }
  /// φ'(x) ⊙ dy elementwise (x is the forward input), exactly `activate_derivative` of core/activation.hpp
  /// (the left value at the kink x = 0).
  static tensor_type activation_backward(const tensor_type& x, const tensor_type& dy, const Activation& phi) {
    expect_valid(phi);
    expect_same_shape(shape(x), shape(dy), "activation_backward");
    const T p = static_cast<T>(phi.parameter);
    switch (phi.kind) {
      case ActivationKind::identity: return clone(dy);
      case ActivationKind::relu: return torch::where(x > 0, dy, torch::zeros_like(dy));
      case ActivationKind::leaky_relu:  // one kernel: x > 0 ? dy : dy·p
        return torch::leaky_relu_backward(dy, x, p, /*self_is_result=*/false);
      case ActivationKind::elu: return torch::where(x > 0, dy, (torch::exp(x) * p) * dy);
      case ActivationKind::tanh: {
        const tensor_type t = torch::tanh(x);
        return (1 - t * t) * dy;
      }
    }
    return clone(dy);
  }
  /// a + b.
  static tensor_type add(const tensor_type& a, const tensor_type& b) {
    expect_same_shape(shape(a), shape(b), "add");
    return a + b;
  }
  /// a − b.
  static tensor_type subtract(const tensor_type& a, const tensor_type& b) {
    expect_same_shape(shape(a), shape(b), "subtract");
    return a - b;
  }
  /// a ⊙ b (elementwise product).
  static tensor_type multiply(const tensor_type& a, const tensor_type& b) {
    expect_same_shape(shape(a), shape(b), "multiply");
    return a * b;
  }
  /// y[n,c,i,j] = x[n,c,i,j]·m[0,0,i,j] for a 1 × 1 × H × W plane m (broadcast).
  static tensor_type multiply_planes(const tensor_type& x, const tensor_type& m) {
    const Shape4 s = shape(x), ms = shape(m);
    EQR_EXPECTS(ms.n == 1 && ms.c == 1 && ms.h == s.h && ms.w == s.w, shape_error,
                "multiply_planes: expected a 1×1×", s.h, "×", s.w, " plane for ", s, ", found ", ms);
    return (x * m).contiguous();
  }
  /// y ← y + αx.
  static void axpy(T alpha, const tensor_type& x, tensor_type& y) {
    expect_same_shape(shape(x), shape(y), "axpy");
    y.add_(x, alpha);
  }
  /// t ← αt.
  static void scale(tensor_type& t, T alpha) { t.mul_(alpha); }
  /// t ← α everywhere.
  static void fill(tensor_type& t, T alpha) { t.fill_(alpha); }

  // ---- channels -----------------------------------------------------------------------------------------

  /// The tensors stacked along C, in order; all must share N, H, W.
  static tensor_type concat_channels(std::initializer_list<tensor_ref> parts) {
    EQR_EXPECTS(parts.size() > 0, shape_error, "concat_channels: expected at least one tensor, found none");
    const Shape4 first = shape(parts.begin()->get());
    std::vector<tensor_type> list;
    list.reserve(parts.size());
    for (const tensor_ref& p : parts) {
      const Shape4 s = shape(p.get());
      EQR_EXPECTS(s.n == first.n && s.h == first.h && s.w == first.w, shape_error,
                  "concat_channels: expected tensors with equal N, H, W, found ", first, " and ", s);
      list.push_back(p.get());
    }
    return torch::cat(list, 1);
  }
  /// Channels c0 … c0+count−1 of x (a new tensor, never a view).
  static tensor_type slice_channels(const tensor_type& x, std::size_t c0, std::size_t count) {
    const Shape4 s = shape(x);
    EQR_EXPECTS(count > 0 && c0 + count <= s.c, shape_error, "slice_channels: expected channels [", c0, ", ",
                c0 + count, ") inside the ", s.c, " channels of ", s);
    return x.narrow(1, static_cast<std::int64_t>(c0), static_cast<std::int64_t>(count)).clone(at::MemoryFormat::Contiguous);
  }
  /// x cut along C into consecutive parts of `counts` channels (Σ counts = C).
  static std::vector<tensor_type> split_channels(const tensor_type& x, std::span<const std::size_t> counts) {
    return ::eqr::detail::split_channels_by_slices<TorchBackend>(x, counts);
  }
  /// y[:, c0 … c0+m−1] += part (m = part's channels): the adjoint of slice_channels.
  static void add_to_channels(tensor_type& y, std::size_t c0, const tensor_type& part) {
    const Shape4 ys = shape(y), ps = shape(part);
    EQR_EXPECTS(ps.n == ys.n && ps.h == ys.h && ps.w == ys.w && c0 + ps.c <= ys.c, shape_error,
                "add_to_channels: expected a part with equal N, H, W fitting from channel ", c0, " into ", ys,
                ", found ", ps);
    y.narrow(1, static_cast<std::int64_t>(c0), static_cast<std::int64_t>(ps.c)).add_(part);
  }

  // ---- reductions (in double, returned on the host) -----------------------------------------------------

  /// Σ tᵢ in double.
  static double sum(const tensor_type& t) {
    (void)shape(t);
    ++host_synchronisations();
    return t.to(torch::kFloat64).sum().template item<double>();
  }
  /// Σ aᵢbᵢ in double.
  static double dot(const tensor_type& a, const tensor_type& b) {
    expect_same_shape(shape(a), shape(b), "dot");
    ++host_synchronisations();
    return torch::dot(a.to(torch::kFloat64).reshape({-1}), b.to(torch::kFloat64).reshape({-1})).template item<double>();
  }
  /// Σ tᵢ² in double.
  static double squared_norm(const tensor_type& t) { return dot(t, t); }

  // ---- helpers shared with the adapter's other headers ---------------------------------------------------

  /// The LibTorch sizes {N, C, H, W} of a shape.
  static std::vector<std::int64_t> sizes(const Shape4& s) {
    return {static_cast<std::int64_t>(s.n), static_cast<std::int64_t>(s.c), static_cast<std::int64_t>(s.h),
            static_cast<std::int64_t>(s.w)};
  }
  /// x extended by r pixels on every side with replicate padding: ũ(i, j) = u(clamp(i), clamp(j)).
  static tensor_type pad_replicate(const tensor_type& x, std::int64_t r) {
    namespace F = torch::nn::functional;
    return F::pad(x, F::PadFuncOptions({r, r, r, r}).mode(torch::kReplicate));
  }
  /// The adjoint of `pad_replicate(·, r)`: the (H + 2r) × (W + 2r) gradient g folded onto H × W, each
  /// padded pixel's value added onto the border pixel it replicates (columns first, then rows).
  static tensor_type fold_replicate(const tensor_type& g, std::int64_t r) {
    if (r == 0) return g.contiguous();
    const std::int64_t w = g.size(3) - 2 * r;
    tensor_type cols = g.narrow(3, r, w).clone(at::MemoryFormat::Contiguous);
    cols.narrow(3, 0, 1).add_(g.narrow(3, 0, r).sum(3, true));
    cols.narrow(3, w - 1, 1).add_(g.narrow(3, w + r, r).sum(3, true));
    const std::int64_t h = g.size(2) - 2 * r;
    tensor_type out = cols.narrow(2, r, h).clone(at::MemoryFormat::Contiguous);
    out.narrow(2, 0, 1).add_(cols.narrow(2, 0, r).sum(2, true));
    out.narrow(2, h - 1, 1).add_(cols.narrow(2, h + r, r).sum(2, true));
    return out;
  }

 private:
  /// The radius r = (k − 1)/2 of a k × k weight tensor.
  static std::int64_t radius(const tensor_type& w) { return (w.size(3) - 1) / 2; }
  /// The stride-1 "same" convolution with an optional 1-d bias (undefined tensor: none).
  static tensor_type convolve(const tensor_type& x, const tensor_type& w, const tensor_type& bias, Padding pad) {
    const std::int64_t r = radius(w);
    if (pad == Padding::zeros || r == 0) return torch::conv2d(x, w, bias, 1, r).contiguous();
    return torch::conv2d(pad_replicate(x, r), w, bias).contiguous();
  }
};

static_assert(TensorBackend<TorchBackend<float>> && TensorBackend<TorchBackend<double>> &&
                  TensorBackend<TorchBackend<float, DeviceKind::cuda>>,
              "TorchBackend<float> and TorchBackend<double> must model TensorBackend on the CPU and on CUDA.");

}  // namespace eqr::libtorch

// The backend's filter expansion and norm kernels, wherever the backend is: `filter_expansion<B>` and
// `norm_kernels<B>` have generic (host) primary templates, so a translation unit that saw the backend but not
// its specialisations would silently use other definitions (an ODR violation).
#include "eqr/backends/torch/filter_expansion.hpp"
#include "eqr/backends/torch/norm_kernels.hpp"
