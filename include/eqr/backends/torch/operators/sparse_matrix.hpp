/// @file backends/torch/operators/sparse_matrix.hpp
/// `SparseMatrixPair<T>`: a linear operator given by its entries (any `for_each_entry`), stored on a LibTorch
/// device as a CSR matrix A and its exact transpose Aᵀ, and applied to a batch by sparse × dense products.
///
/// The entries are merged on the host — sorted by column within each row, duplicates summed in double and
/// rounded once to T, exact zeros dropped — and the transpose is made from *those* merged values by a CSR
/// transpose, so the adjoint multiplies by exactly the transposed matrix (the same numbers) and
/// ⟨Au, y⟩ = ⟨u, Aᵀy⟩ holds to the rounding of the two products on every device. Both matrices are stored
/// because LibTorch 1.13's CSR × dense product is available on CPU and CUDA (cuSPARSE SpMM, 32-bit indices
/// accepted), while a transposed (CSC) operand is not supported everywhere. A batch is multiplied at once:
/// its N items are the N columns of a dense matrix, so A·X is one SpMM kernel on CUDA.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "eqr/backends/torch/dtype.hpp"
#include "eqr/config.hpp"
#include "eqr/core/scalar.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::libtorch {

namespace detail {

/// A CSR matrix on the host: row pointers, column indices (both int32) and values.
template <Real T>
struct HostCsr {
  std::vector<std::int32_t> row_ptr, col;
  std::vector<T> value;
};

/// The transpose of a host CSR matrix with `cols` columns: the same values, rows and columns swapped,
/// columns sorted within each row (a counting sort, stable in the original row order).
template <Real T>
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
template <Real T>
torch::Tensor to_device_csr(const HostCsr<T>& m, std::int64_t rows, std::int64_t cols, torch::Device device) {
  const auto index = torch::TensorOptions().dtype(torch::kInt32);
  auto row_ptr = torch::from_blob(const_cast<std::int32_t*>(m.row_ptr.data()),
                                  {static_cast<std::int64_t>(m.row_ptr.size())}, index)
                     .to(device, /*non_blocking=*/false, /*copy=*/true);
  auto col = torch::from_blob(const_cast<std::int32_t*>(m.col.data()), {static_cast<std::int64_t>(m.col.size())}, index)
                 .to(device, false, true);
  auto value = torch::from_blob(const_cast<T*>(m.value.data()), {static_cast<std::int64_t>(m.value.size())},
                                torch::TensorOptions().dtype(dtype_of<T>()))
                   .to(device, false, true);
  return torch::sparse_csr_tensor(row_ptr, col, value, {rows, cols},
                                  torch::TensorOptions().dtype(dtype_of<T>()).device(device));
}

}  // namespace detail

/// A sparse linear map from batches of `in` to batches of `out` (per-item shapes, batch size 1) stored as
/// CSR matrices A and Aᵀ on one LibTorch device.
template <Real T>
class SparseMatrixPair {
 public:
  /// Builds A from `for_each(f)`, which calls f(row, col, value) for every listed entry (repeats are summed)
  /// of the (out.numel() × in.numel()) matrix, row = flat index of the output item, col = of the input item;
  /// throws shape_error for 2³¹ or more listed entries (int32 CSR indices).
  template <class ForEach>
  SparseMatrixPair(Shape4 in, Shape4 out, ForEach&& for_each, torch::Device device) : in_(in), out_(out) {
    const std::size_t rows = out.numel(), cols = in.numel();
    // Pass 1: the number of listed entries per row; pass 2: the entries in row buckets.
    std::vector<std::size_t> start(rows + 1, 0);
    for_each([&](std::size_t r, std::size_t, T) { ++start[r + 1]; });
    std::partial_sum(start.begin(), start.end(), start.begin());
    EQR_EXPECTS(start[rows] < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()), shape_error,
                "SparseMatrixPair: expected fewer than 2^31 matrix entries (int32 CSR indices), found ", start[rows]);
    std::vector<std::int32_t> col(start[rows]);
    std::vector<T> value(start[rows]);
    {
      std::vector<std::size_t> next(start.begin(), start.end() - 1);
      for_each([&](std::size_t r, std::size_t c, T w) {
        const std::size_t slot = next[r]++;
        col[slot] = static_cast<std::int32_t>(c);
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
        if (static_cast<T>(sum) != T(0)) {  // e.g. a ray sample exactly on a pixel centre lists a zero weight
          m.col.push_back(row[k].first);
          m.value.push_back(static_cast<T>(sum));
        }
        k = e;
      }
      m.row_ptr[r + 1] = static_cast<std::int32_t>(m.col.size());
    }
    nnz_ = static_cast<std::int64_t>(m.col.size());
    forward_ = detail::to_device_csr(m, static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols), device);
    backward_ = detail::to_device_csr(detail::transpose_csr(m, cols), static_cast<std::int64_t>(cols),
                                      static_cast<std::int64_t>(rows), device);
  }

  /// A x for a batch x of input items (N × in.c × in.h × in.w).
  [[nodiscard]] torch::Tensor apply(const torch::Tensor& x) const { return multiply(forward_, x, out_); }
  /// Aᵀ y for a batch y of output items.
  [[nodiscard]] torch::Tensor adjoint(const torch::Tensor& y) const { return multiply(backward_, y, in_); }
  /// The number of stored non-zero entries of A after merging.
  [[nodiscard]] std::int64_t nonzeros() const { return nnz_; }
  /// A as a sparse CSR tensor on the device.
  [[nodiscard]] const torch::Tensor& matrix() const { return forward_; }
  /// Aᵀ as a sparse CSR tensor on the device (the transpose of `matrix()`).
  [[nodiscard]] const torch::Tensor& transposed_matrix() const { return backward_; }

 private:
  /// m times a batch whose items are flattened, reshaped to items of shape `item`.
  static torch::Tensor multiply(const torch::Tensor& m, const torch::Tensor& x, const Shape4& item) {
    const std::int64_t n = x.size(0);
    // Items as columns: (cols × N); the product is (rows × N), transposed back to N items.
    const torch::Tensor product = torch::mm(m, x.reshape({n, -1}).t().contiguous());
    return product.t().contiguous().reshape({n, static_cast<std::int64_t>(item.c), static_cast<std::int64_t>(item.h),
                                             static_cast<std::int64_t>(item.w)});
  }

  Shape4 in_, out_;
  std::int64_t nnz_ = 0;
  torch::Tensor forward_, backward_;
};

}  // namespace eqr::libtorch
