/// @file reps/direct_sum.hpp
/// Direct sums of representations: `DirectSum<R...>`, `Copies<R, N>` and the free function `direct_sum`.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "eqr/reps/concepts.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// The direct sum ρ_1 ⊕ … ⊕ ρ_n: block-diagonal matrices, concatenated irreps, block-diagonal change of basis.
/// All summands must represent the same group.
template <Representation R0, Representation... R>
struct DirectSum {
  static_assert((std::same_as<typename R0::group, typename R::group> && ...),
                "DirectSum<R...> needs representations of one and the same group; a representation of another "
                "group cannot be added.");
  using group = typename R0::group;
  static constexpr bool permutation = R0::permutation && (R::permutation && ...);
  static constexpr int size() { return R0::size() + (R::size() + ... + 0); }
  static Eigen::MatrixXd matrix(typename group::element g) {
    return detail::block_diagonal({R0::matrix(g), R::matrix(g)...});
  }
  static std::vector<IrrepId> irreps() {
    std::vector<IrrepId> out;
    for (const auto& part : {R0::irreps(), R::irreps()...}) out.insert(out.end(), part.begin(), part.end());
    return out;
  }
  static Eigen::MatrixXd change_of_basis() {
    return detail::block_diagonal({R0::change_of_basis(), R::change_of_basis()...});
  }
  static std::string name() {
    std::string s = R0::name();
    ((s += " + " + R::name()), ...);
    return s;
  }
};

/// N copies of ρ, ρ ⊕ … ⊕ ρ (for example 24 regular fields of C4: `Copies<Regular<C4>, 24>`).
template <Representation R, int N>
struct Copies {
  static_assert(N >= 1, "Copies<R, N> needs at least one copy (N >= 1).");
  using group = typename R::group;
  using field = R;
  static constexpr int count = N;
  static constexpr bool permutation = R::permutation;
  static constexpr int size() { return N * R::size(); }
  static Eigen::MatrixXd matrix(typename group::element g) {
    return detail::block_diagonal(std::vector<Eigen::MatrixXd>(N, R::matrix(g)));
  }
  static std::vector<IrrepId> irreps() {
    std::vector<IrrepId> one = R::irreps(), out;
    for (int i = 0; i < N; ++i) out.insert(out.end(), one.begin(), one.end());
    return out;
  }
  static Eigen::MatrixXd change_of_basis() {
    return detail::block_diagonal(std::vector<Eigen::MatrixXd>(N, R::change_of_basis()));
  }
  static std::string name() { return std::to_string(N) + "x " + R::name(); }
};

/// The direct sum of two run-time representations.
template <FiniteGroup G>
RepresentationData<G> direct_sum(const RepresentationData<G>& a, const RepresentationData<G>& b) {
  RepresentationData<G> out{a.name + " + " + b.name, a.size + b.size, a.irreps, {}, a.permutation && b.permutation};
  out.irreps.insert(out.irreps.end(), b.irreps.begin(), b.irreps.end());
  out.change_of_basis = detail::block_diagonal({a.change_of_basis, b.change_of_basis});
  return out;
}

}  // namespace eqr
