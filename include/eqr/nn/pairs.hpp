/// @file nn/pairs.hpp
/// Supervised training data: a training pair (a model's input and the wanted output), the `PairSource`
/// concept of a set of pairs that the training loop (algorithms/training.hpp) draws from, and `PairList`,
/// its simplest model. Datasets (data/datasets.hpp) produce them; nothing here depends on how.
#pragma once

#include <concepts>
#include <cstddef>
#include <vector>

#include "eqr/backends/concepts.hpp"

namespace eqr::nn {

/// One training pair: the model's input (measurements, batch of 1) and the wanted output (ground truth).
template <TensorBackend B>
struct TrainingPair {
  typename B::tensor_type input;
  typename B::tensor_type target;
};

/// A set of training pairs on backend B: `size()` ≥ 1 and `pair(i)` for i < size() (computed on the fly or
/// stored; the same i must always give the same pair).
template <class S, class B>
concept PairSource = TensorBackend<B> && requires(const S& s, std::size_t i) {
  { s.size() } -> std::convertible_to<std::size_t>;
  { s.pair(i) } -> std::convertible_to<TrainingPair<B>>;
};

/// A set of stored pairs (the simplest PairSource).
template <TensorBackend B>
struct PairList {
  std::vector<TrainingPair<B>> pairs;
  [[nodiscard]] std::size_t size() const { return pairs.size(); }
  [[nodiscard]] const TrainingPair<B>& pair(std::size_t i) const { return pairs.at(i); }
};

}  // namespace eqr::nn
