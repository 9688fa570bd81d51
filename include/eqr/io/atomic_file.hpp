/// @file io/atomic_file.hpp
/// Atomic, durable file writing: every file EquiRecon writes goes first to a temporary file beside its
/// destination ("<path>.tmp-<pid>-<n>", n unique within the process) and is renamed onto the destination only
/// once it is complete (DESIGN.md §3), so a crash, a full disk or an exception never leaves a half-written
/// output behind. The temporary file is synced (fsync) before the rename and the directory after it, so
/// after a power loss the destination holds either its previous content or the new one — never an empty
/// file where a good checkpoint was (ext4 and XFS may otherwise persist the rename before the data).
#pragma once

#include <atomic>
#include <cerrno>
#include <concepts>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "eqr/config.hpp"

namespace eqr::io {

/// A callable that writes a file's whole content into a binary output stream.
template <class F>
concept StreamWriter = std::invocable<F&, std::ostream&>;

/// A fresh temporary path for one write of `path`: "<path>.tmp-<pid>-<n>" in the same directory (so the final
/// rename stays on one file system and is atomic, POSIX rename(2)), with n counted per process, so that two
/// threads writing the same destination never share a temporary file.
inline std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned long long> writes{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(static_cast<long>(::getpid())) + "-" + std::to_string(writes.fetch_add(1));
  return tmp;
}

namespace detail {

/// fsync(2) of an existing file (`directory` false) or directory; throws io_error naming the destination
/// being written. A directory on a file system that cannot sync directories (EINVAL) is accepted.
inline void sync_to_disk(const std::filesystem::path& target, bool directory,
                         const std::filesystem::path& destination) {
  const int fd = ::open(target.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
  EQR_EXPECTS(fd >= 0, io_error, "cannot write '", destination.string(), "': opening '", target.string(),
              "' to sync it failed: ", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  EQR_EXPECTS(rc == 0 || (directory && error == EINVAL), io_error, "cannot write '", destination.string(),
              "': syncing '", target.string(), "' to disk failed: ", std::strerror(error));
}

}  // namespace detail

/// Writes a file atomically and durably: `write(stream)` fills a fresh temporary file beside `path`, which
/// is then flushed, closed, synced to disk and renamed onto `path`, and the directory is synced.  On any
/// failure (an exception from `write`, a stream error, a failed sync or rename) the temporary file is
/// removed, `path` is left untouched, and an `io_error` (or the exception thrown by `write`) propagates.
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
  detail::sync_to_disk(tmp, false, path);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  EQR_EXPECTS(!ec, io_error, "cannot write '", path.string(), "': renaming the finished temporary file '",
              tmp.string(), "' onto it failed: ", ec.message());
  cleanup.armed = false;
  const std::filesystem::path directory = path.parent_path();
  detail::sync_to_disk(directory.empty() ? std::filesystem::path(".") : directory, true, path);
}

}  // namespace eqr::io
