// Compile-time facts about layers/ and nn/, checked against BackendArchetype (declarations only), so every
// layer, container and optimiser below is also proven to use its backend only through the TensorBackend
// concept: the explicit instantiations compile every member function against the archetype.
#include "eqr/backends/training.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/detail/backend_archetype.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/reps/reps.hpp"

namespace {
using A = eqr::detail::BackendArchetype;
using G = eqr::C4;
using Tr = eqr::FieldType<G, eqr::Trivial<G>>;
using Reg = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>>;
using Irr = eqr::FieldType<G, eqr::Irrep<G, 0, 1>>;
using Lift = eqr::EquivariantConv<G, Tr, Reg, A>;
using Phi = eqr::PointwiseNonlinearity<Reg, A>;
using Proj = eqr::EquivariantConv<G, Reg, Tr, A>;
using Net = eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<eqr::EquivariantConv<G, Reg, Reg, A>, Phi>>, Proj>;
}  // namespace

// Every layer models Layer; the equivariant ones EquivariantLayer with the right field types.
static_assert(eqr::Layer<eqr::Conv<A>> && !eqr::EquivariantLayer<eqr::Conv<A>>);
static_assert(eqr::Layer<eqr::ActivationLayer<A>> && !eqr::EquivariantLayer<eqr::ActivationLayer<A>>);
static_assert(eqr::EquivariantLayer<Lift> && std::same_as<Lift::in_type, Tr> && std::same_as<Lift::out_type, Reg>);
static_assert(eqr::EquivariantLayer<Phi> && eqr::EquivariantLayer<eqr::NormNonlinearity<Irr, A>>);
static_assert(eqr::EquivariantLayer<eqr::GroupPooling<Reg, A>>);
static_assert(eqr::EquivariantLayer<Net> && std::same_as<Net::in_type, Tr> && std::same_as<Net::out_type, Tr>);
static_assert(eqr::nn::Module<Net> && eqr::nn::Module<eqr::Conv<A>>);
// A Sequential of plain layers is a Layer without field types.
static_assert(eqr::Layer<eqr::Sequential<eqr::Conv<A>, eqr::ActivationLayer<A>>> &&
              !eqr::EquivariantLayer<eqr::Sequential<eqr::Conv<A>, eqr::ActivationLayer<A>>>);
// Field-type algebra of pooling and concatenation.
static_assert(std::same_as<eqr::PooledType<eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>, eqr::Trivial<G>>>,
                           eqr::FieldType<G, eqr::Copies<eqr::Trivial<G>, 3>, eqr::Trivial<G>>>);
static_assert(eqr::PooledType<Reg>::channels() == 3);
static_assert(std::same_as<eqr::ConcatType<Tr, Reg>, eqr::FieldType<G, eqr::Trivial<G>, eqr::Copies<eqr::Regular<G>, 3>>>);
static_assert(std::same_as<eqr::Parallel<Lift, eqr::EquivariantConv<G, Tr, Tr, A>>::out_type,
                           eqr::ConcatType<Reg, Tr>>);
// The archetype has no training primitives, so it is not a TrainingBackend (optimisers need one).
static_assert(!eqr::TrainingBackend<A>);
// Pointwise nonlinearities are admitted exactly on permutation fields.
static_assert(Reg::permutation && !Irr::permutation);

// Compile every member of every layer against the archetype.
template class eqr::Conv<A>;
template class eqr::ActivationLayer<A>;
template class eqr::EquivariantConv<G, Tr, Reg, A>;
template class eqr::EquivariantConv<G, Reg, Tr, A>;
template class eqr::EquivariantConv<G, Irr, Reg, A>;
template class eqr::PointwiseNonlinearity<Reg, A>;
template class eqr::NormNonlinearity<Irr, A>;
template class eqr::GroupPooling<Reg, A, eqr::PoolMode::max>;
template class eqr::GroupPooling<Reg, A, eqr::PoolMode::mean>;
template class eqr::Sequential<Lift, Phi, Proj>;
template class eqr::Residual<Phi>;
template class eqr::Parallel<Lift, eqr::EquivariantConv<G, Tr, Tr, A>>;
