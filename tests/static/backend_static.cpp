// static_assert-only checks of the backend concept: the CPU backend models it for float and double;
// other types, and policies that lack a primitive, do not.
#include <vector>

#include "eqr/backends/concepts.hpp"
#include "eqr/backends/cpu/cpu_backend.hpp"

namespace eqr {
namespace {
/// A policy with the right type names but none of the primitives.
struct TypesOnly {
  using scalar_type = float;
  using tensor_type = std::vector<float>;
  static constexpr Device device() { return {}; }
  static constexpr const char* name() { return "types-only"; }
};
/// A convolution algorithm without the weight correlation (so it cannot back the backward pass).
struct ForwardOnlyKernel {
  template <class T>
  static void correlate(const cpu::CorrelationGeometry&, const T*, const T*, const T*, T*) {}
  static constexpr const char* name() { return "forward-only"; }
};
}  // namespace

static_assert(TensorBackend<cpu::CpuBackend<float>>, "CpuBackend<float> models TensorBackend.");
static_assert(TensorBackend<cpu::CpuBackend<double>>, "CpuBackend<double> models TensorBackend.");
static_assert(TensorBackendOf<cpu::CpuBackend<float>, float> && !TensorBackendOf<cpu::CpuBackend<float>, double>,
              "TensorBackendOf ties a backend to its scalar type.");
static_assert(!TensorBackend<int>, "int is not a tensor backend.");
static_assert(!TensorBackend<float>, "a scalar is not a tensor backend.");
static_assert(!TensorBackend<cpu::CpuBackend<float>::tensor_type>, "a tensor is not a tensor backend.");
static_assert(!TensorBackend<TypesOnly>, "a policy without the primitives is not a tensor backend.");
static_assert(cpu::ConvKernel<cpu::Im2colGemm> && cpu::ConvKernel<cpu::Im2colMicrokernel> &&
                  cpu::ConvKernel<cpu::DefaultConvKernel>,
              "both im2col engines are convolution kernels, and the default is one of them.");
static_assert(TensorBackend<cpu::CpuBackend<float, cpu::Im2colGemm>> &&
                  TensorBackend<cpu::CpuBackend<double, cpu::Im2colMicrokernel>>,
              "the CPU backend models TensorBackend with every kernel.");
static_assert(!cpu::ConvKernel<ForwardOnlyKernel>, "a kernel needs the weight correlation too.");
static_assert(!cpu::ConvKernel<int>, "int is not a convolution kernel.");
static_assert(Real<float> && Real<double> && !Real<int> && !Real<long double>,
              "the CPU backend computes in float or double.");
static_assert(cpu::CpuBackend<float>::device() == Device{DeviceKind::cpu, 0}, "the CPU backend lives on the host.");
static_assert(Shape4{2, 3, 4, 5}.numel() == 120 && bias_shape(7) == Shape4{1, 7, 1, 1});
static_assert(clamp_index(-2, 5) == 0 && clamp_index(5, 5) == 4 && clamp_index(3, 5) == 3,
              "replicate padding clamps to the border pixel.");
}  // namespace eqr
