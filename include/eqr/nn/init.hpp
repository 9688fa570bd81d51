/// @file nn/init.hpp
/// Parameter initialisers — PyTorch's default, He (Kaiming normal), zeros — drawn from a seeded,
/// fixed-algorithm random source (`eqr::Random`: std::mt19937_64 with written-out transforms, never the
/// implementation-defined std::*_distribution), so a seed gives the same network on every platform.
/// The e2cnn initialiser of equivariant convolutions lives with the layer (layers/equivariant_conv.hpp),
/// since it needs the provenance of each basis element.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/core/random.hpp"

namespace eqr::nn {

/// How a layer's weights are initialised.
///
/// | Init            | weights                                        | bias                         |
/// |-----------------|------------------------------------------------|------------------------------|
/// | pytorch_default | U(−1/√fan_in, 1/√fan_in) (kaiming_uniform, a=√5) | U(−1/√fan_in, 1/√fan_in)     |
/// | he              | N(0, 2/fan_in) (kaiming_normal, ReLU gain)      | 0                            |
/// | zeros           | 0                                              | 0                            |
/// | e2cnn           | e2cnn's generalised He init of the basis coefficients (DESIGN.md §5); equivariant only |
///
/// fan_in = C_in·k² for a convolution.  The paper uses He-type init for lift/project and zeros for its
/// intermediate convolutions (DESIGN.md §4).
enum class Init { pytorch_default, he, zeros, e2cnn };

/// The name of an initialiser: "pytorch_default", "he", "zeros" or "e2cnn".
[[nodiscard]] constexpr std::string_view name(Init init) noexcept {
  switch (init) {
    case Init::pytorch_default: return "pytorch_default";
    case Init::he: return "he";
    case Init::zeros: return "zeros";
    case Init::e2cnn: return "e2cnn";
  }
  return "unknown";
}

/// Parses an initialiser name (see `name(Init)`); anything else is a value_error naming what was found.
[[nodiscard]] inline Init parse_init(std::string_view text) {
  for (Init i : {Init::pytorch_default, Init::he, Init::zeros, Init::e2cnn})
    if (text == name(i)) return i;
  throw value_error(::eqr::detail::concat("init: expected 'pytorch_default', 'he', 'zeros' or 'e2cnn', found '", text, "'"));
}

/// `count` values uniform in [−bound, bound).
template <class T>
[[nodiscard]] std::vector<T> uniform_values(Random& rng, std::size_t count, double bound) {
  std::vector<T> out(count);
  for (T& v : out) v = static_cast<T>((2.0 * rng.uniform() - 1.0) * bound);
  return out;
}

/// `count` values normal with mean 0 and standard deviation `stddev`.
template <class T>
[[nodiscard]] std::vector<T> normal_values(Random& rng, std::size_t count, double stddev) {
  std::vector<T> out(count);
  for (T& v : out) v = static_cast<T>(stddev * rng.normal());
  return out;
}

/// The weights of a plain convolution (`count` = C_out·C_in·k² values) for an initialiser and fan_in.
/// Throws value_error for `Init::e2cnn`, which only equivariant layers have.
template <class T>
[[nodiscard]] std::vector<T> init_weights(Init init, Random& rng, std::size_t count, std::size_t fan_in) {
  EQR_EXPECTS(fan_in > 0, value_error, "init_weights: expected fan_in > 0, found 0");
  switch (init) {
    case Init::pytorch_default: return uniform_values<T>(rng, count, 1.0 / std::sqrt(static_cast<double>(fan_in)));
    case Init::he: return normal_values<T>(rng, count, std::sqrt(2.0 / static_cast<double>(fan_in)));
    case Init::zeros: return std::vector<T>(count, T(0));
    case Init::e2cnn: break;
  }
  throw value_error("init_weights: expected 'pytorch_default', 'he' or 'zeros' for a plain convolution, found "
                    "'e2cnn' (the e2cnn initialiser needs a steerable basis: use EquivariantConv)");
}

/// The bias of a plain convolution (`count` = C_out values) for an initialiser and fan_in.
template <class T>
[[nodiscard]] std::vector<T> init_bias(Init init, Random& rng, std::size_t count, std::size_t fan_in) {
  if (init == Init::pytorch_default)
    return uniform_values<T>(rng, count, 1.0 / std::sqrt(static_cast<double>(fan_in)));
  return std::vector<T>(count, T(0));
}

}  // namespace eqr::nn
