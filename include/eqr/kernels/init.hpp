/// @file kernels/init.hpp
/// Random initialisation of the filter coefficients of a `KernelExpansion`: e2cnn's generalised He scheme
/// (DESIGN.md §5) and two plain variants, He and LeCun, stated in the same terms.
///
/// All schemes draw each coefficient independently from N(0, v) with a per-coefficient variance v.  Every
/// basis element has energy d_out (sum of squares = size of its output irrep), so the expected energy of the
/// filter rows of one output irrep o — summed over inputs and taps — is d_out · Σ_{c reaching o} v_c:
/// - `InitScheme::e2cnn_he`  v = 1/(T_o · C_{ψ,o}): T_o = number of distinct input irrep types reaching o,
///   C_{ψ,o} = number of coefficients from input irreps of type ψ to o.  Energy 1 per output channel, and the
///   input irrep types contribute equally (e2cnn's `generalized_he_init`).
/// - `InitScheme::he`     v = 2/N_o, N_o = number of coefficients reaching o: energy 2 per output channel, as
///   He et al.'s N(0, 2/fan_in) gives a plain convolution (fan_in·2/fan_in = 2); suited to ReLU-like φ.
/// - `InitScheme::lecun`  v = 1/N_o: energy 1 per output channel, as LeCun's N(0, 1/fan_in).
#pragma once

#include <cmath>
#include <concepts>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/core/random.hpp"
#include "eqr/kernels/expansion.hpp"

namespace eqr {

/// The initialisation schemes of `initialize_coefficients` (see the file comment for the variances).
enum class InitScheme { e2cnn_he, he, lecun };

/// The variance of every coefficient of an expansion under a scheme, in coefficient order.
template <class Expansion>
  requires requires(const Expansion& e) {
    { e.coefficient_info() } -> std::same_as<std::vector<CoefficientInfo>>;
  }
std::vector<double> coefficient_variances(const Expansion& expansion, InitScheme scheme = InitScheme::e2cnn_he) {
  const auto info = expansion.coefficient_info();
  const auto key = [](IrrepId psi) { return std::pair<int, int>{psi.j, psi.k}; };
  std::map<int, std::set<std::pair<int, int>>> types_reaching;            // o ↦ {input irrep types}
  std::map<std::pair<std::pair<int, int>, int>, int> count_from_type;     // (ψ, o) ↦ C_{ψ,o}
  std::map<int, int> count_reaching;                                      // o ↦ N_o
  for (const auto& c : info) {
    types_reaching[c.out_irrep_position].insert(key(c.in_irrep));
    ++count_from_type[{key(c.in_irrep), c.out_irrep_position}];
    ++count_reaching[c.out_irrep_position];
  }
  std::vector<double> variances;
  variances.reserve(info.size());
  for (const auto& c : info) {
    const int o = c.out_irrep_position;
    switch (scheme) {
      case InitScheme::e2cnn_he:
        variances.push_back(1.0 / (static_cast<double>(types_reaching[o].size()) *
                                   count_from_type[{key(c.in_irrep), o}]));
        break;
      case InitScheme::he: variances.push_back(2.0 / count_reaching[o]); break;
      case InitScheme::lecun: variances.push_back(1.0 / count_reaching[o]); break;
    }
  }
  return variances;
}

/// Fills `coefficients` with independent N(0, v) draws, v from `coefficient_variances`, using the seeded
/// fixed-algorithm source `rng` (so a seed gives the same coefficients with every standard library).
/// Throws `shape_error` for a wrong length.
template <class Expansion, std::floating_point T>
void initialize_coefficients(const Expansion& expansion, std::span<T> coefficients, Random& rng,
                             InitScheme scheme = InitScheme::e2cnn_he) {
  const auto variances = coefficient_variances(expansion, scheme);
  EQR_EXPECTS(coefficients.size() == variances.size(), shape_error, "initialize_coefficients: expected ",
              variances.size(), " coefficients, found ", coefficients.size());
  for (std::size_t i = 0; i < variances.size(); ++i)
    coefficients[i] = static_cast<T>(std::sqrt(variances[i]) * rng.normal());
}

}  // namespace eqr
