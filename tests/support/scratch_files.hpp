/// @file tests/support/scratch_files.hpp
/// What the file-format tests share: a scratch directory per use, whole-file byte reads and writes (to
/// truncate and corrupt fixtures), and a check that a call is refused with an io_error naming what it must.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>

#include <doctest/doctest.h>
#include <unistd.h>

#include "eqr/config.hpp"

namespace eqr::testing {

/// A scratch directory unique to this process and this object (emptied when made), removed at the end.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    static std::atomic<int> count{0};
    dir = std::filesystem::temp_directory_path() /
          ("eqr_test_" + std::to_string(::getpid()) + "_" + std::to_string(count++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path operator/(const std::string& name) const { return dir / name; }
};

/// The whole content of a file.
inline std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `bytes` as the whole content of a file.
inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Checks that `f` throws io_error whose message contains every fragment.
template <class F>
void check_io_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL("expected an io_error");
  } catch (const io_error& e) {
    const std::string what = e.what();
    for (const auto& frag : fragments) CHECK_MESSAGE(what.find(frag) != std::string::npos, what, " lacks: ", frag);
  }
}

}  // namespace eqr::testing
