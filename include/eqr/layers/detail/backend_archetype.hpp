/// @file layers/detail/backend_archetype.hpp
/// `BackendArchetype`: a concept archetype of `TensorBackend` — every primitive declared, none defined, and
/// nothing more than the concept promises.  Layers, containers and optimisers instantiated with it compile
/// only if they use the backend solely through the concept, which is what lets the LibTorch backend run them
/// unchanged (tests/static/layers_static.cpp).  It also lets compile-time tests include no real backend.
/// Never link code that calls it.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/core/activation.hpp"
#include "eqr/core/padding.hpp"
#include "eqr/core/shape.hpp"

namespace eqr::detail {

/// An opaque tensor handle of the archetype (copyable, nothing else).
struct ArchetypeTensor {};

/// The archetype backend: declarations only (see the file comment).
struct BackendArchetype {
  using scalar_type = float;
  using tensor_type = ArchetypeTensor;
  using ref = std::reference_wrapper<const tensor_type>;

  static Device device();
  static const char* name();
  static Shape4 shape(const tensor_type&);
  static tensor_type zeros(const Shape4&);
  static tensor_type empty(const Shape4&);
  static tensor_type full(const Shape4&, scalar_type);
  static tensor_type from_host(const Shape4&, std::span<const scalar_type>);
  static std::vector<scalar_type> to_host(const tensor_type&);
  static tensor_type clone(const tensor_type&);
  static void synchronize();
  static tensor_type conv2d(const tensor_type&, const tensor_type&, Padding);
  static tensor_type conv2d(const tensor_type&, const tensor_type&, const tensor_type&, Padding);
  static tensor_type conv2d_backward_data(const tensor_type&, const tensor_type&, Padding);
  static tensor_type conv2d_backward_weights(const tensor_type&, const tensor_type&, std::size_t, Padding);
  static tensor_type conv2d_backward_bias(const tensor_type&);
  static void add_bias(tensor_type&, const tensor_type&);
  static tensor_type activation_forward(const tensor_type&, const Activation&);
  static tensor_type activation_backward(const tensor_type&, const tensor_type&, const Activation&);
  static tensor_type add(const tensor_type&, const tensor_type&);
  static tensor_type subtract(const tensor_type&, const tensor_type&);
  static tensor_type multiply(const tensor_type&, const tensor_type&);
  static tensor_type multiply_planes(const tensor_type&, const tensor_type&);
  static void axpy(scalar_type, const tensor_type&, tensor_type&);
  static void scale(tensor_type&, scalar_type);
  static void fill(tensor_type&, scalar_type);
  static tensor_type concat_channels(std::initializer_list<ref>);
  static tensor_type slice_channels(const tensor_type&, std::size_t, std::size_t);
  static std::vector<tensor_type> split_channels(const tensor_type&, std::span<const std::size_t>);
  static void add_to_channels(tensor_type&, std::size_t, const tensor_type&);
  static double sum(const tensor_type&);
  static double dot(const tensor_type&, const tensor_type&);
  static double squared_norm(const tensor_type&);
};

static_assert(TensorBackend<BackendArchetype>, "BackendArchetype must model TensorBackend exactly.");

}  // namespace eqr::detail
