// .npy reading and writing: byte-exact headers as NumPy writes them, round trips of every dtype, files that
// NumPy itself wrote (tests/data/npy/, integer dtypes and Fortran order, values recomputed here), and an
// io_error naming the file for every kind of corrupt, truncated or unsupported file.
#include <doctest/doctest.h>

#include <complex>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "eqr/io/npy.hpp"
#include "eqr/core/random.hpp"

#include "../support/scratch_files.hpp"
#include "../support/temporaries.hpp"

namespace fs = std::filesystem;
using eqr::testing::Scratch;
using eqr::testing::check_io_error;
using eqr::testing::file_bytes;
using eqr::testing::write_bytes;
using namespace eqr;
using namespace eqr::io;
using eqr::testing::has_temporary_files;

namespace {

/// A .npy file built by hand: preamble of the given version + header dict padded to 64 + raw data bytes.
std::string hand_made(int major, const std::string& dict, const std::string& data) {
  const std::size_t preamble = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t n = header.size();
  for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
  return s;
}

}  // namespace

TEST_CASE("the writer produces NumPy's exact 1.0 header bytes") {
  Scratch s;
  const xt::xarray<float> a = {{0.f, 1.f, 2.f}, {3.f, 4.f, 5.f}};
  save_npy(s / "a.npy", a);
  const std::string bytes = file_bytes(s / "a.npy");
  // np.save(np.arange(6, dtype='<f4').reshape(2, 3)): header length 118 = 'v', data at byte 128.
  const std::string expected_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  REQUIRE(bytes.size() == 128 + 6 * 4);
  CHECK(bytes.substr(0, 10) == std::string("\x93NUMPY\x01\x00v\x00", 10));
  CHECK(bytes.substr(10, expected_dict.size()) == expected_dict);
  CHECK(bytes[127] == '\n');
  CHECK(bytes.substr(10 + expected_dict.size(), 127 - 10 - expected_dict.size()) ==
        std::string(127 - 10 - expected_dict.size(), ' '));
  CHECK(bytes.substr(128) == raw<float>({0, 1, 2, 3, 4, 5}));
  CHECK_FALSE(has_temporary_files(s.dir));
}

TEST_CASE("hand-made files of versions 1.0, 2.0 and 3.0 are read, keys in any order") {
  Scratch s;
  write_bytes(s / "v1.npy", hand_made(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                                      raw<double>({1.5, -2.0, 1e300})));
  write_bytes(s / "v2.npy", hand_made(2, "{'shape': (2, 1), 'fortran_order': False, 'descr': '<i4'}",
                                      raw<std::int32_t>({7, -9})));
  write_bytes(s / "v3.npy", hand_made(3, "{\"descr\": \"<c8\", \"fortran_order\": False, \"shape\": ()}",
                                      raw<std::complex<float>>({{1.f, -3.f}})));
  const NpyArray a = read_npy(s / "v1.npy");
  CHECK(a.dtype() == DType::float64);
  CHECK(a.shape() == std::vector<std::size_t>{3});
  CHECK(a.values<double>() == std::vector<double>{1.5, -2.0, 1e300});
  const NpyArray b = read_npy(s / "v2.npy");
  CHECK(b.dtype() == DType::int32);
  CHECK(b.shape() == std::vector<std::size_t>{2, 1});
  CHECK(b.values<std::int32_t>() == std::vector<std::int32_t>{7, -9});
  const NpyArray c = read_npy(s / "v3.npy");
  CHECK(c.ndim() == 0);
  CHECK(c.size() == 1);
  CHECK(c.values<std::complex<float>>()[0] == std::complex<float>(1.f, -3.f));
}

TEST_CASE_TEMPLATE("round trip keeps dtype, shape and every value", T, float, double, std::complex<float>,
                   std::complex<double>, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                   std::uint16_t, std::uint32_t) {
  Scratch s;
  xt::xtensor<T, 4> x = xt::xtensor<T, 4>::from_shape({2, 1, 3, 5});
  for (std::size_t i = 0; i < x.size(); ++i) {
    if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
      x.flat(i) = T(static_cast<typename T::value_type>(i) * 0.25f, -static_cast<typename T::value_type>(i));
    else
      x.flat(i) = static_cast<T>(static_cast<int>(i * 7 % 23) - (std::is_unsigned_v<T> ? 0 : 11));
  }
  save_npy(s / "x.npy", x);
  const auto y = load_npy_tensor<T, 4>(s / "x.npy");
  CHECK(y.shape() == x.shape());
  CHECK(y == x);
  const auto z = load_npy<T>(s / "x.npy");
  CHECK(z.dimension() == 4);
  // Data offset is a multiple of 64 and the file holds exactly the elements.
  CHECK(fs::file_size(s / "x.npy") == 128 + x.size() * sizeof(T));
}

TEST_CASE("empty and zero-dimensional arrays, booleans") {
  Scratch s;
  const NpyArray empty(DType::float32, {0, 4});
  write_npy(s / "e.npy", empty);
  const NpyArray e = read_npy(s / "e.npy");
  CHECK(e.shape() == std::vector<std::size_t>{0, 4});
  CHECK(e.size() == 0);
  write_bytes(s / "b.npy", hand_made(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                                     std::string("\x01\x00\x01", 3)));
  const auto b = read_npy(s / "b.npy").as<float>();
  CHECK(b == xt::xarray<float>{1.f, 0.f, 1.f});
  write_bytes(s / "b2.npy", hand_made(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }",
                                      std::string("\x02", 1)));
  check_io_error([&] { (void)read_npy(s / "b2.npy"); }, {"b2.npy", "booleans", "2"});
}

TEST_CASE("conversions: real to real and complex; complex to real is refused") {
  NpyArray a(DType::int32, {2});
  a.values<std::int32_t>() = {3, -4};
  CHECK(a.as<double>() == xt::xarray<double>{3.0, -4.0});
  CHECK(a.as<std::complex<float>>()(1) == std::complex<float>(-4.f, 0.f));
  NpyArray c(DType::complex64, {1});
  c.values<std::complex<float>>()[0] = {1.f, 2.f};
  CHECK(c.as<std::complex<double>>()(0) == std::complex<double>(1.0, 2.0));
  CHECK_THROWS_AS((void)c.as<float>(), value_error);
  CHECK_THROWS_AS((void)a.values<float>(), value_error);
}

TEST_CASE("corrupt, truncated and unsupported files are io_errors naming the file and the problem") {
  Scratch s;
  const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string two = raw<float>({1.f, 2.f});
  check_io_error([&] { (void)read_npy(s / "missing.npy"); }, {"missing.npy", "no such file"});

  write_bytes(s / "magic.npy", "PK\x03\x04 not an npy file at all, just text");
  check_io_error([&] { (void)read_npy(s / "magic.npy"); }, {"magic.npy", "\\x93NUMPY"});

  write_bytes(s / "short.npy", std::string("\x93NUM", 4));
  check_io_error([&] { (void)read_npy(s / "short.npy"); }, {"short.npy", "shorter than the 8-byte preamble"});

  std::string v4 = hand_made(1, good_dict, two);
  v4[6] = 4;
  write_bytes(s / "v4.npy", v4);
  check_io_error([&] { (void)read_npy(s / "v4.npy"); }, {"v4.npy", "version", "found 4.0"});

  const std::string full = hand_made(1, good_dict, two);
  write_bytes(s / "cut_header.npy", full.substr(0, 40));
  check_io_error([&] { (void)read_npy(s / "cut_header.npy"); }, {"cut_header.npy", "truncated .npy header"});

  write_bytes(s / "cut_data.npy", full.substr(0, full.size() - 1));
  check_io_error([&] { (void)read_npy(s / "cut_data.npy"); }, {"cut_data.npy", "expected 8 bytes", "found 7", "truncated"});

  write_bytes(s / "long.npy", full + "x");
  check_io_error([&] { (void)read_npy(s / "long.npy"); }, {"long.npy", "found 9", "trailing"});

  write_bytes(s / "big.npy", hand_made(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", two));
  check_io_error([&] { (void)read_npy(s / "big.npy"); }, {"big.npy", "little-endian", "'>f4'"});

  write_bytes(s / "fortran.npy", hand_made(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", two));
  check_io_error([&] { (void)read_npy(s / "fortran.npy"); },
                 {"fortran.npy", "expected 12 bytes", "(Fortran order)", "found 8", "truncated"});

  write_bytes(s / "half.npy", hand_made(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", two));
  check_io_error([&] { (void)read_npy(s / "half.npy"); }, {"half.npy", "expected dtype", "int16 '<i2'", "found '<f2'"});

  write_bytes(s / "struct.npy",
              hand_made(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", two));
  check_io_error([&] { (void)read_npy(s / "struct.npy"); }, {"struct.npy", "structured"});

  write_bytes(s / "nokey.npy", hand_made(1, "{'descr': '<f4', 'shape': (2,), }", two));
  check_io_error([&] { (void)read_npy(s / "nokey.npy"); }, {"nokey.npy", "'fortran_order'"});

  write_bytes(s / "extra.npy",
              hand_made(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", two));
  check_io_error([&] { (void)read_npy(s / "extra.npy"); }, {"extra.npy", "the key 'x'"});

  write_bytes(s / "shape.npy", hand_made(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2; 1), }", two));
  check_io_error([&] { (void)read_npy(s / "shape.npy"); }, {"shape.npy", "')'", "';'"});

  write_bytes(s / "huge.npy", hand_made(1,
                                        "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
                                        "4294967296, 4294967296), }",
                                        two));
  check_io_error([&] { (void)read_npy(s / "huge.npy"); }, {"huge.npy", "fits in memory"});

  save_npy(s / "f.npy", xt::xarray<float>{1.f, 2.f});
  check_io_error([&] { (void)load_npy<double>(s / "f.npy"); }, {"f.npy", "expected dtype float64", "found float32"});
  CHECK_THROWS_AS((void)(load_npy_tensor<float, 2>(s / "f.npy")), shape_error);
}

TEST_CASE("writes are atomic: failures leave neither a partial file nor a temporary behind") {
  Scratch s;
  const fs::path target = s / "keep.npy";
  save_npy(target, xt::xarray<double>{1.0, 2.0});
  const std::string before = file_bytes(target);
  // A writer that fails half-way: the destination keeps its old content and no temporary remains.
  CHECK_THROWS_AS(write_atomically(target,
                                   [](std::ostream& out) {
                                     out << "partial";
                                     throw io_error("simulated failure");
                                   }),
                  io_error);
  CHECK(file_bytes(target) == before);
  CHECK_FALSE(has_temporary_files(s.dir));
  // A destination in a missing directory.
  check_io_error([&] { save_npy(s / "no_such_dir" / "x.npy", xt::xarray<float>{1.f}); }, {"x.npy", "writable"});
  CHECK_FALSE(fs::exists(s / "no_such_dir"));
}

TEST_CASE("every write has its own temporary, so threads writing one file never mix their bytes") {
  Scratch s;
  const fs::path target = s / "shared.bin";
  const fs::path a = temporary_path_for(target), b = temporary_path_for(target);
  CHECK(a != b);
  CHECK(a.parent_path() == target.parent_path());
  CHECK(a.filename().string().rfind("shared.bin.tmp-" + std::to_string(::getpid()) + "-", 0) == 0);
  // Eight threads write the same destination twenty times each, each thread its own 64 KiB content: every
  // write succeeds, and the destination ends as one complete content, never a mixture.
  std::vector<std::thread> writers;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t)
    writers.emplace_back([&, t] {
      const std::string content(65536, static_cast<char>('a' + t));
      for (int k = 0; k < 20; ++k) {
        try {
          write_atomically(target, [&](std::ostream& out) { out << content; });
        } catch (const std::exception&) {
          ++failures[t];
        }
      }
    });
  for (auto& w : writers) w.join();
  CHECK(failures == std::vector<int>(8, 0));
  const std::string final_bytes = file_bytes(target);
  REQUIRE(final_bytes.size() == 65536);
  CHECK(final_bytes == std::string(65536, final_bytes[0]));
  CHECK_FALSE(has_temporary_files(s.dir));
}

TEST_CASE("every truncation is an io_error, and corrupted headers never escape as other errors") {
  Scratch s;
  save_npy(s / "ok.npy", xt::xarray<double>{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  const std::string good = file_bytes(s / "ok.npy");
  for (std::size_t n = 0; n < good.size(); ++n) {
    write_bytes(s / "t.npy", good.substr(0, n));
    CHECK_THROWS_AS((void)read_npy(s / "t.npy"), io_error);
  }
  // Every single-byte change of the preamble and header: the reader either accepts a file that still
  // describes the same 48 data bytes, or throws io_error — nothing else, no crash, no huge allocation.
  Random rng(17);
  for (std::size_t pos = 0; pos < 128; ++pos) {
    for (int trial = 0; trial < 3; ++trial) {
      std::string bad = good;
      bad[pos] = static_cast<char>(rng.below(256));
      write_bytes(s / "c.npy", bad);
      try {
        const NpyArray a = read_npy(s / "c.npy");
        CHECK(a.byte_size() == 48);
      } catch (const io_error&) {
      } catch (const std::exception& e) {
        FAIL("byte ", pos, ": unexpected exception ", e.what());
      }
    }
  }
}

// ---- files written by NumPy (tests/data/npy/make_fixtures.py) --------------------------------------------

namespace {

fs::path fixture(const std::string& name) { return fs::path(EQR_NPY_FIXTURE_DIR) / name; }

/// Checks dtype, shape and every element of a fixture against `value(k)`, k the element's C-order index.
template <class T, class F>
void check_fixture(const NpyArray& a, DType dtype, const std::vector<std::size_t>& shape, F value) {
  REQUIRE(a.dtype() == dtype);
  REQUIRE(a.shape() == shape);
  const std::vector<T>& v = a.values<T>();
  REQUIRE(v.size() == a.size());
  for (std::size_t k = 0; k < v.size(); ++k) CHECK_MESSAGE(v[k] == value(static_cast<long long>(k)), "element ", k);
}

}  // namespace

TEST_CASE("integer arrays written by NumPy are read element by element") {
  const std::vector<std::size_t> s234{2, 3, 4};
  check_fixture<std::int16_t>(read_npy(fixture("int16_c.npy")), DType::int16, s234,
                              [](long long k) { return static_cast<std::int16_t>(k * 37 - 400); });
  check_fixture<std::uint16_t>(read_npy(fixture("uint16_c.npy")), DType::uint16, s234,
                               [](long long k) { return static_cast<std::uint16_t>(k * 2741 + 5); });
  check_fixture<std::uint8_t>(read_npy(fixture("uint8_c.npy")), DType::uint8, {3, 4},
                              [](long long k) { return static_cast<std::uint8_t>(k * 23); });
  check_fixture<std::int8_t>(read_npy(fixture("int8_c.npy")), DType::int8, {10},
                             [](long long k) { return static_cast<std::int8_t>(k * 25 - 120); });
  check_fixture<std::uint32_t>(read_npy(fixture("uint32_c.npy")), DType::uint32, {2, 3},
                               [](long long k) { return static_cast<std::uint32_t>(k * 715827882LL + 7); });
  // The largest uint16 value keeps its high bit through a conversion; the typed loaders accept the new dtypes.
  const auto u = load_npy_tensor<std::uint16_t, 3>(fixture("uint16_c.npy"));
  CHECK(u(1, 2, 3) == 23 * 2741 + 5);
  const auto d = read_npy(fixture("uint16_c.npy")).as<double>();
  CHECK(d(1, 2, 3) == 63048.0);
  const auto i = load_npy<std::int16_t>(fixture("int16_c.npy"));
  CHECK(i(0, 0, 0) == -400);
  CHECK(read_npy(fixture("int8_c.npy")).as<float>()(0) == -120.f);
  CHECK(read_npy(fixture("uint32_c.npy")).as<std::int64_t>()(1, 2) == 5LL * 715827882 + 7);
  check_io_error([&] { (void)load_npy<std::int32_t>(fixture("int16_c.npy")); },
                 {"int16_c.npy", "expected dtype int32", "found int16"});
}

TEST_CASE("Fortran-order arrays written by NumPy are transposed into C order with the logical shape") {
  // The logical array is value(k) at C-order index k = (i·3 + j)·4 + l; NumPy stored it column-major.
  const NpyArray f = read_npy(fixture("fortran_float32.npy"));
  check_fixture<float>(f, DType::float32, {2, 3, 4}, [](long long k) { return static_cast<float>(k) * 0.25f - 3.f; });
  const NpyArray i = read_npy(fixture("fortran_int16.npy"));
  check_fixture<std::int16_t>(i, DType::int16, {2, 3, 4},
                              [](long long k) { return static_cast<std::int16_t>(k * -113 + 1000); });
  // Element (i, j, l) by its indices, so a transposition that only looked right in flat order fails here.
  const auto t = load_npy_tensor<std::int16_t, 3>(fixture("fortran_int16.npy"));
  for (std::size_t a = 0; a < 2; ++a)
    for (std::size_t b = 0; b < 3; ++b)
      for (std::size_t c = 0; c < 4; ++c)
        CHECK(t(a, b, c) == static_cast<std::int16_t>(static_cast<int>((a * 3 + b) * 4 + c) * -113 + 1000));
  // The raw file holds the column-major order: its second element is logical (1, 0, 0), k = 12.
  const std::string bytes = file_bytes(fixture("fortran_int16.npy"));
  std::int16_t second = 0;
  std::memcpy(&second, bytes.data() + 128 + 2, 2);
  CHECK(second == static_cast<std::int16_t>(12 * -113 + 1000));
  // Written back, the array is C order and reads as the same values.
  Scratch s;
  write_npy(s / "c.npy", i);
  CHECK(file_bytes(s / "c.npy").find("'fortran_order': False") != std::string::npos);
  CHECK(read_npy(s / "c.npy").values<std::int16_t>() == i.values<std::int16_t>());
}

TEST_CASE("bytes in memory are read by the same reader as files") {
  const std::string bytes = file_bytes(fixture("fortran_float32.npy"));
  const NpyArray m = read_npy_bytes(bytes, "in-memory");
  CHECK(m.shape() == read_npy(fixture("fortran_float32.npy")).shape());
  CHECK(m.values<float>() == read_npy(fixture("fortran_float32.npy")).values<float>());
  check_io_error([&] { (void)read_npy_bytes(std::string_view(bytes).substr(0, 100), "in-memory"); },
                 {"'in-memory'", "truncated .npy header"});
  check_io_error([&] { (void)read_npy_bytes(std::string_view(bytes).substr(0, bytes.size() - 4), "in-memory"); },
                 {"'in-memory'", "expected 96 bytes", "(Fortran order)", "found 92", "truncated"});
}

TEST_CASE("NumPy's big-endian and short Fortran-order files are refused, naming the file and the problem") {
  check_io_error([&] { (void)read_npy(fixture("big_endian_int16.npy")); },
                 {"big_endian_int16.npy", "expected a little-endian array", "'>i2'"});
  Scratch s;
  const std::string good = file_bytes(fixture("fortran_int16.npy"));
  write_bytes(s / "short_fortran.npy", good.substr(0, good.size() - 2));
  check_io_error([&] { (void)read_npy(s / "short_fortran.npy"); },
                 {"short_fortran.npy", "expected 48 bytes of data for (2, 3, 4) int16 (Fortran order)", "found 46",
                  "truncated"});
  write_bytes(s / "long_fortran.npy", good + "xy");
  check_io_error([&] { (void)read_npy(s / "long_fortran.npy"); }, {"long_fortran.npy", "found 50", "trailing"});
}

TEST_CASE("read_npy_header gives a file's dtype, shape and order without reading the data") {
  for (const char* name : {"int16_c.npy", "fortran_float32.npy", "uint8_c.npy"}) {
    INFO(name);
    const auto header = read_npy_header(fixture(name));
    const NpyArray a = read_npy(fixture(name));
    CHECK(header.dtype == a.dtype());
    CHECK(header.shape == a.shape());  // the logical shape, in Fortran order too
    CHECK(header.fortran_order == (std::string(name) == "fortran_float32.npy"));
  }
  // The data are not read: a file cut after its header still has a header, but no array.
  Scratch s;
  const std::string bytes = file_bytes(fixture("int16_c.npy"));
  const std::size_t header_length = 10 + static_cast<unsigned char>(bytes[8]) + 256 * static_cast<unsigned char>(bytes[9]);
  write_bytes(s / "cut.npy", bytes.substr(0, header_length + 4));
  CHECK(read_npy_header(s / "cut.npy").shape == std::vector<std::size_t>{2, 3, 4});
  check_io_error([&] { (void)read_npy(s / "cut.npy"); }, {"cut.npy", "truncated file"});
  check_io_error([&] { (void)read_npy_header(s / "missing.npy"); }, {"missing.npy", "no such file"});
  write_bytes(s / "text.npy", "not a numpy file at all");
  check_io_error([&] { (void)read_npy_header(s / "text.npy"); }, {"text.npy"});
}
