/// @file tests/support/operator_suite.hpp
/// The conformance suite of the `LinearOperator` concept, run for every operator family × backend: each
/// test program instantiates it for the backends it links (`EQR_OPERATOR_SUITE(...)`: the CPU backend in
/// float and double in test_operators_conformance, LibTorch's CPU device in test_torch_operators, CUDA in
/// test_cuda_operators). For every operator of a family it checks
///  1. the adjoint (dot-product) test ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ for batches of 1 and 3;
///  2. batch independence: item k of A applied to a batch is A applied to item k alone (and for Aᵀ);
///  3. the shapes: `domain_shape(n).n == n`, and a batch of another shape is refused with a shape_error;
///  4. agreement with the same operator on the reference backend `cpu::CpuBackend<double>` for the same
///     inputs (skipped when B is the reference itself);
///  5. for the small operators, ‖A‖ by `opnorm` against the largest singular value of the explicit matrix
///     (assembled column by column from A's action on unit vectors, SVD by Eigen in double), to 1e-5.
/// Families make their operators for any backend B from the same description, so the k-th operator of a
/// family is the same map on every backend; a family's `rounding_factor` scales the float/double tolerances
/// for operators that chain several summing passes. Include after doctest (torch: tests/support/torch_doctest.hpp).
#pragma once

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/core/random.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/any_operator.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/masked_fourier.hpp"
#include "eqr/operators/masks.hpp"
#include "eqr/operators/sampling_patterns.hpp"
#include "eqr/operators/radon.hpp"

#include "cross_backend.hpp"

namespace eqr::testing {

/// The reference backend of the agreement checks.
using ReferenceBackend = cpu::CpuBackend<double>;

/// One operator of a family on backend B, with a name for the test log.
template <class B>
struct NamedOperator {
  std::string name;
  AnyLinearOperator<B> op;
};

// ------------------------------------------------------------------------------------------------------------
// The families.
// ------------------------------------------------------------------------------------------------------------

/// Parallel-beam geometries covering the projector's cases: even and odd sides, one or many angles, D ≠ √2·N,
/// rectangular images, pixel size and spacing ≠ 1, detectors wider than a pixel, a one-pixel image, and
/// arbitrary unsorted angles including exact multiples of 45°.
inline std::vector<ParallelBeamGeometry> radon_geometries() {
  std::vector<ParallelBeamGeometry> g;
  const auto add = [&](std::size_t h, std::size_t w, std::size_t angles, std::size_t detectors, double pixel,
                       double spacing) { g.push_back(parallel_beam(h, w, default_angles(angles), detectors, pixel, spacing)); };
  add(16, 16, 10, 0, 1.0, 1.0);
  add(17, 17, 9, 0, 1.0, 1.0);
  add(16, 16, 1, 7, 1.0, 1.0);
  add(12, 12, 60, 40, 1.0, 1.0);
  add(9, 14, 12, 0, 1.0, 1.0);
  add(15, 10, 8, 21, 1.0, 1.0);
  add(16, 16, 12, 30, 0.5, 0.7);
  add(11, 11, 16, 9, 1.0, 2.3);
  add(1, 1, 5, 3, 1.0, 1.0);
  g.push_back(parallel_beam(13, 13, {2.0, -0.3, std::numbers::pi / 4, 3 * std::numbers::pi / 4, 7.5, std::numbers::pi,
                                     -std::numbers::pi / 2}));
  return g;
}

/// The Radon transform of every geometry, with the backend's default kernel (and for LibTorch's CPU device
/// also the sparse matrix, the path CUDA takes).
struct RadonFamily {
  static constexpr double rounding_factor = 1;  ///< multiplies the tolerances: sums of a few hundred products
  template <class B>
  static std::vector<NamedOperator<B>> operators(bool sparse) {
    std::vector<NamedOperator<B>> ops;
    for (const auto& g : radon_geometries()) {
      const std::string name = "Radon " + std::to_string(g.height) + "x" + std::to_string(g.width) + ", " +
                               std::to_string(g.num_angles()) + " angles, " + std::to_string(g.detectors) + " detectors";
      ops.push_back({name, Radon<B>(g, sparse ? RadonKernel::sparse : RadonKernel::automatic)});
    }
    return ops;
  }
};

/// Filtered back-projection for three filters and frequency scalings on three geometries.
struct FbpFamily {
  /// Filtering, projection and back-projection in a row, each summing hundreds of terms in T: ten times the
  /// tolerance of one operator.
  static constexpr double rounding_factor = 10;
  template <class B>
  static std::vector<NamedOperator<B>> operators(bool) {
    std::vector<NamedOperator<B>> ops;
    const std::vector<ParallelBeamGeometry> geometries = {parallel_beam(16, 12), parallel_beam(15, 9, 31, 1.0, 0.8),
                                                          parallel_beam(10, 14, default_angles(7), 0, 0.5, 0.5)};
    const std::pair<FbpFilter, double> filters[] = {{FbpFilter::ram_lak, 1.0}, {FbpFilter::hann, 0.6},
                                                    {FbpFilter::shepp_logan, 0.9}};
    for (const auto& g : geometries)
      for (const auto& [filter, scaling] : filters)
        ops.push_back({"FBP " + std::to_string(g.height) + "x" + std::to_string(g.width) + ", filter " +
                           std::to_string(static_cast<int>(filter)) + ", scaling " + std::to_string(scaling),
                       FilteredBackProjection<B>(g, filter, scaling)});
    return ops;
  }
};

/// Masked Fourier (MRI) operators: odd and even sides, fastMRI masks, a non-binary mask, a full one and 2-D patterns.
struct MaskedFourierFamily {
  static constexpr double rounding_factor = 1;
  template <class B>
  static std::vector<NamedOperator<B>> operators(bool) {
    std::vector<NamedOperator<B>> ops;
    ops.push_back({"MaskedFourier 12x10 random mask", MaskedFourier<B>(12, random_line_mask<double>(10, 3.0, 0.2, 5))});
    ops.push_back({"MaskedFourier 9x11 equispaced mask", MaskedFourier<B>(9, equispaced_line_mask<double>(11, 2.0, 0.2, 3))});
    ops.push_back({"MaskedFourier 8x7 weighted mask", MaskedFourier<B>(8, std::vector<double>{0.0, 0.5, 1.0, 2.0, -1.0, 0.25, 1.0})});
    ops.push_back({"MaskedFourier 5x6 full mask", MaskedFourier<B>(5, std::vector<double>(6, 1.0))});
    ops.push_back({"MaskedFourier 12x10 radial pattern", MaskedFourier<B>(12, 10, radial_pattern<double>(12, 10, 3.0))});
    ops.push_back({"MaskedFourier 9x11 variable-density 2-D pattern",
                   MaskedFourier<B>(9, 11, variable_density_2d_pattern<double>(9, 11, 2.5, 0.2, 6))});
    return ops;
  }
};

/// The image-domain operators and the algebra over them: identity, pixel masks, blurs (square and wide),
/// a composition, an adjoint and a scaled operator.
struct ImageFamily {
  static constexpr double rounding_factor = 1;
  static std::vector<double> kernel() { return {0.1, 0.2, 0.05, 0.3, -0.4, 0.25, 0.0, 0.7, 0.15}; }
  static std::vector<double> mask(std::size_t h, std::size_t w) {
    std::vector<double> m(h * w);
    for (std::size_t i = 0; i < h; ++i)
      for (std::size_t j = 0; j < w; ++j) m[i * w + j] = (i * 7 + j * 3) % 5 < 3 ? 1.0 : 0.25 * static_cast<double>(j);
    return m;
  }
  template <class B>
  static std::vector<NamedOperator<B>> operators(bool) {
    std::vector<NamedOperator<B>> ops;
    ops.push_back({"Identity 5x7, 2 channels", Identity<B>(5, 7, 2)});
    ops.push_back({"PixelMask 6x5, 2 channels", PixelMask<B>(6, 5, mask(6, 5), 2)});
    ops.push_back({"Blur 3x3 on 9x6", Blur<B>(kernel(), 3, 3, 9, 6)});
    ops.push_back({"Blur 1x5 on 4x7, 2 channels", Blur<B>(std::vector<double>{0.2, -0.1, 0.5, 0.3, 0.1}, 1, 5, 4, 7, 2)});
    std::vector<double> wide(15);
    for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = 0.1 * static_cast<double>(i) - 0.3;
    ops.push_back({"Blur 3x5 on 9x12, 2 channels", Blur<B>(wide, 3, 5, 9, 12, 2)});
    const auto composed = compose(PixelMask<B>(9, 6, mask(9, 6)), Blur<B>(kernel(), 3, 3, 9, 6));
    ops.push_back({"PixelMask ∘ Blur", composed});
    ops.push_back({"(PixelMask ∘ Blur)ᵀ", adjoint(composed)});
    ops.push_back({"-2.5 (PixelMask ∘ Blur)", scale(-2.5, composed)});
    return ops;
  }
};

/// One suite instantiation: an operator family on backend B (`Sparse`: LibTorch's stored matrices).
template <class Family, class Backend, bool Sparse = false>
struct OperatorCase {
  using family = Family;
  using backend = Backend;
  static constexpr bool sparse = Sparse;
};

namespace detail {

/// The explicit matrix of a small operator (rows: range entries, columns: domain entries), in double.
template <class B>
Eigen::MatrixXd explicit_matrix(const AnyLinearOperator<B>& op) {
  using T = typename B::scalar_type;
  const Shape4 in = op.domain_shape(1), out = op.range_shape(1);
  Eigen::MatrixXd m(static_cast<Eigen::Index>(out.numel()), static_cast<Eigen::Index>(in.numel()));
  std::vector<T> e(in.numel(), T(0));
  for (std::size_t k = 0; k < in.numel(); ++k) {
    e[k] = T(1);
    const auto column = B::to_host(op.apply(B::from_host(in, std::span<const T>(e))));
    e[k] = T(0);
    for (std::size_t r = 0; r < column.size(); ++r)
      m(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(k)) = static_cast<double>(column[r]);
  }
  return m;
}

}  // namespace detail

}  // namespace eqr::testing

/// The suite itself; `EQR_OPERATOR_SUITE(cases...)` invokes it for the given `OperatorCase`s.
TEST_CASE_TEMPLATE_DEFINE("LinearOperator conformance: adjoint, batching, shapes, agreement, norm", Case,
                          eqr_operator_conformance) {
  using B = typename Case::backend;
  using T = typename B::scalar_type;
  using R = eqr::testing::ReferenceBackend;
  namespace et = eqr::testing;
  const auto ops = Case::family::template operators<B>(Case::sparse);
  const auto refs = Case::family::template operators<R>(false);
  REQUIRE(ops.size() == refs.size());
  REQUIRE(!ops.empty());
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const auto& op = ops[k].op;
    const auto& ref = refs[k].op;
    CAPTURE(ops[k].name);
    const std::string backend = B::name();
    CAPTURE(backend);
    // 1. The adjoint test.
    const double adjoint_tolerance = Case::family::rounding_factor * et::adjoint_tolerance<T>();
    CHECK(eqr::adjoint_mismatch(op, 7, 3) <= adjoint_tolerance);
    CHECK(eqr::adjoint_mismatch(op, 8, 1) <= adjoint_tolerance);
    // 2. Batch independence, for the forward map and the adjoint.
    eqr::Random rng(17);
    const auto x = eqr::random_normal<B>(op.domain_shape(2), rng);
    const auto y = eqr::random_normal<B>(op.range_shape(2), rng);
    const auto ax = B::to_host(op.apply(x)), aty = B::to_host(op.adjoint(y));
    {
      const auto hx = B::to_host(x), hy = B::to_host(y);
      const std::size_t nx = op.domain_shape(1).numel(), ny = op.range_shape(1).numel();
      for (std::size_t item = 0; item < 2; ++item) {
        const std::vector<T> xi(hx.begin() + static_cast<std::ptrdiff_t>(item * nx), hx.begin() + static_cast<std::ptrdiff_t>((item + 1) * nx));
        const std::vector<T> yi(hy.begin() + static_cast<std::ptrdiff_t>(item * ny), hy.begin() + static_cast<std::ptrdiff_t>((item + 1) * ny));
        const auto axi = B::to_host(op.apply(B::from_host(op.domain_shape(1), std::span<const T>(xi))));
        const auto atyi = B::to_host(op.adjoint(B::from_host(op.range_shape(1), std::span<const T>(yi))));
        const std::vector<T> ax_part(ax.begin() + static_cast<std::ptrdiff_t>(item * ny), ax.begin() + static_cast<std::ptrdiff_t>((item + 1) * ny));
        const std::vector<T> aty_part(aty.begin() + static_cast<std::ptrdiff_t>(item * nx), aty.begin() + static_cast<std::ptrdiff_t>((item + 1) * nx));
        CHECK(et::max_relative_difference(ax_part, axi) <= Case::family::rounding_factor * et::agreement_tolerance<T>());
        CHECK(et::max_relative_difference(aty_part, atyi) <= Case::family::rounding_factor * et::agreement_tolerance<T>());
      }
    }
    // 3. Shapes and bad input.
    CHECK(op.domain_shape(5).n == 5);
    CHECK(op.range_shape(4).n == 4);
    CHECK(op.domain_shape(3) == ref.domain_shape(3));
    CHECK(op.range_shape(3) == ref.range_shape(3));
    eqr::Shape4 wrong = op.domain_shape(1);
    ++wrong.w;
    CHECK_THROWS_AS((void)op.apply(B::zeros(wrong)), eqr::shape_error);
    wrong = op.range_shape(1);
    ++wrong.h;
    CHECK_THROWS_AS((void)op.adjoint(B::zeros(wrong)), eqr::shape_error);
    // 4. Agreement with the reference backend on the same inputs.
    if constexpr (!std::is_same_v<B, R>) {
      eqr::Random rr(17);
      const auto rx = eqr::random_normal<R>(ref.domain_shape(2), rr);
      const auto ry = eqr::random_normal<R>(ref.range_shape(2), rr);
      const double tolerance = Case::family::rounding_factor * et::agreement_tolerance<T>();
      CHECK(et::max_relative_difference(ax, R::to_host(ref.apply(rx))) <= tolerance);
      CHECK(et::max_relative_difference(aty, R::to_host(ref.adjoint(ry))) <= tolerance);
    }
    // 5. The operator norm against the explicit matrix's largest singular value (small operators).
    if (op.domain_shape(1).numel() <= 256 && op.range_shape(1).numel() <= 4096) {
      const Eigen::JacobiSVD<Eigen::MatrixXd> svd(et::detail::explicit_matrix(op));
      const double sigma = svd.singularValues()(0);
      // The power method approaches σ from below at the rate (σ₂/σ₁)^(2k); with close top singular values
      // (a blur, a band-limited FBP) 3000 steps reach 1e-5, so that is the test (the arithmetic is not).
      const double estimate = eqr::opnorm(op, 3000, 3);
      CHECK(estimate <= sigma * (1 + 1e-5) + 1e-12);
      CHECK(estimate == doctest::Approx(sigma).epsilon(1e-5));
    }
  }
}

/// Instantiates the conformance suite for the given `eqr::testing::OperatorCase`s.
#define EQR_OPERATOR_SUITE(...) TEST_CASE_TEMPLATE_INVOKE(eqr_operator_conformance, __VA_ARGS__)
