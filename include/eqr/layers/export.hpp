/// @file layers/export.hpp
/// `export_network(layer)`: the same network with every equivariant convolution expanded once into a plain
/// `Conv` — the same arithmetic on the same filters, so the same output bit for bit, at an ordinary CNN's
/// cost (the paper's "no extra cost at test time", DESIGN.md §1, point 4).
///
/// Recursive: a convolution with `export_conv()` becomes that plain convolution; `Sequential`, `Residual` and
/// `Parallel` export their children; every other layer (nonlinearities, pooling, plain convolutions) is
/// copied as it is. The composite layers of algorithms/ (the proximal network, the learned proximal gradient
/// and primal-dual methods, the warm start) add their own overloads next to their definitions, so
/// `export_network(method)` exports a whole unrolled method. `exported_t<L>` is the exported type.
#pragma once

#include <tuple>
#include <type_traits>
#include <utility>

#include "eqr/layers/concepts.hpp"
#include "eqr/layers/containers.hpp"
#include "eqr/layers/fields.hpp"

namespace eqr {

/// A layer whose filter can be expanded once into a plain convolution (`EquivariantConv`, any
/// `DynamicEquivariantConv`).
template <class L>
concept ExportableConv = Layer<L> && requires(const L& l) { l.export_conv(); };

/// An equivariant convolution exported: the plain convolution with its expanded filter and bias.
template <ExportableConv L>
[[nodiscard]] auto export_network(const L& layer) {
  return layer.export_conv();
}

/// A layer with nothing to expand, copied as it is.
template <Layer L>
  requires(!ExportableConv<L>)
[[nodiscard]] L export_network(const L& layer) {
  return layer;
}

/// The composition with every child exported.
template <Layer... L>
[[nodiscard]] auto export_network(const Sequential<L...>& s) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return Sequential<decltype(export_network(s.template get<I>()))...>(export_network(s.template get<I>())...);
  }(std::make_index_sequence<sizeof...(L)>{});
}

/// The residual block with its body exported.
template <Layer L>
[[nodiscard]] auto export_network(const Residual<L>& r) {
  return Residual<decltype(export_network(r.body()))>(export_network(r.body()));
}

/// The two branches exported.
template <Layer L1, Layer L2>
[[nodiscard]] auto export_network(const Parallel<L1, L2>& p) {
  return Parallel<decltype(export_network(p.first())), decltype(export_network(p.second()))>(export_network(p.first()),
                                                                                             export_network(p.second()));
}

/// The type `export_network` turns L into.
template <Layer L>
using exported_t = decltype(export_network(std::declval<const L&>()));

}  // namespace eqr
