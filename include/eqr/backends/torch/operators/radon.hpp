/// @file backends/torch/operators/radon.hpp
/// The parallel-beam Radon transform and its exact transpose on a LibTorch device (CPU or CUDA), as one
/// sparse matrix built from the CPU operator's Joseph weights (operators/radon.hpp).
///
/// The matrix A has A·D rows (sinogram entries, row a·D + j for angle a and detector j) and H·W columns
/// (pixels, column r·W + c).  `eqr::Radon<T>::for_each_entry` lists its non-zero entries one ray sample at a
/// time; a pixel may be listed twice for one ray.  The entries are merged on the host — sorted by column
/// within each row, duplicates summed in double and rounded once to T — into a CSR matrix, and the
/// transpose Aᵀ is made from *those* merged values by a CSR transpose.  So the back-projection multiplies by
/// exactly the transposed matrix (the same numbers), and ⟨Au, y⟩ = ⟨u, Aᵀy⟩ holds to the rounding of the
/// two sparse products on every device.  Both matrices are stored because LibTorch 1.13's CSR × dense
/// product is available on CPU and CUDA (cuSPARSE SpMM, 32-bit indices accepted), while a transposed (CSC)
/// operand is not supported everywhere.
///
/// A batch is multiplied at once: the N images are the N columns of a dense (H·W) × N matrix, so
/// A·X is one sparse-times-dense product (one SpMM kernel on CUDA).
///
/// On the CPU device the operator runs, by default, the CPU library's Joseph projector itself on the
/// tensor's values (copied in and out, an H·W memcpy): LibTorch 1.13's CPU sparse products (CSR, CSC or
/// COO, int32 or int64 indices) took ~20 ms for one 128² projection with 50 angles where the projector
/// takes ~1 ms.  `RadonKernel::sparse` forces the sparse-matrix path on the CPU as well (the tests run both
/// paths on the CPU, so the CUDA path's matrices are checked without a GPU).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "eqr/backends/torch/operators/detail/tensor_checks.hpp"
#include "eqr/backends/torch/xtensor_interop.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/parallel_beam.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr::libtorch {

/// How `TorchRadon` computes: `automatic` (the CPU projector on the CPU device, the sparse matrices on
/// any other), `sparse` (the sparse matrices on every device), `projector` (the CPU projector; CPU only).
enum class RadonKernel : std::uint8_t { automatic, sparse, projector };

/// The parallel-beam Radon transform of a ParallelBeamGeometry on a LibTorch device: domain (N, 1, H, W)
/// images, range (N, 1, A, D) sinograms, the same operator as `eqr::Radon<T>` (Joseph's method; entries
/// from `Radon<T>::for_each_entry`), applied as a sparse CSR matrix (or, on the CPU, by the CPU projector;
/// see `RadonKernel`).  `adjoint` is the exact transpose in either case.  Tensors must be of scalar T on
/// the operator's device.  Copies share the matrices (torch::Tensor handles) and the projector's tables.
template <RealScalar T>
class TorchRadon {
 public:
  using value_type = T;

  /// Builds the operator for `geometry` on `device` (the sparse matrices only where they are used); throws
  /// value_error for the projector kernel on a non-CPU device, and if the geometry is invalid or has 2³¹
  /// or more matrix entries.
  explicit TorchRadon(ParallelBeamGeometry geometry, torch::Device device = torch::kCPU,
                      RadonKernel kernel = RadonKernel::automatic);

  /// The shape (n, 1, H, W) of a batch of n images.
  TensorShape domain_shape(std::size_t n) const { return {n, 1, geometry_.height, geometry_.width}; }
  /// The shape (n, 1, A, D) of a batch of n sinograms.
  TensorShape range_shape(std::size_t n) const { return {n, 1, geometry_.num_angles(), geometry_.detectors}; }

  /// The forward projection A x of a batch of images (a new contiguous tensor).
  torch::Tensor apply(const torch::Tensor& x) const;
  /// The back-projection Aᵀ y of a batch of sinograms: the product with the transposed matrix.
  torch::Tensor adjoint(const torch::Tensor& y) const;

  /// The geometry.
  const ParallelBeamGeometry& geometry() const { return geometry_; }
  /// The device the matrices live on.
  torch::Device device() const { return device_; }
  /// Whether the sparse matrices are used (false: the CPU projector).
  bool uses_sparse_matrix() const { return forward_.defined(); }
  /// The number of stored non-zero entries of A after merging duplicates (0 without the sparse path).
  std::int64_t nonzeros() const { return nnz_; }
  /// The matrix A as a (A·D) × (H·W) sparse CSR tensor on the device (undefined without the sparse path).
  const torch::Tensor& matrix() const { return forward_; }
  /// The matrix Aᵀ as a (H·W) × (A·D) sparse CSR tensor on the device (the transpose of `matrix()`).
  const torch::Tensor& transposed_matrix() const { return backward_; }

 private:
  /// Multiplies the CSR matrix `m` (rows × cols) with a batch whose items are flattened to `cols` values,
  /// returning the batch reshaped to `out_shape`.
  static torch::Tensor multiply(const torch::Tensor& m, const torch::Tensor& x, const TensorShape& out_shape);

  /// Builds the merged CSR matrix A and its transpose on the device from the projector's entries.
  void build_matrices(const Radon<T>& cpu);

  ParallelBeamGeometry geometry_;
  torch::Device device_;
  Radon<T> projector_;  // the CPU operator (its tables are shared by copies)
  std::int64_t nnz_ = 0;
  torch::Tensor forward_, backward_;  // undefined when the projector is used
};

// ============================================================================================================
// Implementation
// ============================================================================================================

namespace detail {

/// A CSR matrix on the host: row pointers, column indices (both int32) and values.
template <RealScalar T>
struct HostCsr {
  std::vector<std::int32_t> row_ptr, col;
  std::vector<T> value;
};

/// The transpose of a host CSR matrix with `cols` columns: the same values, rows and columns swapped,
/// columns sorted within each row (a counting sort, stable in the original row order).
template <RealScalar T>
HostCsr<T> transpose_csr(const HostCsr<T>& m, std::size_t cols) {
  const std::size_t rows = m.row_ptr.size() - 1, nnz = m.col.size();
  HostCsr<T> t;
  t.row_ptr.assign(cols + 1, 0);
  for (const std::int32_t c : m.col) ++t.row_ptr[static_cast<std::size_t>(c) + 1];
  std::partial_sum(t.row_ptr.begin(), t.row_ptr.end(), t.row_ptr.begin());
  t.col.resize(nnz);
  t.value.resize(nnz);
  std::vector<std::int32_t> next(t.row_ptr.begin(), t.row_ptr.end() - 1);
  for (std::size_t r = 0; r < rows; ++r)
    for (auto k = static_cast<std::size_t>(m.row_ptr[r]); k < static_cast<std::size_t>(m.row_ptr[r + 1]); ++k) {
      const auto slot = static_cast<std::size_t>(next[static_cast<std::size_t>(m.col[k])]++);
      t.col[slot] = static_cast<std::int32_t>(r);
      t.value[slot] = m.value[k];
    }
  return t;
}

/// A host CSR matrix as a LibTorch sparse CSR tensor of the given size on `device`.
template <RealScalar T>
torch::Tensor to_device_csr(const HostCsr<T>& m, std::int64_t rows, std::int64_t cols, torch::Device device) {
  const auto index = torch::TensorOptions().dtype(torch::kInt32);
  auto row_ptr = torch::from_blob(const_cast<std::int32_t*>(m.row_ptr.data()),
                                  {static_cast<std::int64_t>(m.row_ptr.size())}, index)
                     .to(device, /*non_blocking=*/false, /*copy=*/true);
  auto col = torch::from_blob(const_cast<std::int32_t*>(m.col.data()), {static_cast<std::int64_t>(m.col.size())}, index)
                 .to(device, false, true);
  auto value = torch::from_blob(const_cast<T*>(m.value.data()), {static_cast<std::int64_t>(m.value.size())},
                                torch::TensorOptions().dtype(operator_dtype<T>()))
                   .to(device, false, true);
  return torch::sparse_csr_tensor(row_ptr, col, value, {rows, cols},
                                  torch::TensorOptions().dtype(operator_dtype<T>()).device(device));
}

}  // namespace detail

template <RealScalar T>
TorchRadon<T>::TorchRadon(ParallelBeamGeometry geometry, torch::Device device, RadonKernel kernel)
    : geometry_(std::move(geometry)), device_(device), projector_(geometry_) {
  EQR_EXPECTS(kernel != RadonKernel::projector || device_.is_cpu(), value_error,
              "TorchRadon: expected the CPU device for the projector kernel, found ", detail::torch_name(device_));
  const bool sparse = kernel == RadonKernel::sparse || (kernel == RadonKernel::automatic && !device_.is_cpu());
  if (sparse) build_matrices(projector_);
}

template <RealScalar T>
void TorchRadon<T>::build_matrices(const Radon<T>& cpu) {
  const std::size_t rows = geometry_.num_angles() * geometry_.detectors;
  const std::size_t cols = geometry_.height * geometry_.width;
  const std::size_t D = geometry_.detectors, W = geometry_.width;
  // Pass 1: the number of listed entries per row; pass 2: the entries in row buckets.
  std::vector<std::size_t> start(rows + 1, 0);
  cpu.for_each_entry([&](std::size_t a, std::size_t j, std::size_t, std::size_t, T) { ++start[a * D + j + 1]; });
  std::partial_sum(start.begin(), start.end(), start.begin());
  EQR_EXPECTS(start[rows] < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()), shape_error,
              "TorchRadon: expected fewer than 2^31 matrix entries (int32 CSR indices), found ", start[rows]);
  std::vector<std::int32_t> col(start[rows]);
  std::vector<T> value(start[rows]);
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    cpu.for_each_entry([&](std::size_t a, std::size_t j, std::size_t r, std::size_t c, T w) {
      const std::size_t slot = next[a * D + j]++;
      col[slot] = static_cast<std::int32_t>(r * W + c);
      value[slot] = w;
    });
  }
  // Merge: sort each row by column, sum repeated columns in double, round once to T, drop exact zeros.
  detail::HostCsr<T> m;
  m.row_ptr.assign(rows + 1, 0);
  m.col.reserve(col.size());
  m.value.reserve(col.size());
  std::vector<std::pair<std::int32_t, T>> row;
  for (std::size_t r = 0; r < rows; ++r) {
    row.clear();
    for (std::size_t k = start[r]; k < start[r + 1]; ++k) row.emplace_back(col[k], value[k]);
    std::stable_sort(row.begin(), row.end(), [](const auto& p, const auto& q) { return p.first < q.first; });
    for (std::size_t k = 0; k < row.size();) {
      double sum = 0.0;
      std::size_t e = k;
      for (; e < row.size() && row[e].first == row[k].first; ++e) sum += static_cast<double>(row[e].second);
      if (static_cast<T>(sum) != T(0)) {  // samples exactly on a pixel centre list a zero weight
        m.col.push_back(row[k].first);
        m.value.push_back(static_cast<T>(sum));
      }
      k = e;
    }
    m.row_ptr[r + 1] = static_cast<std::int32_t>(m.col.size());
  }
  nnz_ = static_cast<std::int64_t>(m.col.size());
  const auto transposed = detail::transpose_csr(m, cols);
  forward_ = detail::to_device_csr(m, static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols), device_);
  backward_ =
      detail::to_device_csr(transposed, static_cast<std::int64_t>(cols), static_cast<std::int64_t>(rows), device_);
}

template <RealScalar T>
torch::Tensor TorchRadon<T>::multiply(const torch::Tensor& m, const torch::Tensor& x, const TensorShape& out_shape) {
  const std::int64_t n = x.size(0);
  // Items as columns: (cols × N); the product is (rows × N), transposed back to N items.
  const torch::Tensor columns = x.reshape({n, -1}).t().contiguous();
  const torch::Tensor product = torch::mm(m, columns);
  return product.t().contiguous().reshape({n, static_cast<std::int64_t>(out_shape[1]),
                                           static_cast<std::int64_t>(out_shape[2]),
                                           static_cast<std::int64_t>(out_shape[3])});
}

template <RealScalar T>
torch::Tensor TorchRadon<T>::apply(const torch::Tensor& x) const {
  detail::expect_batch<T>(x, device_, [this](std::size_t n) { return domain_shape(n); },
                          "TorchRadon::apply (images N x 1 x H x W)");
  if (!uses_sparse_matrix()) return to_torch(projector_.apply(to_xtensor<T>(x)), device_);
  return multiply(forward_, x, range_shape(static_cast<std::size_t>(x.size(0))));
}

template <RealScalar T>
torch::Tensor TorchRadon<T>::adjoint(const torch::Tensor& y) const {
  detail::expect_batch<T>(y, device_, [this](std::size_t n) { return range_shape(n); },
                          "TorchRadon::adjoint (sinograms N x 1 x A x D)");
  if (!uses_sparse_matrix()) return to_torch(projector_.adjoint(to_xtensor<T>(y)), device_);
  return multiply(backward_, y, domain_shape(static_cast<std::size_t>(y.size(0))));
}

}  // namespace eqr::libtorch
