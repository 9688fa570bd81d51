// The CPU convolution engine (forward, backward-data, backward-weights, bias) against the slow direct
// reference of tests/support/conv_reference.hpp, against central finite differences in double, and as
// adjoints.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/cpu/conv/im2col_microkernel.hpp"
#include "eqr/backends/cpu/threads.hpp"

#include "../support/conv_reference.hpp"

namespace {

using eqr::Padding;
using eqr::Shape4;

using eqr::testing::suite::DirectConv;
using eqr::testing::suite::random_values;
using eqr::testing::suite::relative_error;
using eqr::testing::suite::tolerance;
using Case = eqr::testing::suite::ConvCase;

// Odd kernel sizes 1, 3, 5; non-square images; N > 1; C_in ≠ C_out; images smaller than the kernel (and
// thinner than its radius, replicate's small-image path); channel counts and widths that are not multiples
// of the microkernel's register block (up to 12 channels × 32 pixels).
const std::vector<Case> cases = {{{2, 3, 7, 10}, 4, 3}, {{1, 2, 6, 5}, 5, 5},   {{3, 4, 5, 9}, 2, 1},
                                 {{1, 1, 1, 1}, 1, 3},  {{2, 2, 3, 4}, 3, 5},   {{1, 5, 9, 6}, 5, 3},
                                 {{1, 7, 4, 37}, 14, 3}, {{2, 13, 3, 33}, 25, 1}, {{1, 3, 4, 5}, 2, 5},
                                 {{2, 2, 2, 7}, 3, 3},   {{1, 2, 1, 6}, 3, 5}};

}  // namespace

// Every inner kernel, float and double (the default kernel is one of the two).
#define EQR_CONV_BACKENDS                                                                                    \
  eqr::cpu::CpuBackend<float, eqr::cpu::Im2colGemm>, eqr::cpu::CpuBackend<double, eqr::cpu::Im2colGemm>,     \
      eqr::cpu::CpuBackend<float, eqr::cpu::Im2colMicrokernel>, eqr::cpu::CpuBackend<double, eqr::cpu::Im2colMicrokernel>

TEST_CASE_TEMPLATE("conv2d forward, backward-data, backward-weights and bias match the direct reference", B,
                   EQR_CONV_BACKENDS) {
  using T = typename B::scalar_type;
  unsigned seed = 1;
  for (const Case& cs : cases) {
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      CAPTURE(eqr::to_string(cs.x));
      CAPTURE(cs.k);
      CAPTURE(std::string(eqr::name(pad)));
      const Shape4 ws{cs.c_out, cs.x.c, cs.k, cs.k};
      const Shape4 ys{cs.x.n, cs.c_out, cs.x.h, cs.x.w};
      const auto xv = random_values<T>(cs.x.numel(), seed++);
      const auto wv = random_values<T>(ws.numel(), seed++);
      const auto bv = random_values<T>(cs.c_out, seed++);
      const auto gv = random_values<T>(ys.numel(), seed++);
      const auto x = B::from_host(cs.x, xv), w = B::from_host(ws, wv), b = B::from_host(eqr::bias_shape(cs.c_out), bv);
      const auto g = B::from_host(ys, gv);
      const DirectConv ref{cs.x, cs.c_out, cs.k, pad};

      const auto y = B::conv2d(x, w, pad);
      CHECK(B::shape(y) == ys);
      CHECK(relative_error(B::to_host(y), ref.forward(xv, wv)) < tolerance<T>());
      CHECK(relative_error(B::to_host(B::conv2d(x, w, b, pad)), ref.forward(xv, wv, bv)) < tolerance<T>());

      const auto dx = B::conv2d_backward_data(g, w, pad);
      CHECK(B::shape(dx) == cs.x);
      CHECK(relative_error(B::to_host(dx), ref.backward_data(gv, wv)) < tolerance<T>());

      const auto dw = B::conv2d_backward_weights(x, g, cs.k, pad);
      CHECK(B::shape(dw) == ws);
      CHECK(relative_error(B::to_host(dw), ref.backward_weights(xv, gv)) < tolerance<T>());

      // db[o] = Σ_{n,i,j} dy[n,o,i,j].
      std::vector<double> db(cs.c_out, 0.0);
      for (std::size_t q = 0; q < gv.size(); ++q) db[(q / ys.plane()) % cs.c_out] += double(gv[q]);
      CHECK(relative_error(B::to_host(B::conv2d_backward_bias(g)), db) < tolerance<T>());
    }
  }
}

TEST_CASE_TEMPLATE("the im2col tiling does not change the result", B, EQR_CONV_BACKENDS) {
  using T = typename B::scalar_type;
  using Kernel = typename B::kernel_type;
  const Shape4 xs{2, 3, 11, 8}, ws{4, 3, 3, 3};
  const auto xv = random_values<T>(xs.numel(), 7), wv = random_values<T>(ws.numel(), 8);
  const auto gv = random_values<T>(xs.n * ws.n * xs.plane(), 9);
  for (Padding pad : {Padding::zeros, Padding::replicate}) {
    const DirectConv ref{xs, ws.n, ws.h, pad};
    const auto y_ref = ref.forward(xv, wv);
    const auto dx_ref = ref.backward_data(gv, wv);
    const auto dw_ref = ref.backward_weights(xv, gv);
    for (std::size_t rows : {1, 2, 3, 4, 11, 50}) {
      CAPTURE(rows);
      std::vector<T> y(y_ref.size()), dx(xs.numel()), dw(ws.numel());
      eqr::cpu::conv2d_forward<Kernel>(xv.data(), xs, wv.data(), ws, static_cast<const T*>(nullptr), pad, y.data(), rows);
      eqr::cpu::conv2d_backward_data<Kernel>(gv.data(), {xs.n, ws.n, xs.h, xs.w}, wv.data(), ws, pad, dx.data(), rows);
      eqr::cpu::conv2d_backward_weights<Kernel>(xv.data(), xs, gv.data(), {xs.n, ws.n, xs.h, xs.w}, 3, pad, dw.data(),
                                                rows);
      CHECK(relative_error(y, y_ref) < tolerance<T>());
      CHECK(relative_error(dx, dx_ref) < tolerance<T>());
      CHECK(relative_error(dw, dw_ref) < tolerance<T>());
    }
  }
}

TEST_CASE_TEMPLATE("backward passes equal central finite differences in double (both paddings, k = 1, 3, 5)", B,
                   eqr::cpu::CpuBackend<double, eqr::cpu::Im2colGemm>,
                   eqr::cpu::CpuBackend<double, eqr::cpu::Im2colMicrokernel>) {
  eqr::testing::suite::check_conv_backward_by_central_differences<B>(
      {Case{{2, 2, 5, 6}, 3, 3}, Case{{1, 3, 4, 7}, 2, 5}, Case{{2, 2, 3, 5}, 2, 1}, Case{{1, 2, 3, 8}, 2, 5},
       Case{{1, 2, 9, 8}, 3, 5}, Case{{1, 2, 6, 1}, 2, 5}});
}

// The hand example of replicate padding's backward rule is in the backend suites (test_backend_cpu runs them
// on the default engine).

TEST_CASE_TEMPLATE("adjoint identities ⟨conv(x, w), y⟩ = ⟨x, bwd_data(y)⟩ = ⟨w, bwd_weights(x, y)⟩", B,
                   EQR_CONV_BACKENDS) {
  using T = typename B::scalar_type;
  const Shape4 xs{2, 6, 13, 9}, ws{5, 6, 3, 3}, ys{2, 5, 13, 9};
  const auto x = B::from_host(xs, random_values<T>(xs.numel(), 21));
  const auto w = B::from_host(ws, random_values<T>(ws.numel(), 22));
  const auto y = B::from_host(ys, random_values<T>(ys.numel(), 23));
  for (Padding pad : {Padding::zeros, Padding::replicate}) {
    const double lhs = B::dot(B::conv2d(x, w, pad), y);
    const double via_data = B::dot(x, B::conv2d_backward_data(y, w, pad));
    const double via_weights = B::dot(w, B::conv2d_backward_weights(x, y, 3, pad));
    const double scale = std::sqrt(B::squared_norm(B::conv2d(x, w, pad)) * B::squared_norm(y));
    CHECK(std::abs(lhs - via_data) <= 10 * tolerance<T>() * scale);
    CHECK(std::abs(lhs - via_weights) <= 10 * tolerance<T>() * scale);
  }
}

TEST_CASE_TEMPLATE("results do not depend on the number of threads (bit for bit)", B,
                   eqr::cpu::CpuBackend<float, eqr::cpu::Im2colGemm>,
                   eqr::cpu::CpuBackend<float, eqr::cpu::Im2colMicrokernel>) {
  // Enough row tiles (3 images × 40 rows) that the weight gradient's reduction really splits.
  const Shape4 xs{3, 8, 40, 24}, ys{3, 6, 40, 24}, ws{6, 8, 3, 3};
  const auto x = B::from_host(xs, random_values<float>(xs.numel(), 31));
  const auto y = B::from_host(ys, random_values<float>(ys.numel(), 32));
  const auto w = B::from_host(ws, random_values<float>(ws.numel(), 33));
  auto run = [&] {
    std::vector<std::vector<float>> out;
    for (Padding pad : {Padding::zeros, Padding::replicate}) {
      out.push_back(B::to_host(B::conv2d(x, w, pad)));
      out.push_back(B::to_host(B::conv2d_backward_data(y, w, pad)));
      out.push_back(B::to_host(B::conv2d_backward_weights(x, y, 3, pad)));
    }
    return out;
  };
  const auto many = run();
  std::vector<std::vector<float>> one;
  {
    const eqr::cpu::ThreadLimit limit(1);
    one = run();
  }
  CHECK(one == many);
}

TEST_CASE("convolution shape errors name both shapes") {
  using B = eqr::cpu::CpuBackend<float>;
  const auto x = B::zeros({2, 3, 5, 5});
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const eqr::shape_error& e) {
      return std::string(e.what());
    }
    return std::string("no shape_error");
  };
  const std::string wrong_cin = message([&] { (void)B::conv2d(x, B::zeros({4, 2, 3, 3}), Padding::zeros); });
  CHECK(wrong_cin.find("2×3×5×5") != std::string::npos);
  CHECK(wrong_cin.find("4×2×3×3") != std::string::npos);
  const std::string even = message([&] { (void)B::conv2d(x, B::zeros({4, 3, 2, 2}), Padding::zeros); });
  CHECK(even.find("4×3×2×2") != std::string::npos);
  CHECK(even.find("odd") != std::string::npos);
  const std::string bias =
      message([&] { (void)B::conv2d(x, B::zeros({4, 3, 3, 3}), B::zeros({1, 3, 1, 1}), Padding::zeros); });
  CHECK(bias.find("1×4×1×1") != std::string::npos);
  CHECK(bias.find("1×3×1×1") != std::string::npos);
  const std::string data = message([&] { (void)B::conv2d_backward_data(x, B::zeros({4, 3, 3, 3}), Padding::zeros); });
  CHECK(data.find("2×3×5×5") != std::string::npos);
  CHECK(data.find("4×3×3×3") != std::string::npos);
  const std::string weights =
      message([&] { (void)B::conv2d_backward_weights(x, B::zeros({2, 4, 5, 6}), 3, Padding::zeros); });
  CHECK(weights.find("2×3×5×5") != std::string::npos);
  CHECK(weights.find("2×4×5×6") != std::string::npos);
  CHECK_THROWS_AS((void)B::conv2d_backward_weights(x, B::zeros({2, 4, 5, 5}), 4, Padding::zeros), eqr::shape_error);
}
