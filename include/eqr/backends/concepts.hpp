/// @file backends/concepts.hpp
/// The `TensorBackend` concept: the policy type through which layers, operators and learned methods
/// allocate tensors and run every numeric primitive, on the CPU (CpuBackend) or through LibTorch.
///
/// A backend is a stateless *policy* (static member functions, no virtual hierarchy; STYLE.md "Eigen,
/// mdspan"): generic code is written once as `template <TensorBackend B> … B::conv2d(x, w, pad) …` and
/// runs on every backend, so forward and backward passes can be compared number for number.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// Where a backend's tensors live.
enum class DeviceKind { cpu, cuda };

/// A device: its kind and, for CUDA, the device ordinal (0 for the CPU).
struct Device {
  DeviceKind kind = DeviceKind::cpu;  ///< CPU or CUDA
  int index = 0;                      ///< CUDA ordinal; 0 on the CPU
  friend constexpr bool operator==(const Device&, const Device&) = default;
};

/// A tensor backend: a stateless policy type B that owns a tensor handle type, a scalar type and a device,
/// and provides every numeric primitive of the library as a static member function.
///
/// **Tensors.** `B::tensor_type` is a rank-4 N × C × H × W tensor of `B::scalar_type` (float or double) on
/// `B::device()`. Weights are C_out × C_in × k × k and biases 1 × C × 1 × 1 tensors of the same type.
/// Copying a handle may share storage (torch::Tensor) or copy it (xt::xtensor): generic code must not rely
/// on either — it calls `clone` for an independent copy and mutates (the in-place primitives) only tensors
/// it created itself. Every primitive that returns a tensor returns a new one.
///
/// **Allocation and transfer.** `shape(t)`; `zeros(s)`, `full(s, a)`, `empty(s)` (contents unspecified);
/// `from_host(s, data)` copies N·C·H·W row-major host values (a shape_error if the sizes differ);
/// `to_host(t)` copies back row-major; `clone(t)`; `synchronize()` waits for queued device work (timing).
///
/// **Convolution** (stride 1, "same" output size, odd k = 2r + 1; ũ is x extended by `Padding`):
/// - `conv2d(x, w, pad)`:  y[n,o,i,j] = Σ_{c,a,b} w[o,c,a,b] · x̃[n,c,i+a−r,j+b−r]   (cross-correlation,
///   as PyTorch's conv2d); `conv2d(x, w, bias, pad)` adds bias[o] to channel o.
/// - `conv2d_backward_data(dy, w, pad)` = (∂y/∂x)ᵀ dy: for zeros padding the correlation with the
///   flipped, transposed kernel; for replicate padding the gradient of every clamped tap is added onto
///   the border pixel it read.
/// - `conv2d_backward_weights(x, dy, k, pad)`: dw[o,c,a,b] = Σ_{n,i,j} dy[n,o,i,j] · x̃[n,c,i+a−r,j+b−r].
/// - `conv2d_backward_bias(dy)`: db[o] = Σ_{n,i,j} dy[n,o,i,j];  `add_bias(y, b)`: y[n,o,i,j] += b[o].
///
/// **Elementwise.** `activation_forward(x, φ)` = φ(x); `activation_backward(x, dy, φ)` = φ'(x) ⊙ dy (the
/// derivative at the forward input x; see `Activation`); `add(a, b)` = a + b; `subtract(a, b)` = a − b;
/// `multiply(a, b)` = a ⊙ b; `multiply_planes(x, m)`: y[n,c,i,j] = x[n,c,i,j]·m[0,0,i,j] for a 1 × 1 × H × W
/// plane m (masks, pixel weights); in place: `axpy(α, x, y)`: y ← y + αx; `scale(t, α)`: t ← αt; `fill(t, α)`.
///
/// **Channels.** `concat_channels({a, b, …})` stacks along C (equal N, H, W); `slice_channels(x, c0, m)`
/// is channels c0 … c0+m−1; `split_channels(x, {m1, m2, …})` cuts C into consecutive parts (Σ mᵢ = C);
/// `add_to_channels(y, c0, part)`: y[:, c0 … c0+m−1] += part (the adjoint of `slice_channels`).
///
/// **Reductions** (accumulated and returned in double on the host): `sum(t)` = Σ tᵢ, `dot(a, b)` = Σ aᵢbᵢ,
/// `squared_norm(t)` = Σ tᵢ².
///
/// **Errors.** Mismatched shapes throw shape_error naming both shapes; bad values throw value_error.
///
/// **Other devices.** The device is part of the policy *type*, so one program can hold tensors of several
/// backends at once and nothing global decides where a primitive runs: a LibTorch model would be e.g.
/// `TorchBackend<float, DeviceKind::cuda>` with `tensor_type = torch::Tensor` (4-d, contiguous), replicate
/// padding through `torch::nn::functional::pad` and the backward passes through
/// `at::convolution_backward`. Primitives may run asynchronously on such a device; the reductions and
/// `to_host` return host values and therefore synchronise, and `synchronize()` is for timing.
template <class B>
concept TensorBackend =
    requires {
      typename B::scalar_type;
      typename B::tensor_type;
      { B::device() } -> std::same_as<Device>;
      { B::name() } -> std::convertible_to<std::string_view>;
    } &&
    Real<typename B::scalar_type> && std::copy_constructible<typename B::tensor_type> &&
    requires(const typename B::tensor_type& x, typename B::tensor_type& t, typename B::scalar_type a, Shape4 s,
             std::span<const typename B::scalar_type> host, std::span<const std::size_t> counts, std::size_t k,
             Padding pad, Activation phi) {
      // allocation and transfer
      { B::shape(x) } -> std::same_as<Shape4>;
      { B::zeros(s) } -> std::same_as<typename B::tensor_type>;
      { B::empty(s) } -> std::same_as<typename B::tensor_type>;
      { B::full(s, a) } -> std::same_as<typename B::tensor_type>;
      { B::from_host(s, host) } -> std::same_as<typename B::tensor_type>;
      { B::to_host(x) } -> std::same_as<std::vector<typename B::scalar_type>>;
      { B::clone(x) } -> std::same_as<typename B::tensor_type>;
      B::synchronize();
      // convolution
      { B::conv2d(x, x, pad) } -> std::same_as<typename B::tensor_type>;
      { B::conv2d(x, x, x, pad) } -> std::same_as<typename B::tensor_type>;
      { B::conv2d_backward_data(x, x, pad) } -> std::same_as<typename B::tensor_type>;
      { B::conv2d_backward_weights(x, x, k, pad) } -> std::same_as<typename B::tensor_type>;
      { B::conv2d_backward_bias(x) } -> std::same_as<typename B::tensor_type>;
      B::add_bias(t, x);
      // elementwise
      { B::activation_forward(x, phi) } -> std::same_as<typename B::tensor_type>;
      { B::activation_backward(x, x, phi) } -> std::same_as<typename B::tensor_type>;
      { B::add(x, x) } -> std::same_as<typename B::tensor_type>;
      { B::subtract(x, x) } -> std::same_as<typename B::tensor_type>;
      { B::multiply(x, x) } -> std::same_as<typename B::tensor_type>;
      { B::multiply_planes(x, x) } -> std::same_as<typename B::tensor_type>;
      B::axpy(a, x, t);
      B::scale(t, a);
      B::fill(t, a);
      // channels
      { B::concat_channels({std::cref(x), std::cref(x)}) } -> std::same_as<typename B::tensor_type>;
      { B::slice_channels(x, k, k) } -> std::same_as<typename B::tensor_type>;
      { B::split_channels(x, counts) } -> std::same_as<std::vector<typename B::tensor_type>>;
      B::add_to_channels(t, k, x);
      // reductions
      { B::sum(x) } -> std::same_as<double>;
      { B::dot(x, x) } -> std::same_as<double>;
      { B::squared_norm(x) } -> std::same_as<double>;
    };

namespace detail {
/// `split_channels` written once for every backend through its `shape` and `slice_channels`: x cut along C
/// into consecutive parts of `counts` channels; shape_error unless Σ counts = C.
template <class B>
std::vector<typename B::tensor_type> split_channels_by_slices(const typename B::tensor_type& x,
                                                              std::span<const std::size_t> counts) {
  std::size_t total = 0;
  for (std::size_t c : counts) total += c;
  EQR_EXPECTS(total == B::shape(x).c, shape_error, "split_channels: expected parts summing to the ", B::shape(x).c,
              " channels of ", B::shape(x), ", found a sum of ", total);
  std::vector<typename B::tensor_type> parts;
  parts.reserve(counts.size());
  std::size_t c0 = 0;
  for (std::size_t c : counts) {
    parts.push_back(B::slice_channels(x, c0, c));
    c0 += c;
  }
  return parts;
}
}  // namespace detail

/// `TensorBackendOf<B, T>`: B is a tensor backend whose scalar type is T.
template <class B, class T>
concept TensorBackendOf = TensorBackend<B> && std::same_as<typename B::scalar_type, T>;

}  // namespace eqr
