/// @file io/hdf5.hpp
/// Arrays and attributes of HDF5 files (https://www.hdfgroup.org), the container of fastMRI and LoDoPaB-CT:
/// `Hdf5File` opens a file read-only and reads its root-level datasets — whole or a block of their first axis
/// — into an `NpyArray`, and its root attributes (numbers and strings), through libhdf5 (Debian's
/// libhdf5-dev, the serial library).
///
/// Element types read: signed and unsigned integers of 8, 16 and 32 bits, signed 64-bit integers, IEEE
/// float32 and float64, in either byte order, and complex numbers as h5py writes them — a compound of two
/// members "r" and "i" (or "real" and "imag") of one float type — as complex64 / complex128.  libhdf5
/// converts byte order (and matches compound members by name).  Everything else (unsigned 64-bit integers,
/// strings, other compounds, references, variable-length data) is refused with an `io_error` naming the file,
/// the dataset, what was expected and what was found.
///
/// libhdf5's own error stack printing is switched off (`H5Eset_auto2`, a process-wide setting) while a file
/// is open: every failure is reported by the `io_error` instead.  Debian's libhdf5 is built without its
/// thread-safety option: use one `Hdf5File` at a time in a process.
///
/// Needs the `eqr::hdf5` CMake target (eqr::cpu + libhdf5), which defines EQR_HAVE_HDF5=1.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <hdf5.h>

#include "eqr/config.hpp"
#include "eqr/io/npy.hpp"

namespace eqr::io {

/// A root attribute's value: a number (every integer or float attribute, read as double) or a string.
using Hdf5Attribute = std::variant<double, std::string>;

namespace detail {

/// An HDF5 identifier closed by `close` on destruction (H5Fclose, H5Dclose, H5Sclose, H5Tclose, H5Aclose).
class Hdf5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Hdf5Handle() = default;
  Hdf5Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    std::swap(id_, other.id_);
    std::swap(close_, other.close_);
    return *this;
  }
  ~Hdf5Handle() {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
  }
  [[nodiscard]] hid_t get() const { return id_; }
  [[nodiscard]] bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// Switches libhdf5's automatic error printing off for its lifetime and restores it after.
class Hdf5Quiet {
 public:
  Hdf5Quiet() { H5Eget_auto2(H5E_DEFAULT, &function_, &data_); H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
  Hdf5Quiet(const Hdf5Quiet&) = delete;
  Hdf5Quiet& operator=(const Hdf5Quiet&) = delete;
  ~Hdf5Quiet() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
};

/// Names as a readable list: "'a', 'b'" ("none" when empty).
inline std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out.empty() ? "none" : out;
}

/// The dtype a stored element type reads as, or nullopt for an unsupported one; `what` describes it.
inline std::optional<DType> hdf5_dtype(hid_t type, std::string& what) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    what = std::string(is_signed ? "int" : "uint") + std::to_string(8 * size);
    if (is_signed) {
      switch (size) {
        case 1: return DType::int8;
        case 2: return DType::int16;
        case 4: return DType::int32;
        case 8: return DType::int64;
        default: return std::nullopt;
      }
    }
    switch (size) {
      case 1: return DType::uint8;
      case 2: return DType::uint16;
      case 4: return DType::uint32;
      default: return std::nullopt;
    }
  }
  if (cls == H5T_FLOAT) {
    what = "float" + std::to_string(8 * size);
    if (size == 4) return DType::float32;
    if (size == 8) return DType::float64;
    return std::nullopt;
  }
  if (cls == H5T_COMPOUND) {
    what = "a compound of " + std::to_string(H5Tget_nmembers(type)) + " members";
    if (H5Tget_nmembers(type) != 2) return std::nullopt;
    std::string names[2];
    bool two_floats = true;
    for (unsigned m = 0; m < 2; ++m) {
      char* name = H5Tget_member_name(type, m);
      if (name == nullptr) return std::nullopt;
      names[m] = name;
      H5free_memory(name);
      const Hdf5Handle member(H5Tget_member_type(type, m), H5Tclose);
      two_floats = two_floats && member.valid() && H5Tget_class(member.get()) == H5T_FLOAT &&
                   H5Tget_size(member.get()) == size / 2;
    }
    what = "a compound (" + names[0] + ", " + names[1] + ")";
    if (!two_floats) return std::nullopt;
    const bool complex_names = (names[0] == "r" && names[1] == "i") || (names[0] == "real" && names[1] == "imag");
    if (!complex_names) return std::nullopt;
    if (size == 8) return DType::complex64;
    if (size == 16) return DType::complex128;
    return std::nullopt;
  }
  what = cls == H5T_STRING ? "strings" : cls == H5T_REFERENCE ? "references" : cls == H5T_VLEN ? "variable-length data"
                                                                                              : "an unsupported element type";
  return std::nullopt;
}

/// The in-memory type libhdf5 converts to for `dtype`: a native type, or the complex compound with the
/// member names of the stored one (`first`, `second`).
inline Hdf5Handle hdf5_memory_type(DType dtype, const std::string& first, const std::string& second) {
  const auto native = [](hid_t t) { return Hdf5Handle(H5Tcopy(t), H5Tclose); };
  switch (dtype) {
    case DType::float32: return native(H5T_NATIVE_FLOAT);
    case DType::float64: return native(H5T_NATIVE_DOUBLE);
    case DType::int8: return native(H5T_NATIVE_INT8);
    case DType::int16: return native(H5T_NATIVE_INT16);
    case DType::int32: return native(H5T_NATIVE_INT32);
    case DType::int64: return native(H5T_NATIVE_INT64);
    case DType::uint8:
    case DType::boolean: return native(H5T_NATIVE_UINT8);
    case DType::uint16: return native(H5T_NATIVE_UINT16);
    case DType::uint32: return native(H5T_NATIVE_UINT32);
    case DType::complex64:
    case DType::complex128: {
      const bool single = dtype == DType::complex64;
      const std::size_t part = single ? sizeof(float) : sizeof(double);
      Hdf5Handle t(H5Tcreate(H5T_COMPOUND, 2 * part), H5Tclose);
      H5Tinsert(t.get(), first.c_str(), 0, single ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE);
      H5Tinsert(t.get(), second.c_str(), part, single ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE);
      return t;
    }
  }
  return {};
}

}  // namespace detail

/// An HDF5 file opened read-only.  Throws io_error naming the file when it is missing or not HDF5.
class Hdf5File {
 public:
  explicit Hdf5File(const std::filesystem::path& path) : name_(path.string()) {
    EQR_EXPECTS(std::filesystem::is_regular_file(path), io_error, "cannot read '", name_, "': no such file");
    const detail::Hdf5Quiet quiet;
    EQR_EXPECTS(H5Fis_hdf5(name_.c_str()) > 0, io_error, "'", name_,
                "': expected an HDF5 file, found a file without the HDF5 signature");
    file_ = detail::Hdf5Handle(H5Fopen(name_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    EQR_EXPECTS(file_.valid(), io_error, "'", name_, "': expected a readable HDF5 file, found one libhdf5 cannot open (damaged?)");
  }

  /// The path as given.
  [[nodiscard]] const std::string& name() const { return name_; }

  /// The names of the datasets in the root group, in libhdf5's (alphabetical) order.
  [[nodiscard]] std::vector<std::string> dataset_names() const {
    const detail::Hdf5Quiet quiet;
    std::vector<std::string> names;
    hsize_t index = 0;
    const auto visit = [](hid_t group, const char* name, const H5L_info_t*, void* out) -> herr_t {
      const detail::Hdf5Handle d(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
      if (d.valid()) static_cast<std::vector<std::string>*>(out)->push_back(name);
      return 0;
    };
    const herr_t rc = H5Literate(file_.get(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &names);
    EQR_EXPECTS(rc >= 0, io_error, "'", name_, "': expected a readable root group, found one libhdf5 cannot list (damaged?)");
    return names;
  }

  /// Whether the root group has a dataset `dataset` (a link of that name that opens as a dataset).
  [[nodiscard]] bool has_dataset(const std::string& dataset) const {
    const detail::Hdf5Quiet quiet;
    if (dataset.empty() || dataset.find('/') != std::string::npos || H5Lexists(file_.get(), dataset.c_str(), H5P_DEFAULT) <= 0)
      return false;
    return detail::Hdf5Handle(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose).valid();
  }

  /// The shape of dataset `dataset` (empty for a scalar).
  [[nodiscard]] std::vector<std::size_t> shape(const std::string& dataset) const {
    const detail::Hdf5Quiet quiet;
    const detail::Hdf5Handle d = open(dataset);
    return extent(d, dataset);
  }

  /// Dataset `dataset`, or the block [first, first + count) of its first axis (all of it when count is
  /// nullopt), as an array of the dtype its element type reads as (this header's comment).
  [[nodiscard]] NpyArray read(const std::string& dataset, std::size_t first = 0, std::optional<std::size_t> count = {}) const {
    const detail::Hdf5Quiet quiet;
    const detail::Hdf5Handle d = open(dataset);
    std::vector<std::size_t> dims = extent(d, dataset);
    const detail::Hdf5Handle stored(H5Dget_type(d.get()), H5Tclose);
    std::string what;
    const std::optional<DType> dtype = stored.valid() ? detail::hdf5_dtype(stored.get(), what) : std::nullopt;
    EQR_EXPECTS(dtype.has_value(), io_error, "'", name_, "': dataset '", dataset, "': expected integers, floats or complex ",
                "numbers (a compound of r, i), found ", what.empty() ? "an unreadable element type" : what);
    std::string first_member = "r", second_member = "i";
    if (*dtype == DType::complex64 || *dtype == DType::complex128) member_names(stored.get(), first_member, second_member);
    const detail::Hdf5Handle space(H5Dget_space(d.get()), H5Sclose);
    if (!dims.empty()) {
      const std::size_t n = count.value_or(dims[0] - std::min(first, dims[0]));
      EQR_EXPECTS(first <= dims[0] && n <= dims[0] - first, value_error, "'", name_, "': dataset '", dataset,
                  "': expected a block inside its ", dims[0], " entries along axis 0, found [", first, ", ", first + n, ")");
      std::vector<hsize_t> start(dims.size(), 0), block(dims.begin(), dims.end());
      start[0] = first;
      block[0] = n;
      dims[0] = n;
      EQR_EXPECTS(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr) >= 0,
                  io_error, "'", name_, "': dataset '", dataset, "': cannot select entries [", first, ", ", first + n, ")");
    }
    NpyArray out(*dtype, dims);
    if (out.size() == 0) return out;
    std::vector<hsize_t> memory_dims(dims.begin(), dims.end());
    const detail::Hdf5Handle memory_space(dims.empty() ? H5Screate(H5S_SCALAR)
                                                       : H5Screate_simple(static_cast<int>(dims.size()), memory_dims.data(), nullptr),
                                          H5Sclose);
    const detail::Hdf5Handle memory_type = detail::hdf5_memory_type(*dtype, first_member, second_member);
    const herr_t rc = H5Dread(d.get(), memory_type.get(), memory_space.get(), space.get(), H5P_DEFAULT, out.data());
    EQR_EXPECTS(rc >= 0, io_error, "'", name_, "': dataset '", dataset, "': expected its ", out.size(),
                " values to be readable, found data libhdf5 cannot read (truncated or damaged file?)");
    return out;
  }

  /// Whether the root group has an attribute `attribute`.
  [[nodiscard]] bool has_attribute(const std::string& attribute) const {
    const detail::Hdf5Quiet quiet;
    return H5Aexists(file_.get(), attribute.c_str()) > 0;
  }

  /// Root attribute `attribute`: a scalar (or one-element) integer or float as double, or a string (fixed or
  /// variable length, trailing NULs dropped).  Throws io_error when it is missing or of another kind.
  [[nodiscard]] Hdf5Attribute attribute(const std::string& attribute) const {
    const detail::Hdf5Quiet quiet;
    EQR_EXPECTS(H5Aexists(file_.get(), attribute.c_str()) > 0, io_error, "'", name_, "': expected a root attribute '",
                attribute, "', found none");
    const detail::Hdf5Handle a(H5Aopen(file_.get(), attribute.c_str(), H5P_DEFAULT), H5Aclose);
    const detail::Hdf5Handle type(H5Aget_type(a.get()), H5Tclose);
    const detail::Hdf5Handle space(H5Aget_space(a.get()), H5Sclose);
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    EQR_EXPECTS(a.valid() && type.valid() && points == 1, io_error, "'", name_, "': attribute '", attribute,
                "': expected a single value, found ", points, " values");
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
      double value = 0;
      EQR_EXPECTS(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &value) >= 0, io_error, "'", name_, "': attribute '", attribute,
                  "': cannot be read as a number");
      return value;
    }
    EQR_EXPECTS(cls == H5T_STRING, io_error, "'", name_, "': attribute '", attribute,
                "': expected a number or a string, found another kind of value");
    return read_string(type.get(), [&](hid_t memory_type, void* buffer) { return H5Aread(a.get(), memory_type, buffer); },
                       "attribute '" + attribute + "'");
  }

  /// A scalar string dataset (fastMRI's ismrmrd_header: the ISMRMRD XML header).
  [[nodiscard]] std::string read_string(const std::string& dataset) const {
    const detail::Hdf5Quiet quiet;
    const detail::Hdf5Handle d = open(dataset);
    const detail::Hdf5Handle type(H5Dget_type(d.get()), H5Tclose);
    EQR_EXPECTS(type.valid() && H5Tget_class(type.get()) == H5T_STRING && extent(d, dataset).empty(), io_error, "'", name_,
                "': dataset '", dataset, "': expected a scalar string, found another kind of dataset");
    return read_string(type.get(), [&](hid_t memory_type, void* buffer) {
      return H5Dread(d.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    }, "dataset '" + dataset + "'");
  }

 private:
  [[nodiscard]] detail::Hdf5Handle open(const std::string& dataset) const {
    EQR_EXPECTS(H5Lexists(file_.get(), dataset.c_str(), H5P_DEFAULT) > 0, io_error, "'", name_, "': expected a dataset '",
                dataset, "', found none");
    detail::Hdf5Handle d(H5Dopen2(file_.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
    EQR_EXPECTS(d.valid(), io_error, "'", name_, "': expected '", dataset, "' to be a readable dataset, found a group or a damaged object");
    return d;
  }

  [[nodiscard]] std::vector<std::size_t> extent(const detail::Hdf5Handle& d, const std::string& dataset) const {
    const detail::Hdf5Handle space(H5Dget_space(d.get()), H5Sclose);
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    EQR_EXPECTS(rank >= 0 && rank <= 32, io_error, "'", name_, "': dataset '", dataset, "': expected a simple dataspace, found rank ", rank);
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return {dims.begin(), dims.end()};
  }

  static void member_names(hid_t type, std::string& first, std::string& second) {
    char* a = H5Tget_member_name(type, 0);
    char* b = H5Tget_member_name(type, 1);
    first = a;
    second = b;
    H5free_memory(a);
    H5free_memory(b);
  }

  template <class Read>
  [[nodiscard]] std::string read_string(hid_t type, Read read, const std::string& what) const {
    std::string value;
    if (H5Tis_variable_str(type) > 0) {
      const detail::Hdf5Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(memory_type.get(), H5T_VARIABLE);
      H5Tset_cset(memory_type.get(), H5Tget_cset(type));  // libhdf5 converts neither way between ASCII and UTF-8
      char* text = nullptr;
      EQR_EXPECTS(read(memory_type.get(), &text) >= 0, io_error, "'", name_, "': ", what, ": cannot be read as a string");
      if (text != nullptr) value = text;
      H5free_memory(text);
    } else {
      const std::size_t size = H5Tget_size(type) + 1;  // room for the terminating NUL of a NULLPAD string
      const detail::Hdf5Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(memory_type.get(), size);
      H5Tset_cset(memory_type.get(), H5Tget_cset(type));
      std::string buffer(size, '\0');
      EQR_EXPECTS(read(memory_type.get(), buffer.data()) >= 0, io_error, "'", name_, "': ", what, ": cannot be read as a string");
      value = buffer.substr(0, buffer.find('\0'));
    }
    return value;
  }

  std::string name_;
  detail::Hdf5Handle file_;
};

}  // namespace eqr::io
