/// @file io/npy.hpp
/// NumPy's .npy array files: reading (format versions 1.0, 2.0 and 3.0) and atomic writing (version 1.0) of
/// little-endian arrays of float32, float64, complex64, complex128, int8, int16, int32, int64, uint8, uint16,
/// uint32 and bool.  Arrays written in Fortran order (`'fortran_order': True`, NumPy's column-major layout)
/// are transposed on reading, so an `NpyArray` is always C order with the file's logical shape; writing is
/// always C order.
///
/// The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor version byte, the header
/// length (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a final newline so
/// that the data starts at a multiple of 64 bytes, then the raw elements.  Everything this reader does not
/// understand — a corrupt or truncated file, a big-endian array, an unknown or structured dtype, data of the
/// wrong length — is an `io_error` naming the file, what was expected and what was found.
///
/// Two APIs: the dtype-erased `NpyArray` (what the `eqr` tool passes around), and typed `load_npy<T>` /
/// `load_npy_tensor<T, N>` / `save_npy` over xtensor containers.  One reader serves files, streams and bytes
/// in memory (`read_npy(path)`, `read_npy(stream, size, name)`, `read_npy_bytes`); io/npz.hpp reads the
/// members of .npz archives through it.
#pragma once

#include <algorithm>
#include <bit>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"
#include "eqr/io/detail/npy_header.hpp"

static_assert(std::endian::native == std::endian::little,
              "eqr/io/npy.hpp reads and writes little-endian .npy data directly and needs a little-endian host.");

namespace eqr::io {

/// The element types a .npy file may hold here (`DType` names the on-disk dtype).
using detail::DType;
using detail::dtype_name;
using detail::item_size;

/// The scalar types with a .npy dtype: float, double, complex<float>, complex<double>, int8, int16, int32,
/// int64, uint8, uint16 and uint32.
template <class T>
concept NpyScalar = std::same_as<T, float> || std::same_as<T, double> || std::same_as<T, std::complex<float>> ||
                    std::same_as<T, std::complex<double>> || std::same_as<T, std::int8_t> ||
                    std::same_as<T, std::int16_t> || std::same_as<T, std::int32_t> ||
                    std::same_as<T, std::int64_t> || std::same_as<T, std::uint8_t> ||
                    std::same_as<T, std::uint16_t> || std::same_as<T, std::uint32_t>;

namespace detail {
/// The real type of a scalar: T itself, or V for std::complex<V>.
template <class T>
struct real_of {
  using type = T;
};
template <class V>
struct real_of<std::complex<V>> {
  using type = V;
};
}  // namespace detail

/// The dtype that stores `T` on disk.
template <NpyScalar T>
inline constexpr DType dtype_of = std::same_as<T, float>                  ? DType::float32
                                  : std::same_as<T, double>               ? DType::float64
                                  : std::same_as<T, std::complex<float>>  ? DType::complex64
                                  : std::same_as<T, std::complex<double>> ? DType::complex128
                                  : std::same_as<T, std::int8_t>          ? DType::int8
                                  : std::same_as<T, std::int16_t>         ? DType::int16
                                  : std::same_as<T, std::int32_t>         ? DType::int32
                                  : std::same_as<T, std::int64_t>         ? DType::int64
                                  : std::same_as<T, std::uint16_t>        ? DType::uint16
                                  : std::same_as<T, std::uint32_t>        ? DType::uint32
                                                                          : DType::uint8;

/// A dtype-erased n-d array as stored in a .npy file: a dtype, a shape (C order) and the elements.
/// Class invariant: the number of elements equals the product of the shape (1 for a 0-d array).
/// Booleans are stored as uint8 values 0/1 with dtype `DType::boolean`.
class NpyArray {
 public:
  /// The storage: one vector per element type.
  using Storage = std::variant<std::vector<float>, std::vector<double>, std::vector<std::complex<float>>,
                               std::vector<std::complex<double>>, std::vector<std::int8_t>,
                               std::vector<std::int16_t>, std::vector<std::int32_t>, std::vector<std::int64_t>,
                               std::vector<std::uint8_t>, std::vector<std::uint16_t>, std::vector<std::uint32_t>>;

  /// A zero-filled array of the given dtype and shape.
  NpyArray(DType dtype, std::vector<std::size_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
    const std::size_t n = detail::checked_element_count(shape_, "NpyArray");
    switch (dtype_) {
      case DType::float32: storage_ = std::vector<float>(n); break;
      case DType::float64: storage_ = std::vector<double>(n); break;
      case DType::complex64: storage_ = std::vector<std::complex<float>>(n); break;
      case DType::complex128: storage_ = std::vector<std::complex<double>>(n); break;
      case DType::int8: storage_ = std::vector<std::int8_t>(n); break;
      case DType::int16: storage_ = std::vector<std::int16_t>(n); break;
      case DType::int32: storage_ = std::vector<std::int32_t>(n); break;
      case DType::int64: storage_ = std::vector<std::int64_t>(n); break;
      case DType::uint8:
      case DType::boolean: storage_ = std::vector<std::uint8_t>(n); break;
      case DType::uint16: storage_ = std::vector<std::uint16_t>(n); break;
      case DType::uint32: storage_ = std::vector<std::uint32_t>(n); break;
    }
  }

  /// The array of an xtensor expression, evaluated in C order, with the dtype of its value type.
  template <class E>
  static NpyArray from(const xt::xexpression<E>& expression) {
    using T = std::decay_t<typename E::value_type>;
    static_assert(NpyScalar<T>, "NpyArray::from: the expression's value type has no .npy dtype; use float, double, "
                                "std::complex<float>, std::complex<double>, int8_t, int16_t, int32_t, int64_t, "
                                "uint8_t, uint16_t or uint32_t.");
    const xt::xarray<T, xt::layout_type::row_major> values = expression.derived_cast();
    NpyArray a(dtype_of<T>, std::vector<std::size_t>(values.shape().begin(), values.shape().end()));
    std::copy(values.begin(), values.end(), a.values<T>().begin());
    return a;
  }

  DType dtype() const { return dtype_; }
  const std::vector<std::size_t>& shape() const { return shape_; }
  std::size_t ndim() const { return shape_.size(); }
  /// The number of elements (the product of the shape).
  std::size_t size() const {
    return std::visit([](const auto& v) { return v.size(); }, storage_);
  }
  /// Whether the dtype is complex64 or complex128.
  bool is_complex() const { return dtype_ == DType::complex64 || dtype_ == DType::complex128; }

  /// The elements as stored; `T` must be the storage type of the dtype (throws value_error otherwise).
  template <NpyScalar T>
  std::vector<T>& values() {
    auto* v = std::get_if<std::vector<T>>(&storage_);
    EQR_EXPECTS(v != nullptr, value_error, "NpyArray::values: expected an array of ", dtype_name(dtype_of<T>),
                ", found ", dtype_name(dtype_));
    return *v;
  }
  template <NpyScalar T>
  const std::vector<T>& values() const {
    return const_cast<NpyArray*>(this)->values<T>();
  }

  /// The raw bytes of the elements (for reading and writing the file).
  char* data() {
    return std::visit([](auto& v) { return reinterpret_cast<char*>(v.data()); }, storage_);
  }
  const char* data() const { return const_cast<NpyArray*>(this)->data(); }
  std::size_t byte_size() const { return size() * item_size(dtype_); }

  /// The elements converted to `T` as an xt::xarray of the same shape.  Real and integer dtypes convert to
  /// any real or complex `T`; complex dtypes only to complex `T` (a complex → real conversion would drop
  /// the imaginary part silently, so it throws value_error).
  template <NpyScalar T>
  xt::xarray<T> as() const {
    xt::xarray<T> out = xt::xarray<T>::from_shape(shape_);
    EQR_EXPECTS(is_complex_v<T> || !is_complex(), value_error, "expected a real array, found ", dtype_name(dtype_),
                " (take the magnitude or the real part first)");
    std::visit(
        [&out](const auto& v) {
          using S = typename std::decay_t<decltype(v)>::value_type;
          std::transform(v.begin(), v.end(), out.begin(), [](const S& x) { return convert<T>(x); });
        },
        storage_);
    return out;
  }

 private:
  friend NpyArray read_npy(std::istream& in, std::uintmax_t size, const std::string& name);

  /// Rearranges elements that were read in Fortran order (first axis fastest) for this shape into C order
  /// (last axis fastest): the element at multi-index (i0, ..., iN-1) sits at offset Σ iₖ·(s0·…·sₖ₋₁) in
  /// the file and at Σ iₖ·(sₖ₊₁·…·sN-1) here.
  void reorder_from_fortran() {
    std::visit(
        [this](auto& v) {
          using S = typename std::decay_t<decltype(v)>::value_type;
          const std::size_t rank = shape_.size();
          if (rank < 2 || v.empty()) return;  // 0-d and 1-d arrays have one layout
          std::vector<std::size_t> stride(rank), index(rank, 0);
          for (std::size_t k = 0, s = 1; k < rank; s *= shape_[k], ++k) stride[k] = s;
          std::vector<S> c_order(v.size());
          std::size_t offset = 0;  // the Fortran offset of `index`, the C-order multi-index of element i
          for (std::size_t i = 0; i < c_order.size(); ++i) {
            c_order[i] = v[offset];
            for (std::size_t k = rank; k-- > 0;) {  // the next C-order multi-index: last axis first
              if (++index[k] < shape_[k]) {
                offset += stride[k];
                break;
              }
              offset -= (shape_[k] - 1) * stride[k];
              index[k] = 0;
            }
          }
          v = std::move(c_order);
        },
        storage_);
  }

  template <class U>
  static constexpr bool is_complex_v = std::same_as<U, std::complex<float>> || std::same_as<U, std::complex<double>>;

  /// One element converted to `T` (complex → real is never called: `as` refuses it beforehand).
  template <class T, class S>
  static T convert(const S& x) {
    using R = typename detail::real_of<T>::type;
    if constexpr (is_complex_v<S> && is_complex_v<T>) {
      return T(static_cast<R>(x.real()), static_cast<R>(x.imag()));
    } else if constexpr (is_complex_v<S>) {
      return static_cast<T>(x.real());
    } else if constexpr (is_complex_v<T>) {
      return T(static_cast<R>(x));
    } else {
      return static_cast<T>(x);
    }
  }

  DType dtype_;
  std::vector<std::size_t> shape_;
  Storage storage_;
};

// ---- reading ----------------------------------------------------------------------------------------

namespace detail {
/// A read-only std::streambuf over bytes in memory (std::ispanstream would need C++23).
class MemoryBuffer : public std::streambuf {
 public:
  explicit MemoryBuffer(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // only ever read: the get area is never written
    setg(begin, begin, begin + bytes.size());
  }
};

/// Opens the .npy file `path` into `in` and returns its size in bytes; io_error naming the file when it is
/// missing, cannot be opened or has no size.
inline std::uintmax_t open_npy(std::ifstream& in, const std::filesystem::path& path) {
  const std::string name = path.string();
  in.open(path, std::ios::binary);
  EQR_EXPECTS(in.is_open(), io_error, "cannot read '", name, "': expected an existing readable .npy file, found ",
              std::filesystem::exists(path) ? "a file that cannot be opened" : "no such file");
  std::error_code ec;
  const auto size = static_cast<std::uintmax_t>(std::filesystem::file_size(path, ec));
  EQR_EXPECTS(!ec, io_error, "cannot read '", name, "': cannot determine its size: ", ec.message());
  return size;
}
}  // namespace detail

/// Reads a .npy array (format 1.0, 2.0 or 3.0) from a stream that holds exactly `size` bytes from its
/// current position: the one reader behind files, bytes in memory and .npz members.  A Fortran-order array
/// is transposed into C order.  `name` names the source in errors (every message starts with it quoted).
/// Throws io_error for a corrupt or truncated stream, a big-endian array, an unsupported dtype, or a data
/// length that does not match the header's shape.
inline NpyArray read_npy(std::istream& in, std::uintmax_t size, const std::string& name) {
  const detail::NpyHeader header = detail::read_npy_header(in, size, name);
  // The length check comes before the allocation: a header may claim far more elements than the data holds.
  const std::uintmax_t expected =
      static_cast<std::uintmax_t>(detail::checked_element_count(header.shape, "'" + name + "'")) *
      item_size(header.dtype);
  const std::uintmax_t found = size - header.data_offset;
  EQR_EXPECTS(found == expected, io_error, "'", name, "': expected ", expected, " bytes of data for ",
              detail::shape_string(header.shape), " ", dtype_name(header.dtype),
              header.fortran_order ? " (Fortran order)" : "", ", found ", found, " bytes",
              found < expected ? " (truncated file)" : " (trailing bytes)");
  NpyArray array(header.dtype, header.shape);
  in.read(array.data(), static_cast<std::streamsize>(expected));
  EQR_EXPECTS(in.gcount() == static_cast<std::streamsize>(expected), io_error, "'", name, "': expected ", expected,
              " bytes of data, could read only ", in.gcount());
  if (header.dtype == DType::boolean)
    for (std::uint8_t v : array.values<std::uint8_t>())
      EQR_EXPECTS(v <= 1, io_error, "'", name, "': expected booleans 0 or 1, found the byte ", int(v));
  if (header.fortran_order) array.reorder_from_fortran();
  return array;
}

/// Reads a .npy file (format 1.0, 2.0 or 3.0).  Throws io_error naming the file for a missing, corrupt or
/// truncated file, a big-endian array, an unsupported dtype, or a data length that does not match the
/// header's shape.
inline NpyArray read_npy(const std::filesystem::path& path) {
  std::ifstream in;
  const std::uintmax_t size = detail::open_npy(in, path);
  return read_npy(in, size, path.string());
}

/// The dtype, shape and order of a .npy file from its header alone: the data are neither read nor checked
/// (read_npy checks them), so a file's shape is known without reading a large array.
inline detail::NpyHeader read_npy_header(const std::filesystem::path& path) {
  std::ifstream in;
  const std::uintmax_t size = detail::open_npy(in, path);
  return detail::read_npy_header(in, size, path.string());
}

/// Reads a .npy array from the complete bytes of a .npy file held in memory; `name` names them in errors.
inline NpyArray read_npy_bytes(std::string_view bytes, const std::string& name) {
  detail::MemoryBuffer buffer(bytes);
  std::istream in(&buffer);
  return read_npy(in, bytes.size(), name);
}

/// Reads a .npy file whose dtype is exactly that of `T` (throws io_error naming both dtypes otherwise).
template <NpyScalar T>
xt::xarray<T> load_npy(const std::filesystem::path& path) {
  const NpyArray a = read_npy(path);
  EQR_EXPECTS(a.dtype() == dtype_of<T>, io_error, "'", path.string(), "': expected dtype ",
              dtype_name(dtype_of<T>), ", found ", dtype_name(a.dtype()));
  return a.as<T>();
}

/// Reads a .npy file of rank `N` and dtype exactly that of `T` into a fixed-rank xt::xtensor.
template <NpyScalar T, std::size_t N>
xt::xtensor<T, N> load_npy_tensor(const std::filesystem::path& path) {
  const NpyArray a = read_npy(path);
  EQR_EXPECTS(a.dtype() == dtype_of<T>, io_error, "'", path.string(), "': expected dtype ",
              dtype_name(dtype_of<T>), ", found ", dtype_name(a.dtype()));
  EQR_EXPECTS(a.ndim() == N, shape_error, "'", path.string(), "': expected an array of rank ", N, ", found shape ",
              detail::shape_string(a.shape()));
  xt::xtensor<T, N> out = a.as<T>();
  return out;
}

// ---- writing ----------------------------------------------------------------------------------------

/// Writes `array` as a .npy file (format 1.0; 2.0 only if the header would exceed 64 KiB), atomically.
inline void write_npy(const std::filesystem::path& path, const NpyArray& array) {
  const std::string header = detail::make_npy_header(array.dtype(), array.shape());
  write_atomically(path, [&](std::ostream& out) {
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(array.data(), static_cast<std::streamsize>(array.byte_size()));
  });
}

/// Writes an xtensor expression (evaluated in C order) as a .npy file with its value type's dtype.
template <class E>
void save_npy(const std::filesystem::path& path, const xt::xexpression<E>& expression) {
  write_npy(path, NpyArray::from(expression));
}

}  // namespace eqr::io
