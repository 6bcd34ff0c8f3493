//===- tests/profiler/activity_builder.h - Hand-made activity records -*- C++ -*-===//
/// \file
/// Builds ActivityTraces the way CUPTI fills them (API call -> correlation id -> kernel, with
/// external correlation records for moeplan's ranges), so that grouping and measurement logic
/// is tested without a GPU.
//===----------------------------------------------------------------------===//
#pragma once

#include <string>

#include "profiler/core/activity.h"

namespace moeplan::profiler::testing {

class TraceBuilder {
 public:
  /// Opens a moeplan range of `level` with `label`; returns its external id.
  uint64_t Range(const std::string& label, int level = 0) {
    const uint64_t id = next_external_++;
    trace_.range_labels.push_back({id, label});
    open_[level] = id;
    return id;
  }
  void CloseRange(int level = 0) { open_[level] = 0; }

  /// A launch on `thread` at host time `launch_ns` of a kernel running [start, end].
  uint32_t Kernel(const std::string& name, uint64_t start_ns, uint64_t end_ns, uint32_t thread = 1,
                  uint64_t launch_ns = 0) {
    const uint32_t correlation = Launch(thread, launch_ns == 0 ? start_ns : launch_ns);
    KernelRecord kernel;
    kernel.name = name;
    kernel.correlation_id = correlation;
    kernel.start_ns = start_ns;
    kernel.end_ns = end_ns;
    kernel.grid = {132, 1, 1};
    kernel.block = {256, 1, 1};
    trace_.kernels.push_back(kernel);
    return correlation;
  }

  void Memcpy(uint64_t bytes, uint64_t start_ns, uint64_t end_ns, uint32_t thread = 1) {
    const uint32_t correlation = Launch(thread, start_ns);
    trace_.memcpys.push_back(
        {MemcpyKind::kDeviceToDevice, bytes, correlation, 0, 7, start_ns, end_ns});
  }

  void Marker(uint32_t id, const std::string& name, uint64_t start_ns, uint64_t end_ns,
              uint32_t thread = 1) {
    trace_.markers.push_back({id, name, "", thread, start_ns, end_ns});
  }

  ActivityTrace& trace() { return trace_; }

 private:
  uint32_t Launch(uint32_t thread, uint64_t at_ns) {
    const uint32_t correlation = next_correlation_++;
    trace_.apis.push_back({false, 211, thread, correlation, at_ns, at_ns + 5});
    for (int level = 0; level < 2; ++level) {
      if (open_[level] != 0) {
        trace_.external_correlations.push_back({level, open_[level], correlation});
      }
    }
    return correlation;
  }

  ActivityTrace trace_;
  uint64_t next_external_ = 100;
  uint32_t next_correlation_ = 1;
  uint64_t open_[2] = {0, 0};
};

}  // namespace moeplan::profiler::testing
