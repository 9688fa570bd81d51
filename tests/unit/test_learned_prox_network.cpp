// Tests of the paper's proximal network (DESIGN.md §4) and of the learned proximal gradient method built
// from it: reverse mode against central differences (double), the zero-initialised residual block, rot90
// equivariance of the C4 network, and end-to-end equivariance of the unrolled method for denoising, which
// the ordinary network does not have.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/algorithms/learned_proximal_gradient.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/radon.hpp"

#include "../support/learned_helpers.hpp"

/// The CPU backend in precision T.
template <class T>
using Cpu = eqr::cpu::CpuBackend<T>;

namespace {

using DB = Cpu<double>;
using FB = Cpu<float>;

using eqr::testing::normal_tensor;
using eqr::testing::randomise_normal;
using eqr::testing::relative_difference;
using eqr::testing::rot90;
using eqr::testing::rotate_sinogram;

}  // namespace

TEST_CASE("the ordinary prox network: zero intermediate layer at init and exact reverse mode (double)") {
  auto net = eqr::make_ordinary_prox<DB>(3, 2, 5, 42);
  std::vector<std::string> names;
  bool intermediate_zero = true;
  net.visit_parameters("p", [&](const std::string& n, eqr::nn::Parameter<DB>& p) {
    names.push_back(n);
    if (n.find("intermediate") != std::string::npos) intermediate_zero = intermediate_zero && DB::squared_norm(p.value) == 0;
  });
  CHECK(names == std::vector<std::string>{"p.lift.weight", "p.lift.bias", "p.intermediate.weight",
                                          "p.intermediate.bias", "p.project.weight", "p.project.bias"});
  CHECK(intermediate_zero);

  randomise_normal<DB>(net, 5, 0.4);
  eqr::Random rng(6);
  const auto x = normal_tensor<DB>({2, 3, 6, 5}, rng);
  const auto t = normal_tensor<DB>({2, 2, 6, 5}, rng);
  auto loss = [&] { return 0.5 * DB::squared_norm(DB::subtract(net.forward(x), t)); };
  decltype(net)::context ctx;
  const auto y = net.forward(x, ctx);
  CHECK(relative_difference<DB>(y, net.forward(x)) == 0.0);
  eqr::nn::zero_grad(net);
  const auto dx = net.backward(ctx, DB::subtract(y, t));
  eqr::testing::CentralDifferenceCheck fd;
  net.visit_parameters("", [&](const std::string&, eqr::nn::Parameter<DB>& p) {
    for (std::size_t k = 0; k < p.value.size(); k += 5) fd.check(p.grad.data()[k], p.value.data()[k], loss);
  });
  const int parameter_checks = fd.count;
  auto xv = x;
  auto loss_x = [&] { return 0.5 * DB::squared_norm(DB::subtract(net.forward(xv), t)); };
  for (std::size_t k = 0; k < xv.size(); k += 3) fd.check(dx.data()[k], xv.data()[k], loss_x);
  CHECK(parameter_checks > 30);
  CHECK(fd.worst < 1e-6);
}

TEST_CASE("the C4 prox network (harmonic and grid bases) commutes with rot90; the ordinary one does not") {
  eqr::Random rng(12);
  const auto x = normal_tensor<FB>({1, 7, 10, 10}, rng);
  for (const auto basis : {eqr::BasisSolver::harmonic, eqr::BasisSolver::grid}) {
    CAPTURE(eqr::name(basis));
    auto net = eqr::make_equivariant_prox<eqr::C4, 7, 3, 6, FB>(3, basis);
    randomise_normal<FB>(net, 9, 0.3);
    const double err = relative_difference<FB>(rot90<FB>(net.forward(x)), net.forward(rot90<FB>(x)));
    MESSAGE("C4 prox rot90 error: " << err);
    CHECK(err < 1e-5);
  }
  auto ordinary = eqr::make_ordinary_prox<FB>(7, 6, 12, 3);
  randomise_normal<FB>(ordinary, 9, 0.3);
  const double err = relative_difference<FB>(rot90<FB>(ordinary.forward(x)), ordinary.forward(rot90<FB>(x)));
  MESSAGE("ordinary prox rot90 error: " << err);
  CHECK(err > 1e-2);
}

TEST_CASE("end to end (denoising): the equivariant learned proximal gradient maps rotated data to the rotated "
          "reconstruction, the ordinary one does not") {
  const std::size_t n = 12;
  const eqr::Identity<Cpu<float>> op(n, n, 1);
  eqr::Random rng(21);
  const auto y = normal_tensor<FB>({1, 1, n, n}, rng);
  const auto options = eqr::LearnedProximalGradientOptions().iterations(3).memory(5);

  using Equi = eqr::EquivariantProx<eqr::C4, 7, 4, 6, FB>;
  std::vector<Equi> equi;
  for (int i = 0; i < 3; ++i) {
    equi.push_back(eqr::make_equivariant_prox<eqr::C4, 7, 4, 6, FB>(10 * i));
    randomise_normal<FB>(equi.back(), 100 + i, 0.3);
  }
  eqr::LearnedProximalGradient<FB, eqr::Identity<Cpu<float>>, Equi> lpg_equi(op, 1.0, 1, std::move(equi), options);
  const double e_equi = relative_difference<FB>(rot90<FB>(lpg_equi.forward(y)), lpg_equi.forward(rot90<FB>(y)));

  using Ord = eqr::OrdinaryProx<FB>;
  std::vector<Ord> ord;
  for (int i = 0; i < 3; ++i) {
    ord.push_back(eqr::make_ordinary_prox<FB>(7, 6, 16, 10 * i));
    randomise_normal<FB>(ord.back(), 100 + i, 0.3);
  }
  eqr::LearnedProximalGradient<FB, eqr::Identity<Cpu<float>>, Ord> lpg_ord(op, 1.0, 1, std::move(ord), options);
  const double e_ord = relative_difference<FB>(rot90<FB>(lpg_ord.forward(y)), lpg_ord.forward(rot90<FB>(y)));
  MESSAGE("rot90 equivariance error of the unrolled method: equivariant " << e_equi << ", ordinary " << e_ord);
  CHECK(e_equi < 1e-5);
  CHECK(e_ord > 1e-2);
}

TEST_CASE("end to end (CT, even number of angles): a 90° rotation of the image is a shift of the sinogram, and "
          "the equivariant method maps the shifted sinogram to the rotated reconstruction") {
  const std::size_t n = 12;
  const eqr::Radon<Cpu<float>> radon(eqr::parallel_beam(n, 8));
  eqr::Random rng(31);
  const auto u = normal_tensor<FB>({1, 1, n, n}, rng);
  const auto y = radon.apply(u);
  const double shift_err = relative_difference<FB>(radon.apply(rot90<FB>(u)), rotate_sinogram<FB>(y));
  MESSAGE("sinogram rotation rule error: " << shift_err);
  REQUIRE(shift_err < 1e-5);

  const auto options = eqr::LearnedProximalGradientOptions().iterations(3).memory(5);
  const double norm = eqr::opnorm(radon, 50);
  using Equi = eqr::EquivariantProx<eqr::C4, 7, 4, 6, FB>;
  std::vector<Equi> equi;
  for (int i = 0; i < 3; ++i) {
    equi.push_back(eqr::make_equivariant_prox<eqr::C4, 7, 4, 6, FB>(10 * i, eqr::BasisSolver::grid));
    randomise_normal<FB>(equi.back(), 200 + i, 0.3);
  }
  eqr::LearnedProximalGradient<FB, eqr::Radon<Cpu<float>>, Equi> lpg_equi(radon, norm, 1, std::move(equi), options);
  const double e_equi =
      relative_difference<FB>(rot90<FB>(lpg_equi.forward(y)), lpg_equi.forward(rotate_sinogram<FB>(y)));
  std::vector<eqr::OrdinaryProx<FB>> ord;
  for (int i = 0; i < 3; ++i) {
    ord.push_back(eqr::make_ordinary_prox<FB>(7, 6, 16, 10 * i));
    randomise_normal<FB>(ord.back(), 200 + i, 0.3);
  }
  eqr::LearnedProximalGradient<FB, eqr::Radon<Cpu<float>>, eqr::OrdinaryProx<FB>> lpg_ord(radon, norm, 1, std::move(ord), options);
  const double e_ord = relative_difference<FB>(rot90<FB>(lpg_ord.forward(y)), lpg_ord.forward(rotate_sinogram<FB>(y)));
  MESSAGE("CT rot90 equivariance error: equivariant " << e_equi << ", ordinary " << e_ord);
  CHECK(e_equi < 1e-4);
  CHECK(e_ord > 1e-2);
}
