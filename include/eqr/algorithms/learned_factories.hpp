/// @file algorithms/learned_factories.hpp
/// Factories of the learned methods with the networks of the paper and of Adler & Öktem: the learned
/// proximal gradient method (Algorithm 2) and the learned primal-dual method, each with ordinary networks or
/// G-equivariant ones (compile-time widths, or run-time widths through `ExpandedProx`), and the
/// one seed convention they share: the networks of iteration i start from `iteration_seed(seed, i)`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "eqr/algorithms/learned_primal_dual.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/layers/conv.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// The first seed of the networks of iteration i of a method seeded with `seed`: seed + 100·i (a network's
/// layers then take the next seeds, so iterations never share one).
[[nodiscard]] constexpr std::uint64_t iteration_seed(std::uint64_t seed, std::size_t i) { return seed + 100 * i; }

// ---------------------------------------------------------------------------------------------------------
// Learned proximal gradient (paper, Algorithm 2)
// ---------------------------------------------------------------------------------------------------------

/// The learned proximal gradient method with per-iteration networks `make(i)` (i = 0 … networks − 1) on an
/// image of c channels; the networks map [u, ∇E(u), s] (2c + m channels) to [u, s] (c + m).
template <TensorBackend B, LinearOperatorOn<B> Op, class Make>
[[nodiscard]] auto make_learned_proximal_gradient(Op op, double operator_norm, std::size_t image_channels,
                                                  LearnedProximalGradientOptions options, Make&& make) {
  using Net = decltype(make(std::size_t{0}));
  std::vector<Net> nets;
  for (std::size_t i = 0; i < options.networks(); ++i) nets.push_back(make(i));
  return LearnedProximalGradient<B, Op, Net>(std::move(op), operator_norm, image_channels, std::move(nets), options);
}

/// The learned proximal gradient method with the paper's ordinary proximal networks of `width` channels.
template <TensorBackend B, LinearOperatorOn<B> Op>
[[nodiscard]] LearnedProximalGradient<B, Op, OrdinaryProx<B>> make_learned_proximal_gradient_ordinary(
    Op op, double operator_norm, std::size_t image_channels, LearnedProximalGradientOptions options = {},
    std::size_t width = 96, std::uint64_t seed = 0) {
  const auto m = static_cast<std::size_t>(options.memory()), c = image_channels;
  return make_learned_proximal_gradient<B>(std::move(op), operator_norm, c, options, [&](std::size_t i) {
    return make_ordinary_prox<B>(2 * c + m, c + m, width, iteration_seed(seed, i));
  });
}

/// The learned proximal gradient method with the paper's G-equivariant proximal networks on C image
/// channels: `Fields` regular hidden fields (the matched width is Fields·|G|) and the options' memory,
/// which must equal M (the field types are compile-time).
template <FiniteGroup G, int C, int Fields, TensorBackend B, int M = 5, LinearOperatorOn<B> Op>
[[nodiscard]] auto make_learned_proximal_gradient_equivariant(Op op, double operator_norm,
                                                              LearnedProximalGradientOptions options = {},
                                                              std::uint64_t seed = 0,
                                                              BasisSolver basis = BasisSolver::harmonic) {
  EQR_EXPECTS(options.memory() == M, value_error, "make_learned_proximal_gradient_equivariant: expected the "
              "options' memory to equal the template argument M = ", M, ", found ", options.memory());
  return make_learned_proximal_gradient<B>(std::move(op), operator_norm, C, options, [&](std::size_t i) {
    return make_equivariant_prox<G, 2 * C + M, Fields, C + M, B>(iteration_seed(seed, i), basis);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Learned primal-dual (Adler & Öktem 2018)
// ---------------------------------------------------------------------------------------------------------

/// An ordinary primal network Λ of the learned primal-dual method: the paper's proximal network shape
/// `in` → `width` → `width` → `out` (3×3, bias, leaky ReLU, zero-initialised middle layer) with replicate
/// padding, as in image space. Its default width 32 is Adler & Öktem's; seeds seed … seed + 2.
template <TensorBackend B>
OrdinaryProx<B> make_lpd_primal_ordinary(std::size_t in, std::size_t out, std::size_t width = 32,
                                         std::uint64_t seed = 0) {
  return make_ordinary_prox<B>(in, out, width, seed);
}

/// An ordinary dual network Γ of the learned primal-dual method: the same shape as the primal network,
/// but with zero padding, as in measurement space (sinogram / k-space; see the file comment). The kernel
/// size is 3 by default; `kernel_size = 1` gives a pointwise dual network, which commutes with every
/// rearrangement of the measurement's pixels — e.g. the sinogram's rotation rule, so that equivariant
/// primal networks then make the method exactly rot90-equivariant for CT too (tested), at the price of
/// a dual network that sees no neighbourhood.
template <TensorBackend B>
OrdinaryProx<B> make_lpd_dual_ordinary(std::size_t in, std::size_t out, std::size_t width = 32,
                                       std::uint64_t seed = 0, std::size_t kernel_size = 3) {
  const auto options = [&](std::size_t ci, std::size_t co, nn::Init init, std::uint64_t s) {
    return ConvOptions(ci, co, kernel_size).padding(Padding::zeros).bias(true).init(init).seed(s);
  };
  return OrdinaryProx<B>(Conv<B>(options(in, width, nn::Init::he, seed)),
                         Conv<B>(options(width, width, nn::Init::zeros, seed + 1)),
                         Conv<B>(options(width, out, nn::Init::he, seed + 2)));
}

/// A G-equivariant primal network Λ: `In` trivial fields → `Fields` regular fields (twice) → `Out` trivial
/// fields, replicate padding (the paper's equivariant prox; its closing remark applies it to LPD).
template <FiniteGroup G, int In, int Fields, int Out, TensorBackend B>
EquivariantProx<G, In, Fields, Out, B> make_lpd_primal_equivariant(std::uint64_t seed = 0,
                                                                   BasisSolver basis = BasisSolver::harmonic) {
  return make_equivariant_prox<G, In, Fields, Out, B>(seed, basis);
}

/// The learned primal-dual method with ordinary primal and dual networks.
template <TensorBackend B, class Op>
using OrdinaryLearnedPrimalDual = LearnedPrimalDual<B, Op, OrdinaryProx<B>, OrdinaryProx<B>>;

/// The learned primal-dual method with G-equivariant primal networks on C image channels (Fields regular
/// hidden fields, Np primal memory groups) and ordinary dual networks.
template <FiniteGroup G, int C, int Fields, int Np, TensorBackend B, class Op>
using EquivariantLearnedPrimalDual =
    LearnedPrimalDual<B, Op, EquivariantProx<G, (Np + 1) * C, Fields, Np * C, B>, OrdinaryProx<B>>;

/// The complete ordinary learned primal-dual method: per iteration (or once, with shared weights) a
/// primal network of `width` channels (seeds from `iteration_seed(seed, i)`) and a dual network of `width`
/// channels (from `iteration_seed(seed, i) + 3`) with `dual_kernel_size`² kernels (3, or 1 for pointwise),
/// with the channel counts the options and c, c_y imply.
template <TensorBackend B, LinearOperatorOn<B> Op>
OrdinaryLearnedPrimalDual<B, Op> make_learned_primal_dual_ordinary(Op op, double operator_norm,
                                                                   std::size_t image_channels,
                                                                   std::size_t measurement_channels,
                                                                   LearnedPrimalDualOptions options = {},
                                                                   std::size_t width = 32, std::uint64_t seed = 0,
                                                                   std::size_t dual_kernel_size = 3) {
  EQR_EXPECTS(options.iterations() >= 1 && options.primal_memory() >= 1 && options.dual_memory() >= 1, value_error,
              "make_learned_primal_dual_ordinary: expected at least 1 iteration and memories >= 1, found ",
              options.iterations(), " iterations, primal memory ", options.primal_memory(), ", dual memory ",
              options.dual_memory());
  const std::size_t count = options.networks();
  const std::size_t np = static_cast<std::size_t>(options.primal_memory());
  const std::size_t nd = static_cast<std::size_t>(options.dual_memory());
  std::vector<OrdinaryProx<B>> primal, dual;
  primal.reserve(count);
  dual.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    primal.push_back(make_lpd_primal_ordinary<B>((np + 1) * image_channels, np * image_channels, width, iteration_seed(seed, i)));
    dual.push_back(make_lpd_dual_ordinary<B>((nd + 2) * measurement_channels, nd * measurement_channels, width,
                                             iteration_seed(seed, i) + 3, dual_kernel_size));
  }
  return OrdinaryLearnedPrimalDual<B, Op>(std::move(op), operator_norm, image_channels, measurement_channels,
                                          std::move(primal), std::move(dual), options);
}

/// The complete equivariant learned primal-dual method (the paper's closing remark): G-equivariant primal
/// networks on C image channels with `Fields` regular hidden fields (matched width: Fields·|G|) and primal
/// memory Np (compile-time, as the field types are; the options' primal_memory must equal it), and ordinary
/// dual networks of `dual_width` channels with zero padding and `dual_kernel_size`² kernels (1: pointwise,
/// which keeps the method exactly rot90-equivariant for CT with an even number of angles). Seeds as in
/// the ordinary factory.
template <FiniteGroup G, int C, int Fields, TensorBackend B, int Np = 5, LinearOperatorOn<B> Op>
EquivariantLearnedPrimalDual<G, C, Fields, Np, B, Op> make_learned_primal_dual_equivariant(
    Op op, double operator_norm, std::size_t measurement_channels, LearnedPrimalDualOptions options = {},
    std::size_t dual_width = 32, std::uint64_t seed = 0, BasisSolver basis = BasisSolver::harmonic,
    std::size_t dual_kernel_size = 3) {
  static_assert(C >= 1 && Fields >= 1 && Np >= 1,
                "make_learned_primal_dual_equivariant: the image channels, hidden fields and primal memory must "
                "all be positive.");
  EQR_EXPECTS(options.primal_memory() == Np, value_error, "make_learned_primal_dual_equivariant: expected the "
              "options' primal memory to equal the template argument Np = ", Np, ", found ", options.primal_memory());
  EQR_EXPECTS(options.iterations() >= 1 && options.dual_memory() >= 1, value_error,
              "make_learned_primal_dual_equivariant: expected at least 1 iteration and a dual memory >= 1, found ",
              options.iterations(), " iterations and dual memory ", options.dual_memory());
  using Method = EquivariantLearnedPrimalDual<G, C, Fields, Np, B, Op>;
  const std::size_t count = options.networks();
  const std::size_t nd = static_cast<std::size_t>(options.dual_memory());
  std::vector<typename Method::primal_network_type> primal;
  std::vector<OrdinaryProx<B>> dual;
  primal.reserve(count);
  dual.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    primal.push_back(make_lpd_primal_equivariant<G, (Np + 1) * C, Fields, Np * C, B>(iteration_seed(seed, i), basis));
    dual.push_back(make_lpd_dual_ordinary<B>((nd + 2) * measurement_channels, nd * measurement_channels, dual_width,
                                             iteration_seed(seed, i) + 3, dual_kernel_size));
  }
  return Method(std::move(op), operator_norm, static_cast<std::size_t>(C), measurement_channels, std::move(primal),
                std::move(dual), options);
}

}  // namespace eqr
