/// @file groups/image_action.hpp
/// The exact action of grid-preserving group elements on whole images and batches: [g·f](p) = f(g⁻¹p) on
/// every plane spanned by the last two axes of a row-major array (groups/action.hpp's `transform_plane`
/// applied plane by plane). `rot90` and `mirror` are the C4 and D1 cases: `numpy.rot90(f, k)` and
/// `numpy.fliplr(f)` on the last two axes (DESIGN.md §3).
///
/// The arrays are any row-major container with `shape()`, `size()`, `data()` and a static
/// `from_shape(shape)` (e.g. `xt::xtensor<T, N>`), so groups/ stays free of storage libraries.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>

#include "eqr/config.hpp"
#include "eqr/groups/action.hpp"
#include "eqr/groups/concepts.hpp"
#include "eqr/groups/cyclic.hpp"
#include "eqr/groups/dihedral.hpp"

namespace eqr {

/// A row-major array whose last two axes are image planes: `shape()` (a sized, indexable extent list of
/// rank ≥ 2), `size()`, contiguous `data()`, and `A::from_shape(shape)` making an array of a given shape.
template <class A>
concept PlaneArray = requires(const A& a, A& m) {
  { a.shape().size() } -> std::convertible_to<std::size_t>;
  { a.shape()[0] } -> std::convertible_to<std::size_t>;
  { a.size() } -> std::convertible_to<std::size_t>;
  { a.data() };
  { m.data() };
  { A::from_shape(a.shape()) } -> std::same_as<A>;
} && std::copyable<std::remove_cvref_t<decltype(*std::declval<const A&>().data())>>;

/// g·f for a grid-preserving element g of G on every plane of `image` (odd quarter turns swap the last
/// two extents); exact, since g permutes the pixels. Throws value_error for an element that does not map
/// the grid onto itself (e.g. 45° in C8) and shape_error for an array of rank < 2.
template <FiniteGroup G, PlaneArray A>
[[nodiscard]] A transform(const A& image, typename G::element g) {
  using T = std::remove_cvref_t<decltype(*image.data())>;
  const auto& extents = image.shape();
  const std::size_t rank = extents.size();
  EQR_EXPECTS(rank >= 2, shape_error, "transform: expected an array of rank at least 2 (the last two axes are the "
              "image), found rank ", rank);
  const std::size_t h = extents[rank - 2], w = extents[rank - 1];
  const auto [oh, ow] = transformed_shape<G>(g, h, w);
  auto shape = image.shape();
  shape[rank - 2] = oh;
  shape[rank - 1] = ow;
  A out = A::from_shape(shape);
  const std::size_t plane = h * w, planes = plane == 0 ? 0 : image.size() / plane;
  for (std::size_t p = 0; p < planes; ++p)
    transform_plane<G, T>(g, std::span<const T>(image.data() + p * plane, plane), h, w,
                          std::span<T>(out.data() + p * plane, plane));
  return out;
}

/// The image turned by k quarter turns counter-clockwise (k any integer), exactly: `numpy.rot90(f, k)` on
/// the last two axes. Odd k swap height and width.
template <PlaneArray A>
[[nodiscard]] A rot90(const A& image, int k = 1) {
  return transform<C4>(image, C4::element_at(((k % 4) + 4) % 4));
}

/// The image mirrored left–right, exactly: `numpy.fliplr` on the last two axes (the flip F: x ↦ −x).
template <PlaneArray A>
[[nodiscard]] A mirror(const A& image) {
  return transform<D1>(image, D1::element_at(1));
}

}  // namespace eqr
