/// @file reps/field_type.hpp
/// `FieldType<G, R...>`: the channel layout of an equivariant feature map — which fields it holds, in order.
#pragma once

#include <concepts>
#include <string>
#include <vector>

#include "eqr/reps/concepts.hpp"
#include "eqr/reps/direct_sum.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// One field of a feature map: its representation and the first channel it occupies.
template <FiniteGroup G>
struct Field {
  RepresentationData<G> representation;
  int offset = 0;
};

namespace detail {
template <class R>
struct field_expansion {
  using field = R;
  static constexpr int count = 1;
};
template <class R, int N>
struct field_expansion<Copies<R, N>> {
  using field = R;
  static constexpr int count = N;
};
}  // namespace detail

/// The type of a feature map of G: fields stored one after another along the channel axis (DESIGN.md §3).
///
/// Each template argument is one field, except `Copies<R, N>`, which is N fields of type R; a regular field
/// takes |G| consecutive channels, channel h ↔ group element h.  The group acts on a feature map by
/// [g·f](x) = ρ(g) f(g⁻¹x), ρ = ⊕ of the fields' representations — so a FieldType is itself a
/// Representation (of the fibre).  Examples: the input image `FieldType<C4, Trivial<C4>>`, the paper's
/// hidden layer `FieldType<C4, Copies<Regular<C4>, 24>>` (96 channels).
template <FiniteGroup G, Representation... R>
struct FieldType {
  static_assert(sizeof...(R) > 0, "FieldType<G, R...> needs at least one field.");
  static_assert((std::same_as<typename R::group, G> && ...),
                "FieldType<G, R...>: every field must be a representation of the group G; a representation of "
                "another group cannot be used in a feature map of G.");
  using group = G;
  using representation = DirectSum<R...>;

  static constexpr bool permutation = representation::permutation;
  static constexpr int size() { return representation::size(); }
  /// The number of channels of a feature map of this type.
  static constexpr int channels() { return size(); }
  /// The number of fields (Copies<R, N> counts N).
  static constexpr int field_count() { return (detail::field_expansion<R>::count + ...); }
  static Eigen::MatrixXd matrix(typename G::element g) { return representation::matrix(g); }
  static std::vector<IrrepId> irreps() { return representation::irreps(); }
  static Eigen::MatrixXd change_of_basis() { return representation::change_of_basis(); }
  static std::string name() { return std::string(G::name()) + "[" + representation::name() + "]"; }

  /// The fields in channel order, with their representations and offsets.
  static std::vector<Field<G>> fields() {
    std::vector<Field<G>> out;
    int offset = 0;
    (append<R>(out, offset), ...);
    return out;
  }

 private:
  template <class Ri>
  static void append(std::vector<Field<G>>& out, int& offset) {
    using expansion = detail::field_expansion<Ri>;
    const auto data = describe<typename expansion::field>();
    for (int i = 0; i < expansion::count; ++i, offset += data.size) out.push_back({data, offset});
  }
};

/// N fields of representation R, one after another from channel 0 (the fields of
/// `FieldType<G, Copies<R, N>>`, for an N known only at run time).
template <Representation R>
std::vector<Field<typename R::group>> copies_of(int count) {
  const auto data = describe<R>();
  std::vector<Field<typename R::group>> out;
  for (int i = 0; i < count; ++i) out.push_back({data, i * data.size});
  return out;
}

namespace detail {
template <class T>
struct is_field_type : std::false_type {};
template <class G, class... R>
struct is_field_type<FieldType<G, R...>> : std::true_type {};
}  // namespace detail

/// A feature-map type: some `FieldType<G, R...>`.
template <class F>
concept FieldTypeLike = detail::is_field_type<F>::value;

/// A feature-map type over the group G.
template <class F, class G>
concept FieldTypeOf = FieldTypeLike<F> && std::same_as<typename F::group, G>;

}  // namespace eqr
