/// @file backends/torch/filter_expansion.hpp
/// The LibTorch backend's filter expansion (`filter_expansion<TorchBackend<T, D>>`,
/// backends/filter_expansion.hpp): the plan's basis matrices, scatter positions and bias matrix are copied
/// to the device once per layer, and every expansion is then a few device kernels — per block one matrix
/// product and one `index_copy_` (forward) or one `index_select` and one matrix product (transpose) — with no
/// host transfer, so a CUDA training step does not synchronise per layer.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "eqr/backends/filter_expansion.hpp"
#include "eqr/backends/torch/dtype.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/kernels/expansion_plan.hpp"

namespace eqr {

/// The filter expansion of the LibTorch backend (the same five members as the primary template).
template <Real T, DeviceKind D>
struct filter_expansion<libtorch::TorchBackend<T, D>> {
  using backend = libtorch::TorchBackend<T, D>;
  using tensor = typename backend::tensor_type;

  /// One block on the device.
  struct DeviceBlock {
    torch::Tensor matrix;     ///< M_b, size × cols
    torch::Tensor positions;  ///< int64, rows·cols flat filter indices
    std::int64_t offset = 0, rows = 0;
  };
  /// The plan on the device.
  struct state {
    Shape4 filter;
    std::int64_t coefficients = 0, channels = 0, biases = 0;
    std::vector<DeviceBlock> blocks;
    torch::Tensor bias_matrix;  ///< P, C_out × n_β
  };

  static state prepare(std::shared_ptr<const ExpansionPlan<T>> plan) {
    state s{plan->filter_shape(), plan->coefficient_count, plan->c_out, plan->bias_count(), {}, {}};
    const auto device = backend::options().device();
    const auto upload = [&](const auto& m) {
      return torch::from_blob(const_cast<T*>(m.data()), {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())},
                              torch::TensorOptions().dtype(libtorch::dtype_of<T>()))
          .to(device, false, true);
    };
    for (const auto& b : plan->blocks) {
      auto positions = torch::from_blob(const_cast<std::int64_t*>(b.filter_positions.data()),
                                        {static_cast<std::int64_t>(b.filter_positions.size())},
                                        torch::TensorOptions().dtype(torch::kInt64))
                           .to(device, false, true);
      s.blocks.push_back({upload(b.matrix), std::move(positions), b.coefficient_offset, b.rows});
    }
    s.bias_matrix = upload(plan->bias_matrix);
    return s;
  }
  static tensor expand(const state& s, const tensor& coefficients) {
    const torch::Tensor c = coefficients.reshape({-1});
    torch::Tensor w = torch::zeros({static_cast<std::int64_t>(s.filter.numel())}, backend::options());
    for (const auto& b : s.blocks) {
      const std::int64_t size = b.matrix.size(0);
      const torch::Tensor expanded = torch::mm(c.narrow(0, b.offset, b.rows * size).view({b.rows, size}), b.matrix);
      w.index_copy_(0, b.positions, expanded.reshape({-1}));
    }
    return w.view(backend::sizes(s.filter));
  }
  static tensor expand_transpose(const state& s, const tensor& filter_gradient) {
    const torch::Tensor g = filter_gradient.reshape({-1});
    torch::Tensor dc = torch::empty({s.coefficients}, backend::options());
    for (const auto& b : s.blocks) {
      const std::int64_t size = b.matrix.size(0), cols = b.matrix.size(1);
      const torch::Tensor gathered = g.index_select(0, b.positions).view({b.rows, cols});
      dc.narrow(0, b.offset, b.rows * size).copy_(torch::mm(gathered, b.matrix.t()).reshape({-1}));
    }
    return dc.view({1, s.coefficients, 1, 1});
  }
  static tensor expand_bias(const state& s, const tensor& bias) {
    return torch::mm(s.bias_matrix, bias.reshape({s.biases, 1})).view({1, s.channels, 1, 1});
  }
  static tensor expand_bias_transpose(const state& s, const tensor& channel_gradient) {
    return torch::mm(s.bias_matrix.t(), channel_gradient.reshape({s.channels, 1})).view({1, s.biases, 1, 1});
  }
};

}  // namespace eqr
