//===- profiler/core/profile.h - A measured hardware profile ----*- C++ -*-===//
/// \file
/// The in-memory form of a `moeplan-profile` file (docs/profile-format.md): the device and its
/// state, the run's settings, and one `Measurement` per `BenchCase` with the GPU time per
/// repetition (from CUPTI's kernel records), the kernels seen, the work done and the achieved
/// rates. `calibration/` reads these to fit hwmodel's efficiency parameters.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profiler/core/bench_case.h"
#include "profiler/core/statistics.h"

namespace moeplan::profiler {

/// The GPU that was measured (cudaDeviceProp and NVML, or CUPTI's device record for traces).
struct DeviceInfo {
  std::string name;
  std::string uuid;  ///< "GPU-..." or ""
  std::string pci_bus_id;
  int compute_major = 0;
  int compute_minor = 0;
  int sm_count = 0;
  int64_t memory_bytes = 0;
  int64_t l2_bytes = 0;
  int memory_bus_width_bits = 0;
  int64_t sm_clock_max_hz = 0;              ///< 0 when unknown
  int64_t memory_clock_max_hz = 0;          ///< 0 when unknown
  double memory_bandwidth_bytes_per_s = 0;  ///< theoretical peak, 0 when unknown
  bool ecc_enabled = false;
  double power_limit_w = 0;      ///< 0 when unknown (no NVML)
  std::string driver_version;    ///< "580.65.06" (NVML) or the CUDA driver API version
  int cuda_driver_version = 0;   ///< cudaDriverGetVersion, e.g. 13000
  int cuda_runtime_version = 0;  ///< cudaRuntimeGetVersion
  int cupti_version = 0;         ///< cuptiGetVersion
  int cublas_version = 0;
  int cudnn_version = 0;     ///< 0: not used
  std::string clock_source;  ///< "nvml" or "cuda_device_prop" (no live clocks)
};

/// Clocks, power and temperature sampled around a measurement (NVML); zeros when unknown.
struct DeviceState {
  int64_t sm_clock_hz = 0;
  int64_t memory_clock_hz = 0;
  double power_w = 0;
  int temperature_c = 0;
  uint64_t throttle_reasons = 0;  ///< NVML clocks-event reason bits
};

/// One kernel (by name and launch shape) as seen across the repetitions of a measurement.
struct KernelSummary {
  std::string name;
  std::array<int32_t, 3> grid = {1, 1, 1};
  std::array<int32_t, 3> block = {1, 1, 1};
  double calls_per_repetition = 0;
  SampleStats duration_s;
};

/// One part of a composite op (moe_layer) timed inside it.
struct PartTiming {
  std::string name;  ///< the part's label, e.g. "router forward"
  SampleStats time_s;
};

struct Measurement {
  BenchCase bench_case;
  double flops = 0;
  double bytes = 0;
  SampleStats time_s;  ///< GPU busy time per repetition (union of kernel/copy intervals)
  SampleStats span_s;  ///< first start to last end per repetition (includes launch gaps)
  double achieved_flops_per_s = 0;  ///< flops / time_s.median
  double achieved_bytes_per_s = 0;  ///< bytes / time_s.median
  int attempts = 1;                 ///< measurement rounds run (re-measured when unstable)
  bool stable = true;               ///< relative spread within the run's limit
  std::vector<KernelSummary> kernels;
  std::vector<PartTiming> parts;
  std::optional<DeviceState> state_before;
  std::optional<DeviceState> state_after;
};

/// An op or case that was not measured, and why.
struct SkippedCase {
  std::string what;  ///< an op name or a case label
  std::string reason;
};

/// How the run measured (written so a profile can be reproduced and judged).
struct RunSettings {
  std::string mode;  ///< "quick", "full" or "trace"
  std::vector<std::string> ops;
  int warmup = 0;
  int repetitions = 0;
  int max_attempts = 0;
  double max_relative_spread = 0;
  double outlier_threshold = 0;
  int64_t l2_flush_bytes = 0;
};

struct Profile {
  std::string tool;         ///< "moeplan 0.1.0"
  std::string created_utc;  ///< ISO 8601, "2026-03-01T12:00:00Z"
  DeviceInfo device;
  RunSettings settings;
  std::vector<Measurement> measurements;
  std::vector<SkippedCase> skipped;
  std::vector<std::string> notes;
};

}  // namespace moeplan::profiler
