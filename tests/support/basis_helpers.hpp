/// @file tests/support/basis_helpers.hpp
/// Shared pieces of the kernel-basis suites: a (input, output) representation pair as one doctest template
/// argument, and the numerical rank of a basis matrix.
#pragma once

#include <Eigen/LU>

namespace eqr::testing {

/// A representation pair Rin → Rout, so TEST_CASE_TEMPLATE can iterate over pairs.
template <class Rin, class Rout>
struct Pair {
  using in = Rin;
  using out = Rout;
};

/// The number of linearly independent rows (Eigen's rank-revealing full-pivoting LU, threshold 1e-9).
inline int rank_of(const Eigen::MatrixXd& m) {
  if (m.rows() == 0) return 0;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(m);
  lu.setThreshold(1e-9);
  return static_cast<int>(lu.rank());
}

}  // namespace eqr::testing
