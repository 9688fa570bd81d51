/// @file algorithms/learned_model_spec.hpp
/// `LearnedModelSpec`: the architecture of a learned reconstruction as plain data — what a configuration
/// file or a command line says about it — validated against the group catalogue. `make_learned_model`
/// (algorithms/learned_model.hpp) builds the model; this header is light, so code that only reads and
/// checks specs does not compile the models.
#pragma once

#include <cstdint>
#include <string>

#include "eqr/config.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/kernels/basis_solver.hpp"

namespace eqr {

/// The architecture of a learned reconstruction, chosen at run time.
struct LearnedModelSpec {
  std::string method = "lpg";         ///< lpg (learned proximal gradient) | lpd (learned primal-dual)
  std::string model = "equivariant";  ///< equivariant | ordinary
  std::string group = "C4";           ///< a group of `offered_groups` (equivariant models)
  long width = 24;                    ///< hidden channels; equivariant: a multiple of |G| (width/|G| regular fields)
  int iterations = 4;                 ///< unrolled iterations
  int memory = 5;                     ///< LPG's memory channels; LPD's primal and dual memory groups
  std::uint64_t seed = 0;             ///< the first network seed (`iteration_seed`)
  BasisSolver basis = BasisSolver::harmonic;

  /// Throws value_error naming the first unsupported setting.
  void validate() const {
    EQR_EXPECTS(method == "lpg" || method == "lpd", value_error, "method: expected lpg or lpd, found '", method, "'");
    EQR_EXPECTS(model == "equivariant" || model == "ordinary", value_error,
                "model: expected equivariant or ordinary, found '", model, "'");
    EQR_EXPECTS(iterations >= 1 && iterations <= 64, value_error, "iterations: expected 1..64, found ", iterations);
    EQR_EXPECTS(memory >= (method == "lpd" ? 1 : 0) && memory <= 64, value_error, "memory: expected ",
                method == "lpd" ? 1 : 0, "..64 for ", method, ", found ", memory);
    EQR_EXPECTS(width >= 1 && width <= 1024, value_error, "width: expected 1..1024, found ", width);
    if (model == "ordinary") return;
    const int order = group_order(group);
    EQR_EXPECTS(width % order == 0, value_error, "width: expected a multiple of |", group, "| = ", order,
                " (width/|G| regular fields), found ", width);
  }
  /// The number of regular hidden fields of an equivariant model: width/|G|.
  [[nodiscard]] int fields() const {
    return static_cast<int>(width) / group_order(group);
  }
};

}  // namespace eqr
