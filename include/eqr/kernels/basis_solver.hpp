/// @file kernels/basis_solver.hpp
/// `BasisSolver`: the name of a steerable basis an equivariant convolution can be learned in, for options,
/// configuration files and command lines (the solvers themselves are HarmonicSolver and GridSolver).
#pragma once

#include <string_view>

#include "eqr/config.hpp"

namespace eqr {

/// Which steerable basis an equivariant convolution is learned in (DESIGN.md §3, §5).
/// - `harmonic`: e2cnn's basis (any C_M, D_M), parameter-compatible with e2cnn;
/// - `grid`: the exact solution of the kernel constraint on the k×k grid (C1, C2, C4, D1, D2, D4 only).
enum class BasisSolver { harmonic, grid };

/// "harmonic" or "grid".
[[nodiscard]] constexpr std::string_view name(BasisSolver s) noexcept { return s == BasisSolver::grid ? "grid" : "harmonic"; }

/// Parses "harmonic" or "grid"; anything else is a value_error naming what was found.
[[nodiscard]] inline BasisSolver parse_basis_solver(std::string_view text) {
  if (text == "harmonic") return BasisSolver::harmonic;
  if (text == "grid") return BasisSolver::grid;
  throw value_error(detail::concat("basis solver: expected 'harmonic' or 'grid', found '", text, "'"));
}

}  // namespace eqr
