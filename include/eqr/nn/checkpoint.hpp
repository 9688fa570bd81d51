/// @file nn/checkpoint.hpp
/// Saving and loading a model's parameters — and optionally an optimiser's state — by name, in the format
/// of nn/checkpoint_format.hpp.
///
/// Records: each parameter under its hierarchical name (e.g. "iteration3.lift.coefficients", shape N,C,H,W,
/// stored as the backend's scalar type); optimiser state under "optimizer/<state name>" (e.g.
/// "optimizer/adam.m.0.weight") and the step count as "optimizer/steps" (rank 1, one float64).
///
/// Loading is all-or-nothing: the whole file is read and checked against the model first — every parameter
/// present with its shape, no record the model does not have — and only then assigned.  Every mismatch is an
/// io_error naming the file and the parameter.  Values are converted to the model's scalar type (a float64
/// checkpoint loads into a float model by rounding).
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eqr/config.hpp"
#include "eqr/nn/checkpoint_format.hpp"
#include "eqr/nn/module.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr::nn {

/// An optimiser whose state can be checkpointed: `visit_state(model, f)` with f(name, tensor&), `steps()`,
/// `set_steps(t)` (Adam and Sgd of nn/optimizers.hpp).
template <class O, class M>
concept CheckpointableOptimizer = Module<M> && requires(O& o, M& m, std::int64_t t) {
  o.visit_state(m, [](const std::string&, typename M::backend::tensor_type&) {});
  { o.steps() } -> std::convertible_to<std::int64_t>;
  o.set_steps(t);
};

namespace detail {
/// The prefix of optimiser records.
inline constexpr const char* optimizer_prefix = "optimizer/";

template <class B>
CheckpointRecord record_of(const std::string& name, const typename B::tensor_type& t) {
  const Shape4 s = B::shape(t);
  const auto host = B::to_host(t);
  return {name, {s.n, s.c, s.h, s.w},
          sizeof(typename B::scalar_type) == 4 ? CheckpointDType::float32 : CheckpointDType::float64,
          std::vector<double>(host.begin(), host.end())};
}

/// Finds, checks and consumes the record for `name` of tensor t; throws io_error naming it.
template <class B>
std::vector<typename B::scalar_type> take_record(std::map<std::string, const CheckpointRecord*>& pending,
                                                 const std::string& name, const typename B::tensor_type& t,
                                                 const std::string& file) {
  const auto it = pending.find(name);
  EQR_EXPECTS(it != pending.end(), io_error, "checkpoint '", file, "': parameter '", name,
              "' is missing (expected a record of shape ", B::shape(t), ")");
  const CheckpointRecord& r = *it->second;
  const Shape4 s = B::shape(t);
  const std::vector<std::uint64_t> expected{s.n, s.c, s.h, s.w};
  if (r.shape != expected) {
    std::string found;
    for (std::size_t i = 0; i < r.shape.size(); ++i) found += (i ? "×" : "") + std::to_string(r.shape[i]);
    throw io_error(::eqr::detail::concat("checkpoint '", file, "': parameter '", name, "': expected shape ", s,
                                         ", found ", found.empty() ? "a scalar" : found));
  }
  std::vector<typename B::scalar_type> values(r.values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EQR_EXPECTS(std::isfinite(r.values[i]), io_error, "checkpoint '", file, "': parameter '", name,
                "': expected finite values, found ", r.values[i], " at index ", i);
    values[i] = static_cast<typename B::scalar_type>(r.values[i]);
  }
  pending.erase(it);
  return values;
}
}  // namespace detail

/// Saves every parameter of `model` to `path` (atomically).
template <Module M>
void save_checkpoint(const std::filesystem::path& path, M& model) {
  using B = typename M::backend;
  std::vector<CheckpointRecord> records;
  model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) {
    records.push_back(detail::record_of<B>(name, p.value));
  });
  write_checkpoint_file(path, records);
}

/// Saves every parameter of `model` and the state of `optimizer` to `path` (atomically).
template <Module M, class O>
  requires CheckpointableOptimizer<O, M>
void save_checkpoint(const std::filesystem::path& path, M& model, O& optimizer) {
  using B = typename M::backend;
  std::vector<CheckpointRecord> records;
  model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) {
    records.push_back(detail::record_of<B>(name, p.value));
  });
  optimizer.visit_state(model, [&](const std::string& name, typename B::tensor_type& t) {
    records.push_back(detail::record_of<B>(detail::optimizer_prefix + name, t));
  });
  records.push_back({std::string(detail::optimizer_prefix) + "steps", {1}, CheckpointDType::float64,
                     {static_cast<double>(optimizer.steps())}});
  write_checkpoint_file(path, records);
}

namespace detail {
template <Module M, class VisitOptimizer>
void load_into(const std::filesystem::path& path, M& model, bool with_optimizer, VisitOptimizer&& visit_optimizer,
               std::int64_t* steps) {
  using B = typename M::backend;
  const std::string file = path.string();
  const auto records = read_checkpoint_file(path);
  std::map<std::string, const CheckpointRecord*> pending;
  for (const auto& r : records) pending.emplace(r.name, &r);
  // Check everything before assigning anything.
  std::vector<std::pair<Parameter<B>*, std::vector<typename B::scalar_type>>> values;
  model.visit_parameters("", [&](const std::string& name, Parameter<B>& p) {
    values.emplace_back(&p, take_record<B>(pending, name, p.value, file));
  });
  std::vector<std::pair<typename B::tensor_type*, std::vector<typename B::scalar_type>>> state;
  if (with_optimizer) {
    visit_optimizer([&](const std::string& name, typename B::tensor_type& t) {
      state.emplace_back(&t, take_record<B>(pending, optimizer_prefix + name, t, file));
    });
    const std::string steps_name = std::string(optimizer_prefix) + "steps";
    const auto it = pending.find(steps_name);
    EQR_EXPECTS(it != pending.end(), io_error, "checkpoint '", file, "': optimiser record '", steps_name,
                "' is missing (was the checkpoint saved without the optimiser?)");
    const auto& v = it->second->values;
    EQR_EXPECTS(v.size() == 1 && std::isfinite(v[0]) && v[0] >= 0 && v[0] == std::floor(v[0]) && v[0] < 9.0e15,
                io_error, "checkpoint '", file, "': '", steps_name, "': expected one non-negative integer");
    *steps = static_cast<std::int64_t>(v[0]);
    pending.erase(it);
  }
  for (const auto& [name, record] : pending) {
    if (!with_optimizer && name.starts_with(optimizer_prefix)) continue;  // optimiser state not requested
    throw io_error(::eqr::detail::concat("checkpoint '", file, "': parameter '", name,
                                         "' is in the file but not in the model (a different architecture?)"));
  }
  for (auto& [p, v] : values) {
    p->value = B::from_host(B::shape(p->value), v);
    p->zero_grad();
  }
  for (auto& [t, v] : state) *t = B::from_host(B::shape(*t), v);
}
}  // namespace detail

/// Loads every parameter of `model` from `path` (gradients are reset to zero).  Optimiser records in the file
/// are ignored.  Throws io_error naming the parameter for a missing, extra or mis-shaped one; the model is
/// unchanged on any error.
template <Module M>
void load_checkpoint(const std::filesystem::path& path, M& model) {
  detail::load_into(path, model, false, [](auto&&) {}, nullptr);
}

/// Loads the parameters of `model` and the state of `optimizer` from `path` (all or nothing).
template <Module M, class O>
  requires CheckpointableOptimizer<O, M>
void load_checkpoint(const std::filesystem::path& path, M& model, O& optimizer) {
  std::int64_t steps = 0;
  detail::load_into(path, model, true, [&](auto&& f) { optimizer.visit_state(model, f); }, &steps);
  optimizer.set_steps(steps);
}

}  // namespace eqr::nn
