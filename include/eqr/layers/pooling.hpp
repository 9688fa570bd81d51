/// @file layers/pooling.hpp
/// `GroupPooling<F, B, Mode>`: pooling over the group (paper, §3.2): each regular field f: G → R (|G|
/// channels) becomes one invariant scalar max_h f(h) or (1/|G|) Σ_h f(h); trivial fields pass through.
/// Since g permutes a regular field's channels, both are invariant, so the output field is trivial.
///
/// The max is built from backend primitives only, m ← m + ReLU(c − m) over the channels c of the field,
/// whose derivative routes dy to the first channel attaining the maximum (ReLU'(0) = 0, the left derivative).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/reps/direct_sum.hpp"
#include "eqr/reps/field_type.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// Max or mean over the group.
enum class PoolMode { max, mean };

namespace detail {
/// The field a pooled field becomes: Regular<G> → Trivial<G>, Copies<Regular<G>, N> → Copies<Trivial<G>, N>;
/// trivial fields stay; any other field has no group pooling (the diagnostic names it).
template <class R>
struct pooled_field {
  static_assert(sizeof(R) == 0,
                "GroupPooling<F, B>: group pooling is defined for regular fields (and passes trivial fields through); "
                "this field type contains another representation.");
  using type = R;
};
template <class G>
struct pooled_field<Regular<G>> {
  using type = Trivial<G>;
};
template <class G>
struct pooled_field<Trivial<G>> {
  using type = Trivial<G>;
};
template <class R, int N>
struct pooled_field<Copies<R, N>> {
  using type = Copies<typename pooled_field<R>::type, N>;
};
template <class F>
struct pooled_type;
template <class G, class... R>
struct pooled_type<FieldType<G, R...>> {
  using type = FieldType<G, typename pooled_field<R>::type...>;
};
}  // namespace detail

/// The field type of a pooled feature map of type F (every regular field replaced by a trivial one).
template <FieldTypeLike F>
using PooledType = typename detail::pooled_type<F>::type;

/// Group pooling from F to `PooledType<F>` (an `EquivariantLayer`, no parameters).
template <FieldTypeLike F, TensorBackend B, PoolMode Mode = PoolMode::max>
class GroupPooling {
 public:
  using backend = B;
  using in_type = F;
  using out_type = PooledType<F>;
  using tensor = typename B::tensor_type;
  using scalar = typename B::scalar_type;
  /// What `backward` needs: the input (for max: to find the maximising channels again).
  struct context {
    tensor x;
  };

  tensor forward(const tensor& x, context& ctx) const {
    ctx.x = x;
    return forward(x);
  }
  tensor forward(const tensor& x) const {
    check_input(x);
    std::vector<tensor> parts;
    for (const auto& field : F::fields()) {
      const auto off = static_cast<std::size_t>(field.offset), d = static_cast<std::size_t>(field.representation.size);
      if (d == 1) {
        parts.push_back(B::slice_channels(x, off, 1));
        continue;
      }
      tensor m = B::slice_channels(x, off, 1);
      for (std::size_t c = 1; c < d; ++c) {
        const tensor xc = B::slice_channels(x, off + c, 1);
        if constexpr (Mode == PoolMode::max) {
          B::axpy(scalar(1), B::activation_forward(B::subtract(xc, m), Activation::relu()), m);
        } else {
          B::axpy(scalar(1), xc, m);
        }
      }
      if constexpr (Mode == PoolMode::mean) B::scale(m, scalar(1) / static_cast<scalar>(d));
      parts.push_back(std::move(m));
    }
    return concat(parts);
  }
  /// dx: for mean, dy/|G| on every channel of the field; for max, dy on the maximising channel.
  tensor backward(const context& ctx, const tensor& dy) const {
    const Shape4 xs = B::shape(ctx.x);
    tensor dx = B::zeros(xs);
    std::size_t out_channel = 0;
    for (const auto& field : F::fields()) {
      const auto off = static_cast<std::size_t>(field.offset), d = static_cast<std::size_t>(field.representation.size);
      const tensor g = B::slice_channels(dy, out_channel++, 1);
      if (d == 1) {
        B::add_to_channels(dx, off, g);
        continue;
      }
      if constexpr (Mode == PoolMode::mean) {
        tensor share = B::clone(g);
        B::scale(share, scalar(1) / static_cast<scalar>(d));
        for (std::size_t c = 0; c < d; ++c) B::add_to_channels(dx, off + c, share);
      } else {
        // Recompute the running maxima m_c = m_{c−1} + ReLU(x_c − m_{c−1}), then walk back:
        // ∂m_c/∂x_c = H(x_c − m_{c−1}), ∂m_c/∂m_{c−1} = 1 − H(x_c − m_{c−1}).
        std::vector<tensor> diffs;
        tensor m = B::slice_channels(ctx.x, off, 1);
        for (std::size_t c = 1; c < d; ++c) {
          tensor diff = B::subtract(B::slice_channels(ctx.x, off + c, 1), m);
          B::axpy(scalar(1), B::activation_forward(diff, Activation::relu()), m);
          diffs.push_back(std::move(diff));
        }
        tensor carry = g;  // ∂L/∂m_c, from c = d − 1 down
        for (std::size_t c = d - 1; c >= 1; --c) {
          const tensor to_x = B::activation_backward(diffs[c - 1], carry, Activation::relu());
          B::add_to_channels(dx, off + c, to_x);
          carry = B::subtract(carry, to_x);
        }
        B::add_to_channels(dx, off, carry);
      }
    }
    return dx;
  }
  /// No parameters.
  template <class Fn>
  void visit_parameters(const std::string&, Fn&&) {}

 private:
  static tensor concat(const std::vector<tensor>& parts) {
    if (parts.size() == 1) return parts.front();
    tensor y = B::zeros({B::shape(parts.front()).n, parts.size(), B::shape(parts.front()).h, B::shape(parts.front()).w});
    for (std::size_t i = 0; i < parts.size(); ++i) B::add_to_channels(y, i, parts[i]);
    return y;
  }
  static void check_input(const tensor& x) {
    EQR_EXPECTS(B::shape(x).c == static_cast<std::size_t>(F::channels()), shape_error, "GroupPooling on ", F::name(),
                ": expected ", F::channels(), " channels, found ", B::shape(x));
  }
};

}  // namespace eqr
