// The LibTorch backend on the CPU: the backend conformance suites of tests/support/backend_suite.hpp for
// TorchBackend<float> and TorchBackend<double> (the same cases the CPU backend passes), and agreement of
// every primitive with CpuBackend on the same inputs.
#include "../support/torch_doctest.hpp"

#include <string>
#include <vector>

#include "eqr/backends/cpu/cpu_backend.hpp"
#include "eqr/backends/torch/torch_backend.hpp"
#include "../support/backend_suite.hpp"

using TorchF = eqr::libtorch::TorchBackend<float>;
using TorchD = eqr::libtorch::TorchBackend<double>;

EQR_BACKEND_SUITES(TorchF, TorchD);
EQR_BACKEND_SUITES_DOUBLE(TorchD);

TEST_CASE("torch backend: dtype, device, name, contiguous 4-d tensors") {
  CHECK(TorchF::device() == eqr::Device{eqr::DeviceKind::cpu, 0});
  CHECK(std::string(TorchF::name()) == "torch-cpu");
  CHECK(std::string(eqr::libtorch::TorchBackend<float, eqr::DeviceKind::cuda>::name()) == "torch-cuda");
  CHECK(eqr::libtorch::TorchBackend<float, eqr::DeviceKind::cuda>::device() == eqr::Device{eqr::DeviceKind::cuda, 0});
  const auto t = TorchF::zeros({2, 3, 4, 5});
  CHECK((t.scalar_type() == torch::kFloat32));
  CHECK((TorchD::zeros({1, 1, 1, 1}).scalar_type() == torch::kFloat64));
  CHECK(t.is_contiguous());
  CHECK(t.device().is_cpu());
  CHECK_FALSE(t.requires_grad());
  CHECK(TorchF::slice_channels(t, 1, 1).is_contiguous());
  CHECK_THROWS_AS((void)TorchF::shape(torch::zeros({2, 3})), eqr::shape_error);
  // Operands of another dtype are refused, naming both dtypes (LibTorch would silently promote them).
  try {
    (void)TorchF::add(t, torch::zeros({2, 3, 4, 5}, torch::kFloat64));
    FAIL("no value_error");
  } catch (const eqr::value_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("Float") != std::string::npos);
    CHECK(msg.find("Double") != std::string::npos);
  }
  CHECK_THROWS_AS((void)TorchD::sum(t), eqr::value_error);
}
