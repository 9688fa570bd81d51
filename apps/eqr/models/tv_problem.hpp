/// @file apps/eqr/models/tv_problem.hpp
/// An `eqr tv` run — its forward operator and its solver — described so that it can be solved on any tensor
/// backend: the tool solves on the CPU backend itself and hands the description to the LibTorch plugin
/// (models/backends.hpp) for `--backend torch-cpu|torch-cuda`.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "eqr/algorithms/pdhg.hpp"
#include "eqr/algorithms/pdhg_backend.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/prox_gradient_backend.hpp"
#include "eqr/algorithms/tv_backend.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/operators/any_operator.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/parallel_beam.hpp"
#include "eqr/operators/radon.hpp"

namespace eqr::experiments {

/// A TV problem's operator A: CT (parallel-beam Radon), MRI (k-space mask × centred orthonormal DFT of
/// height × width complex images), denoising (the identity on height × width images).
struct TvProblem {
  std::string kind;             ///< ct | mri | denoise
  ParallelBeamGeometry beam;    ///< ct
  std::size_t height = 0;       ///< mri, denoise
  std::size_t width = 0;        ///< mri, denoise
  std::vector<double> mask;     ///< mri: one value per k-space column, or height·width (a 2-D pattern)

  /// A on backend B.
  template <class B>
  [[nodiscard]] AnyLinearOperator<B> forward() const {
    if (kind == "ct") return Radon<B>(beam);
    if (kind == "mri") return MaskedFourier<B>(height, width, mask);
    return Identity<B>(height, width);
  }
};

/// The solver of a TV run for ½‖Au − y‖² + λ TV(u): PDHG, or FISTA with the FGP TV prox.
struct TvSolver {
  std::string algorithm = "fista";  ///< fista | pdhg
  double lambda = 0;
  PdhgOptions pdhg;                 ///< pdhg
  ProximalGradientOptions fista;    ///< fista: the outer iterations
  TvProxOptions prox;               ///< fista: the TV prox (inner iterations, box)
};

/// Solves the run for the operator A (`TvProblem::forward<B>()`) on backend B: the host solvers on the CPU
/// backend, the backend solvers elsewhere.
template <TensorBackend B>
[[nodiscard]] BackendSolverResult<B> solve_tv(const AnyLinearOperator<B>& a, const typename B::tensor_type& y,
                                              const TvSolver& solver) {
  auto solved = [&]() {
    if (solver.algorithm == "pdhg") return pdhg_tv(a, y, solver.lambda, solver.pdhg);
    if constexpr (HostLinearOperator<AnyLinearOperator<B>>) {
      TvProx<typename B::scalar_type> g(solver.lambda, solver.prox);
      return proximal_gradient(a, y, g, solver.fista);
    } else {
      BackendTvProx<B> g(solver.lambda, solver.prox);
      return proximal_gradient(a, y, g, solver.fista);
    }
  }();
  return {std::move(solved.solution), std::move(solved.history)};
}

}  // namespace eqr::experiments
