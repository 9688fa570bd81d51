// The LinearOperator conformance suite (tests/support/operator_suite.hpp) for every operator family on the
// CPU backend in float and double: the adjoint test, batch independence, shapes and bad input, agreement of
// float with the double reference, and ‖A‖ against the explicit matrix's SVD.
#include <doctest/doctest.h>

#include "../support/operator_suite.hpp"

namespace {
using eqr::testing::FbpFamily;
using eqr::testing::ImageFamily;
using eqr::testing::MaskedFourierFamily;
using eqr::testing::OperatorCase;
using eqr::testing::RadonFamily;
using CpuF = eqr::cpu::CpuBackend<float>;
using CpuD = eqr::cpu::CpuBackend<double>;
}  // namespace

EQR_OPERATOR_SUITE(OperatorCase<RadonFamily, CpuF>, OperatorCase<RadonFamily, CpuD>, OperatorCase<FbpFamily, CpuF>,
                   OperatorCase<FbpFamily, CpuD>, OperatorCase<MaskedFourierFamily, CpuF>,
                   OperatorCase<MaskedFourierFamily, CpuD>, OperatorCase<ImageFamily, CpuF>,
                   OperatorCase<ImageFamily, CpuD>);
