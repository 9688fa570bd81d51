/// @file nn/module.hpp
/// `Module`: anything that exposes learnable parameters under stable hierarchical names (a layer, a
/// container, an unrolled method), and the operations on all of a module's parameters at once:
/// `zero_grad`, `parameter_count`, `gradient_norm`, `clip_grad_norm`, `named_parameters`.
#pragma once

#include <cmath>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr::nn {

/// A module: `M::backend` is a TensorBackend and `m.visit_parameters(prefix, f)` calls f(name, parameter)
/// for every learnable parameter, in a fixed order, with the name `prefix.child.….own` (child_name).
/// Visiting is a template (any callable), so optimisers and checkpoints add no per-parameter indirection.
template <class M>
concept Module = TensorBackend<typename M::backend> &&
    requires(M& m, const std::string& prefix, void (*visitor)(const std::string&, Parameter<typename M::backend>&)) {
      m.visit_parameters(prefix, visitor);
    };

/// Resets every parameter's gradient to zero (call before each backward pass that should not accumulate).
template <Module M>
void zero_grad(M& model) {
  model.visit_parameters("", [](const std::string&, Parameter<typename M::backend>& p) { p.zero_grad(); });
}

/// The total number of learnable scalars.
template <Module M>
std::size_t parameter_count(M& model) {
  std::size_t n = 0;
  model.visit_parameters("", [&](const std::string&, Parameter<typename M::backend>& p) {
    n += M::backend::shape(p.value).numel();
  });
  return n;
}

/// The names of all parameters in visiting order; throws value_error if two parameters share a name
/// (names are the keys of checkpoints and optimiser state, so they must be unique).
template <Module M>
std::vector<std::string> parameter_names(M& model) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  model.visit_parameters("", [&](const std::string& name, Parameter<typename M::backend>&) {
    EQR_EXPECTS(seen.insert(name).second, value_error, "parameter names: expected unique names, found '", name,
                "' twice");
    names.push_back(name);
  });
  return names;
}

/// The global gradient norm √(Σ_p ‖∇p‖²) over all parameters.
template <Module M>
double gradient_norm(M& model) {
  double sq = 0;
  model.visit_parameters("", [&](const std::string&, Parameter<typename M::backend>& p) {
    sq += M::backend::squared_norm(p.grad);
  });
  return std::sqrt(sq);
}

/// Clips the global gradient norm (PyTorch's `clip_grad_norm_`): if ‖∇‖ > max_norm, every gradient is scaled
/// by max_norm / (‖∇‖ + 1e-6).  Returns the norm before clipping.  Throws value_error for max_norm ≤ 0 or a
/// non-finite gradient norm (a diverged step must not be applied silently).
template <Module M>
double clip_grad_norm(M& model, double max_norm) {
  EQR_EXPECTS(max_norm > 0 && std::isfinite(max_norm), value_error,
              "clip_grad_norm: expected a positive finite max_norm, found ", max_norm);
  const double norm = gradient_norm(model);
  EQR_EXPECTS(std::isfinite(norm), value_error, "clip_grad_norm: expected a finite gradient norm, found ", norm);
  if (norm > max_norm) {
    using T = typename M::backend::scalar_type;
    const T factor = static_cast<T>(max_norm / (norm + 1e-6));
    model.visit_parameters("", [&](const std::string&, Parameter<typename M::backend>& p) {
      M::backend::scale(p.grad, factor);
    });
  }
  return norm;
}

}  // namespace eqr::nn
