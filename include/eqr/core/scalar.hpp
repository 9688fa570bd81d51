/// @file core/scalar.hpp
/// `Real`, the scalar types every numeric template of EquiRecon is instantiated for (DESIGN.md §3: float by
/// default, double for gradient checks), and `HostArray`, the host containers operators and layers accept
/// their fixed data from (masks, kernels): anything with contiguous `data()` and `size()` of a real type,
/// e.g. `std::vector<float>` or `xt::xtensor<double, 1>`.
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace eqr {

/// A real scalar type of the library: float or double.
template <class T>
concept Real = std::same_as<T, float> || std::same_as<T, double>;

/// A contiguous host array of arithmetic values: `a.data()` points at `a.size()` consecutive values.
template <class A>
concept HostArray = requires(const A& a) {
  { a.size() } -> std::convertible_to<std::size_t>;
  requires std::is_arithmetic_v<std::remove_cvref_t<decltype(*a.data())>>;
};

/// The values of a host array converted to T, in order.
template <Real T, HostArray A>
[[nodiscard]] std::vector<T> host_values(const A& a) {
  const auto* p = a.data();
  std::vector<T> v(static_cast<std::size_t>(a.size()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(p[i]);
  return v;
}

}  // namespace eqr
