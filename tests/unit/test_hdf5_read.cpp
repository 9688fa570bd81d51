// HDF5 reading (io/hdf5.hpp, io/fastmri.hpp): fixtures that h5py wrote (tests/data/hdf5/make_fixtures.py)
// against the same arrays written by NumPy as .npy — every element type eqr reads, both byte orders, h5py's
// complex compounds, a gzip-compressed chunked dataset, blocks of the first axis, attributes of every kind —,
// fastMRI's single- and multi-coil layout (k-space, reconstructions, attributes, the ISMRMRD reconSpace), and
// an io_error naming the file for missing, non-HDF5, truncated and damaged files and unsupported datasets.
#include <doctest/doctest.h>

#include <complex>
#include <cstring>
#include <cstddef>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include <xtensor/xview.hpp>

#include "eqr/io/fastmri.hpp"
#include "eqr/io/hdf5.hpp"
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

fs::path fixture(const std::string& name) { return fs::path(EQR_HDF5_FIXTURE_DIR) / name; }

/// Checks that two arrays have the same dtype, shape and bytes.
void check_same(const NpyArray& read, const NpyArray& expected) {
  REQUIRE(read.dtype() == expected.dtype());
  REQUIRE(read.shape() == expected.shape());
  const std::size_t bytes = read.size() * io::detail::item_size(read.dtype());
  CHECK(std::memcmp(const_cast<NpyArray&>(read).data(), const_cast<NpyArray&>(expected).data(), bytes) == 0);
}

}  // namespace

TEST_CASE("every element type h5py wrote reads as NumPy's .npy of the same array") {
  const Hdf5File file(fixture("types.h5"));
  for (const char* name : {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "float32", "float64_be",
                           "complex64", "complex128", "gzip"}) {
    CAPTURE(name);
    check_same(file.read(name), read_npy(fixture(std::string("types_") + name + ".npy")));
  }
  const NpyArray scalar = file.read("scalar");
  CHECK(scalar.shape().empty());
  CHECK(scalar.as<double>()() == 2.5);
  CHECK(file.shape("gzip") == std::vector<std::size_t>{6, 8, 8});
  CHECK(file.shape("scalar").empty());
}

TEST_CASE("a block of the first axis is those entries of the whole dataset") {
  const Hdf5File file(fixture("types.h5"));
  const auto whole = read_npy(fixture("types_gzip.npy")).as<float>();
  const auto block = file.read("gzip", 2, 3).as<float>();
  REQUIRE(block.shape() == std::vector<std::size_t>{3, 8, 8});
  CHECK(block == xt::view(whole, xt::range(2, 5), xt::all(), xt::all()));
  CHECK(file.read("gzip", 6, 0).shape() == std::vector<std::size_t>{0, 8, 8});
  CHECK(file.read("gzip", 4).shape() == std::vector<std::size_t>{2, 8, 8});  // to the end
  CHECK_THROWS_AS((void)file.read("gzip", 5, 2), value_error);
  CHECK_THROWS_AS((void)file.read("gzip", 7), value_error);
}

TEST_CASE("datasets are listed, groups and other objects are not; attributes and string datasets read") {
  const Hdf5File file(fixture("types.h5"));
  const std::vector<std::string> names = file.dataset_names();
  CHECK(file.has_dataset("int16"));
  CHECK_FALSE(file.has_dataset("group"));
  CHECK_FALSE(file.has_dataset("missing"));
  CHECK(names.size() == 16);
  CHECK(std::get<double>(file.attribute("count")) == 42.0);
  CHECK(std::get<double>(file.attribute("scale")) == 0.125);
  CHECK(std::get<std::string>(file.attribute("name")) == "variable-length text");
  CHECK(std::get<std::string>(file.attribute("fixed")) == "fixed text");
  CHECK(file.read_string("text") == "an ISMRMRD header stand-in");
  CHECK_FALSE(file.has_attribute("absent"));
  check_io_error([&] { (void)file.attribute("vector"); }, {"types.h5", "'vector'", "a single value", "3 values"});
  check_io_error([&] { (void)file.attribute("absent"); }, {"types.h5", "'absent'", "found none"});
}

TEST_CASE("unsupported datasets are refused naming the file, the dataset and what was found") {
  const Hdf5File file(fixture("types.h5"));
  check_io_error([&] { (void)file.read("uint64"); }, {"types.h5", "'uint64'", "found uint64"});
  check_io_error([&] { (void)file.read("text"); }, {"types.h5", "'text'", "found strings"});
  check_io_error([&] { (void)file.read("pair"); }, {"types.h5", "'pair'", "a compound (a, b)"});
  check_io_error([&] { (void)file.read("missing"); }, {"types.h5", "'missing'", "found none"});
  check_io_error([&] { (void)file.read("group"); }, {"types.h5", "'group'", "a group"});
  check_io_error([&] { (void)file.read_string("int16"); }, {"types.h5", "'int16'", "a scalar string"});
}

TEST_CASE("missing, non-HDF5, truncated and damaged files are refused, naming the file") {
  Scratch s;
  check_io_error([&] { Hdf5File f(s / "absent.h5"); }, {"absent.h5", "no such file"});
  write_bytes(s / "text.h5", "not an HDF5 file at all, just text\n");
  check_io_error([&] { Hdf5File f(s / "text.h5"); }, {"text.h5", "HDF5 signature"});
  check_io_error([&] { Hdf5File f(fixture("truncated.h5")); }, {"truncated.h5"});
  // Every truncation after the signature, at 97-byte steps: refused on opening or on reading, never a crash.
  const std::string good = file_bytes(fixture("types.h5"));
  for (std::size_t n = 0; n < good.size(); n += 97) {
    CAPTURE(n);
    write_bytes(s / "cut.h5", good.substr(0, n));
    CHECK_THROWS_AS(
        {
          const Hdf5File f(s / "cut.h5");
          for (const auto& name : f.dataset_names()) (void)f.read(name);
          (void)f.read("gzip");
        },
        io_error);
  }
  // Damaged compressed chunks: the deflate filter fails and the read says so.
  std::string bad = good;
  for (std::size_t pos = good.size() * 3 / 4; pos < good.size() * 3 / 4 + 64; ++pos) bad[pos] = static_cast<char>(bad[pos] ^ 0x5A);
  write_bytes(s / "damaged.h5", bad);
  try {
    const Hdf5File f(s / "damaged.h5");
    for (const auto& name : f.dataset_names()) {
      try {
        (void)f.read(name);
      } catch (const io_error& e) {
        CHECK_MESSAGE(std::string(e.what()).find("damaged.h5") != std::string::npos, e.what());
      }
    }
  } catch (const io_error& e) {
    CHECK_MESSAGE(std::string(e.what()).find("damaged.h5") != std::string::npos, e.what());
  }
}

TEST_CASE("fastMRI single-coil: kspace (slices, 1, H, W), reconstruction_esc, attributes and reconSpace") {
  const FastMriSlices f = read_fastmri(fixture("fastmri_singlecoil.h5"));
  const auto kspace = read_npy(fixture("fastmri_singlecoil_kspace.npy")).as<std::complex<float>>();
  CHECK_FALSE(f.multicoil);
  REQUIRE(f.kspace.shape() == std::vector<std::size_t>{3, 1, 24, 20});
  CHECK(xt::view(f.kspace, xt::all(), 0, xt::all(), xt::all()) == kspace);
  REQUIRE(f.reconstruction.has_value());
  CHECK(f.reconstruction_name == "reconstruction_esc");
  CHECK(*f.reconstruction == read_npy(fixture("fastmri_singlecoil_recon.npy")).as<float>());
  REQUIRE(f.recon_size.has_value());
  CHECK((*f.recon_size)[0] == 16);
  CHECK((*f.recon_size)[1] == 16);
  CHECK(f.acquisition == "CORPD_FBK");
  CHECK(f.patient_id == "fixture-fastmri_singlecoil");
  REQUIRE(f.max.has_value());
  CHECK(*f.max == doctest::Approx(static_cast<double>(xt::amax(*f.reconstruction)())));
  CHECK(f.total == 3);
  CHECK(fastmri_slice_count(fixture("fastmri_singlecoil.h5")) == 3);
  const FastMriSlices block = read_fastmri(fixture("fastmri_singlecoil.h5"), 1, 2);
  CHECK(block.first == 1);
  CHECK(block.kspace == xt::view(f.kspace, xt::range(1, 3), xt::all(), xt::all(), xt::all()));
  CHECK(*block.reconstruction == xt::view(*f.reconstruction, xt::range(1, 3), xt::all(), xt::all()));
}

TEST_CASE("fastMRI multi-coil: kspace (slices, coils, H, W) and reconstruction_rss") {
  const FastMriSlices f = read_fastmri(fixture("fastmri_multicoil.h5"));
  CHECK(f.multicoil);
  CHECK(f.kspace == read_npy(fixture("fastmri_multicoil_kspace.npy")).as<std::complex<float>>());
  CHECK(f.reconstruction_name == "reconstruction_rss");
  CHECK(*f.reconstruction == read_npy(fixture("fastmri_multicoil_recon.npy")).as<float>());
}

TEST_CASE("a file without fastMRI's kspace is refused, naming what it holds") {
  check_io_error([] { (void)read_fastmri(fixture("types.h5")); }, {"types.h5", "'kspace'", "'complex128'"});
  check_io_error([] { (void)read_fastmri(fixture("lodopab/ground_truth_train_000.hdf5")); },
                 {"ground_truth_train_000.hdf5", "'kspace'", "'data'"});
  CHECK_THROWS_AS((void)read_fastmri(fixture("fastmri_singlecoil.h5"), 2, 2), value_error);
}

TEST_CASE("ISMRMRD reconSpace: read from the header, refused when it is not two positive integers") {
  const std::string xml = "<encodedSpace><matrixSize><x>640</x><y>368</y></matrixSize></encodedSpace>"
                          "<reconSpace><matrixSize><x>320</x><y>300</y></matrixSize></reconSpace>";
  const auto size = io::detail::ismrmrd_recon_size(xml, "f.h5");
  REQUIRE(size.has_value());
  CHECK((*size)[0] == 300);
  CHECK((*size)[1] == 320);
  CHECK_FALSE(io::detail::ismrmrd_recon_size("<encodedSpace/>", "f.h5").has_value());
  check_io_error([] { (void)io::detail::ismrmrd_recon_size("<reconSpace><x>32a</x><y>3</y></reconSpace>", "f.h5"); },
                 {"f.h5", "reconSpace", "'32a'"});
  check_io_error([] { (void)io::detail::ismrmrd_recon_size("<reconSpace><x>0</x><y>3</y></reconSpace>", "f.h5"); },
                 {"f.h5", "matrixSize x"});
}
