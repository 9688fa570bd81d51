/// @file groups/catalog.hpp
/// The catalogue of the groups EquiRecon offers by name — to the tool, to configuration files, to any code
/// that reads a group from a string — and the one place that turns a name into a type: `visit_group`.
///
/// A group is a compile-time choice in the library (`EquivariantConv<C8, …>`); a program that takes the group
/// from its user instantiates its code for every group of a type list and picks one at run time. The list is
/// `offered_groups`; `group_names()` and every error message come from it, so adding a group here offers it
/// everywhere at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/groups/cyclic.hpp"
#include "eqr/groups/dihedral.hpp"

namespace eqr {

/// A compile-time list of types.
template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

/// The groups offered by name: the rotation groups C_M for M = 1, 2, 3, 4, 6, 8, 12, 16 and the dihedral
/// groups D_M for M = 1, 2, 4, 8 (e2cnn's `Rot2dOnR2(M)` / `FlipRot2dOnR2(M)`; C1 = `TrivialOnR2`, D1 =
/// `Flip2dOnR2`).
using offered_groups = type_list<C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8>;

namespace detail {
template <FiniteGroup... G>
std::vector<std::string> names_of(type_list<G...>) {
  return {std::string(G::name())...};
}
}  // namespace detail

/// The names of the groups of a list ("C1", "C2", …), in the list's order.
template <class List = offered_groups>
[[nodiscard]] std::vector<std::string> group_names() {
  return detail::names_of(List{});
}

/// The names of a list joined for a message: "C1, C2, …, D8".
template <class List = offered_groups>
[[nodiscard]] std::string group_names_joined() {
  std::string s;
  for (const auto& n : group_names<List>()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

/// Calls `f.template operator()<G>()` for the group G of the list whose name is `name` and returns its
/// result (every call must return the same type); throws value_error naming the offered groups otherwise.
/// Example: `visit_group(name, [&]<FiniteGroup G>() { return run<G>(args); })`.
template <class List = offered_groups, class F>
decltype(auto) visit_group(std::string_view name, F&& f) {
  return [&]<FiniteGroup... G>(type_list<G...>) -> decltype(auto) {
    using R = decltype(f.template operator()<typename std::tuple_element<0, std::tuple<G...>>::type>());
    if constexpr (std::is_void_v<R>) {
      const bool found = ((name == G::name() ? (f.template operator()<G>(), true) : false) || ...);
      EQR_EXPECTS(found, value_error, "group: expected one of ", group_names_joined<List>(), ", found '", name, "'");
    } else {
      std::optional<R> result;
      const bool found = ((name == G::name() ? (result.emplace(f.template operator()<G>()), true) : false) || ...);
      EQR_EXPECTS(found, value_error, "group: expected one of ", group_names_joined<List>(), ", found '", name, "'");
      return R(std::move(*result));
    }
  }(List{});
}

/// The order |G| of the group of this name; value_error naming the offered groups for any other name.
template <class List = offered_groups>
[[nodiscard]] int group_order(std::string_view name) {
  return visit_group<List>(name, []<FiniteGroup G>() { return G::order(); });
}

/// Whether the list has a group of this name.
template <class List = offered_groups>
[[nodiscard]] bool offers_group(std::string_view name) {
  for (const auto& n : group_names<List>())
    if (n == name) return true;
  return false;
}

}  // namespace eqr
