/// @file operators/any_operator.hpp
/// `AnyLinearOperator<B>`: a linear operator of backend B whose concrete type is chosen at run time — a
/// scanner geometry read from a file, a problem named on the command line — behind one value type, so the
/// code that uses it (a learned method, a classical solver, a data pipeline) is compiled once instead of
/// once per operator type. One virtual call per apply or adjoint, which is nothing next to the operator's
/// own work.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "eqr/backends/concepts.hpp"
#include "eqr/config.hpp"
#include "eqr/core/shape.hpp"
#include "eqr/operators/concepts.hpp"

namespace eqr {

/// A type-erased `LinearOperator` on backend B: holds any operator `Op` with `Op::backend == B` (shared, so
/// copies are cheap and see the same operator). Models `LinearOperator` itself.
template <TensorBackend B>
class AnyLinearOperator {
 public:
  using backend = B;
  using tensor_type = typename B::tensor_type;

  /// Wraps a copy of `op`.
  template <LinearOperator Op>
    requires(!std::same_as<std::remove_cvref_t<Op>, AnyLinearOperator>)
  AnyLinearOperator(Op op)  // NOLINT(google-explicit-constructor): an operator *is* an AnyLinearOperator
      : self_(std::make_shared<const Model<Op>>(std::move(op))) {
    static_assert(std::same_as<typename Op::backend, B>,
                  "AnyLinearOperator<B> holds operators of backend B only: the wrapped operator runs on another backend.");
  }

  [[nodiscard]] Shape4 domain_shape(std::size_t n) const { return self_->domain_shape(n); }
  [[nodiscard]] Shape4 range_shape(std::size_t n) const { return self_->range_shape(n); }
  [[nodiscard]] tensor_type apply(const tensor_type& x) const { return self_->apply(x); }
  [[nodiscard]] tensor_type adjoint(const tensor_type& y) const { return self_->adjoint(y); }

  /// The wrapped operator if it is an `Op`, else nullptr.
  template <LinearOperator Op>
  [[nodiscard]] const Op* target() const {
    const auto* model = dynamic_cast<const Model<Op>*>(self_.get());
    return model == nullptr ? nullptr : &model->op;
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual Shape4 domain_shape(std::size_t n) const = 0;
    virtual Shape4 range_shape(std::size_t n) const = 0;
    virtual tensor_type apply(const tensor_type& x) const = 0;
    virtual tensor_type adjoint(const tensor_type& y) const = 0;
  };
  template <class Op>
  struct Model final : Concept {
    explicit Model(Op o) : op(std::move(o)) {}
    Shape4 domain_shape(std::size_t n) const override { return op.domain_shape(n); }
    Shape4 range_shape(std::size_t n) const override { return op.range_shape(n); }
    tensor_type apply(const tensor_type& x) const override { return op.apply(x); }
    tensor_type adjoint(const tensor_type& y) const override { return op.adjoint(y); }
    Op op;
  };

  std::shared_ptr<const Concept> self_;
};

}  // namespace eqr
