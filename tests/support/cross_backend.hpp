/// @file tests/support/cross_backend.hpp
/// Cross-backend agreement checks: the same layer built on two backends, given the same parameters and
/// inputs, must give the same outputs, input gradients and parameter gradients (doctest CHECKs). Include
/// after doctest (in torch tests: after tests/support/torch_doctest.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/random.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr::testing {

/// A type tag, so one generic lambda can build the same layer on several backends.
template <class B>
struct backend_tag {
  using type = B;
};

/// Tolerance of the adjoint (dot-product) test ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ relative to its terms: 1e-6 for float,
/// 1e-12 for double.
template <class T>
constexpr double adjoint_tolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-12;
}

/// Tolerance of one backend's result against another's for the same computation (max_relative_difference):
/// 1e-5 for float, 1e-12 for double — kernels that sum in different orders, not different arithmetic.
template <class T>
constexpr double agreement_tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// max |a − b| / max(max |b|, 1e-30): the error of a relative to the largest entry of b.
template <class T, class U>
double max_relative_difference(const std::vector<T>& a, const std::vector<U>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0.0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::abs(double(b[i])));
  }
  return diff / scale;
}

/// Host values uniform in [−1, 1) (times `scale`), reproducible from the seed.
template <class T>
std::vector<T> random_host(std::size_t n, std::uint64_t seed, double scale = 1.0) {
  Random rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(scale * (2.0 * rng.uniform() - 1.0));
  return v;
}

/// Every parameter of `layer` set to random values (so zero-initialised parts are checked at a generic point).
template <nn::Module L>
void randomise_parameters(L& layer, std::uint64_t seed, double scale = 0.5) {
  using B = typename L::backend;
  layer.visit_parameters("", [&](const std::string&, nn::Parameter<B>& p) {
    const Shape4 s = B::shape(p.value);
    p.value = B::from_host(s, random_host<typename B::scalar_type>(s.numel(), seed++, scale));
  });
}

/// Copies every parameter value of `src` into `dst` through the host (same names and shapes required).
template <nn::Module Src, nn::Module Dst>
void copy_parameters(Src& src, Dst& dst) {
  using SB = typename Src::backend;
  using DB = typename Dst::backend;
  std::vector<std::string> names;
  std::vector<Shape4> shapes;
  std::vector<std::vector<typename SB::scalar_type>> values;
  src.visit_parameters("", [&](const std::string& name, nn::Parameter<SB>& p) {
    names.push_back(name);
    shapes.push_back(SB::shape(p.value));
    values.push_back(SB::to_host(p.value));
  });
  std::size_t i = 0;
  dst.visit_parameters("", [&](const std::string& name, nn::Parameter<DB>& p) {
    REQUIRE(i < names.size());
    REQUIRE(name == names[i]);
    REQUIRE(DB::shape(p.value) == shapes[i]);
    const std::vector<typename DB::scalar_type> v(values[i].begin(), values[i].end());
    p.value = DB::from_host(shapes[i], v);
    ++i;
  });
  REQUIRE(i == names.size());
}

/// Sets every parameter gradient of `ref` to random host values (seeds seed, seed + 1, … in visiting order)
/// and the same values into the same-named parameters of `other`, so that an optimiser step on both
/// compares only the update rule.
template <nn::Module Ref, nn::Module Other>
void set_same_random_gradients(Ref& ref, Other& other, std::uint64_t seed) {
  using RB = typename Ref::backend;
  using OB = typename Other::backend;
  std::vector<std::string> names;
  std::vector<std::vector<typename RB::scalar_type>> grads;
  ref.visit_parameters("", [&](const std::string& name, nn::Parameter<RB>& p) {
    names.push_back(name);
    grads.push_back(random_host<typename RB::scalar_type>(RB::shape(p.grad).numel(), seed++));
    p.grad = RB::from_host(RB::shape(p.grad), grads.back());
  });
  std::size_t i = 0;
  other.visit_parameters("", [&](const std::string& name, nn::Parameter<OB>& p) {
    REQUIRE(i < names.size());
    REQUIRE(name == names[i]);
    const std::vector<typename OB::scalar_type> v(grads[i].begin(), grads[i].end());
    p.grad = OB::from_host(OB::shape(p.grad), v);
    ++i;
  });
  REQUIRE(i == names.size());
}

/// The parameter gradients of a module, by visiting order.
template <nn::Module L>
std::vector<std::pair<std::string, std::vector<typename L::backend::scalar_type>>> gradients_of(L& layer) {
  using B = typename L::backend;
  std::vector<std::pair<std::string, std::vector<typename B::scalar_type>>> out;
  layer.visit_parameters("", [&](const std::string& name, nn::Parameter<B>& p) { out.emplace_back(name, B::to_host(p.grad)); });
  return out;
}

/// The parameter values of a module, by visiting order.
template <nn::Module L>
std::vector<std::vector<typename L::backend::scalar_type>> values_of(L& layer) {
  using B = typename L::backend;
  std::vector<std::vector<typename B::scalar_type>> out;
  layer.visit_parameters("", [&](const std::string&, nn::Parameter<B>& p) { out.push_back(B::to_host(p.value)); });
  return out;
}

/// Checks that `ref` (e.g. on the CPU backend) and `other` (same parameters) agree on an input of shape xs:
/// inference and training outputs, dx = (∂f/∂x)ᵀ dy and every parameter gradient, each to `tol` relative to
/// the reference's largest entry. Returns the worst relative difference seen.
template <Layer Ref, Layer Other>
double check_agreement(Ref& ref, Other& other, Shape4 xs, std::uint64_t seed, double tol, const std::string& what) {
  using RB = typename Ref::backend;
  using OB = typename Other::backend;
  using RT = typename RB::scalar_type;
  using OT = typename OB::scalar_type;
  const auto xv = random_host<RT>(xs.numel(), seed);
  const auto xr = RB::from_host(xs, xv);
  const auto xo = OB::from_host(xs, std::vector<OT>(xv.begin(), xv.end()));
  double worst = 0.0;
  auto compare = [&](const std::vector<OT>& a, const std::vector<RT>& b, const std::string& which) {
    const double e = max_relative_difference(a, b);
    INFO(what << ": " << which << ", relative difference " << e);
    CHECK(e <= tol);
    worst = std::max(worst, e);
  };
  compare(OB::to_host(other.forward(xo)), RB::to_host(static_cast<const Ref&>(ref).forward(xr)), "inference output");
  typename Ref::context rc;
  typename Other::context oc;
  const auto yr = ref.forward(xr, rc);
  const auto yo = other.forward(xo, oc);
  compare(OB::to_host(yo), RB::to_host(yr), "training output");
  const Shape4 ys = RB::shape(yr);
  REQUIRE(OB::shape(yo) == ys);
  const auto dyv = random_host<RT>(ys.numel(), seed + 1);
  nn::zero_grad(ref);
  nn::zero_grad(other);
  const auto dxr = ref.backward(rc, RB::from_host(ys, dyv));
  const auto dxo = other.backward(oc, OB::from_host(ys, std::vector<OT>(dyv.begin(), dyv.end())));
  compare(OB::to_host(dxo), RB::to_host(dxr), "input gradient");
  const auto gr = gradients_of(ref);
  const auto go = gradients_of(other);
  REQUIRE(gr.size() == go.size());
  for (std::size_t i = 0; i < gr.size(); ++i) {
    CHECK(go[i].first == gr[i].first);
    compare(go[i].second, gr[i].second, "gradient of '" + gr[i].first + "'");
  }
  return worst;
}

/// Builds `make(backend_tag<Ref>{})` and `make(backend_tag<Other>{})`, randomises the reference's
/// parameters, copies them over and runs `check_agreement`.
template <TensorBackend Ref, TensorBackend Other, class Make>
double agree(Make make, Shape4 xs, std::uint64_t seed, double tol, const std::string& what) {
  auto ref = make(backend_tag<Ref>{});
  auto other = make(backend_tag<Other>{});
  randomise_parameters(ref, seed + 100);
  copy_parameters(ref, other);
  return check_agreement(ref, other, xs, seed, tol, what);
}

}  // namespace eqr::testing
