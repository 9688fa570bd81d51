// .npz reading: archives that numpy.savez and numpy.savez_compressed wrote (tests/data/npy/), checked element
// by element against the formulas of make_fixtures.py, member names as NumPy's NpzFile gives them, and an
// io_error naming the file and the member for every truncated, corrupt or unsuitable archive.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>


#include "eqr/io/npz.hpp"

#include "../support/scratch_files.hpp"

namespace fs = std::filesystem;
using eqr::testing::Scratch;
using eqr::testing::check_io_error;
using eqr::testing::file_bytes;
using eqr::testing::write_bytes;
using namespace eqr;
using namespace eqr::io;

namespace {

fs::path fixture(const std::string& name) { return fs::path(EQR_NPY_FIXTURE_DIR) / name; }

/// make_fixtures.py's "volume": int16 (2, 3, 4), value k·37 − 400 at C-order index k.
void check_volume(const NpyArray& a) {
  REQUIRE(a.dtype() == DType::int16);
  REQUIRE(a.shape() == std::vector<std::size_t>{2, 3, 4});
  const auto& v = a.values<std::int16_t>();
  for (std::size_t k = 0; k < v.size(); ++k)
    CHECK_MESSAGE(v[k] == static_cast<std::int16_t>(static_cast<int>(k) * 37 - 400), "element ", k);
}

/// make_fixtures.py's "arr_0": uint8 (2, 2), value k mod 2.
void check_mask(const NpyArray& a) {
  REQUIRE(a.dtype() == DType::uint8);
  REQUIRE(a.shape() == std::vector<std::size_t>{2, 2});
  CHECK(a.values<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 0, 1});
}

/// The offset of the first member's data in a zip file: after its 30-byte local header, name and extra field.
std::size_t first_member_data(const std::string& zip) {
  const auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(zip[at])) |
           static_cast<std::size_t>(static_cast<unsigned char>(zip[at + 1])) << 8;
  };
  REQUIRE(zip.substr(0, 4) == std::string("PK\x03\x04", 4));
  return 30 + u16(26) + u16(28);
}

}  // namespace

TEST_CASE("numpy.savez: stored members, named without .npy, read element by element") {
  CHECK(npz_member_names(fixture("savez.npz")) == std::vector<std::string>{"volume", "spacing", "arr_0"});
  const std::map<std::string, NpyArray> all = read_npz(fixture("savez.npz"));
  REQUIRE(all.size() == 3);
  check_volume(all.at("volume"));
  check_mask(all.at("arr_0"));
  const NpyArray& spacing = all.at("spacing");
  CHECK(spacing.dtype() == DType::float64);
  CHECK(spacing.values<double>() == std::vector<double>{0.5, 0.75, 2.0});
  // One member by name, with or without the suffix, as NpzFile accepts both.
  check_volume(read_npz_array(fixture("savez.npz"), "volume"));
  check_volume(read_npz_array(fixture("savez.npz"), "volume.npy"));
}

TEST_CASE("numpy.savez_compressed: deflated members, a Fortran-order one transposed into C order") {
  CHECK(npz_member_names(fixture("savez_compressed.npz")) == std::vector<std::string>{"volume", "image", "arr_0"});
  const auto all = read_npz(fixture("savez_compressed.npz"));
  REQUIRE(all.size() == 3);
  check_volume(all.at("volume"));
  check_mask(all.at("arr_0"));
  // "image": float32 (2, 3, 4) in Fortran order, value k·0.25 − 3 at C-order index k.
  const auto image = read_npz_array(fixture("savez_compressed.npz"), "image").as<float>();
  REQUIRE(image.shape() == std::vector<std::size_t>{2, 3, 4});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t l = 0; l < 4; ++l)
        CHECK(image(i, j, l) == static_cast<float>((i * 3 + j) * 4 + l) * 0.25f - 3.f);
  // The same archive from memory.
  const std::string bytes = file_bytes(fixture("savez_compressed.npz"));
  const auto from_memory = read_npz_bytes(bytes, "in-memory.npz");
  REQUIRE(from_memory.size() == 3);
  CHECK(from_memory.at("image").values<float>() == all.at("image").values<float>());
  CHECK(from_memory.at("volume").values<std::int16_t>() == all.at("volume").values<std::int16_t>());
}

TEST_CASE("a missing member, file or archive is an io_error naming what was found") {
  check_io_error([&] { (void)read_npz_array(fixture("savez.npz"), "image"); },
                 {"savez.npz", "expected a member named 'image'", "found only 'volume', 'spacing', 'arr_0'"});
  Scratch s;
  check_io_error([&] { (void)read_npz(s / "missing.npz"); }, {"missing.npz", "no such file"});
  write_bytes(s / "empty.npz", "");
  check_io_error([&] { (void)read_npz(s / "empty.npz"); }, {"empty.npz", "an empty file"});
  check_io_error([&] { (void)read_npz(fixture("int16_c.npy")); }, {"int16_c.npy", "expected a .npz (zip) archive"});
  check_io_error([&] { (void)read_npz_bytes("", "nothing.npz"); }, {"'nothing.npz'", "found no bytes"});
}

TEST_CASE("truncated archives and corrupt member data are refused, naming the file and the member") {
  Scratch s;
  const std::string stored = file_bytes(fixture("savez.npz"));
  write_bytes(s / "half.npz", stored.substr(0, stored.size() / 2));
  check_io_error([&] { (void)read_npz(s / "half.npz"); },
                 {"half.npz", "expected a .npz (zip) archive", "no zip central directory", "truncated"});
  // One flipped data byte of a stored member: its CRC no longer matches.
  std::string flipped = stored;
  flipped[first_member_data(stored) + 130] ^= 0x5A;
  write_bytes(s / "crc.npz", flipped);
  check_io_error([&] { (void)read_npz(s / "crc.npz"); }, {"crc.npz", "member 'volume.npy'", "CRC", "corrupt member"});
  check_io_error([&] { (void)read_npz_array(s / "crc.npz", "volume"); }, {"crc.npz", "member 'volume.npy'", "CRC"});
  check_mask(read_npz_array(s / "crc.npz", "arr_0"));  // the other members are still readable
  // Flipped bytes inside a deflated member: invalid compressed data or a CRC mismatch, either way libzip's.
  const std::string deflated = file_bytes(fixture("savez_compressed.npz"));
  std::string bad = deflated;
  const std::size_t at = first_member_data(deflated);
  for (std::size_t i = 4; i < 12; ++i) bad[at + i] ^= 0xFF;
  write_bytes(s / "inflate.npz", bad);
  check_io_error([&] { (void)read_npz_array(s / "inflate.npz", "volume"); },
                 {"inflate.npz", "member 'volume.npy'", "corrupt member", "libzip"});
  check_io_error([&] { (void)read_npz_bytes(bad, "inflate-in-memory"); },
                 {"inflate-in-memory", "member 'volume.npy'", "corrupt member"});
}

TEST_CASE("members that are not .npy files or whose .npy data is truncated are refused") {
  // Written with Python's zipfile: sound archives whose members are not what numpy.savez writes.
  check_io_error([&] { (void)read_npz(fixture("not_npy_member.npz")); },
                 {"not_npy_member.npz", "member 'readme.txt'", "expected a .npy file", "\\x93NUMPY"});
  check_volume(read_npz_array(fixture("not_npy_member.npz"), "volume"));
  CHECK(npz_member_names(fixture("not_npy_member.npz")) == std::vector<std::string>{"volume", "readme.txt"});
  check_io_error([&] { (void)read_npz(fixture("truncated_member.npz")); },
                 {"truncated_member.npz", "member 'volume.npy'", "expected 48 bytes of data for (2, 3, 4) int16",
                  "found 46", "truncated"});
}

TEST_CASE("every truncation and every single-byte change of an archive is read or refused as io_error") {
  for (const char* name : {"savez.npz", "savez_compressed.npz"}) {
    const std::string good = file_bytes(fixture(name));
    for (std::size_t n = 0; n < good.size(); ++n)
      CHECK_THROWS_AS((void)read_npz_bytes(std::string_view(good).substr(0, n), name), io_error);
    for (std::size_t pos = 0; pos < good.size(); ++pos) {
      std::string bad = good;
      bad[pos] = static_cast<char>(bad[pos] ^ 0x41);
      try {
        (void)read_npz_bytes(bad, name);
      } catch (const io_error&) {
      } catch (const std::exception& e) {
        FAIL(name, " byte ", pos, ": unexpected exception ", e.what());
      }
    }
  }
}
