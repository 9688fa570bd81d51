// static_assert-only checks of the operator concepts: every operator models LinearOperator on both CPU
// precisions (and its backend is the one it was built for), the algebra's results do too, operators of
// different backends do not compose, and types that lack a part of the interface are not operators.
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/layers/detail/backend_archetype.hpp"
#include "eqr/operators/operators.hpp"

namespace eqr {
namespace {

using CpuF = cpu::CpuBackend<float>;
using CpuD = cpu::CpuBackend<double>;

/// Has the backend but no apply/adjoint.
struct BackendOnly {
  using backend = CpuF;
};
/// Everything except adjoint.
struct ForwardOnly : BackendOnly {
  Shape4 domain_shape(std::size_t) const { return {}; }
  Shape4 range_shape(std::size_t) const { return {}; }
  CpuF::tensor_type apply(const CpuF::tensor_type& x) const { return x; }
};
/// Shapes as arrays instead of Shape4 (the old vocabulary): not an operator.
struct ArrayShapes : BackendOnly {
  std::array<std::size_t, 4> domain_shape(std::size_t) const { return {}; }
  std::array<std::size_t, 4> range_shape(std::size_t) const { return {}; }
  CpuF::tensor_type apply(const CpuF::tensor_type& x) const { return x; }
  CpuF::tensor_type adjoint(const CpuF::tensor_type& y) const { return y; }
};
/// A complete operator whose "backend" is not a TensorBackend.
struct NoRealBackend {
  using backend = int;
  Shape4 domain_shape(std::size_t) const { return {}; }
  Shape4 range_shape(std::size_t) const { return {}; }
};
}  // namespace

static_assert(LinearOperatorOn<Radon<CpuF>, CpuF> && LinearOperatorOn<Radon<CpuD>, CpuD>, "Radon is a linear operator.");
static_assert(LinearOperator<MaskedFourier<CpuF>> && LinearOperator<MaskedFourier<CpuD>>);
static_assert(LinearOperator<FilteredBackProjection<CpuF>> && LinearOperator<FilteredBackProjection<CpuD>>);
static_assert(LinearOperator<Identity<CpuF>> && LinearOperator<PixelMask<CpuD>> && LinearOperator<Blur<CpuF>>);
static_assert(LinearOperator<Adjoint<Radon<CpuF>>>, "the adjoint of an operator is an operator.");
static_assert(LinearOperator<Scaled<MaskedFourier<CpuD>>>, "a scaled operator is an operator.");
static_assert(LinearOperator<Composed<Radon<CpuF>, Blur<CpuF>>>, "Radon after a blur is an operator.");
static_assert(LinearOperatorOn<AnyLinearOperator<CpuF>, CpuF>, "the type-erased operator is an operator.");
static_assert(ComposableOperators<Radon<CpuF>, Identity<CpuF>>);
static_assert(!ComposableOperators<Radon<CpuF>, Identity<CpuD>>, "float and double operators do not compose.");
static_assert(!LinearOperatorOn<Radon<CpuF>, CpuD>, "a float operator is not an operator on the double backend.");
static_assert(!LinearOperator<BackendOnly>, "a backend alone does not make an operator.");
static_assert(!LinearOperator<ForwardOnly>, "an operator needs its adjoint.");
static_assert(!LinearOperator<ArrayShapes>, "an operator's shapes are Shape4.");
static_assert(!LinearOperator<NoRealBackend>, "an operator's backend must be a TensorBackend.");
static_assert(!LinearOperator<int> && !LinearOperator<xt::xtensor<float, 4>>);
static_assert(RayTransformBackend<CpuF> && FourierBackend<CpuD> && FbpBackend<CpuF>,
              "the CPU backend provides every operator kernel.");
static_assert(!RayTransformBackend<detail::BackendArchetype>,
              "a tensor backend without ray-transform kernels cannot run Radon.");
}  // namespace eqr
