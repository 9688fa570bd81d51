// PNG output: checksums against their standard check values, the file's chunk structure read back and
// verified byte by byte, windowing, and (when python3 is present) decoding by Python's zlib as an
// independent reader.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "eqr/io/png.hpp"

#include "../support/temporaries.hpp"

namespace fs = std::filesystem;
using namespace eqr;
using namespace eqr::io;

namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<std::uint8_t>(s[at + k]);
  return v;
}

struct Chunk {
  std::string type;
  std::string data;
};

/// Splits a PNG file into chunks, checking the signature, lengths and every CRC on the way.
std::vector<Chunk> read_chunks(const std::string& png) {
  REQUIRE(png.size() >= 8);
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  std::vector<Chunk> chunks;
  std::size_t pos = 8;
  while (pos < png.size()) {
    REQUIRE(pos + 12 <= png.size());
    const std::uint32_t length = be32(png, pos);
    REQUIRE(pos + 12 + length <= png.size());
    Chunk c{png.substr(pos + 4, 4), png.substr(pos + 8, length)};
    CHECK(be32(png, pos + 8 + length) == crc32(png.substr(pos + 4, 4 + length)));
    chunks.push_back(c);
    pos += 12 + length;
  }
  CHECK(pos == png.size());
  return chunks;
}

/// Inflates a zlib stream made only of stored blocks (what the writer promises), checking every field.
std::string inflate_stored(const std::string& z) {
  REQUIRE(z.size() >= 6);
  const auto cmf = static_cast<std::uint8_t>(z[0]), flg = static_cast<std::uint8_t>(z[1]);
  CHECK((cmf & 0x0F) == 8);          // deflate
  CHECK((cmf * 256 + flg) % 31 == 0);  // header check bits
  CHECK((flg & 0x20) == 0);          // no preset dictionary
  std::string out;
  std::size_t pos = 2;
  bool final = false;
  while (!final) {
    REQUIRE(pos + 5 <= z.size());
    const auto header = static_cast<std::uint8_t>(z[pos]);
    final = header & 1;
    CHECK(((header >> 1) & 3) == 0);  // stored
    const std::size_t len = static_cast<std::uint8_t>(z[pos + 1]) | (static_cast<std::uint8_t>(z[pos + 2]) << 8);
    const std::size_t nlen = static_cast<std::uint8_t>(z[pos + 3]) | (static_cast<std::uint8_t>(z[pos + 4]) << 8);
    CHECK(nlen == (~len & 0xFFFFu));
    REQUIRE(pos + 5 + len <= z.size());
    out += z.substr(pos + 5, len);
    pos += 5 + len;
  }
  REQUIRE(pos + 4 == z.size());
  CHECK(be32(z, pos) == adler32(out));
  return out;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("CRC-32 and Adler-32 match their standard check values") {
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(adler32("123456789") == 0x091E01DEu);
  CHECK(crc32("") == 0u);
  CHECK(adler32("") == 1u);
  // Running updates over pieces equal the checksum of the whole.
  CHECK(Crc32{}.update("1234").update("56789").value() == 0xCBF43926u);
  CHECK(Adler32{}.update("12345").update("6789").value() == 0x091E01DEu);
  // Adler-32 of 100000 bytes of 0xFF, long enough to exercise the modular reduction: s1 = 1 + 255·n,
  // s2 = n + 255·n(n+1)/2, both mod 65521.
  const std::string ff(100000, '\xFF');
  const std::uint64_t n = ff.size();
  const std::uint64_t s1 = (1 + 255 * n) % 65521, s2 = (n + 255 * n * (n + 1) / 2) % 65521;
  CHECK(adler32(ff) == static_cast<std::uint32_t>((s2 << 16) | s1));
}

TEST_CASE("a gray image reads back: signature, IHDR, one IDAT of stored blocks, IEND, every pixel") {
  Image8 img{5, 3, 1, {}};
  for (std::size_t i = 0; i < 15; ++i) img.pixels.push_back(static_cast<std::uint8_t>(i * 17));
  const auto chunks = read_chunks(encode_png(img));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].type == "IHDR");
  CHECK(chunks[1].type == "IDAT");
  CHECK(chunks[2].type == "IEND");
  CHECK(chunks[2].data.empty());
  const std::string& h = chunks[0].data;
  REQUIRE(h.size() == 13);
  CHECK(be32(h, 0) == 5);
  CHECK(be32(h, 4) == 3);
  CHECK(h[8] == 8);
  CHECK(h[9] == 0);
  CHECK(h.substr(10) == std::string(3, '\0'));
  const std::string raw = inflate_stored(chunks[1].data);
  REQUIRE(raw.size() == 3 * (1 + 5));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(raw[i * 6] == 0);
    for (std::size_t j = 0; j < 5; ++j) CHECK(static_cast<std::uint8_t>(raw[i * 6 + 1 + j]) == (i * 5 + j) * 17);
  }
}

TEST_CASE("RGB images and images larger than one stored block (65535 bytes)") {
  Image8 img{300, 250, 3, std::vector<std::uint8_t>(300 * 250 * 3)};
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<std::uint8_t>((i * 31) % 251);
  const auto chunks = read_chunks(encode_png(img));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].data[9] == 2);
  const std::string raw = inflate_stored(chunks[1].data);
  REQUIRE(raw.size() == 250 * (1 + 900));
  CHECK(chunks[1].data.size() == 2 + 5 * 4 + raw.size() + 4);  // 225250 bytes → 4 stored blocks
  for (std::size_t i = 0; i < 250; ++i) {
    CHECK(raw[i * 901] == 0);
    CHECK(raw.compare(i * 901 + 1, 900, reinterpret_cast<const char*>(img.pixels.data() + i * 900), 900) == 0);
  }
}

TEST_CASE("windowing: full range, explicit window with clipping, constant images, bad input") {
  const xt::xtensor<double, 2> x = {{-1.0, 0.0}, {0.5, 3.0}};
  const Image8 full = to_gray8(x);
  CHECK(full.pixels == std::vector<std::uint8_t>{0, 64, 96, 255});  // 255·(x+1)/4 rounded: 0, 63.75, 95.6, 255
  const Image8 clipped = to_gray8(x, Window{0.0, 1.0});
  CHECK(clipped.pixels == std::vector<std::uint8_t>{0, 0, 128, 255});  // 127.5 rounds away from zero
  const xt::xtensor<float, 2> flat = xt::xtensor<float, 2>::from_shape({2, 3});
  CHECK(to_gray8(xt::xtensor<float, 2>(flat * 0.f + 2.f)).pixels == std::vector<std::uint8_t>(6, 0));
  CHECK_THROWS_AS(to_gray8(x, Window{1.0, 1.0}), value_error);
  xt::xtensor<double, 2> bad = x;
  bad(0, 1) = std::nan("");
  CHECK_THROWS_AS(to_gray8(bad), value_error);
}

TEST_CASE("save_png writes atomically, and Python's zlib (if present) decodes the same pixels") {
  const fs::path dir = fs::temp_directory_path() / ("eqr_test_io_png_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  xt::xtensor<float, 2> x = xt::xtensor<float, 2>::from_shape({4, 6});
  for (std::size_t i = 0; i < x.size(); ++i) x.flat(i) = static_cast<float>(i);
  const fs::path file = dir / "ramp.png";
  save_png(file, x, Window{0.0, 23.0});
  CHECK_FALSE(eqr::testing::has_temporary_files(dir));
  const auto chunks = read_chunks(file_bytes(file));
  const std::string raw = inflate_stored(chunks.at(1).data);
  CHECK(static_cast<std::uint8_t>(raw[1]) == 0);
  CHECK(static_cast<std::uint8_t>(raw.back()) == 255);
  if (std::system("python3 -c 'import zlib' > /dev/null 2>&1") == 0) {
    // Independent reader: Python extracts IDAT, inflates it with zlib and checks the expected ramp.
    const std::string script =
        "import zlib,struct,sys\n"
        "d=open(sys.argv[1],'rb').read(); p=8; idat=b''\n"
        "while p<len(d):\n"
        "  n,=struct.unpack('>I',d[p:p+4]); t=d[p+4:p+8]\n"
        "  assert zlib.crc32(d[p+4:p+8+n])==struct.unpack('>I',d[p+8+n:p+12+n])[0]\n"
        "  idat+=d[p+8:p+8+n] if t==b'IDAT' else b''; p+=12+n\n"
        "r=zlib.decompress(idat)\n"
        "rows=[r[i*7+1:i*7+7] for i in range(4)]\n"
        "want=[bytes(int(255*(i*6+j)/23+0.5) for j in range(6)) for i in range(4)]\n"
        "sys.exit(0 if rows==want and all(r[i*7]==0 for i in range(4)) else 1)\n";
    std::ofstream(dir / "check.py") << script;
    const std::string cmd = "python3 '" + (dir / "check.py").string() + "' '" + file.string() + "'";
    CHECK(std::system(cmd.c_str()) == 0);
  } else {
    MESSAGE("python3 with zlib not found: skipping the independent decoder check");
  }
  // A failed write (missing directory) leaves nothing behind.
  CHECK_THROWS_AS(save_png(dir / "missing" / "x.png", x), io_error);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
