//===- profiler/device_info.cc - Which GPU, and can it be profiled --------===//
#include "profiler/device_info.h"

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "profiler/nvml_loader.h"

namespace moeplan::profiler {
namespace {

int Attribute(cudaDeviceAttr attribute, int ordinal) {
  int value = 0;
  if (cudaDeviceGetAttribute(&value, attribute, ordinal) != cudaSuccess) return 0;
  return value;
}

}  // namespace

Result<int> CountDevices() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();
    std::string message =
        std::string("no usable CUDA device: cudaGetDeviceCount: ") + cudaGetErrorString(error);
    if (error == cudaErrorInsufficientDriver) {
      int runtime = 0;
      cudaRuntimeGetVersion(&runtime);
      message += " (no NVIDIA driver on this machine, or one older than CUDA " +
                 std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10) +
                 " needs)";
    }
    return Error{message};
  }
  if (count == 0) return Error{"no usable CUDA device: cudaGetDeviceCount found none"};
  return count;
}

Result<DeviceInfo> DescribeDevice(int ordinal, int cupti_version) {
  cudaDeviceProp props{};
  if (cudaError_t error = cudaGetDeviceProperties(&props, ordinal)) {
    return Error{"device " + std::to_string(ordinal) +
                 ": cudaGetDeviceProperties: " + cudaGetErrorString(error)};
  }
  if (cudaError_t error = cudaSetDevice(ordinal)) {
    return Error{"device " + std::to_string(ordinal) +
                 ": cudaSetDevice: " + cudaGetErrorString(error)};
  }
  DeviceInfo device;
  device.name = props.name;
  device.compute_major = props.major;
  device.compute_minor = props.minor;
  device.sm_count = props.multiProcessorCount;
  device.memory_bytes = static_cast<int64_t>(props.totalGlobalMem);
  device.l2_bytes = props.l2CacheSize;
  device.memory_bus_width_bits = props.memoryBusWidth;
  device.ecc_enabled = props.ECCEnabled != 0;
  device.sm_clock_max_hz = int64_t{Attribute(cudaDevAttrClockRate, ordinal)} * 1000;
  device.memory_clock_max_hz = int64_t{Attribute(cudaDevAttrMemoryClockRate, ordinal)} * 1000;
  char bus_id[32] = {};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), ordinal) == cudaSuccess) {
    device.pci_bus_id = bus_id;
  }
  cudaDriverGetVersion(&device.cuda_driver_version);
  cudaRuntimeGetVersion(&device.cuda_runtime_version);
  device.driver_version = "cuda " + std::to_string(device.cuda_driver_version);
  device.cupti_version = cupti_version;
  device.cublas_version = static_cast<int>(cublasLtGetVersion());
  device.clock_source = "cuda_device_prop";
  if (std::unique_ptr<NvmlDevice> nvml = NvmlDevice::Open(device.pci_bus_id)) {
    nvml->Describe(device);
  }
  // DDR: two transfers per memory clock.
  device.memory_bandwidth_bytes_per_s =
      2.0 * static_cast<double>(device.memory_clock_max_hz) * device.memory_bus_width_bits / 8.0;
  return device;
}

Status CheckSupported(const DeviceInfo& device) {
  if (device.compute_major < 8) {
    return Error{"unsupported device '" + device.name + "': compute capability " +
                 std::to_string(device.compute_major) + "." + std::to_string(device.compute_minor) +
                 ", moeplan profile needs 8.0 or newer (BF16 tensor cores)"};
  }
  return Status::Ok();
}

}  // namespace moeplan::profiler
