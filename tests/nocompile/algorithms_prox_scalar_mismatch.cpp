// A double-precision TV prox given to proximal gradient on a float operator must not compile.
// expect-error: must act on batches of the operator's scalar type
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/algorithms/prox_gradient.hpp"
#include "eqr/algorithms/tv_prox.hpp"
#include "eqr/operators/image_operators.hpp"

int main() {
  const eqr::Identity<eqr::cpu::CpuBackend<float>> id(4, 4);
  const xt::xtensor<float, 4> y = xt::zeros<float>({1, 1, 4, 4});
  eqr::TvProx<double> g(0.1);
  (void)eqr::proximal_gradient(id, y, g);
}
