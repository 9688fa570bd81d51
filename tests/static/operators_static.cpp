// static_assert-only checks of the operator concepts: every operator models LinearOperator for float and
// double, the algebra's results do too, and types that lack a part of the interface do not.
#include "eqr/operators/operators.hpp"

namespace eqr {
namespace {
/// Has the type names but no apply/adjoint.
struct TypesOnly {
  using value_type = float;
  using domain_type = xt::xtensor<float, 4>;
  using range_type = xt::xtensor<float, 4>;
};
/// Everything except adjoint.
struct ForwardOnly : TypesOnly {
  TensorShape domain_shape(std::size_t) const { return {}; }
  TensorShape range_shape(std::size_t) const { return {}; }
  range_type apply(const domain_type& x) const { return x; }
};
/// An integer "operator": the scalar must be float or double.
struct IntegerOperator {
  using value_type = int;
  using domain_type = xt::xtensor<int, 4>;
  using range_type = xt::xtensor<int, 4>;
  TensorShape domain_shape(std::size_t) const { return {}; }
  TensorShape range_shape(std::size_t) const { return {}; }
  range_type apply(const domain_type& x) const { return x; }
  domain_type adjoint(const range_type& y) const { return y; }
};
}  // namespace

static_assert(LinearOperator<Radon<float>> && LinearOperator<Radon<double>>, "Radon is a linear operator.");
static_assert(LinearOperator<MaskedFourier<float>> && LinearOperator<MaskedFourier<double>>);
static_assert(LinearOperator<Identity<float>> && LinearOperator<PixelMask<double>> && LinearOperator<Blur<float>>);
static_assert(LinearOperator<Adjoint<Radon<float>>>, "the adjoint of an operator is an operator.");
static_assert(LinearOperator<Scaled<MaskedFourier<double>>>, "a scaled operator is an operator.");
static_assert(LinearOperator<Composed<Radon<float>, Blur<float>>>, "Radon after a blur is an operator.");
static_assert(ComposableOperators<Radon<float>, Identity<float>>);
static_assert(!ComposableOperators<Radon<float>, Identity<double>>, "float and double operators do not compose.");
static_assert(!LinearOperator<TypesOnly>, "type names alone do not make an operator.");
static_assert(!LinearOperator<ForwardOnly>, "an operator needs its adjoint.");
static_assert(!LinearOperator<IntegerOperator>, "operators work in float or double.");
static_assert(!LinearOperator<int> && !LinearOperator<xt::xtensor<float, 4>>);
static_assert(std::is_same_v<Adjoint<Radon<float>>::domain_type, Radon<float>::range_type>);
}  // namespace eqr
