/// @file kernels/expansion_plan.hpp
/// `ExpansionPlan<T>`: what the expansion of an equivariant convolution's parameters into its dense filter
/// and bias needs at run time, with no group or field type left in it — per pair of field representations
/// the basis matrix and where each expanded entry goes in the filter, and the matrix of the invariant bias.
///
///     W[p_b(r, j)] = (C_b M_b)(r, j)        for every block b, row r = (output field, input field), column j
///     bias = P β                            P = C_out × n_β, one column per trivial irrep of the output
///
/// C_b is the block's slice of the coefficient vector as a row-major (rows × size) matrix, M_b its basis
/// (size × d_out·d_in·k²). The positions p_b cover each filter entry of the block's channel pairs exactly
/// once, and entries of no block are zero. Because the plan is plain data, the expansion is compiled once per
/// scalar type whatever the groups and field types, and a backend can copy it to its device once and expand
/// there (backends/filter_expansion.hpp); the host functions here are the reference every backend matches.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "eqr/config.hpp"
#include "eqr/core/shape.hpp"

namespace eqr {

/// The run-time plan of a kernel expansion in scalar type T (see the file comment).
template <std::floating_point T>
struct ExpansionPlan {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// One pair of field representations.
  struct Block {
    Matrix matrix;                               ///< the basis M_b: size × (d_out·d_in·k²)
    int coefficient_offset = 0;                  ///< the first coefficient of the block
    int rows = 0;                                ///< n_out_fields · n_in_fields
    std::vector<std::int64_t> filter_positions;  ///< rows × cols: the flat filter index of (r, j), row-major
  };

  int c_out = 0, c_in = 0, kernel_size = 0;
  int coefficient_count = 0;
  std::vector<Block> blocks;
  Matrix bias_matrix;  ///< P: C_out × n_β

  /// The number of entries of the dense filter, C_out·C_in·k².
  [[nodiscard]] int filter_size() const { return c_out * c_in * kernel_size * kernel_size; }
  /// The dense filter's shape C_out × C_in × k × k.
  [[nodiscard]] Shape4 filter_shape() const {
    const auto k = static_cast<std::size_t>(kernel_size);
    return {static_cast<std::size_t>(c_out), static_cast<std::size_t>(c_in), k, k};
  }
  /// The number of learnable bias scalars n_β.
  [[nodiscard]] int bias_count() const { return static_cast<int>(bias_matrix.cols()); }

  /// W = the expansion of the coefficients c (C_out × C_in × k × k, row-major).
  void expand(std::span<const T> coefficients, std::span<T> filter) const {
    check_sizes(coefficients.size(), filter.size(), "expand");
    std::fill(filter.begin(), filter.end(), T(0));
    for (const Block& b : blocks) {
      const Eigen::Map<const Matrix> c(coefficients.data() + b.coefficient_offset, b.rows, b.matrix.rows());
      const Matrix expanded = c * b.matrix;  // the GEMM: (rows × size) · (size × d_out·d_in·k²)
      const T* e = expanded.data();
      for (std::size_t i = 0; i < b.filter_positions.size(); ++i)
        filter[static_cast<std::size_t>(b.filter_positions[i])] = e[i];
    }
  }
  /// The transpose of `expand`: dL/dc from dL/dW (overwrites `coefficient_gradient`).
  void expand_transpose(std::span<const T> filter_gradient, std::span<T> coefficient_gradient) const {
    check_sizes(coefficient_gradient.size(), filter_gradient.size(), "expand_transpose");
    for (const Block& b : blocks) {
      Matrix gathered(b.rows, b.matrix.cols());
      T* g = gathered.data();
      for (std::size_t i = 0; i < b.filter_positions.size(); ++i)
        g[i] = filter_gradient[static_cast<std::size_t>(b.filter_positions[i])];
      Eigen::Map<Matrix> dc(coefficient_gradient.data() + b.coefficient_offset, b.rows, b.matrix.rows());
      dc.noalias() = gathered * b.matrix.transpose();
    }
  }
  /// The per-channel bias P β (length C_out) of the learnable scalars β (length n_β).
  void expand_bias(std::span<const T> bias, std::span<T> channels) const {
    check_bias_sizes(bias.size(), channels.size(), "expand_bias");
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(channels.data(), c_out) =
        bias_matrix * Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias.data(), bias_count());
  }
  /// The transpose of `expand_bias`: dL/dβ = Pᵀ dL/d(channel bias) (overwrites `bias_gradient`).
  void expand_bias_transpose(std::span<const T> channel_gradient, std::span<T> bias_gradient) const {
    check_bias_sizes(bias_gradient.size(), channel_gradient.size(), "expand_bias_transpose");
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias_gradient.data(), bias_count()) =
        bias_matrix.transpose() * Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(channel_gradient.data(), c_out);
  }

 private:
  void check_sizes(std::size_t coefficients, std::size_t filter, const char* what) const {
    EQR_EXPECTS(coefficients == static_cast<std::size_t>(coefficient_count), shape_error, "kernel expansion ", what,
                ": expected ", coefficient_count, " coefficients, found ", coefficients);
    EQR_EXPECTS(filter == static_cast<std::size_t>(filter_size()), shape_error, "kernel expansion ", what,
                ": expected a filter of ", c_out, "x", c_in, "x", kernel_size, "x", kernel_size, " = ", filter_size(),
                " values, found ", filter);
  }
  void check_bias_sizes(std::size_t bias, std::size_t channels, const char* what) const {
    EQR_EXPECTS(bias == static_cast<std::size_t>(bias_count()), shape_error, "kernel expansion ", what, ": expected ",
                bias_count(), " bias scalars, found ", bias);
    EQR_EXPECTS(channels == static_cast<std::size_t>(c_out), shape_error, "kernel expansion ", what, ": expected ",
                c_out, " output channels, found ", channels);
  }
};

}  // namespace eqr
