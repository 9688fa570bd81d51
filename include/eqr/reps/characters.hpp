/// @file reps/characters.hpp
/// Characters χ_ρ(g) = trace ρ(g) and their inner product ⟨χ_a, χ_b⟩ = (1/|G|) Σ_g χ_a(g) χ_b(g).
#pragma once

#include <vector>

#include "eqr/reps/concepts.hpp"
#include "eqr/reps/representations.hpp"

namespace eqr {

/// The character of a representation type, as a vector over the group elements in index order.
template <Representation R>
std::vector<double> character() {
  using G = typename R::group;
  std::vector<double> chi(G::order());
  for (int i = 0; i < G::order(); ++i) chi[i] = R::matrix(G::element_at(i)).trace();
  return chi;
}

/// The character of a run-time representation.
template <FiniteGroup G>
std::vector<double> character(const RepresentationData<G>& rho) {
  std::vector<double> chi(G::order());
  for (int i = 0; i < G::order(); ++i) chi[i] = rho.matrix(G::element_at(i)).trace();
  return chi;
}

/// ⟨χ_a, χ_b⟩ = (1/|G|) Σ_g χ_a(g) χ_b(g) (real characters).  For irreps it is e_ψ δ_ab, and for any ρ the
/// multiplicity of an irrep ψ in ρ is ⟨χ_ρ, χ_ψ⟩ / e_ψ.
inline double character_inner_product(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum / static_cast<double>(a.size());
}

}  // namespace eqr
