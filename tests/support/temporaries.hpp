/// @file tests/support/temporaries.hpp
/// Whether a directory still holds a temporary file of an atomic write (io/atomic_file.hpp names them
/// "<file>.tmp-<pid>-<n>"): after a write, successful or failed, none may remain.
#pragma once

#include <filesystem>
#include <string>

namespace eqr::testing {

/// True if any entry of `dir` (not recursive) is named like an atomic write's temporary file.
inline bool has_temporary_files(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

}  // namespace eqr::testing
