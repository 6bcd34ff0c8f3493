//===- profiler/device_info.h - Which GPU, and can it be profiled -*- C++ -*-===//
/// \file
/// Finds the GPU and describes it for the profile: name, compute capability, SMs, memory, L2,
/// clocks, ECC, power limit, driver/runtime/CUPTI/cuBLAS versions. Errors are the user's to fix
/// and say so: no driver, no device, a device too old for BF16 tensor cores.
//===----------------------------------------------------------------------===//
#pragma once

#include "laws/support/result.h"
#include "profiler/core/profile.h"

namespace moeplan::profiler {

/// The number of CUDA devices (>= 1), or why there is none:
/// "no usable CUDA device: cudaGetDeviceCount: CUDA driver version is insufficient ...".
[[nodiscard]] Result<int> CountDevices();

/// Describes device `ordinal` (makes it current). NVML fills live clocks and power when present.
[[nodiscard]] Result<DeviceInfo> DescribeDevice(int ordinal, int cupti_version);

/// Error unless the device can run the profile: compute capability >= 8.0 (BF16 tensor cores).
[[nodiscard]] Status CheckSupported(const DeviceInfo& device);

}  // namespace moeplan::profiler
