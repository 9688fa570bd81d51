// Checkpoints: a round trip of a network's parameters and Adam's state (training continues identically), and
// every corruption case — truncation at every length, a flipped byte in each part of the file, wrong magic,
// version, dtype, trailing bytes, duplicate names — and every mismatch with the model (wrong shape, missing
// or extra parameter, missing optimiser state): each is an io_error naming the file and the parameter, and
// leaves the model unchanged.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/training.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/checkpoint.hpp"
#include "eqr/nn/checkpoint_format.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/optimizers.hpp"
#include "eqr/reps/reps.hpp"

namespace {

using B = eqr::cpu::CpuBackend<float>;
using G = eqr::C4;
using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 2>>;
using Lift = eqr::EquivariantConv<G, Tr, Reg, B>;
using Phi = eqr::PointwiseNonlinearity<Reg, B>;
using Proj = eqr::EquivariantConv<G, Reg, Tr, B>;
using Net = eqr::Sequential<Lift, Phi, Proj>;

Net make_net(std::uint64_t seed, bool bias = true) {
  return Net(Lift(eqr::EquivariantConvOptions(3).seed(seed).bias(bias)), Phi(),
             Proj(eqr::EquivariantConvOptions(3).seed(seed + 1)));
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("eqr_test_nn_checkpoint_" + std::to_string(::getpid()) + "_" + name);
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<float> all_values(Net& net) {
  std::vector<float> out;
  net.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<B>& p) {
    const auto v = B::to_host(p.value);
    out.insert(out.end(), v.begin(), v.end());
  });
  return out;
}

/// One training step on a fixed input with loss ½‖f(x)‖², so that two copies can be compared step for step.
void train_step(Net& net, eqr::nn::Adam<B>& opt) {
  std::vector<float> x(64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37 % 11) / 11.0);
  Net::context ctx;
  const auto y = net.forward(B::from_host({1, 1, 8, 8}, x), ctx);
  eqr::nn::zero_grad(net);
  net.backward(ctx, y);
  opt.step(net);
}

void check_io_error_mentions(const std::filesystem::path& p, Net& net, const std::string& part) {
  const auto before = all_values(net);
  try {
    eqr::nn::load_checkpoint(p, net);
    FAIL("expected an io_error mentioning '" << part << "'");
  } catch (const eqr::io_error& e) {
    INFO(std::string(e.what()));
    CHECK(std::string(e.what()).find(part) != std::string::npos);
  }
  CHECK(all_values(net) == before);
}

}  // namespace

TEST_CASE("Checkpoint: parameters and Adam state round-trip, and training continues identically") {
  Net a = make_net(1);
  eqr::nn::Adam<B> opt_a(eqr::nn::AdamOptions{}.lr(1e-2));
  train_step(a, opt_a);
  train_step(a, opt_a);
  const auto path = temp_file("roundtrip.eqrckpt");
  eqr::nn::save_checkpoint(path, a, opt_a);

  Net b = make_net(99);
  eqr::nn::Adam<B> opt_b(eqr::nn::AdamOptions{}.lr(1e-2));
  CHECK(all_values(b) != all_values(a));
  eqr::nn::load_checkpoint(path, b, opt_b);
  CHECK(all_values(b) == all_values(a));
  CHECK(opt_b.steps() == 2);
  train_step(a, opt_a);
  train_step(b, opt_b);
  CHECK(all_values(b) == all_values(a));  // bitwise: same state, same arithmetic

  // Parameters only: optimiser records are ignored.
  Net c = make_net(5);
  eqr::nn::load_checkpoint(path, c);
  Net a_copy = make_net(1);
  eqr::nn::load_checkpoint(path, a_copy);
  CHECK(all_values(c) == all_values(a_copy));
  std::filesystem::remove(path);
}

TEST_CASE("Checkpoint: SGD momentum buffers round-trip too") {
  const auto step = [](Net& net, eqr::nn::Sgd<B>& opt) {
    std::vector<float> x(64, 0.5f);
    Net::context ctx;
    const auto y = net.forward(B::from_host({1, 1, 8, 8}, x), ctx);
    eqr::nn::zero_grad(net);
    net.backward(ctx, y);
    opt.step(net);
  };
  Net a = make_net(1);
  eqr::nn::Sgd<B> opt_a(eqr::nn::SgdOptions{}.lr(1e-2).momentum(0.9));
  step(a, opt_a);
  const auto path = temp_file("sgd.eqrckpt");
  eqr::nn::save_checkpoint(path, a, opt_a);
  Net b = make_net(7);
  eqr::nn::Sgd<B> opt_b(eqr::nn::SgdOptions{}.lr(1e-2).momentum(0.9));
  eqr::nn::load_checkpoint(path, b, opt_b);
  CHECK(opt_b.steps() == 1);
  step(a, opt_a);
  step(b, opt_b);  // uses the restored momentum (a fresh buffer would take a different step)
  CHECK(all_values(b) == all_values(a));
  std::filesystem::remove(path);
}

TEST_CASE("Checkpoint format: records of both dtypes and any rank encode and decode exactly") {
  std::vector<eqr::nn::CheckpointRecord> records{
      {"scalar", {}, eqr::nn::CheckpointDType::float64, {3.141592653589793}},
      {"w", {2, 3}, eqr::nn::CheckpointDType::float32, {1, -2, 0.5f, 1e-30f, 3e30f, 0}},
      {"empty", {0, 4}, eqr::nn::CheckpointDType::float64, {}}};
  const auto bytes = eqr::nn::encode_checkpoint(records);
  // Header 20 bytes; "scalar": 4 + 6 + 2 + 0 + 8 + 4; "w": 4 + 1 + 2 + 16 + 24 + 4; "empty": 4 + 5 + 2 + 16 + 0 + 4.
  CHECK(bytes.size() == 20 + 24 + 51 + 31);
  const auto back = eqr::nn::decode_checkpoint(bytes);
  REQUIRE(back.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back[i].name == records[i].name);
    CHECK(back[i].shape == records[i].shape);
    CHECK(back[i].dtype == records[i].dtype);
    CHECK(back[i].values == records[i].values);
  }
  // Little-endian on disk: the version field is 01 00 00 00.
  CHECK(bytes[8] == 1);
  CHECK(bytes[9] == 0);
  CHECK_THROWS_AS(eqr::nn::encode_checkpoint({{"x", {2}, eqr::nn::CheckpointDType::float32, {1}}}), eqr::value_error);
  CHECK_THROWS_AS(eqr::nn::encode_checkpoint({{"x", {}, eqr::nn::CheckpointDType::float32, {1}},
                                              {"x", {}, eqr::nn::CheckpointDType::float32, {1}}}),
                  eqr::value_error);
}

TEST_CASE("Checkpoint: every truncation and every flipped byte is an io_error") {
  Net a = make_net(1);
  const auto path = temp_file("corrupt.eqrckpt");
  eqr::nn::save_checkpoint(path, a);
  const auto bytes = read_bytes(path);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS_AS(eqr::nn::decode_checkpoint(std::span<const std::uint8_t>(bytes).first(n)), eqr::io_error);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] ^= 0x10;
    CHECK_THROWS_AS(eqr::nn::decode_checkpoint(bad), eqr::io_error);
  }
  // The messages name the file and the damaged parameter.
  auto bad = bytes;
  bad[bad.size() - 6] ^= 1;  // inside the last record's value: the projection's bias (1 float, then the CRC)
  write_bytes(path, bad);
  Net b = make_net(2);
  check_io_error_mentions(path, b, "parameter '2.bias': checksum mismatch");
  check_io_error_mentions(path, b, path.string());
  auto truncated = bytes;
  truncated.resize(bytes.size() - 3);
  write_bytes(path, truncated);
  check_io_error_mentions(path, b, "parameter '2.bias'");
  check_io_error_mentions(path, b, "truncated");
  auto trailing = bytes;
  trailing.push_back(0);
  write_bytes(path, trailing);
  check_io_error_mentions(path, b, "expected the end of the file");
  write_bytes(path, {'n', 'o', 't', ' ', 'a', ' ', 'c', 'k', 'p', 't'});
  check_io_error_mentions(path, b, "magic number");
  std::filesystem::remove(path);
  check_io_error_mentions(path, b, "expected a readable file");
}

TEST_CASE("Checkpoint: wrong version, unknown dtype and duplicate names") {
  const auto encode = [](std::vector<eqr::nn::CheckpointRecord> r) { return eqr::nn::encode_checkpoint(r); };
  const auto fix_header_crc = [](std::vector<std::uint8_t>& b) {
    const auto crc = eqr::io::Crc32().update(std::span<const std::uint8_t>(b).first(16)).value();
    for (int i = 0; i < 4; ++i) b[16 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  };
  auto v2 = encode({});
  v2[8] = 2;
  fix_header_crc(v2);
  CHECK_THROWS_WITH_AS(eqr::nn::decode_checkpoint(v2), "checkpoint '<memory>': expected format version 1, found 2",
                       eqr::io_error);
  // Two records "a" and "b"; renaming "b" to "a" (and fixing its CRC) makes a duplicate.
  auto dup = encode({{"a", {}, eqr::nn::CheckpointDType::float32, {1}}, {"b", {}, eqr::nn::CheckpointDType::float32, {2}}});
  const std::size_t second = 20 + (4 + 1 + 2 + 4 + 4);
  REQUIRE(dup[second + 4] == 'b');
  dup[second + 4] = 'a';
  const auto crc = eqr::io::Crc32().update(std::span<const std::uint8_t>(dup).subspan(second, 4 + 1 + 2 + 4)).value();
  for (int i = 0; i < 4; ++i) dup[second + 11 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  CHECK_THROWS_WITH_AS(eqr::nn::decode_checkpoint(dup),
                       "checkpoint '<memory>': parameter 'a' appears twice (expected unique names)", eqr::io_error);
  auto dtype = encode({{"a", {}, eqr::nn::CheckpointDType::float32, {1}}});
  dtype[20 + 4 + 1] = 7;
  CHECK_THROWS_WITH_AS(eqr::nn::decode_checkpoint(dtype),
                       "checkpoint '<memory>': parameter 'a': expected dtype 1 (float32) or 2 (float64), found 7",
                       eqr::io_error);
}

TEST_CASE("Checkpoint: a file that does not match the model names the parameter and changes nothing") {
  const auto path = temp_file("mismatch.eqrckpt");
  Net without_bias = make_net(1, false);
  eqr::nn::save_checkpoint(path, without_bias);
  Net with_bias = make_net(2, true);
  check_io_error_mentions(path, with_bias, "parameter '0.bias' is missing");

  eqr::nn::save_checkpoint(path, with_bias);
  check_io_error_mentions(path, without_bias, "parameter '0.bias' is in the file but not in the model");

  // Same names, other shapes: a lift to 3 regular fields instead of 2.
  using Reg3 = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>>;
  using Wide = eqr::Sequential<eqr::EquivariantConv<G, Tr, Reg3, B>, eqr::PointwiseNonlinearity<Reg3, B>,
                               eqr::EquivariantConv<G, Reg3, Tr, B>>;
  Wide wide(eqr::EquivariantConv<G, Tr, Reg3, B>(eqr::EquivariantConvOptions(3)), eqr::PointwiseNonlinearity<Reg3, B>(),
            eqr::EquivariantConv<G, Reg3, Tr, B>(eqr::EquivariantConvOptions(3)));
  eqr::nn::save_checkpoint(path, wide);
  check_io_error_mentions(path, with_bias, "parameter '0.coefficients': expected shape 1×12×1×1, found 1×18×1×1");

  // Parameters only in the file, but optimiser state requested.
  eqr::nn::save_checkpoint(path, with_bias);
  eqr::nn::Adam<B> opt;
  try {
    eqr::nn::load_checkpoint(path, with_bias, opt);
    FAIL("expected an io_error");
  } catch (const eqr::io_error& e) {
    CHECK(std::string(e.what()).find("parameter 'optimizer/adam.m.0.coefficients' is missing") != std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST_CASE("Checkpoint: writing is atomic") {
  const auto path = temp_file("atomic.eqrckpt");
  Net a = make_net(1);
  eqr::nn::save_checkpoint(path, a);
  const auto before = read_bytes(path);
  // A record that cannot be encoded: nothing is written, the old file stays.
  CHECK_THROWS_AS(eqr::nn::write_checkpoint_file(path, {{"", {}, eqr::nn::CheckpointDType::float32, {1}}}),
                  eqr::value_error);
  CHECK(read_bytes(path) == before);
  // An unwritable destination: io_error, no temporary file left behind.
  const auto missing_dir = temp_file("no_such_dir") / "x.eqrckpt";
  CHECK_THROWS_AS(eqr::nn::save_checkpoint(missing_dir, a), eqr::io_error);
  CHECK(!std::filesystem::exists(missing_dir.parent_path()));
  std::filesystem::remove(path);
}

TEST_CASE("Checkpoint: fuzzing seeds (written only when EQR_WRITE_CHECKPOINT_SEEDS names a directory)") {
  const char* dir = std::getenv("EQR_WRITE_CHECKPOINT_SEEDS");
  if (dir == nullptr) return;
  Net a = make_net(1);
  eqr::nn::Adam<B> opt;
  train_step(a, opt);
  using Small = eqr::Sequential<eqr::EquivariantConv<G, Tr, Tr, B>>;
  Small small(eqr::EquivariantConv<G, Tr, Tr, B>(eqr::EquivariantConvOptions(3)));
  eqr::nn::save_checkpoint(std::filesystem::path(dir) / "small_model", small);
  eqr::nn::save_checkpoint(std::filesystem::path(dir) / "model_with_adam", a, opt);
  eqr::nn::write_checkpoint_file(std::filesystem::path(dir) / "mixed_records",
                                 {{"scalar", {}, eqr::nn::CheckpointDType::float64, {2.5}},
                                  {"w", {2, 2}, eqr::nn::CheckpointDType::float32, {1, 2, 3, 4}}});
}
