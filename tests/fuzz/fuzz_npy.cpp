// libFuzzer target for the .npy and .npz readers (io/npy.hpp, io/npz.hpp): arbitrary bytes, read as a .npy
// file and as a .npz archive, must either be read or throw eqr::io_error — never crash, read out of bounds,
// allocate what the data cannot hold, leak, or throw anything else.
// Seeds: tests/fuzz/corpus/npy/ (copies of NumPy-written fixtures of tests/data/npy/).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eqr/io/npy.hpp"
#include "eqr/io/npz.hpp"

namespace {

/// An array that was read must satisfy the class invariant: as many elements as its shape says.
void check_invariant(const eqr::io::NpyArray& a) {
  std::size_t n = 1;
  for (std::size_t d : a.shape()) n *= d;
  if (a.size() != n || a.byte_size() != n * eqr::io::item_size(a.dtype())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    check_invariant(eqr::io::read_npy_bytes(bytes, "<fuzz>"));
  } catch (const eqr::io_error&) {
    // rejected input: the expected outcome for almost every mutation
  }
  try {
    for (const auto& [name, array] : eqr::io::read_npz_bytes(bytes, "<fuzz>")) check_invariant(array);
  } catch (const eqr::io_error&) {
  }
  return 0;
}
