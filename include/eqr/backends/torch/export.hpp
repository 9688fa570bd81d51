/// @file backends/torch/export.hpp
/// `save_for_pytorch(net, path)`: a trained eqr network saved as a file that PyTorch's `torch.load` reads
/// (interop 2 of the LibTorch adapter), with the weights of *plain* convolutions, so that an ordinary
/// `nn.Conv2d` stack reproduces the network — equivariant layers included.
///
/// **Format.** The file is `torch::pickle_save` of a `Dict[str, Tensor]` (LibTorch 1.13: the zip-based
/// pickle format that `torch.save` writes and `torch.load` reads); it is written atomically. Tensors are
/// contiguous CPU tensors of the network's dtype (float32 or float64).
///
/// **Names and shapes** (`pytorch_state_dict`), recursively from the network's structure:
/// - `Conv` at prefix p: "p.weight" C_out × C_in × k × k (nn.Conv2d's layout: cross-correlation, weight[o,c,a,b]
///   multiplies x[c, i+a−r, j+b−r]) and, with bias, "p.bias" of shape C_out (nn.Conv2d's bias);
/// - `EquivariantConv` at p: its `export_conv()` — the expanded filter E c and bias P β — under the same two
///   names, so it is indistinguishable from a plain convolution;
/// - `ProxNetwork`: "lift.", "intermediate.", "project."; `Sequential`: "0.", "1.", …; `Residual`: "body.";
///   `Parallel`: "0.", "1." (the eqr parameter names, DESIGN.md §3b);
/// - `LearnedProximalGradient`: its networks under "iteration0.", "iteration1.", … (or "prox." with shared
///   weights), plus "operator_norm", a 0-d float64 tensor holding ‖A‖ (the data gradient the networks were
///   trained with is ∇E(u) = Aᵀ(Au − y)/‖A‖², network input [u, ∇E(u), s], output [u, s]);
/// - any other layer: its own parameters under their eqr names and shapes (e.g. a norm nonlinearity's bias).
/// Padding, activation and the network's wiring are not stored: they are the eqr network's (the paper's
/// prox network: 3×3, replicate padding, leaky ReLU with slope 0.01).
///
/// **Loading in Python** (the prox network y = K_p(h + φ(K_i h)), h = φ(K_l x)):
///
///     import torch, torch.nn.functional as F
///     sd = torch.load("prox.pt")                       # {"lift.weight": tensor, "lift.bias": tensor, ...}
///     def conv(x, p):                                   # 3x3, replicate padding, as eqr's Conv
///         return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), sd[p + ".weight"], sd.get(p + ".bias"))
///     h = F.leaky_relu(conv(x, "lift"), 0.01)
///     y = conv(h + F.leaky_relu(conv(h, "intermediate"), 0.01), "project")
///
/// or `conv.load_state_dict({"weight": sd["lift.weight"], "bias": sd["lift.bias"]})` into an
/// `nn.Conv2d(C_in, C_out, 3, padding=1, padding_mode="replicate")`. In C++, `load_pytorch_state_dict(path)`
/// reads the file back (tests/unit/test_torch_layers.cpp rebuilds the network from it this way).
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "eqr/backends/torch/module.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "eqr/config.hpp"
#include "eqr/io/atomic_file.hpp"
#include "eqr/layers/concepts.hpp"
#include "eqr/layers/conv.hpp"
#include "eqr/nn/parameter.hpp"

namespace eqr::libtorch {

/// The exported tensors of a network: names in visiting order with CPU tensors.
using PytorchStateDict = std::vector<std::pair<std::string, torch::Tensor>>;

namespace detail {

template <class L>
concept HasExportConv = requires(const L& l) { l.export_conv(); };
template <class L>
concept ProxLike = requires(L& l) {
  l.lift();
  l.intermediate();
  l.project();
};
template <class L>
concept SequentialLike = requires(L& l) {
  { L::size() } -> std::convertible_to<std::size_t>;
  l.template get<0>();
};
template <class L>
concept UnrolledLike = requires(L& l, std::size_t i) {
  l.network(i);
  { l.options().iterations() } -> std::convertible_to<int>;
  { l.options().shared_weights() } -> std::convertible_to<bool>;
  { l.operator_norm() } -> std::convertible_to<double>;
};
template <class L>
concept ResidualLike = requires(L& l) { l.body(); };
template <class L>
concept ParallelLike = requires(L& l) {
  l.first();
  l.second();
};

/// A tensor as exported: contiguous on the CPU.
inline torch::Tensor exported(const torch::Tensor& t) { return t.to(torch::kCPU).contiguous().clone(); }

template <Layer L>
void export_layer(L& layer, const std::string& prefix, PytorchStateDict& out);

template <class L, std::size_t... I>
void export_sequence(L& layer, const std::string& prefix, PytorchStateDict& out, std::index_sequence<I...>) {
  (export_layer(layer.template get<I>(), nn::child_name(prefix, std::to_string(I)), out), ...);
}

/// Appends the exported tensors of `layer` at `prefix` (see the file comment for the rules).
template <Layer L>
void export_layer(L& layer, const std::string& prefix, PytorchStateDict& out) {
  using B = typename L::backend;
  if constexpr (std::same_as<L, Conv<B>>) {
    out.emplace_back(nn::child_name(prefix, "weight"), exported(layer.weight().value));
    if (layer.has_bias()) out.emplace_back(nn::child_name(prefix, "bias"), exported(layer.bias().value).reshape({-1}));
  } else if constexpr (HasExportConv<L>) {
    Conv<B> plain = layer.export_conv();
    export_layer(plain, prefix, out);
  } else if constexpr (ProxLike<L>) {
    export_layer(layer.lift(), nn::child_name(prefix, "lift"), out);
    export_layer(layer.intermediate(), nn::child_name(prefix, "intermediate"), out);
    export_layer(layer.project(), nn::child_name(prefix, "project"), out);
  } else if constexpr (UnrolledLike<L>) {
    if (layer.options().shared_weights()) {
      export_layer(layer.network(0), nn::child_name(prefix, "prox"), out);
    } else {
      for (int i = 0; i < layer.options().iterations(); ++i)
        export_layer(layer.network(static_cast<std::size_t>(i)), nn::child_name(prefix, "iteration" + std::to_string(i)), out);
    }
    out.emplace_back(nn::child_name(prefix, "operator_norm"), torch::tensor(layer.operator_norm(), torch::kFloat64));
  } else if constexpr (SequentialLike<L>) {
    export_sequence(layer, prefix, out, std::make_index_sequence<L::size()>{});
  } else if constexpr (ResidualLike<L>) {
    export_layer(layer.body(), nn::child_name(prefix, "body"), out);
  } else if constexpr (ParallelLike<L>) {
    export_layer(layer.first(), nn::child_name(prefix, "0"), out);
    export_layer(layer.second(), nn::child_name(prefix, "1"), out);
  } else {
    layer.visit_parameters(prefix, [&](const std::string& name, nn::Parameter<B>& p) {
      out.emplace_back(name, exported(p.value));
    });
  }
}

}  // namespace detail

/// The tensors `save_for_pytorch` writes, in order: plain-convolution weights and biases under the eqr
/// layer names (see the file comment for names and shapes).
template <TorchLayer Net>
PytorchStateDict pytorch_state_dict(Net& net) {
  PytorchStateDict out;
  detail::export_layer(net, "", out);
  return out;
}

/// Writes `pytorch_state_dict(net)` to `path` as a pickled `Dict[str, Tensor]` that Python's `torch.load`
/// and C++'s `load_pytorch_state_dict` read; atomic (temporary file + rename). Throws io_error on failure.
template <TorchLayer Net>
void save_for_pytorch(Net& net, const std::filesystem::path& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& [name, tensor] : pytorch_state_dict(net)) {
    EQR_EXPECTS(!dict.contains(name), value_error, "save_for_pytorch: expected unique parameter names, found '", name,
                "' twice");
    dict.insert(name, tensor);
  }
  const std::vector<char> bytes = torch::pickle_save(torch::IValue(dict));
  io::write_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

/// Reads a file written by `save_for_pytorch` (or a `Dict[str, Tensor]` saved by Python's `torch.save`):
/// the tensors by name, in the file's order. Throws io_error if the file cannot be read or is not such a dict.
inline PytorchStateDict load_pytorch_state_dict(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EQR_EXPECTS(in.good(), io_error, "load_pytorch_state_dict: cannot open '", path.string(), "'");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  torch::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    throw io_error(eqr::detail::concat("load_pytorch_state_dict: '", path.string(),
                                       "' is not a pickled PyTorch file: ", e.what_without_backtrace()));
  }
  EQR_EXPECTS(value.isGenericDict(), io_error, "load_pytorch_state_dict: expected a dict of tensors in '",
              path.string(), "', found ", value.tagKind());
  PytorchStateDict out;
  for (const auto& entry : value.toGenericDict()) {
    EQR_EXPECTS(entry.key().isString() && entry.value().isTensor(), io_error, "load_pytorch_state_dict: expected ",
                "string keys and tensor values in '", path.string(), "', found ", entry.key().tagKind(), " -> ",
                entry.value().tagKind());
    out.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return out;
}

}  // namespace eqr::libtorch
