// The learned model of run-time architecture (algorithms/learned_model.hpp) and the method factories
// (algorithms/learned_factories.hpp): a spec builds exactly the method the compile-time factory builds (same
// parameter names and values, same output), for LPG and LPD, ordinary and equivariant; reconstruction through
// the exported networks equals the training-mode layers bit for bit for every offered group; an equivariant
// model is exactly rot90-equivariant for denoising; training lowers the loss and a checkpoint reloads
// the same model; and bad specs are refused with messages from the group catalogue.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "eqr/algorithms/learned_factories.hpp"
#include "eqr/algorithms/learned_model.hpp"
#include "eqr/algorithms/warm_start.hpp"
#include "eqr/backends/cpu/cpu.hpp"
#include "eqr/groups/catalog.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/metrics/equivariance.hpp"
#include "eqr/operators/algebra.hpp"
#include "eqr/operators/fbp.hpp"
#include "eqr/operators/image_operators.hpp"
#include "eqr/operators/radon.hpp"
#include "../support/cross_backend.hpp"
#include "../support/learned_helpers.hpp"
#include "../support/random_tensor.hpp"

namespace {

using B = eqr::cpu::CpuBackend<double>;
using Tensor = B::tensor_type;
using eqr::testing::values_of;

/// Every parameter's name, by visiting order.
template <class M>
std::vector<std::string> names_of(M& model) {
  std::vector<std::string> names;
  model.visit_parameters("", [&](const std::string& n, eqr::nn::Parameter<B>&) { names.push_back(n); });
  return names;
}

eqr::Radon<B> small_ct() { return eqr::Radon<B>(eqr::parallel_beam(12, 6)); }

}  // namespace

TEST_CASE("a spec builds the method the compile-time factories build: names, values, output") {
  const auto op = small_ct();
  const double norm = eqr::opnorm(op, 50);
  const Tensor y = eqr::testing::random_tensor<B>(op.range_shape(1), 3);
  SUBCASE("LPG, C4, width 8") {
    const auto options = eqr::LearnedProximalGradientOptions().iterations(2).memory(5);
    auto typed = eqr::make_learned_proximal_gradient_equivariant<eqr::C4, 1, 2, B>(op, norm, options, 7);
    eqr::LearnedModelSpec spec;
    spec.group = "C4";
    spec.width = 8;
    spec.iterations = 2;
    spec.seed = 7;
    auto model = eqr::make_learned_model<B>(spec, op, norm);
    auto& method = dynamic_cast<eqr::LearnedModelOf<eqr::AnyLearnedProximalGradient<B>>&>(*model).method();
    CHECK(names_of(method) == names_of(typed));
    CHECK(values_of(method) == values_of(typed));
    eqr::testing::randomise_parameters(typed, 4, 0.2);
    eqr::testing::copy_parameters(typed, method);
    CHECK(B::to_host(model->reconstruct_unexported(y)) == B::to_host(typed.forward(y)));
    CHECK(B::to_host(model->reconstruct(y)) == B::to_host(eqr::export_network(typed).forward(y)));
  }
  SUBCASE("LPD, ordinary, width 6") {
    const auto options = eqr::LearnedPrimalDualOptions().iterations(2).primal_memory(3).dual_memory(3);
    auto typed = eqr::make_learned_primal_dual_ordinary<B>(op, norm, 1, 1, options, 6, 5);
    eqr::LearnedModelSpec spec;
    spec.method = "lpd";
    spec.model = "ordinary";
    spec.width = 6;
    spec.iterations = 2;
    spec.memory = 3;
    spec.seed = 5;
    auto model = eqr::make_learned_model<B>(spec, op, norm);
    auto& method = dynamic_cast<eqr::LearnedModelOf<eqr::AnyLearnedPrimalDual<B>>&>(*model).method();
    CHECK(names_of(method) == names_of(typed));
    CHECK(values_of(method) == values_of(typed));
    CHECK(model->parameter_count() == eqr::nn::parameter_count(typed));
    CHECK(B::to_host(model->reconstruct(y)) == B::to_host(typed.forward(y)));
  }
}

TEST_CASE("with an initial reconstruction the model is the warm-started method: u0 = FBP(y)") {
  const auto op = small_ct();
  const double norm = eqr::opnorm(op, 50);
  const eqr::FilteredBackProjection<B> fbp(op.geometry());
  const Tensor y = eqr::testing::random_tensor<B>(op.range_shape(1), 6);
  eqr::LearnedModelSpec spec;
  spec.model = "ordinary";
  spec.width = 4;
  spec.iterations = 2;
  auto cold = eqr::make_learned_model<B>(spec, op, norm);
  auto warm = eqr::make_learned_model<B>(spec, op, norm, eqr::AnyLinearOperator<B>(fbp));
  auto& method = dynamic_cast<eqr::LearnedModelOf<eqr::AnyLearnedProximalGradient<B>>&>(*cold).method();
  eqr::testing::randomise_parameters(method, 2, 0.3);
  using Warm = eqr::WarmStart<eqr::AnyLearnedProximalGradient<B>, eqr::AnyLinearOperator<B>>;
  auto& warm_method = dynamic_cast<eqr::LearnedModelOf<Warm>&>(*warm).method();
  eqr::testing::copy_parameters(method, warm_method);
  CHECK(B::to_host(warm->reconstruct_unexported(y)) == B::to_host(method.forward(y, fbp.apply(y))));
  CHECK(B::to_host(warm->reconstruct(y)) == B::to_host(warm->reconstruct_unexported(y)));
  CHECK(B::to_host(warm->reconstruct(y)) != B::to_host(cold->reconstruct(y)));
}

TEST_CASE("for every offered group, reconstruction through exported networks equals the training-mode layers") {
  // Denoising on 8×8 images, one iteration, width 48 (a multiple of every |G|); random parameters.
  const eqr::Identity<B> op(8, 8);
  const Tensor y = eqr::testing::random_tensor<B>(op.range_shape(2), 9);
  for (const auto& group : eqr::group_names()) {
    for (const std::string method : {"lpg", "lpd"}) {
      CAPTURE(group);
      CAPTURE(method);
      eqr::LearnedModelSpec spec;
      spec.method = method;
      spec.group = group;
      spec.width = 48;
      spec.iterations = 1;
      spec.memory = 2;
      auto model = eqr::make_learned_model<B>(spec, op, 1.0);
      auto randomise = [](auto& m) { eqr::testing::randomise_parameters(m, 21, 0.3); };
      if (method == "lpg")
        randomise(dynamic_cast<eqr::LearnedModelOf<eqr::AnyLearnedProximalGradient<B>>&>(*model).method());
      else
        randomise(dynamic_cast<eqr::LearnedModelOf<eqr::AnyLearnedPrimalDual<B>>&>(*model).method());
      CHECK(B::to_host(model->reconstruct(y)) == B::to_host(model->reconstruct_unexported(y)));
    }
  }
}

TEST_CASE("an equivariant model is exactly rot90-equivariant for denoising; an ordinary one is not") {
  const eqr::Identity<B> op(10, 10);
  const Tensor y = eqr::testing::random_tensor<B>(op.range_shape(1), 2);
  const auto error_of = [&](const std::string& kind) {
    eqr::LearnedModelSpec spec;
    spec.model = kind;
    spec.group = "D4";
    spec.width = 16;
    spec.iterations = 2;
    auto model = eqr::make_learned_model<B>(spec, op, 1.0);
    eqr::testing::randomise_parameters(dynamic_cast<eqr::LearnedModelOf<eqr::AnyLearnedProximalGradient<B>>&>(*model).method(),
                                       13, 0.3);
    return eqr::metrics::grid_equivariance_error<eqr::D4>([&](const Tensor& x) { return model->reconstruct(x); }, y);
  };
  CHECK(error_of("equivariant") < 1e-12);
  CHECK(error_of("ordinary") > 1e-3);
}

TEST_CASE("a learned model trains, and a checkpoint reloads the same model into a fresh one") {
  const eqr::Identity<B> op(8, 8);
  eqr::nn::PairList<B> pairs;
  for (std::uint64_t k = 0; k < 3; ++k) {
    const Tensor t = eqr::testing::random_tensor<B>(op.domain_shape(1), 30 + k);
    pairs.pairs.push_back({B::add(t, eqr::testing::random_tensor<B>(op.domain_shape(1), 40 + k)), t});
  }
  eqr::LearnedModelSpec spec;
  spec.group = "C2";
  spec.width = 4;
  spec.iterations = 2;
  auto model = eqr::make_learned_model<B>(spec, op, 1.0);
  const eqr::testing::TempDir dir("learned_model");
  const auto result = model->train(pairs, {}, eqr::TrainingOptions().steps(15).lr(1e-2).run_dir(dir.path)
                                                  .checkpoint_every(15).progress(eqr::Progress::none));
  CHECK(result.log.back().loss < result.log.front().loss);
  auto reloaded = eqr::make_learned_model<B>(spec, op, 1.0);
  const Tensor y = pairs.pairs[0].input;
  CHECK(B::to_host(reloaded->reconstruct(y)) != B::to_host(model->reconstruct(y)));
  reloaded->load(dir.path / "checkpoint.eqrc");
  CHECK(B::to_host(reloaded->reconstruct(y)) == B::to_host(model->reconstruct(y)));
}

TEST_CASE("bad specs are refused with messages naming what was expected") {
  const eqr::Identity<B> op(8, 8);
  eqr::LearnedModelSpec spec;
  spec.group = "C5";
  CHECK_THROWS_WITH_AS((void)eqr::make_learned_model<B>(spec, op, 1.0),
                       doctest::Contains("expected one of C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8, found 'C5'"),
                       eqr::value_error);
  spec.group = "D8";
  spec.width = 24;
  CHECK_THROWS_WITH_AS((void)eqr::make_learned_model<B>(spec, op, 1.0),
                       doctest::Contains("expected a multiple of |D8| = 16"), eqr::value_error);
  spec.width = 32;
  spec.method = "lpgd";
  CHECK_THROWS_WITH_AS((void)eqr::make_learned_model<B>(spec, op, 1.0), doctest::Contains("expected lpg or lpd"),
                       eqr::value_error);
  spec.method = "lpg";
  CHECK_THROWS_AS((void)eqr::make_learned_model<B>(spec, op, 0.0), eqr::value_error);
}
