/// @file groups/detail/name.hpp
/// Compile-time group names such as "C4" or "D16".
#pragma once

#include <array>

namespace eqr::detail {

/// A NUL-terminated name: one letter followed by the decimal digits of n (n ≥ 1).
constexpr std::array<char, 12> group_name(char letter, int n) {
  std::array<char, 12> out{};
  char digits[10]{};
  int count = 0;
  for (int v = n; v > 0; v /= 10) digits[count++] = static_cast<char>('0' + v % 10);
  out[0] = letter;
  for (int i = 0; i < count; ++i) out[1 + i] = digits[count - 1 - i];
  return out;
}

}  // namespace eqr::detail
