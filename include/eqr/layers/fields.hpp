/// @file layers/fields.hpp
/// Concatenating and splitting feature maps along their fields: `ConcatType<F1, F2>` (the field type of
/// [x₁, x₂]), `concat_fields` and `split_fields` (mutual inverses, and each other's adjoint, so each is the
/// other's backward pass), and `Parallel<L1, L2>`, the layer x ↦ [f₁(x), f₂(x)].
#pragma once

#include <cstddef>
#include <concepts>
#include <functional>
#include <string>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/parameter.hpp"
#include "eqr/reps/field_type.hpp"

namespace eqr {

namespace detail {
template <class F1, class F2>
struct concat_type;
template <class G, class... R1, class... R2>
struct concat_type<FieldType<G, R1...>, FieldType<G, R2...>> {
  using type = FieldType<G, R1..., R2...>;
};
template <class G, class H, class... R1, class... R2>
  requires(!std::same_as<G, H>)
struct concat_type<FieldType<G, R1...>, FieldType<H, R2...>> {
  static_assert(std::same_as<G, H>, "ConcatType<F1, F2>: feature maps of different groups cannot be concatenated.");
};
}  // namespace detail

/// The field type of the concatenation [x₁, x₂]: the fields of F1 followed by those of F2 (same group).
template <FieldTypeLike F1, FieldTypeLike F2>
using ConcatType = typename detail::concat_type<F1, F2>::type;

/// [x₁, x₂] along the channels, x₁ of type F1 and x₂ of type F2 (channel counts checked).
template <FieldTypeLike F1, FieldTypeLike F2, TensorBackend B>
typename B::tensor_type concat_fields(const typename B::tensor_type& x1, const typename B::tensor_type& x2) {
  EQR_EXPECTS(B::shape(x1).c == static_cast<std::size_t>(F1::channels()) &&
                  B::shape(x2).c == static_cast<std::size_t>(F2::channels()),
              shape_error, "concat_fields ", F1::name(), " + ", F2::name(), ": expected ", F1::channels(), " and ",
              F2::channels(), " channels, found ", B::shape(x1), " and ", B::shape(x2));
  return B::concat_channels({std::cref(x1), std::cref(x2)});
}

/// The parts (x₁, x₂) of a feature map of type ConcatType<F1, F2>.
template <FieldTypeLike F1, FieldTypeLike F2, TensorBackend B>
std::pair<typename B::tensor_type, typename B::tensor_type> split_fields(const typename B::tensor_type& x) {
  const auto c1 = static_cast<std::size_t>(F1::channels()), c2 = static_cast<std::size_t>(F2::channels());
  EQR_EXPECTS(B::shape(x).c == c1 + c2, shape_error, "split_fields ", F1::name(), " + ", F2::name(), ": expected ",
              c1 + c2, " channels, found ", B::shape(x));
  return {B::slice_channels(x, 0, c1), B::slice_channels(x, c1, c2)};
}

namespace detail {
/// Parallel's field types when both branches are equivariant layers reading the same type.
template <class L1, class L2, bool Typed = EquivariantLayer<L1> && EquivariantLayer<L2>>
struct parallel_types {};
template <class L1, class L2>
struct parallel_types<L1, L2, true> {
  static_assert(std::same_as<typename L1::in_type, typename L2::in_type>,
                "Parallel<L1, L2>: both branches must read the same input field type.");
  using in_type = typename L1::in_type;
  using out_type = ConcatType<typename L1::out_type, typename L2::out_type>;
};
}  // namespace detail

/// Two layers applied to the same input, outputs concatenated along the channels: y = [f₁(x), f₂(x)] (an
/// `EquivariantLayer` of type In → ConcatType<Out₁, Out₂> when both branches are equivariant layers of
/// input type In; the exported, plain form of such a layer otherwise). Backward splits dy where the first
/// output ended and adds the two input gradients. Parameters are named "prefix.0.…" and "prefix.1.…".
template <Layer L1, Layer L2>
class Parallel : public detail::parallel_types<L1, L2> {
  static_assert(std::same_as<typename L1::backend, typename L2::backend>,
                "Parallel<L1, L2>: both branches must use the same tensor backend.");

 public:
  using backend = typename L1::backend;
  using tensor = typename backend::tensor_type;
  struct context {
    typename L1::context first;
    typename L2::context second;
    std::size_t first_channels = 0;  ///< where dy splits
  };

  Parallel(L1 first, L2 second) : first_(std::move(first)), second_(std::move(second)) {}

  tensor forward(const tensor& x, context& ctx) {
    const tensor y1 = first_.forward(x, ctx.first);
    const tensor y2 = second_.forward(x, ctx.second);
    ctx.first_channels = backend::shape(y1).c;
    return backend::concat_channels({std::cref(y1), std::cref(y2)});
  }
  tensor forward(const tensor& x) const {
    const tensor y1 = first_.forward(x), y2 = second_.forward(x);
    return backend::concat_channels({std::cref(y1), std::cref(y2)});
  }
  tensor backward(const context& ctx, const tensor& dy) {
    const std::size_t c1 = ctx.first_channels, c = backend::shape(dy).c;
    EQR_EXPECTS(c1 > 0 && c1 < c, shape_error, "Parallel::backward: expected the context of a training forward pass ",
                "and dy with more than its first branch's ", c1, " channels, found ", backend::shape(dy));
    return backend::add(first_.backward(ctx.first, backend::slice_channels(dy, 0, c1)),
                        second_.backward(ctx.second, backend::slice_channels(dy, c1, c - c1)));
  }
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    first_.visit_parameters(nn::child_name(prefix, "0"), f);
    second_.visit_parameters(nn::child_name(prefix, "1"), f);
  }
  L1& first() { return first_; }
  L2& second() { return second_; }
  const L1& first() const { return first_; }
  const L2& second() const { return second_; }

 private:
  L1 first_;
  L2 second_;
};

}  // namespace eqr
