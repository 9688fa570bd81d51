/// @file tests/support/random_tensor.hpp
/// A seeded test tensor on any backend: entries uniform in [offset − 1, offset + 1).
#pragma once

#include <cstdint>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/random.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::testing {

/// A tensor of shape s whose entries are 2·U[0, 1) − 1 + offset, reproducible from the seed.
template <TensorBackend B>
typename B::tensor_type random_tensor(Shape4 s, std::uint64_t seed, double offset = 0.0) {
  Random rng(seed);
  std::vector<typename B::scalar_type> v(s.numel());
  for (auto& x : v) x = static_cast<typename B::scalar_type>(2.0 * rng.uniform() - 1.0 + offset);
  return B::from_host(s, v);
}

}  // namespace eqr::testing
