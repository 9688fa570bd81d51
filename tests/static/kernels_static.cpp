// static_assert-only checks of the kernel-basis concepts: which types are kernel bases, for which
// representations, and which solvers work for which groups.
#include "eqr/groups/groups.hpp"
#include "eqr/kernels/kernels.hpp"
#include "eqr/reps/reps.hpp"

namespace eqr {
static_assert(KernelBasis<HarmonicBasis<Regular<C4>, Regular<C4>>>, "HarmonicBasis is a kernel basis.");
static_assert(KernelBasis<HarmonicBasis<Trivial<C8>, Regular<C8>>>, "HarmonicBasis works for any group.");
static_assert(KernelBasis<GridBasis<Regular<D4>, Trivial<D4>>>, "GridBasis is a kernel basis for grid groups.");
static_assert(!KernelBasis<int> && !KernelBasis<SampledBasis> && !KernelBasis<Regular<C4>>,
              "a number, a bare sampled basis or a representation is not a kernel basis.");
static_assert(KernelBasisFor<HarmonicBasis<Trivial<C4>, Regular<C4>>, Trivial<C4>, Regular<C4>>);
static_assert(!KernelBasisFor<HarmonicBasis<Trivial<C4>, Regular<C4>>, Regular<C4>, Trivial<C4>>,
              "a basis is tied to its direction: trivial -> regular is not regular -> trivial.");
static_assert(!KernelBasisFor<HarmonicBasis<Regular<C4>, Regular<C4>>, Regular<D4>, Regular<D4>>,
              "a basis of C4 kernels is not a basis of D4 kernels.");
static_assert(KernelBasisFor<GridBasis<Regular<C4>, Regular<C4>>, Regular<C4>, Regular<C4>>);
static_assert(KernelSolverFor<HarmonicSolver, C8> && KernelSolverFor<HarmonicSolver, D8> &&
              KernelSolverFor<HarmonicSolver, C3>, "the harmonic solver works for every group.");
static_assert(KernelSolverFor<GridSolver, C1> && KernelSolverFor<GridSolver, C4> && KernelSolverFor<GridSolver, D4>,
              "the grid solver works for the grid groups.");
static_assert(!KernelSolverFor<GridSolver, C8> && !KernelSolverFor<GridSolver, C3> && !KernelSolverFor<GridSolver, D8>,
              "the grid solver refuses groups that do not map the pixel grid onto itself.");
static_assert(!KernelSolverFor<int, C4>, "an int is not a solver.");

// Explicit instantiations: every non-template member of the class templates compiles (as Sophus's tests do).
template class HarmonicBasis<Regular<D4>, Irrep<D4, 1, 1>>;
template class GridBasis<Trivial<C4>, Regular<C4>>;
template class KernelExpansion<FieldType<C4, Trivial<C4>, Copies<Regular<C4>, 3>>, FieldType<C4, Regular<C4>>, float>;
template class KernelExpansion<FieldType<D2, Regular<D2>>, FieldType<D2, Irrep<D2, 1, 0>>, double>;
}  // namespace eqr
