// libFuzzer target for the structural check that io/dicom.hpp runs before GDCM sees a file
// (io/detail/dicom_structure.hpp): arbitrary bytes must either pass or throw eqr::io_error — never crash,
// read out of bounds, recurse without bound, or throw anything else.  GDCM itself is not fuzzed here: it is
// an uninstrumented system library whose assert()s abort on malformed input (see io/dicom.hpp).
// Seeds: tests/fuzz/corpus/dicom/ (small DICOM files: explicit and implicit VR little endian, explicit VR
// big endian, sequences of defined and undefined length, encapsulated pixel data), written by
// tests/fuzz/make_dicom_seeds.py.
#include <cstddef>
#include <cstdint>
#include <string>

#include "eqr/io/detail/dicom_structure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    eqr::io::detail::check_dicom_structure(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
  } catch (const eqr::io_error&) {
    // rejected input: the expected outcome for most mutations
  }
  return 0;
}
