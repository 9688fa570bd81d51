/// @file operators/radon.hpp
/// The 2-D parallel-beam Radon transform by Joseph's method and its exact transpose, the back-projection.
///
/// Joseph's method (P. M. Joseph, "An improved algorithm for reprojecting rays through pixel images",
/// IEEE TMI 1982) treats the image as piecewise linear along one axis.  A ray that is closer to vertical
/// (|cos θ| ≥ |sin θ|) is sampled once per pixel row, at the point where it crosses the row's centre line;
/// a flatter ray is sampled once per column.  Each sample is the linear interpolation of the two nearest
/// pixels of that row (column), pixels outside the image count as zero, and the samples are weighted by the
/// length of ray between two rows (columns), p/|cos θ| (p/|sin θ|).  So the ray sum of ray (a, j) is
///   (A u)_{a,j} = Σ_lines  step_a · [ (1 − f)·u(line, i) + f·u(line, i + 1) ],   q = i + f,
/// a sparse linear map whose matrix entries are step_a·(1 − f) and step_a·f.  The back-projection applies
/// the transpose of exactly that matrix: both directions read their positions q, index ranges and weights
/// from one table built once per geometry, so ⟨Au, y⟩ = ⟨u, Aᵀy⟩ holds to rounding of the sums.
///
/// `Radon<B>` is written once for every backend: the tables (operators/joseph_tables.hpp) are built on the
/// host once per geometry, and the backend's `ray_kernels<B>` (operators/kernels.hpp) apply them — the CPU's
/// vectorised, deterministic oneTBB loops (backends/cpu/operators/joseph.hpp), or LibTorch's sparse matrix
/// built from `for_each_entry` (backends/torch/operators/ray_kernels.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"
#include "eqr/operators/joseph_tables.hpp"
#include "eqr/operators/kernels.hpp"
#include "eqr/operators/parallel_beam.hpp"

namespace eqr {

/// The parallel-beam Radon transform A of a ParallelBeamGeometry by Joseph's method on backend B: domain
/// (N, 1, H, W) images, range (N, 1, A, D) sinograms (rows = angles), values = line integrals in the
/// geometry's length unit. `adjoint` is the exact transpose (the unfiltered back-projection). Copies share
/// the tables and the backend's kernel state.
template <RayTransformBackend B>
class Radon {
 public:
  using backend = B;
  using scalar_type = typename B::scalar_type;
  using tensor_type = typename B::tensor_type;

  /// Builds the projector (its tables and the backend's kernel state) for `geometry`; throws if the geometry
  /// is invalid, or value_error if the backend has no such `kernel`.
  explicit Radon(ParallelBeamGeometry geometry, RadonKernel kernel = RadonKernel::automatic)
      : tables_(std::make_shared<const JosephTables<scalar_type>>(std::move(geometry))),
        state_(std::make_shared<const typename ray_kernels<B>::state>(ray_kernels<B>::prepare(*tables_, kernel))) {}

  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return {n, 1, geometry().height, geometry().width}; }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return {n, 1, geometry().num_angles(), geometry().detectors}; }

  /// The forward projection (sinograms) of a batch of images.
  [[nodiscard]] tensor_type apply(const tensor_type& x) const {
    expect_batch<B>(x, [this](std::size_t n) { return domain_shape(n); }, "Radon::apply (images N×1×H×W)");
    return ray_kernels<B>::project(*tables_, *state_, x);
  }
  /// The back-projection Aᵀy of a batch of sinograms (the exact transpose of `apply`).
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const {
    expect_batch<B>(y, [this](std::size_t n) { return range_shape(n); }, "Radon::adjoint (sinograms N×1×A×D)");
    return ray_kernels<B>::backproject(*tables_, *state_, y);
  }

  /// The geometry.
  [[nodiscard]] const ParallelBeamGeometry& geometry() const { return tables_->geometry; }
  /// The number of interpolation steps (ray samples) of one projection of one image; the back-projection
  /// takes the same number.
  [[nodiscard]] std::size_t steps_per_image() const { return tables_->steps; }
  /// The tables the kernels read.
  [[nodiscard]] const JosephTables<scalar_type>& tables() const { return *tables_; }
  /// The backend's kernel state (e.g. LibTorch's sparse matrices).
  [[nodiscard]] const typename ray_kernels<B>::state& kernel_state() const { return *state_; }

  /// Calls f(a, j, r, c, w) for every non-zero entry of the matrix of A (see `JosephTables::for_each_entry`):
  /// the sinogram value of angle a and detector j receives w · u(r, c).
  template <class F>
  void for_each_entry(F&& f) const {
    tables_->for_each_entry(std::forward<F>(f));
  }

 private:
  std::shared_ptr<const JosephTables<scalar_type>> tables_;
  std::shared_ptr<const typename ray_kernels<B>::state> state_;
};

}  // namespace eqr
