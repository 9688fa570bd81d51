/// @file apps/eqr/models/backend_names.hpp
/// The names of the tensor backends the tool can run on this build and machine (defined in models/model.cpp).
#pragma once

#include <string>
#include <vector>

namespace eqr::experiments {

/// The backends of this build and machine, in order: "cpu"; "torch-cpu" when built with LibTorch (its plugin
/// loads); "torch-cuda" when, in addition, LibTorch sees a CUDA device.
[[nodiscard]] std::vector<std::string> available_backends();

/// Throws value_error unless `backend` is one of `available_backends()`, naming them and, for a LibTorch
/// backend, why it is missing.
void expect_available_backend(const std::string& backend);

}  // namespace eqr::experiments
