/// @file config.hpp
/// Version, feature macros, the error types every part of EquiRecon throws, and the EQR_EXPECTS contract macro.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#define EQR_VERSION_MAJOR 0
#define EQR_VERSION_MINOR 1
#define EQR_VERSION_PATCH 0
#define EQR_VERSION_STRING "0.1.0"

namespace eqr {

/// The library's version as "major.minor.patch".
inline constexpr const char* version = EQR_VERSION_STRING;

/// Base of every exception EquiRecon throws; `what()` says what was expected and what was found.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// A tensor, image or array has the wrong shape, rank or size.
struct shape_error : error {
  using error::error;
};
/// A value is out of its domain: a non-finite number, a negative size, an unknown option.
struct value_error : error {
  using error::error;
};
/// A file is missing, truncated, corrupt or of the wrong format.
struct io_error : error {
  using error::error;
};

namespace detail {
/// Streams all arguments into one string (g++ 12 has no <format>).
template <class... Args>
[[nodiscard]] std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

}  // namespace eqr

/// Checks a precondition at run time; on failure throws `ErrorType` with the streamed message parts.
/// The message is only built when the check fails. Example:
/// `EQR_EXPECTS(x.dim() == 4, eqr::shape_error, "expected a 4-d tensor N×C×H×W, found rank ", x.dim());`
#define EQR_EXPECTS(condition, ErrorType, ...)                     \
  do {                                                             \
    if (!(condition)) throw ErrorType(::eqr::detail::concat(__VA_ARGS__)); \
  } while (false)
