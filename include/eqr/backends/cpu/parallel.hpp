/// @file backends/cpu/parallel.hpp
/// Data-parallel loops of the CPU backend over oneTBB: chunked elementwise loops and deterministic sums.
#pragma once

#include "eqr/backends/cpu/detail/intrinsics.hpp"  // first: see the header

#include <algorithm>
#include <concepts>
#include <cstddef>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>

namespace eqr::cpu {

/// Elements per chunk of an elementwise loop: below this a loop runs on the calling thread.
inline constexpr std::size_t elementwise_grain = std::size_t{1} << 15;

/// Calls `body(begin, end)` on disjoint chunks covering [0, n), in parallel when n is large.
template <std::invocable<std::size_t, std::size_t> Body>
void parallel_chunks(std::size_t n, Body&& body) {
  if (n <= elementwise_grain) {
    if (n > 0) body(std::size_t{0}, n);
    return;
  }
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, n, elementwise_grain),
                            [&](const oneapi::tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end()); });
}

/// Σ_{i<n} term(i) accumulated in double. The split into chunks is fixed by n alone
/// (parallel_deterministic_reduce), so the result is the same for every thread count.
template <std::invocable<std::size_t> Term>
double parallel_sum(std::size_t n, Term&& term) {
  auto chunk = [&](std::size_t begin, std::size_t end) {
    double s = 0.0;
    for (std::size_t i = begin; i < end; ++i) s += term(i);
    return s;
  };
  if (n <= elementwise_grain) return chunk(0, n);
  return oneapi::tbb::parallel_deterministic_reduce(
      oneapi::tbb::blocked_range<std::size_t>(0, n, elementwise_grain), 0.0,
      [&](const oneapi::tbb::blocked_range<std::size_t>& r, double s) { return s + chunk(r.begin(), r.end()); },
      [](double a, double b) { return a + b; });
}

}  // namespace eqr::cpu
