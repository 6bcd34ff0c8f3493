//===- profiler/nvml_loader.h - Clocks and power through NVML ---*- C++ -*-===//
/// \file
/// Samples the GPU's clocks, power, temperature and clock-event (throttle) reasons through NVML,
/// loaded at run time from the driver's libnvidia-ml.so.1 (the CUDA toolkit here ships no NVML
/// header, so the handful of functions used are declared locally, matching nvml.h's C ABI).
/// Without NVML the profile falls back to cudaDeviceProp values and says so (clock_source).
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>

#include "profiler/core/profile.h"

namespace moeplan::profiler {

class NvmlDevice {
 public:
  /// The NVML handle of the GPU at `pci_bus_id` ("0000:3B:00.0"), or null without NVML.
  static std::unique_ptr<NvmlDevice> Open(const std::string& pci_bus_id);

  /// Current clocks, power, temperature and clock-event reasons (zeros for what fails).
  DeviceState Sample() const;

  /// Fills uuid, driver_version, power_limit_w and the maximum clocks where NVML knows them.
  void Describe(DeviceInfo& device) const;

 private:
  explicit NvmlDevice(void* handle) : device_(handle) {}
  void* device_;
};

}  // namespace moeplan::profiler
