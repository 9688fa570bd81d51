/// @file apps/eqr/models/tv_problem.hpp
/// The forward operator of an `eqr tv` run, described so that it can be built on any tensor backend: the
/// tool solves on the CPU backend itself and hands the description to the LibTorch plugin
/// (models/backends.hpp) for `--backend torch-cpu|torch-cuda`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "eqr/operators/any_operator.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/parallel_beam.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr::experiments {

/// A TV problem's operator A: CT (parallel-beam Radon), MRI (column mask × centred orthonormal DFT of
/// height × width complex images), denoising (the identity on height × width images).
struct TvProblem {
  std::string kind;             ///< ct | mri | denoise
  ParallelBeamGeometry beam;    ///< ct
  std::size_t height = 0;       ///< mri, denoise
  std::size_t width = 0;        ///< mri, denoise
  std::vector<double> mask;     ///< mri: one value per k-space column

  /// A on backend B.
  template <class B>
  [[nodiscard]] AnyLinearOperator<B> forward() const {
    if (kind == "ct") return Radon<B>(beam);
    if (kind == "mri") return MaskedFourier<B>(height, mask);
    return Identity<B>(height, width);
  }
};

}  // namespace eqr::experiments
