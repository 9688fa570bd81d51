// The CPU backend against the backend conformance suites of tests/support/backend_suite.hpp (allocation,
// elementwise ops and activations with finite differences in double, channels, bias, reductions, the
// convolution passes against a direct reference), plus the CPU-only cases: xtensor element layout, the
// device, and channel copies and bias split across parallel chunks.
#include <doctest/doctest.h>

#include <numeric>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "../support/backend_suite.hpp"

EQR_BACKEND_SUITES(eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>);
EQR_BACKEND_SUITES_DOUBLE(eqr::cpu::CpuBackend<double>);

namespace {

using eqr::Shape4;
using eqr::testing::suite::iota_values;

}  // namespace

TEST_CASE_TEMPLATE("xtensor layout is row-major N × C × H × W and the device is the CPU", B,
                   eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
  using T = typename B::scalar_type;
  const auto v = iota_values<T>(120);
  const auto t = B::from_host({2, 3, 4, 5}, v);
  // Element (n, c, i, j) sits at ((n·C + c)·H + i)·W + j.
  CHECK(t(1, 2, 3, 4) == v.back());
  CHECK(t(1, 0, 2, 1) == v[((1 * 3 + 0) * 4 + 2) * 5 + 1]);
  CHECK(B::device() == eqr::Device{eqr::DeviceKind::cpu, 0});
  CHECK(std::string(B::name()) == "cpu");
}

TEST_CASE_TEMPLATE("channel copies and bias above the parallel grain keep every element in place", B,
                   eqr::cpu::CpuBackend<float>, eqr::cpu::CpuBackend<double>) {
  using T = typename B::scalar_type;
  const Shape4 sa{3, 3, 100, 70}, sb{3, 2, 100, 70};  // 63000 and 42000 elements, chunks cross image borders
  const auto a = B::from_host(sa, iota_values<T>(sa.numel(), T(0)));
  const auto b = B::from_host(sb, iota_values<T>(sb.numel(), T(-1e6)));
  const auto c = B::concat_channels({a, b});
  const auto v = B::to_host(c);
  bool ok = true;
  for (std::size_t n = 0; n < 3; ++n)
    for (std::size_t ch = 0; ch < 5; ++ch)
      for (std::size_t q = 0; q < sa.plane(); ++q) {
        const T expected = ch < 3 ? T((n * 3 + ch) * sa.plane() + q) : T(-1e6) + T((n * 2 + ch - 3) * sa.plane() + q);
        ok = ok && v[(n * 5 + ch) * sa.plane() + q] == expected;
      }
  CHECK(ok);
  CHECK(B::to_host(B::slice_channels(c, 3, 2)) == B::to_host(b));
  auto y = B::zeros({3, 5, 100, 70});
  B::add_bias(y, B::from_host(eqr::bias_shape(5), std::vector<T>{1, 2, 3, 4, 5}));
  const auto yv = B::to_host(y);
  bool bias_ok = true;
  for (std::size_t i = 0; i < yv.size(); ++i) bias_ok = bias_ok && yv[i] == T((i / sa.plane()) % 5 + 1);
  CHECK(bias_ok);
}
