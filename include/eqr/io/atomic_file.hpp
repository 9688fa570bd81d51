/// @file io/atomic_file.hpp
/// Atomic file writing: every file EquiRecon writes goes first to a temporary file beside its destination
/// ("<path>.tmp-<pid>") and is renamed onto the destination only once it is complete (DESIGN.md §3), so a
/// crash, a full disk or an exception never leaves a half-written output behind.
#pragma once

#include <concepts>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <unistd.h>

#include "eqr/config.hpp"

namespace eqr::io {

/// A callable that writes a file's whole content into a binary output stream.
template <class F>
concept StreamWriter = std::invocable<F&, std::ostream&>;

/// The temporary path used while writing `path`: "<path>.tmp-<pid>", in the same directory, so the final
/// rename stays on one file system and is atomic (POSIX rename(2)).
inline std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(static_cast<long>(::getpid()));
  return tmp;
}

/// Writes a file atomically: `write(stream)` fills a temporary file beside `path`, which is then flushed,
/// closed and renamed onto `path`.  On any failure (an exception from `write`, a stream error, a failed
/// rename) the temporary file is removed, `path` is left untouched, and an `io_error` (or the exception
/// thrown by `write`) propagates.
template <StreamWriter F>
void write_atomically(const std::filesystem::path& path, F&& write) {
  EQR_EXPECTS(!path.empty(), io_error, "write: expected an output file name, found an empty path");
  const std::filesystem::path tmp = temporary_path_for(path);
  struct Cleanup {
    const std::filesystem::path& file;
    bool armed = true;
    ~Cleanup() {
      if (armed) {
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
      }
    }
  } cleanup{tmp};
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    EQR_EXPECTS(out.is_open(), io_error, "cannot write '", path.string(), "': expected a writable location, but the ",
                "temporary file '", tmp.string(), "' could not be created");
    write(static_cast<std::ostream&>(out));
    out.flush();
    EQR_EXPECTS(out.good(), io_error, "cannot write '", path.string(),
                "': the output stream failed while writing (disk full or file system error)");
    out.close();
    EQR_EXPECTS(!out.fail(), io_error, "cannot write '", path.string(), "': closing the temporary file failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  EQR_EXPECTS(!ec, io_error, "cannot write '", path.string(), "': renaming the finished temporary file '",
              tmp.string(), "' onto it failed: ", ec.message());
  cleanup.armed = false;
}

}  // namespace eqr::io
