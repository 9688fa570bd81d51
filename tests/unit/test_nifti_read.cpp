// NIfTI-1 reading: fixtures that nibabel wrote (tests/data/nifti/make_reference.py), checked voxel by voxel
// against the script's formulas; two real volumes of Debian's mricron-data (the Colin27 T1 template
// ch2better.nii.gz, uint8, and the INIA19 primate template, float32) against the arrays nibabel decoded from
// them; and an io_error naming the file for every missing, misnamed, non-NIfTI, truncated or corrupt file.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>


#include "eqr/io/nifti.hpp"
#include "eqr/io/npy.hpp"

#include "../support/scratch_files.hpp"

namespace fs = std::filesystem;
using eqr::testing::Scratch;
using eqr::testing::check_io_error;
using eqr::testing::file_bytes;
using eqr::testing::write_bytes;
using namespace eqr;
using namespace eqr::io;

namespace {

fs::path fixture(const std::string& name) { return fs::path(EQR_NIFTI_FIXTURE_DIR) / name; }
fs::path template_file(const std::string& name) { return fs::path(EQR_MRICRON_TEMPLATES) / name; }

/// Checks the volume's shape (nz, ny, nx) and every voxel against `value(i, j, k)`, exactly.
template <class F>
void check_voxels(const NiftiVolume& v, std::size_t nx, std::size_t ny, std::size_t nz, F value) {
  REQUIRE(v.voxels.shape() == std::vector<std::size_t>{nz, ny, nx});
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i)
        CHECK_MESSAGE(v.voxels(k, j, i) == value(static_cast<std::int64_t>(i), static_cast<std::int64_t>(j),
                                                 static_cast<std::int64_t>(k)),
                      "voxel (i, j, k) = (", i, ", ", j, ", ", k, ")");
}

void check_affine(const NiftiVolume& v, const std::array<std::array<double, 4>, 4>& expected, double tolerance) {
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c)
      CHECK_MESSAGE(std::abs(v.affine[r][c] - expected[r][c]) <= tolerance, "affine[", r, "][", c, "] = ",
                    v.affine[r][c], ", expected ", expected[r][c]);
}

/// make_reference.py's int16 fixtures: raw(i, j, k) = 37·(i + 5j + 20k) − 1000, scaled by 0.5 and −10.25.
void check_int16_scaled(const NiftiVolume& v) {
  check_voxels(v, 5, 4, 3, [](auto i, auto j, auto k) {
    return static_cast<float>(0.5 * static_cast<double>(37 * (i + 5 * j + 20 * k) - 1000) - 10.25);
  });
  CHECK(v.datatype == NIFTI_TYPE_INT16);
  CHECK(v.datatype_name == "INT16");
  CHECK(v.ndim == 3);
  CHECK(v.scl_slope == 0.5);
  CHECK(v.scl_inter == -10.25);
  CHECK(v.spacing[0] == doctest::Approx(2.5).epsilon(1e-7));
  CHECK(v.spacing[1] == doctest::Approx(0.9).epsilon(1e-7));
  CHECK(v.spacing[2] == doctest::Approx(0.8).epsilon(1e-7));
  CHECK(v.spatial_unit == "mm");
  CHECK(v.description == "eqr fixture: int16, scl_slope 0.5, scl_inter -10.25");
  CHECK(v.qform_code == 1);
  CHECK(v.sform_code == 0);
  // The qform: a rotation by 90° about z with zooms (0.8, 0.9, 2.5), stored as a float32 quaternion.
  check_affine(v, {{{0, -0.9, 0, 10}, {0.8, 0, 0, -20}, {0, 0, 2.5, 30}, {0, 0, 0, 1}}}, 1e-6);
}

/// Compares a real volume with the arrays nibabel decoded from it: the header and affine, the strided
/// sub-volume voxel by voxel, and the sum of every slice along each axis (which covers every voxel).
void check_against_nibabel(const NiftiVolume& v, const std::string& stem, double sum_tolerance) {
  const auto header = load_npy<double>(fixture(stem + "_header.npy"));
  REQUIRE(header.size() == 15);
  const std::size_t nz = static_cast<std::size_t>(header(0)), ny = static_cast<std::size_t>(header(1)),
                    nx = static_cast<std::size_t>(header(2));
  REQUIRE(v.voxels.shape() == std::vector<std::size_t>{nz, ny, nx});
  for (std::size_t a = 0; a < 3; ++a) CHECK(v.spacing[a] == header(3 + a));
  CHECK(v.scl_slope == header(6));
  CHECK(v.scl_inter == header(7));
  CHECK(v.datatype == static_cast<int>(header(8)));
  const auto reference_affine = load_npy<double>(fixture(stem + "_affine.npy"));
  std::array<std::array<double, 4>, 4> affine{};
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) affine[r][c] = reference_affine(r, c);
  check_affine(v, affine, 1e-5);

  const auto sub = read_npy(fixture(stem + "_sub.npy")).as<float>();
  const std::array<std::size_t, 3> offset{static_cast<std::size_t>(header(9)), static_cast<std::size_t>(header(10)),
                                          static_cast<std::size_t>(header(11))};
  const std::array<std::size_t, 3> stride{static_cast<std::size_t>(header(12)),
                                          static_cast<std::size_t>(header(13)),
                                          static_cast<std::size_t>(header(14))};
  REQUIRE(sub.dimension() == 3);
  std::size_t mismatches = 0;
  for (std::size_t a = 0; a < sub.shape(0); ++a)
    for (std::size_t b = 0; b < sub.shape(1); ++b)
      for (std::size_t c = 0; c < sub.shape(2); ++c)
        if (v.voxels(offset[0] + a * stride[0], offset[1] + b * stride[1], offset[2] + c * stride[2]) !=
            sub(a, b, c))
          ++mismatches;
  CHECK_MESSAGE(mismatches == 0, mismatches, " of ", sub.size(), " sampled voxels differ from nibabel's");

  std::vector<double> sum_k(nz, 0.0), sum_j(ny, 0.0), sum_i(nx, 0.0);
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const double x = v.voxels(k, j, i);
        sum_k[k] += x;
        sum_j[j] += x;
        sum_i[i] += x;
      }
  const auto compare = [&](const std::vector<double>& ours, const std::string& axis) {
    const auto theirs = load_npy<double>(fixture(stem + "_sums_" + axis + ".npy"));
    REQUIRE(theirs.size() == ours.size());
    std::size_t bad = 0;
    for (std::size_t s = 0; s < ours.size(); ++s)
      if (std::abs(ours[s] - theirs(s)) > sum_tolerance * (1.0 + std::abs(theirs(s)))) ++bad;
    CHECK_MESSAGE(bad == 0, bad, " of ", ours.size(), " slice sums along ", axis, " differ from nibabel's");
  };
  compare(sum_k, "k");
  compare(sum_j, "j");
  compare(sum_i, "i");
}

}  // namespace

TEST_CASE("int16 with scl_slope and scl_inter and a qform, little- and big-endian") {
  check_int16_scaled(read_nifti(fixture("int16_scaled.nii")));
  check_int16_scaled(read_nifti(fixture("int16_big_endian.nii")));
}

TEST_CASE("uint8 and float64 .nii.gz with an sform, and a 2-D int32 image") {
  const NiftiVolume u8 = read_nifti(fixture("uint8.nii.gz"));
  check_voxels(u8, 6, 5, 4, [](auto i, auto j, auto k) { return static_cast<float>(7 * i + 13 * j + 29 * k); });
  CHECK(u8.datatype == NIFTI_TYPE_UINT8);
  CHECK(u8.scl_slope == 1);  // nibabel writes 1 and 0 where no scaling is needed
  CHECK(u8.scl_inter == 0);
  CHECK(u8.spacing == std::array<double, 3>{3.0, 1.25, 1.5});
  CHECK(u8.sform_code == 2);
  CHECK(u8.qform_code == 0);
  CHECK(u8.description == "eqr fixture: uint8");
  check_affine(u8, {{{1.5, 0, 0, -4}, {0, 1.25, 0, -3}, {0, 0, 3, -6}, {0, 0, 0, 1}}}, 0);

  const NiftiVolume f64 = read_nifti(fixture("float64.nii.gz"));
  check_voxels(f64, 4, 3, 2, [](auto i, auto j, auto k) {
    return static_cast<float>(0.25 * static_cast<double>(i) - 1.5 * static_cast<double>(j) +
                              100.125 * static_cast<double>(k));
  });
  CHECK(f64.datatype == NIFTI_TYPE_FLOAT64);
  CHECK(f64.spacing == std::array<double, 3>{2.0, 2.0, 2.0});

  const NiftiVolume image = read_nifti(fixture("image2d.nii"));
  check_voxels(image, 7, 5, 1,
               [](auto i, auto j, auto) { return static_cast<float>(1000 * i - 100000 * j + 7); });
  CHECK(image.ndim == 2);
  CHECK(image.datatype == NIFTI_TYPE_INT32);
  CHECK(image.spacing[1] == doctest::Approx(0.7).epsilon(1e-7));
  CHECK(image.spacing[2] == 0.5);
  CHECK(image.spacing[0] == 1.0);  // no third dimension
}

TEST_CASE("int8, uint16, uint32, int64, uint64 and float32: value lo + n·step at n = i + 3j + 6k") {
  struct Case {
    const char* file;
    int datatype;
    double lo, step;
  };
  for (const Case& c : {Case{"dtype_int8.nii", NIFTI_TYPE_INT8, -128, 23},
                        Case{"dtype_uint16.nii", NIFTI_TYPE_UINT16, 0, 5957},
                        Case{"dtype_uint32.nii", NIFTI_TYPE_UINT32, 0, 390451572},
                        Case{"dtype_int64.nii", NIFTI_TYPE_INT64, -std::ldexp(1.0, 62), std::ldexp(1.0, 59)},
                        Case{"dtype_uint64.nii", NIFTI_TYPE_UINT64, 0, std::ldexp(1.0, 60)},
                        Case{"dtype_float32.nii", NIFTI_TYPE_FLOAT32, -1.5, 0.375}}) {
    CAPTURE(c.file);
    const NiftiVolume v = read_nifti(fixture(c.file));
    CHECK(v.datatype == c.datatype);
    // Every value is an integer below 2^53 or a dyadic fraction, exact in double: the float is its rounding.
    check_voxels(v, 3, 2, 2, [&](auto i, auto j, auto k) {
      return static_cast<float>(c.lo + static_cast<double>(i + 3 * j + 6 * k) * c.step);
    });
  }
}

TEST_CASE("NaN and infinite float voxels are kept, as nibabel keeps them") {
  Scratch s;
  std::string bytes = file_bytes(fixture("dtype_float32.nii"));
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::memcpy(bytes.data() + 352, &nan, 4);      // voxel (0, 0, 0)
  std::memcpy(bytes.data() + 352 + 4, &inf, 4);  // voxel (1, 0, 0)
  write_bytes(s / "nan.nii", bytes);
  const NiftiVolume v = read_nifti(s / "nan.nii");
  CHECK(std::isnan(v.voxels(0, 0, 0)));
  CHECK(v.voxels(0, 0, 1) == inf);
  CHECK(v.voxels(0, 0, 2) == -1.5f + 2 * 0.375f);
}

TEST_CASE("a 4-D file with one volume reads; series, complex, RGB and NIfTI-2 files are refused") {
  const NiftiVolume one = read_nifti(fixture("series_nt1.nii"));
  CHECK(one.ndim == 4);
  check_voxels(one, 3, 2, 2, [](auto i, auto j, auto k) { return static_cast<float>(i + 3 * j + 6 * k - 5); });
  check_io_error([] { (void)read_nifti(fixture("series_nt3.nii")); },
                 {"series_nt3.nii", "expected one 2-D or 3-D volume", "4-d series of 3 volumes", "nt = 3"});
  check_io_error([] { (void)read_nifti(fixture("complex64.nii")); },
                 {"complex64.nii", "expected a datatype uint8", "complex datatype COMPLEX64 (code 32)"});
  check_io_error([] { (void)read_nifti(fixture("rgb24.nii")); },
                 {"rgb24.nii", "colour datatype RGB24 (code 128)"});
  check_io_error([] { (void)read_nifti(fixture("nifti2.nii")); },
                 {"nifti2.nii", "expected a NIfTI-1 header (sizeof_hdr 348)", "NIfTI-2"});
}

TEST_CASE("Colin27 (mricron-data's ch2better.nii.gz, uint8 301×370×316) against nibabel") {
  const NiftiVolume v = read_nifti(template_file("ch2better.nii.gz"));
  CHECK(v.voxels.shape() == std::vector<std::size_t>{316, 370, 301});
  CHECK(v.datatype_name == "UINT8");
  CHECK(v.description == "spm - algebra");
  CHECK(v.sform_code == 1);
  check_against_nibabel(v, "ch2better", 0.0);  // integers: every sum is exact in double
}

TEST_CASE("INIA19 (mricron-data's inia19-t1-brain.nii.gz, float32 168×206×128) against nibabel") {
  const NiftiVolume v = read_nifti(template_file("inia19-t1-brain.nii.gz"));
  CHECK(v.voxels.shape() == std::vector<std::size_t>{128, 206, 168});
  CHECK(v.datatype_name == "FLOAT32");
  check_against_nibabel(v, "inia19", 1e-9);  // float sums in another order
}

TEST_CASE("missing, misnamed, non-NIfTI and corrupt-header files are refused, naming the file") {
  Scratch s;
  check_io_error([&] { (void)read_nifti(s / "missing.nii"); }, {"missing.nii", "no such file"});
  check_io_error([&] { (void)read_nifti(s / "missing.nii.gz"); }, {"missing.nii.gz", "no such file"});
  check_io_error([&] { (void)read_nifti(s.dir); }, {s.dir.string(), "not a regular file"});
  fs::copy_file(fixture("int16_scaled.nii"), s / "volume.img");
  check_io_error([&] { (void)read_nifti(s / "volume.img"); }, {"volume.img", "named *.nii or *.nii.gz"});

  write_bytes(s / "short.nii", "just a few words of text\n");
  check_io_error([&] { (void)read_nifti(s / "short.nii"); }, {"short.nii", "expected a 348-byte NIfTI-1 header"});
  std::string text;
  while (text.size() < 2000) text += "This is a text file, not a NIfTI image.\n";
  write_bytes(s / "text.nii", text);
  check_io_error([&] { (void)read_nifti(s / "text.nii"); },
                 {"text.nii", "expected a NIfTI-1 header (sizeof_hdr 348)", "found sizeof_hdr", "not a NIfTI file"});
  write_bytes(s / "text.nii.gz", text);  // not gzip at all: zlib reads it as it is
  check_io_error([&] { (void)read_nifti(s / "text.nii.gz"); }, {"text.nii.gz", "sizeof_hdr"});

  const std::string good = file_bytes(fixture("int16_scaled.nii"));
  std::string bad = good;
  bad[0] = 0x5D;  // sizeof_hdr 349
  write_bytes(s / "sizeof_hdr.nii", bad);
  check_io_error([&] { (void)read_nifti(s / "sizeof_hdr.nii"); },
                 {"sizeof_hdr.nii", "expected a NIfTI-1 header (sizeof_hdr 348)", "found sizeof_hdr 349"});
  bad = good;
  std::memset(bad.data() + 344, 0, 4);
  write_bytes(s / "analyze.nii", bad);
  check_io_error([&] { (void)read_nifti(s / "analyze.nii"); },
                 {"analyze.nii", "expected the magic \"n+1\"", "ANALYZE 7.5"});
  bad = good;
  bad[345] = 'i';
  write_bytes(s / "pair.nii", bad);
  check_io_error([&] { (void)read_nifti(s / "pair.nii"); }, {"pair.nii", "\"ni1\", the header of a .hdr/.img pair"});
  bad = good;
  const std::int16_t zero_extent = 0;
  std::memcpy(bad.data() + 40 + 2 * 2, &zero_extent, 2);  // dim[2] = 0
  write_bytes(s / "dim.nii", bad);
  check_io_error([&] { (void)read_nifti(s / "dim.nii"); }, {"dim.nii", "expected dim[2] ≥ 1, found 0"});
}

TEST_CASE("truncated files and corrupt gzip streams are refused, naming the file") {
  Scratch s;
  const std::string nii = file_bytes(fixture("int16_scaled.nii"));
  write_bytes(s / "cut.nii", nii.substr(0, nii.size() - 10));
  check_io_error([&] { (void)read_nifti(s / "cut.nii"); },
                 {"cut.nii", "expected 120 bytes of voxel data (5×4×3 2-byte voxels) from byte 352", "found 110",
                  "truncated"});
  write_bytes(s / "header_only.nii", nii.substr(0, 200));
  check_io_error([&] { (void)read_nifti(s / "header_only.nii"); },
                 {"header_only.nii", "expected a 348-byte NIfTI-1 header"});

  // The Colin27 template cut in half: the header decompresses, the voxels end early.
  const std::string colin = file_bytes(template_file("ch2better.nii.gz"));
  write_bytes(s / "colin_half.nii.gz", colin.substr(0, colin.size() / 2));
  check_io_error([&] { (void)read_nifti(s / "colin_half.nii.gz"); },
                 {"colin_half.nii.gz", "expected 35192920 bytes of voxel data", "ends early or is corrupt after",
                  "unexpected end of file"});
  const std::string gz = file_bytes(fixture("uint8.nii.gz"));
  write_bytes(s / "gz_cut.nii.gz", gz.substr(0, 40));
  check_io_error([&] { (void)read_nifti(s / "gz_cut.nii.gz"); }, {"gz_cut.nii.gz", "gzip stream"});
  // A changed CRC (the trailer's first 4 bytes): the data decompress, zlib refuses the stream at its end.
  std::string crc = gz;
  crc[crc.size() - 8] = static_cast<char>(crc[crc.size() - 8] ^ 0x01);
  write_bytes(s / "crc.nii.gz", crc);
  check_io_error([&] { (void)read_nifti(s / "crc.nii.gz"); }, {"crc.nii.gz", "corrupt gzip stream", "CRC"});
  std::string colin_crc = colin;
  colin_crc[colin_crc.size() - 8] = static_cast<char>(colin_crc[colin_crc.size() - 8] ^ 0x01);
  write_bytes(s / "colin_crc.nii.gz", colin_crc);
  check_io_error([&] { (void)read_nifti(s / "colin_crc.nii.gz"); },
                 {"colin_crc.nii.gz", "the stream's end with the CRC", "incorrect data check"});
  // Flipped bytes inside the deflate stream.
  std::string flipped = gz;
  for (std::size_t i = 60; i < 80; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0xA5);
  write_bytes(s / "inflate.nii.gz", flipped);
  check_io_error([&] { (void)read_nifti(s / "inflate.nii.gz"); }, {"inflate.nii.gz"});
}

TEST_CASE("every truncation and every single-byte change of a small file is read or refused as io_error") {
  Scratch s;
  for (const char* name : {"int16_scaled.nii", "uint8.nii.gz"}) {
    CAPTURE(name);
    const std::string good = file_bytes(fixture(name));
    const fs::path path = s / name;
    for (std::size_t n = 0; n < good.size(); ++n) {
      write_bytes(path, good.substr(0, n));
      CHECK_THROWS_AS((void)read_nifti(path), io_error);  // .gz too: zlib wants the whole 8-byte trailer
    }
    for (std::size_t pos = 0; pos < good.size(); ++pos) {
      std::string bad = good;
      bad[pos] = static_cast<char>(bad[pos] ^ 0x41);
      write_bytes(path, bad);
      try {
        (void)read_nifti(path);
      } catch (const io_error& e) {
        CHECK_MESSAGE(std::string(e.what()).find(path.string()) != std::string::npos, e.what());
      } catch (const std::exception& e) {
        FAIL(name, " byte ", pos, ": unexpected exception ", e.what());
      }
    }
  }
}
