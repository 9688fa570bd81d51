/// @file backends/cpu/threads.hpp
/// The CPU backend's thread count: oneTBB's default, capped by the environment variable EQR_NUM_THREADS or
/// by an explicit ThreadLimit (the tool's --threads flag).
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

#include <oneapi/tbb/global_control.h>

#include "eqr/config.hpp"

namespace eqr::cpu {

/// The number of worker threads oneTBB may use now.
inline int max_threads() {
  return static_cast<int>(
      oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism));
}

/// Parses a thread count (a positive integer) given by `source` (a flag or variable name, for the message).
inline int parse_thread_count(const std::string& text, const std::string& source) {
  std::size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EQR_EXPECTS(used == text.size() && n >= 1, value_error, source, ": expected a positive integer thread count, found '",
              text, "'");
  return n;
}

/// Caps oneTBB's parallelism for the lifetime of this object (RAII over tbb::global_control).
/// `threads == 0` means: EQR_NUM_THREADS if set, else oneTBB's default (all cores).
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads = 0) {
    if (threads == 0) {
      if (const char* env = std::getenv("EQR_NUM_THREADS"); env != nullptr && *env != '\0')
        threads = parse_thread_count(env, "EQR_NUM_THREADS");
    }
    EQR_EXPECTS(threads >= 0, value_error, "thread count: expected a positive integer, found ", threads);
    if (threads > 0) control_.emplace(oneapi::tbb::global_control::max_allowed_parallelism, threads);
  }

 private:
  std::optional<oneapi::tbb::global_control> control_;
};

}  // namespace eqr::cpu
