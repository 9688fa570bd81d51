/// @file backends/cpu/filter_expansion.hpp
/// The CPU backend's filter expansion (`filter_expansion<CpuBackend<T, K>>`, backends/filter_expansion.hpp):
/// the plan's GEMMs run on the tensors' own host memory, so expanding a layer's filter copies nothing.
#pragma once

#include <memory>
#include <span>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/filter_expansion.hpp"
#include "eqr/kernels/expansion_plan.hpp"

namespace eqr {

/// The filter expansion of the CPU backend (the same five members as the primary template).
template <Real T, cpu::ConvKernel K>
struct filter_expansion<cpu::CpuBackend<T, K>> {
  using backend = cpu::CpuBackend<T, K>;
  using tensor = typename backend::tensor_type;
  using state = std::shared_ptr<const ExpansionPlan<T>>;

  static state prepare(std::shared_ptr<const ExpansionPlan<T>> plan) { return plan; }
  static tensor expand(const state& s, const tensor& coefficients) {
    tensor w = backend::empty(s->filter_shape());
    s->expand(values(coefficients), std::span<T>(w.data(), w.size()));
    return w;
  }
  static tensor expand_transpose(const state& s, const tensor& filter_gradient) {
    tensor dc = backend::empty({1, static_cast<std::size_t>(s->coefficient_count), 1, 1});
    s->expand_transpose(values(filter_gradient), std::span<T>(dc.data(), dc.size()));
    return dc;
  }
  static tensor expand_bias(const state& s, const tensor& bias) {
    tensor b = backend::empty(bias_shape(static_cast<std::size_t>(s->c_out)));
    s->expand_bias(values(bias), std::span<T>(b.data(), b.size()));
    return b;
  }
  static tensor expand_bias_transpose(const state& s, const tensor& channel_gradient) {
    tensor db = backend::empty({1, static_cast<std::size_t>(s->bias_count()), 1, 1});
    s->expand_bias_transpose(values(channel_gradient), std::span<T>(db.data(), db.size()));
    return db;
  }

 private:
  static std::span<const T> values(const tensor& t) { return {t.data(), t.size()}; }
};

}  // namespace eqr
