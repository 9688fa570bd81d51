// libFuzzer target for the checkpoint reader (nn/checkpoint_format.hpp): arbitrary bytes must either decode
// or throw eqr::io_error — never crash, read out of bounds, overflow, leak, or throw anything else.
// Seeds: tests/fuzz/corpus/checkpoint/ (written by test_nn_checkpoint with EQR_WRITE_CHECKPOINT_SEEDS=<dir>).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "eqr/nn/checkpoint_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto records = eqr::nn::decode_checkpoint(std::span<const std::uint8_t>(data, size), "<fuzz>");
    // A decoded file must re-encode to the same bytes (the format has one encoding per content) — except
    // for NaNs, whose payload a float → double → float conversion may quieten.
    for (const auto& r : records)
      for (double v : r.values)
        if (v != v) return 0;
    const auto again = eqr::nn::encode_checkpoint(records);
    if (again.size() != size) __builtin_trap();
    for (std::size_t i = 0; i < size; ++i)
      if (again[i] != data[i]) __builtin_trap();
  } catch (const eqr::io_error&) {
    // rejected input: the expected outcome for almost every mutation
  }
  return 0;
}
