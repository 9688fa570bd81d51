/// @file layers/fields.hpp
/// Concatenating and splitting feature maps along their fields: `ConcatType<F1, F2>` (the field type of
/// [x₁, x₂]), `concat_fields` and `split_fields` (mutual inverses, and each other's adjoint, so each is the
/// other's backward pass), and `Parallel<L1, L2>`, the layer x ↦ [f₁(x), f₂(x)].
#pragma once

#include <cstddef>
#include <concepts>
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

/// Two layers applied to the same input, outputs concatenated: y = [f₁(x), f₂(x)] (an `EquivariantLayer` of
/// type In → ConcatType<Out₁, Out₂>).  Backward splits dy and adds the two input gradients.  Parameters are
/// named "prefix.0.…" and "prefix.1.…".
template <EquivariantLayer L1, EquivariantLayer L2>
class Parallel {
  static_assert(std::same_as<typename L1::in_type, typename L2::in_type>,
                "Parallel<L1, L2>: both branches must read the same input field type.");
  static_assert(std::same_as<typename L1::backend, typename L2::backend>,
                "Parallel<L1, L2>: both branches must use the same tensor backend.");

 public:
  using backend = typename L1::backend;
  using in_type = typename L1::in_type;
  using out_type = ConcatType<typename L1::out_type, typename L2::out_type>;
  using tensor = typename backend::tensor_type;
  struct context {
    typename L1::context first;
    typename L2::context second;
  };

  Parallel(L1 first, L2 second) : first_(std::move(first)), second_(std::move(second)) {}

  tensor forward(const tensor& x, context& ctx) {
    return concat_fields<typename L1::out_type, typename L2::out_type, backend>(first_.forward(x, ctx.first),
                                                                              second_.forward(x, ctx.second));
  }
  tensor forward(const tensor& x) const {
    return concat_fields<typename L1::out_type, typename L2::out_type, backend>(first_.forward(x), second_.forward(x));
  }
  tensor backward(const context& ctx, const tensor& dy) {
    auto [d1, d2] = split_fields<typename L1::out_type, typename L2::out_type, backend>(dy);
    return backend::add(first_.backward(ctx.first, d1), second_.backward(ctx.second, d2));
  }
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) {
    first_.visit_parameters(nn::child_name(prefix, "0"), f);
    second_.visit_parameters(nn::child_name(prefix, "1"), f);
  }
  L1& first() { return first_; }
  L2& second() { return second_; }

 private:
  L1 first_;
  L2 second_;
};

}  // namespace eqr
