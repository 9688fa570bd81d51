/// @file backends/torch/operators/ray_kernels.hpp
/// The LibTorch backend's ray-transform kernels (`ray_kernels<TorchBackend<T, D>>`, operators/kernels.hpp):
/// Joseph's matrix from the geometry's `JosephTables::for_each_entry` as a `SparseMatrixPair` on the
/// device (CSR A and its exact transpose, one SpMM per batch), or — on the CPU device, by default — the CPU
/// backend's vectorised Joseph loops run directly on the tensors' memory: LibTorch 1.13's CPU sparse
/// products (CSR, CSC or COO, int32 or int64 indices) took ~20 ms for one 128² projection with 50 angles
/// where the loops take ~1 ms. `RadonKernel::sparse` forces the matrix on the CPU device as well, so the
/// tests check the path CUDA takes without a GPU.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <optional>

#include "eqr/backends/cpu/operators/joseph.hpp"
#include "eqr/backends/torch/dtype.hpp"
#include "eqr/backends/torch/operators/sparse_matrix.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/operators/joseph_tables.hpp"
#include "eqr/operators/kernels.hpp"

namespace eqr {

/// The ray-transform kernels of the LibTorch backend (see the file comment).
template <Real T, DeviceKind D>
struct ray_kernels<libtorch::TorchBackend<T, D>> {
  using backend = libtorch::TorchBackend<T, D>;
  using tensor = typename backend::tensor_type;
  /// The device matrices, or none when the CPU loops are used.
  struct state {
    std::optional<libtorch::SparseMatrixPair<T>> matrix;
  };

  /// `automatic`: the CPU loops on the CPU device, the sparse matrices elsewhere; `sparse`: the matrices on
  /// every device; `projector`: the CPU loops (CPU device only, else value_error).
  static state prepare(const JosephTables<T>& t, RadonKernel kernel) {
    EQR_EXPECTS(kernel != RadonKernel::projector || D == DeviceKind::cpu, value_error, "Radon on ", backend::name(),
                ": expected the automatic or sparse kernel, found projector (the CPU loops run on the CPU device only)");
    const bool sparse = kernel == RadonKernel::sparse || (kernel == RadonKernel::automatic && D != DeviceKind::cpu);
    if (!sparse) return {};
    const auto& g = t.geometry;
    const std::size_t detectors = g.detectors, width = g.width;
    const auto entries = [&](auto&& f) {
      t.for_each_entry([&](std::size_t a, std::size_t j, std::size_t r, std::size_t c, T w) {
        f(a * detectors + j, r * width + c, w);
      });
    };
    return {libtorch::SparseMatrixPair<T>({1, 1, g.height, g.width}, {1, 1, g.num_angles(), g.detectors}, entries,
                                          libtorch::torch_device_of(D))};
  }
  /// The sinograms N × 1 × A × D of the images x.
  static tensor project(const JosephTables<T>& t, const state& s, const tensor& x) {
    if (s.matrix) return s.matrix->apply(x);
    const std::size_t n = backend::shape(x).n;
    const tensor in = x.contiguous();
    tensor y = backend::empty({n, 1, t.geometry.num_angles(), t.geometry.detectors});
    cpu::detail::JosephLoops<T>::project(t, in.template data_ptr<T>(), n, y.template data_ptr<T>());
    return y;
  }
  /// The back-projection N × 1 × H × W of the sinograms y.
  static tensor backproject(const JosephTables<T>& t, const state& s, const tensor& y) {
    if (s.matrix) return s.matrix->adjoint(y);
    const std::size_t n = backend::shape(y).n;
    const tensor in = y.contiguous();
    tensor x = backend::empty({n, 1, t.geometry.height, t.geometry.width});
    cpu::detail::JosephLoops<T>::backproject(t, in.template data_ptr<T>(), n, x.template data_ptr<T>());
    return x;
  }
};

}  // namespace eqr
