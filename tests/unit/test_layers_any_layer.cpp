// Layers chosen at run time: DynamicEquivariantConv with fields built at run time is EquivariantConv with the
// same fields (same coefficients, same outputs, bit for bit), and make_dynamic_equivariant_prox is
// make_equivariant_prox; AnyLayer forwards, back-propagates, names and copies exactly as the layer it holds
// and refuses another layer's context; export_network keeps every output bit for bit while leaving no
// equivariant convolution behind, through Sequential, Residual, Parallel and AnyLayer.
#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eqr/algorithms/learned_prox_network.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/groups/groups.hpp"
#include "eqr/layers/any_layer.hpp"
#include "eqr/layers/export.hpp"
#include "eqr/layers/layers.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/reps/reps.hpp"
#include "../support/cross_backend.hpp"
#include "../support/random_tensor.hpp"

namespace {

using B = eqr::cpu::CpuBackend<double>;
using Tensor = B::tensor_type;
using G = eqr::D4;
using In = eqr::FieldType<G, eqr::Copies<eqr::Trivial<G>, 2>>;
using Hidden = eqr::FieldType<G, eqr::Copies<eqr::Regular<G>, 3>>;
using eqr::testing::gradients_of;
using eqr::testing::values_of;

Tensor random_tensor(eqr::Shape4 s, std::uint64_t seed) { return eqr::testing::random_tensor<B>(s, seed); }

/// Every parameter's name, by visiting order.
template <class L>
std::vector<std::string> names_of(L& layer) {
  std::vector<std::string> names;
  layer.visit_parameters("net", [&](const std::string& n, eqr::nn::Parameter<B>&) { names.push_back(n); });
  return names;
}

/// Whether a layer type still holds an equivariant convolution anywhere (by its export_conv member).
template <class L>
constexpr bool is_plain = !eqr::ExportableConv<L>;

}  // namespace

TEST_CASE("a DynamicEquivariantConv with run-time fields is the EquivariantConv of those fields, bit for bit") {
  const auto options = eqr::EquivariantConvOptions(3).padding(eqr::Padding::replicate).seed(4);
  eqr::EquivariantConv<G, In, Hidden, B> typed(options);
  eqr::DynamicEquivariantConv<G, B> dynamic(eqr::copies_of<eqr::Trivial<G>>(2), eqr::copies_of<eqr::Regular<G>>(3), options);
  CHECK(values_of(dynamic) == values_of(typed));
  eqr::testing::randomise_parameters(typed, 9);
  eqr::testing::copy_parameters(typed, dynamic);
  const Tensor x = random_tensor({2, 2, 6, 5}, 1);
  CHECK(B::to_host(dynamic.forward(x)) == B::to_host(typed.forward(x)));
  typename eqr::DynamicEquivariantConv<G, B>::context dc, tc;
  const Tensor y = dynamic.forward(x, dc);
  (void)typed.forward(x, tc);
  const Tensor dy = random_tensor(B::shape(y), 2);
  CHECK(B::to_host(dynamic.backward(dc, dy)) == B::to_host(typed.backward(tc, dy)));
  CHECK(gradients_of(dynamic) == gradients_of(typed));
  // A wrong input is named by the field descriptions the layer was given.
  eqr::DynamicEquivariantConv<G, B> named(eqr::copies_of<eqr::Trivial<G>>(2), eqr::copies_of<eqr::Regular<G>>(3), options,
                                          "2 trivial", "3 regular");
  CHECK_THROWS_WITH_AS((void)named.forward(random_tensor({1, 3, 4, 4}, 3)),
                       doctest::Contains("2 trivial -> 3 regular: expected an input with 2 channels"), eqr::shape_error);
}

TEST_CASE("make_dynamic_equivariant_prox builds make_equivariant_prox's network: same parameters, same outputs") {
  auto typed = eqr::make_equivariant_prox<eqr::C4, 3, 2, 2, B>(11);
  auto dynamic = eqr::make_dynamic_equivariant_prox<eqr::C4, B>(3, 2, 2, 11);
  CHECK(names_of(dynamic) == names_of(typed));
  CHECK(values_of(dynamic) == values_of(typed));
  eqr::testing::randomise_parameters(typed, 5);
  eqr::testing::copy_parameters(typed, dynamic);
  const Tensor x = random_tensor({1, 3, 7, 7}, 8);
  CHECK(B::to_host(dynamic.forward(x)) == B::to_host(typed.forward(x)));
  const auto empty = [] { return eqr::make_dynamic_equivariant_prox<eqr::C4, B>(0, 2, 2); };
  CHECK_THROWS_AS((void)empty(), eqr::value_error);
}

TEST_CASE("AnyLayer behaves as the layer it holds: outputs, gradients, names, copies") {
  auto net = eqr::make_equivariant_prox<eqr::C4, 3, 2, 2, B>(3);
  eqr::testing::randomise_parameters(net, 7);
  eqr::AnyLayer<B> any(net);
  static_assert(eqr::Layer<eqr::AnyLayer<B>>, "AnyLayer must itself be a Layer.");
  CHECK(names_of(any) == names_of(net));
  const Tensor x = random_tensor({2, 3, 6, 6}, 4);
  CHECK(B::to_host(any.forward(x)) == B::to_host(net.forward(x)));
  typename decltype(net)::context nc;
  eqr::AnyLayer<B>::context ac;
  const Tensor y = net.forward(x, nc);
  CHECK(B::to_host(any.forward(x, ac)) == B::to_host(y));
  const Tensor dy = random_tensor(B::shape(y), 5);
  CHECK(B::to_host(any.backward(ac, dy)) == B::to_host(net.backward(nc, dy)));
  CHECK(gradients_of(any) == gradients_of(net));
  CHECK(any.target<decltype(net)>() != nullptr);
  CHECK(any.target<eqr::Conv<B>>() == nullptr);
  // A copy is independent: moving its parameters leaves the original alone.
  eqr::AnyLayer<B> copy = any;
  copy.visit_parameters("", [](const std::string&, eqr::nn::Parameter<B>& p) { B::fill(p.value, 0.5); });
  CHECK(B::to_host(any.forward(x)) == B::to_host(net.forward(x)));
  // Another layer's context, or none, is refused.
  eqr::AnyLayer<B> other(eqr::Conv<B>(eqr::ConvOptions(3, 2, 3)));
  CHECK_THROWS_AS((void)other.backward(ac, dy), eqr::value_error);
  CHECK_THROWS_AS((void)other.backward(eqr::AnyLayer<B>::context{}, dy), eqr::value_error);
}

TEST_CASE("export_network: the same outputs bit for bit, and no equivariant convolution left") {
  const auto options = eqr::EquivariantConvOptions(3).padding(eqr::Padding::replicate).seed(2);
  using Lift = eqr::EquivariantConv<G, In, Hidden, B>;
  using Group = eqr::EquivariantConv<G, Hidden, Hidden, B>;
  using Phi = eqr::PointwiseNonlinearity<Hidden, B>;
  using Branch = eqr::EquivariantConv<G, Hidden, In, B>;
  using Net = eqr::Sequential<Lift, Phi, eqr::Residual<eqr::Sequential<Group, Phi>>, eqr::Parallel<Branch, Branch>>;
  Net net(Lift(options), Phi(), eqr::Residual<eqr::Sequential<Group, Phi>>(eqr::Sequential<Group, Phi>(Group(options), Phi())),
          eqr::Parallel<Branch, Branch>(Branch(options), Branch(eqr::EquivariantConvOptions(options).seed(8))));
  eqr::testing::randomise_parameters(net, 3);
  const auto plain = eqr::export_network(net);
  using Plain = std::remove_cvref_t<decltype(plain)>;
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(plain.get<0>())>, eqr::Conv<B>>,
                "the lifting convolution is exported to a plain convolution");
  static_assert(is_plain<std::remove_cvref_t<decltype(plain.get<3>().first())>>);
  static_assert(!eqr::EquivariantLayer<Plain>, "the exported network has no field types any more");
  const Tensor x = random_tensor({2, 2, 7, 6}, 6);
  CHECK(B::to_host(plain.forward(x)) == B::to_host(net.forward(x)));
  // Through AnyLayer too, and the exported parameters are the plain ones (weights, not coefficients).
  const eqr::AnyLayer<B> any(net);
  eqr::AnyLayer<B> exported = eqr::export_network(any);
  CHECK(B::to_host(exported.forward(x)) == B::to_host(net.forward(x)));
  CHECK(names_of(exported).front() == "net.0.weight");
  CHECK(eqr::nn::parameter_count(exported) > eqr::nn::parameter_count(net));
}
