// DICOM reading on GDCM (io/dicom.hpp).  The independent reference is pydicom: its decoding of its own test
// files CT_small.dcm and MR_small.dcm (tests/data/dicom/make_reference.py wrote the .npy files; the geometry
// literals below are copied from that script's printout).  Every encoding of MR_small that pydicom ships must
// decode to MR_small's pixels; series are written here, slice by slice, with GDCM's writer; and every file the
// reader cannot take is an io_error that names the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmWriter.h>
#include <xtensor/xarray.hpp>

#include "eqr/io/dicom.hpp"
#include "eqr/core/random.hpp"
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

/// Where Debian's python3-pydicom installs pydicom's test files, and the arrays pydicom decoded from them.
const fs::path pydicom_files = EQR_PYDICOM_TEST_FILES;
const fs::path reference_dir = EQR_DICOM_REFERENCE_DIR;

/// GDCM reports what it tolerates or refuses on stderr; the tests check the io_errors instead.
const bool gdcm_quiet = [] {
  gdcm::Trace::WarningOff();
  gdcm::Trace::ErrorOff();
  return true;
}();

/// One slice to write: 16-bit stored values and the tags that place them.
struct Slice {
  std::size_t rows = 3, cols = 4;
  std::vector<std::uint16_t> stored;  ///< rows·cols raw 16-bit words, as they go into Pixel Data
  int bits_stored = 16;
  bool is_signed = true;
  std::string spacing = "0.5\\0.75";
  std::optional<std::array<double, 3>> position;
  std::string orientation = "1\\0\\0\\0\\1\\0";
  std::optional<long> instance;
  std::string series_uid = "1.2.826.0.1.3680043.2.1143.1";
  std::string slope = "2", intercept = "-1024";
  std::optional<std::string> spacing_between_slices;
};

/// Adds an element with explicit VR and value bytes (padded to even length with `pad`).
void put(gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element, gdcm::VR::VRType vr, std::string value,
         char pad = ' ') {
  if (value.size() % 2 != 0) value += pad;
  gdcm::DataElement de(gdcm::Tag(group, element));
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<std::uint32_t>(value.size()));
  ds.Replace(de);
}

std::string us(std::uint16_t v) { return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }

std::string decimals(const std::array<double, 3>& p) {
  std::string s;
  for (std::size_t i = 0; i < 3; ++i) s += (i ? "\\" : "") + std::to_string(p[i]);
  return s;
}

/// Writes a CT slice, explicit VR little endian, every tag set here (gdcm::Writer adds only the file meta).
void write_slice(const fs::path& path, const Slice& s, const std::string& sop_instance) {
  gdcm::Writer writer;
  gdcm::DataSet& ds = writer.GetFile().GetDataSet();
  put(ds, 0x0008, 0x0016, gdcm::VR::UI, "1.2.840.10008.5.1.4.1.1.2", '\0');  // CT Image Storage
  put(ds, 0x0008, 0x0018, gdcm::VR::UI, sop_instance, '\0');
  put(ds, 0x0008, 0x0060, gdcm::VR::CS, "CT");
  put(ds, 0x0020, 0x000E, gdcm::VR::UI, s.series_uid, '\0');
  if (s.instance) put(ds, 0x0020, 0x0013, gdcm::VR::IS, std::to_string(*s.instance));
  if (s.position) put(ds, 0x0020, 0x0032, gdcm::VR::DS, decimals(*s.position));
  if (!s.orientation.empty()) put(ds, 0x0020, 0x0037, gdcm::VR::DS, s.orientation);
  if (s.spacing_between_slices) put(ds, 0x0018, 0x0088, gdcm::VR::DS, *s.spacing_between_slices);
  put(ds, 0x0028, 0x0002, gdcm::VR::US, us(1));
  put(ds, 0x0028, 0x0004, gdcm::VR::CS, "MONOCHROME2");
  put(ds, 0x0028, 0x0010, gdcm::VR::US, us(static_cast<std::uint16_t>(s.rows)));
  put(ds, 0x0028, 0x0011, gdcm::VR::US, us(static_cast<std::uint16_t>(s.cols)));
  if (!s.spacing.empty()) put(ds, 0x0028, 0x0030, gdcm::VR::DS, s.spacing);
  put(ds, 0x0028, 0x0100, gdcm::VR::US, us(16));
  put(ds, 0x0028, 0x0101, gdcm::VR::US, us(static_cast<std::uint16_t>(s.bits_stored)));
  put(ds, 0x0028, 0x0102, gdcm::VR::US, us(static_cast<std::uint16_t>(s.bits_stored - 1)));
  put(ds, 0x0028, 0x0103, gdcm::VR::US, us(s.is_signed ? 1 : 0));
  put(ds, 0x0028, 0x1052, gdcm::VR::DS, s.intercept);
  put(ds, 0x0028, 0x1053, gdcm::VR::DS, s.slope);
  std::string pixels;
  for (std::uint16_t v : s.stored) pixels += us(v);
  REQUIRE(pixels.size() == 2 * s.rows * s.cols);
  put(ds, 0x7FE0, 0x0010, gdcm::VR::OW, pixels);
  writer.GetFile().GetHeader().SetDataSetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
  writer.SetFileName(path.string().c_str());
  REQUIRE_MESSAGE(writer.Write(), "gdcm::Writer could not write ", path.string());
}

/// rows·cols stored values v(i, j) = base + 10 i + j.
std::vector<std::uint16_t> ramp(std::size_t rows, std::size_t cols, int base) {
  std::vector<std::uint16_t> v;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) v.push_back(static_cast<std::uint16_t>(base + 10 * int(i) + int(j)));
  return v;
}

}  // namespace

TEST_CASE("CT_small.dcm: Hounsfield units, spacing and position equal pydicom's") {
  const DicomImage ct = read_dicom(pydicom_files / "CT_small.dcm");
  const xt::xarray<float> expected = load_npy<float>(reference_dir / "ct_small_hu.npy");
  REQUIRE(ct.pixels.shape() == expected.shape());
  CHECK(ct.pixels.shape(0) == 128);
  CHECK(ct.pixels == expected);  // exactly: integer stored values · 1 − 1024
  // pydicom's printout (make_reference.py): RescaleSlope 1.0, RescaleIntercept -1024.0, PixelSpacing
  // [0.661468, 0.661468], ImagePositionPatient [-158.135803, -179.035797, -75.699997], ImageOrientationPatient
  // [1, 0, 0, 0, 1, 0], SliceThickness 5.0, InstanceNumber 1.
  CHECK(ct.rescale_slope == 1.0);
  CHECK(ct.rescale_intercept == -1024.0);
  REQUIRE(ct.pixel_spacing.has_value());
  CHECK(*ct.pixel_spacing == std::array<double, 2>{0.661468, 0.661468});
  REQUIRE(ct.position.has_value());
  CHECK(*ct.position == std::array<double, 3>{-158.135803, -179.035797, -75.699997});
  REQUIRE(ct.orientation.has_value());
  CHECK(*ct.orientation == std::array<double, 6>{1, 0, 0, 0, 1, 0});
  CHECK(ct.slice_thickness == 5.0);
  CHECK(ct.instance_number == 1);
  CHECK(ct.modality == "CT");
  CHECK(ct.series_uid == "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322");
  CHECK(ct.photometric == "MONOCHROME2");
  CHECK(ct.transfer_syntax == "1.2.840.10008.1.2.1");
}

TEST_CASE("MR_small.dcm equals pydicom's, and every encoding of it decodes to the same pixels") {
  const DicomImage mr = read_dicom(pydicom_files / "MR_small.dcm");
  const xt::xarray<float> expected = load_npy<float>(reference_dir / "mr_small.npy");
  CHECK(mr.pixels == expected);
  CHECK(mr.rescale_slope == 1.0);  // MR_small has no rescale tags
  CHECK(mr.rescale_intercept == 0.0);
  CHECK(mr.pixel_spacing == std::array<double, 2>{0.3125, 0.3125});
  CHECK(mr.position == std::array<double, 3>{-83.9063, -91.2, 6.6406});
  CHECK(mr.modality == "MR");
  // pydicom's MR_small in every transfer syntax its test files have; GDCM (Debian 12: CharLS, OpenJPEG)
  // decodes all eight.
  const std::vector<std::pair<std::string, std::string>> encodings = {
      {"MR_small.dcm", "1.2.840.10008.1.2.1"},                    // explicit VR little endian
      {"MR_small_implicit.dcm", "1.2.840.10008.1.2"},             // implicit VR little endian
      {"MR_small_bigendian.dcm", "1.2.840.10008.1.2.2"},          // explicit VR big endian
      {"MR_small_expb.dcm", "1.2.840.10008.1.2.2"},               // explicit VR big endian
      {"MR_small_padded.dcm", "1.2.840.10008.1.2.1"},             // 128 bytes of padding after the pixels
      {"MR_small_RLE.dcm", "1.2.840.10008.1.2.5"},                // RLE lossless
      {"MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80"},  // JPEG-LS lossless
      {"MR_small_jp2klossless.dcm", "1.2.840.10008.1.2.4.90"},    // JPEG 2000 lossless
  };
  for (const auto& encoding : encodings) {
    const std::string& file = encoding.first;
    const std::string& syntax = encoding.second;
    CAPTURE(file);
    const DicomImage other = read_dicom(pydicom_files / file);
    CHECK(other.transfer_syntax == syntax);
    CHECK(other.pixels == expected);
    CHECK(other.pixel_spacing == mr.pixel_spacing);
    CHECK(other.position == mr.position);
  }
}

TEST_CASE("files the reader does not take are refused with io_errors naming the file and the reason") {
  const auto refused = [](const std::string& file, std::initializer_list<std::string> fragments) {
    CAPTURE(file);
    std::vector<std::string> all{file};
    all.insert(all.end(), fragments);
    try {
      (void)read_dicom(pydicom_files / file);
      FAIL("expected an io_error");
    } catch (const io_error& e) {
      const std::string what = e.what();
      for (const auto& frag : all) CHECK_MESSAGE(what.find(frag) != std::string::npos, what, " lacks: ", frag);
    }
  };
  refused("MR_truncated.dcm", {"expected 8192 bytes", "truncated file"});  // GDCM alone would zero-fill it
  refused("rtplan_truncated.dcm", {"expected 976 bytes", "truncated file"});
  refused("rtdose_expb_1frame.dcm", {"big endian", "found 32"});
  refused("rtdose.dcm", {"single-frame", "15 frames"});
  refused("SC_rgb_rle.dcm", {"grayscale", "3 samples per pixel", "'RGB'"});
  refused("liver_1frame.dcm", {"BitsAllocated 1"});
  refused("rtplan.dcm", {"no Pixel Data", "1.2.840.10008.5.1.4.1.1.481.5"});
  refused("badVR.dcm", {"NumberOfFrames (0028,0008)", "'1A'"});
  refused("ExplVR_LitEndNoMeta.dcm", {"no 'DICM' marker"});
  // A JPEG 2000 stream whose header does not give Rows x Columns (Debian's GDCM 3.0.21 cannot decode it).
  refused("JPEG2000-embedded-sequence-delimiter.dcm", {"JPEG 2000 stream", "1024 x 256"});
}

TEST_CASE("corrupt, truncated and non-DICOM files are io_errors naming the file") {
  Scratch s;
  const std::string good = file_bytes(pydicom_files / "CT_small.dcm");
  check_io_error([&] { (void)read_dicom(s / "missing.dcm"); }, {"missing.dcm", "no such file"});
  check_io_error([&] { (void)read_dicom(s.dir); }, {s.dir.string(), "not a regular file"});

  write_bytes(s / "notes.txt", "This is a text file, not a DICOM image.\n");
  check_io_error([&] { (void)read_dicom(s / "notes.txt"); }, {"notes.txt", "no 'DICM' marker"});
  CHECK_FALSE(is_dicom_file(s / "notes.txt"));
  CHECK(is_dicom_file(pydicom_files / "CT_small.dcm"));

  write_bytes(s / "half.dcm", good.substr(0, good.size() / 2));  // cut inside the pixel data
  check_io_error([&] { (void)read_dicom(s / "half.dcm"); }, {"half.dcm", "expected 32768 bytes", "truncated"});
  write_bytes(s / "head.dcm", good.substr(0, 1000));  // cut inside the data set, before the pixel data
  check_io_error([&] { (void)read_dicom(s / "head.dcm"); }, {"head.dcm", "truncated file"});
  for (std::size_t n : {0u, 100u, 131u, 132u, 600u, 5000u, 39000u}) {
    write_bytes(s / "cut.dcm", good.substr(0, n));
    CHECK_THROWS_AS((void)read_dicom(s / "cut.dcm"), io_error);
  }

  // Bytes flipped in the header.  (Not every flip: GDCM as Debian builds it keeps its assert()s, and some
  // malformed headers abort the process inside GDCM — see io/dicom.hpp.  These are refused cleanly.)
  std::string marker = good;
  marker.replace(128, 4, "DICX");
  write_bytes(s / "marker.dcm", marker);
  check_io_error([&] { (void)read_dicom(s / "marker.dcm"); }, {"marker.dcm", "'DICM'"});

  std::string meta = good;
  for (std::size_t i = 200; i < 260; ++i) meta[i] = static_cast<char>(~meta[i]);  // the transfer syntax UID
  write_bytes(s / "meta.dcm", meta);
  check_io_error([&] { (void)read_dicom(s / "meta.dcm"); }, {"meta.dcm", "TransferSyntaxUID (0002,0010)"});

  const auto at = [&](const std::string& tag_and_vr) {
    const std::size_t i = good.find(tag_and_vr);
    REQUIRE(i != std::string::npos);
    return i;
  };
  std::string rows = good;
  const std::size_t r = at(std::string("\x28\x00\x10\x00US", 6));
  rows[r + 8] = '\xFF';  // Rows 128 → 255: more pixels than the Pixel Data holds
  write_bytes(s / "rows.dcm", rows);
  check_io_error([&] { (void)read_dicom(s / "rows.dcm"); }, {"rows.dcm", "255 x 128", "found 32768"});

  std::string bits = good;
  bits[at(std::string("\x28\x00\x00\x01US", 6)) + 8] = 13;  // BitsAllocated 16 → 13
  write_bytes(s / "bits.dcm", bits);
  check_io_error([&] { (void)read_dicom(s / "bits.dcm"); }, {"bits.dcm", "BitsAllocated (0028,0100)", "found 13"});

  std::string high = good;
  high[at(std::string("\x28\x00\x02\x01US", 6)) + 8] = 14;  // HighBit 15 → 14 (GDCM would keep 15)
  write_bytes(s / "high.dcm", high);
  check_io_error([&] { (void)read_dicom(s / "high.dcm"); }, {"high.dcm", "HighBit (0028,0102)", "found 14"});

  std::string vr = good;
  vr.replace(at(std::string("\x28\x00\x30\x00" "DS", 6)) + 4, 2, "XX");  // PixelSpacing's VR
  write_bytes(s / "vr.dcm", vr);
  check_io_error([&] { (void)read_dicom(s / "vr.dcm"); }, {"vr.dcm", "value representation", "88 88"});

  std::string pixel_length = good;
  pixel_length[at(std::string("\xE0\x7F\x10\x00OW", 6)) + 11] = 0x7F;  // Pixel Data length → ~2 GiB
  write_bytes(s / "length.dcm", pixel_length);
  check_io_error([&] { (void)read_dicom(s / "length.dcm"); }, {"length.dcm", "element at byte 6288", "truncated file"});

  std::string spacing = good;
  spacing[at(std::string("\x28\x00\x30\x00" "DS", 6)) + 8] = 'x';  // PixelSpacing "0.661468\0.661468" → "x.66…"
  write_bytes(s / "spacing.dcm", spacing);
  check_io_error([&] { (void)read_dicom(s / "spacing.dcm"); }, {"spacing.dcm", "PixelSpacing (0028,0030)", "x.661468"});
}

TEST_CASE("every single-byte change before the pixels is read or refused with an io_error, never a crash") {
  // MR_small.dcm's meta header and data set (its Pixel Data value starts at byte 1638): each byte replaced by
  // two random values.  Before the structural check, about 5 % of such changes aborted the process in GDCM.
  Scratch s;
  const std::string good = file_bytes(pydicom_files / "MR_small.dcm");
  Random rng(29);
  int read = 0, refused = 0;
  for (std::size_t pos = 0; pos < 1638; ++pos) {
    for (int trial = 0; trial < 2; ++trial) {
      std::string bad = good;
      bad[pos] = static_cast<char>(rng.below(256));
      write_bytes(s / "m.dcm", bad);
      try {
        const DicomImage image = read_dicom(s / "m.dcm");
        CHECK(image.pixels.size() > 0);
        ++read;
      } catch (const io_error& e) {
        CHECK_MESSAGE(std::string(e.what()).find("m.dcm") != std::string::npos, e.what());
        ++refused;
      } catch (const std::exception& e) {
        FAIL("byte ", pos, ": unexpected exception ", e.what());
      }
    }
  }
  MESSAGE(read, " changed files read, ", refused, " refused");
  CHECK(refused > 0);
}

TEST_CASE("stored values keep BitsStored bits, sign-extended, then RescaleSlope and RescaleIntercept apply") {
  Scratch s;
  Slice slice;
  slice.rows = 1;
  slice.cols = 4;
  slice.bits_stored = 12;  // HighBit 11; bits 12–15 hold garbage (as overlay bits once did) and must not count
  slice.stored = {0x0005, 0xF005, 0x0FFF, 0x0800};
  write_slice(s / "a.dcm", slice, "1.2.826.0.1.3680043.2.1143.2.1");
  const DicomImage image = read_dicom(s / "a.dcm");
  // 5, 5, −1 and −2048 as 12-bit two's complement, then · 2 − 1024.
  CHECK(image.pixels == xt::xarray<float>{{5 * 2 - 1024.f, 5 * 2 - 1024.f, -1 * 2 - 1024.f, -2048 * 2 - 1024.f}});
  CHECK(image.rescale_slope == 2.0);
  CHECK(image.pixel_spacing == std::array<double, 2>{0.5, 0.75});

  slice.is_signed = false;
  write_slice(s / "u.dcm", slice, "1.2.826.0.1.3680043.2.1143.2.2");
  CHECK(read_dicom(s / "u.dcm").pixels ==
        xt::xarray<float>{{5 * 2 - 1024.f, 5 * 2 - 1024.f, 4095 * 2 - 1024.f, 2048 * 2 - 1024.f}});
}

TEST_CASE("a series is sorted by position along the slice normal and keeps its spacing") {
  Scratch s;
  // An oblique series: rows along x, columns tilted by 30° about x, so the normal is (0, −sin 30°, cos 30°).
  const double c = std::sqrt(3.0) / 2, sn = 0.5;
  const std::array<double, 3> normal{0, -sn, c}, origin{-10, 20, 30};
  // Slice k lies 2.5·k mm along the normal (plus an in-plane shift that must not matter); the files are named
  // and numbered so that neither the names nor the InstanceNumbers give the position order.
  const std::vector<int> k_of_file = {2, 0, 3, 1};
  const std::vector<long> instance_of_file = {1, 2, 3, 4};
  for (std::size_t f = 0; f < 4; ++f) {
    const int k = k_of_file[f];
    Slice slice;
    slice.orientation = "1\\0\\0\\0\\" + std::to_string(c) + "\\" + std::to_string(sn);
    slice.position = std::array<double, 3>{origin[0] + 2.5 * k * normal[0] + 3.0 * k,
                                           origin[1] + 2.5 * k * normal[1] + 0.1 * k * c,
                                           origin[2] + 2.5 * k * normal[2] + 0.1 * k * sn};
    slice.instance = instance_of_file[f];
    slice.stored = ramp(slice.rows, slice.cols, 100 * (k + 1));
    write_slice(s / ("slice_" + std::string(1, char('a' + f)) + ".dcm"), slice,
                "1.2.826.0.1.3680043.2.1143.3." + std::to_string(f + 1));
  }
  write_bytes(s / "README.txt", "not DICOM: skipped\n");
  write_bytes(s / "DICOMDIR", std::string(128, '\0') + "DICM and skipped by its name");
  fs::create_directory(s / "subdirectory");

  const DicomVolume v = read_dicom_series(s.dir);
  REQUIRE(v.voxels.shape() == std::vector<std::size_t>{4, 3, 4});
  CHECK(v.sorted_by_position);
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 4; ++j)
        CHECK(v.voxels(k, i, j) == float((100 * (int(k) + 1) + 10 * int(i) + int(j)) * 2 - 1024));
  CHECK(v.spacing[0] == doctest::Approx(2.5).epsilon(1e-5));
  CHECK(v.spacing[1] == 0.5);
  CHECK(v.spacing[2] == 0.75);
  REQUIRE(v.position.has_value());
  CHECK((*v.position)[0] == doctest::Approx(origin[0]));
  CHECK((*v.position)[1] == doctest::Approx(origin[1]));
  CHECK((*v.position)[2] == doctest::Approx(origin[2]));
  const std::vector<fs::path> files = {s / "slice_b.dcm", s / "slice_d.dcm", s / "slice_a.dcm", s / "slice_c.dcm"};
  CHECK(v.files == files);
  CHECK(v.modality == "CT");
  CHECK(v.series_uid == "1.2.826.0.1.3680043.2.1143.1");
}

TEST_CASE("a series without positions is sorted by InstanceNumber, spaced by SpacingBetweenSlices") {
  Scratch s;
  const std::vector<long> instance_of_file = {3, 1, 2};
  for (std::size_t f = 0; f < 3; ++f) {
    Slice slice;
    slice.orientation.clear();
    slice.instance = instance_of_file[f];
    slice.spacing_between_slices = "1.25";
    slice.stored = ramp(slice.rows, slice.cols, 100 * int(instance_of_file[f]));
    write_slice(s / ("s" + std::to_string(f) + ".dcm"), slice, "1.2.826.0.1.3680043.2.1143.4." + std::to_string(f));
  }
  const DicomVolume v = read_dicom_series(s.dir);
  CHECK_FALSE(v.sorted_by_position);
  CHECK(v.spacing == std::array<double, 3>{1.25, 0.5, 0.75});
  for (std::size_t k = 0; k < 3; ++k) CHECK(v.voxels(k, 0, 0) == float(100 * (int(k) + 1) * 2 - 1024));
  CHECK(v.files == std::vector<fs::path>{s / "s1.dcm", s / "s2.dcm", s / "s0.dcm"});
}

TEST_CASE("mixed or incomplete series are refused with io_errors naming the files") {
  Scratch s;
  const auto slice_at = [](double z) {
    Slice slice;
    slice.position = std::array<double, 3>{0, 0, z};
    slice.stored = ramp(slice.rows, slice.cols, int(z));
    return slice;
  };
  int uid = 0;
  const auto write = [&](const fs::path& dir, const std::string& name, const Slice& slice) {
    fs::create_directories(dir);
    write_slice(dir / name, slice, "1.2.826.0.1.3680043.2.1143.5." + std::to_string(++uid));
  };

  check_io_error([&] { (void)read_dicom_series(s / "nowhere"); }, {"nowhere", "expected a directory"});
  fs::create_directory(s / "empty");
  write_bytes(s / "empty" / "a.txt", "text");
  check_io_error([&] { (void)read_dicom_series(s / "empty"); }, {"empty", "found none"});

  Slice wide = slice_at(2);
  wide.cols = 5;
  wide.stored = ramp(wide.rows, wide.cols, 2);
  write(s / "sizes", "a.dcm", slice_at(0));
  write(s / "sizes", "b.dcm", wide);
  check_io_error([&] { (void)read_dicom_series(s / "sizes"); }, {"a.dcm", "b.dcm", "3 x 4", "3 x 5"});

  Slice other = slice_at(2);
  other.series_uid = "1.2.826.0.1.3680043.2.1143.99";
  write(s / "series", "a.dcm", slice_at(0));
  write(s / "series", "b.dcm", other);
  check_io_error([&] { (void)read_dicom_series(s / "series"); }, {"b.dcm", "one SeriesInstanceUID", ".99"});

  write(s / "twice", "a.dcm", slice_at(0));
  write(s / "twice", "b.dcm", slice_at(2));
  write(s / "twice", "c.dcm", slice_at(2));
  check_io_error([&] { (void)read_dicom_series(s / "twice"); }, {"b.dcm", "c.dcm", "same position"});

  write(s / "gap", "a.dcm", slice_at(0));
  write(s / "gap", "b.dcm", slice_at(2));
  write(s / "gap", "c.dcm", slice_at(6));
  check_io_error([&] { (void)read_dicom_series(s / "gap"); }, {"gap", "equally spaced", "from 2 to 4"});

  Slice tilted = slice_at(2);
  tilted.orientation = "1\\0\\0\\0\\0\\1";
  write(s / "orientation", "a.dcm", slice_at(0));
  write(s / "orientation", "b.dcm", tilted);
  check_io_error([&] { (void)read_dicom_series(s / "orientation"); }, {"b.dcm", "one ImageOrientationPatient"});

  Slice unplaced = slice_at(0);
  unplaced.position.reset();
  write(s / "unplaced", "a.dcm", unplaced);
  check_io_error([&] { (void)read_dicom_series(s / "unplaced"); }, {"a.dcm", "InstanceNumber", "found neither"});

  write(s / "corrupt", "a.dcm", slice_at(0));
  write(s / "corrupt", "b.dcm", slice_at(2));
  const std::string b = file_bytes(s / "corrupt" / "b.dcm");
  write_bytes(s / "corrupt" / "b.dcm", b.substr(0, b.size() - 7));
  check_io_error([&] { (void)read_dicom_series(s / "corrupt"); }, {"b.dcm", "truncated"});
}
