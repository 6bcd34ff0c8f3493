//===- profiler/core/activity.h - GPU activity records, CUDA-free -*- C++ -*-===//
/// \file
/// moeplan's own copies of the CUPTI Activity API records it uses (CUPTI User's Guide,
/// "Activity API"): kernels, memory copies and sets, synchronisations, CUPTI's own overhead,
/// runtime/driver API calls, external correlations, NVTX markers and devices. The CUDA side
/// (profiler/cupti_session.cc) converts CUPTI's versioned structs into these; everything after
/// that (grouping, statistics, JSON) is plain C++ and is unit-tested without a GPU on records
/// built by hand.
///
/// Times are GPU or CUPTI timestamps in nanoseconds (one clock for a whole trace). A kernel is
/// tied to the API call that launched it by `correlation_id`; an API call is tied to moeplan's
/// ranges by external correlation records (`ExternalCorrelation`): level 0 marks one repetition
/// of an op, level 1 one part of a composite op (the router inside a whole MoE layer).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moeplan::profiler {

/// One kernel execution (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL).
struct KernelRecord {
  std::string name;  ///< mangled as CUPTI reports it
  uint32_t correlation_id = 0;
  uint32_t device_id = 0;
  uint32_t stream_id = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  std::array<int32_t, 3> grid = {1, 1, 1};
  std::array<int32_t, 3> block = {1, 1, 1};
  int32_t registers_per_thread = 0;
  int32_t shared_memory_bytes = 0;  ///< static + dynamic
};

enum class MemcpyKind {
  kUnknown,
  kHostToDevice,
  kDeviceToHost,
  kDeviceToDevice,
  kHostToHost,
  kPeer
};
const char* ToString(MemcpyKind kind);
MemcpyKind ParseMemcpyKind(std::string_view text);  ///< unknown text -> kUnknown

/// One memory copy (CUPTI_ACTIVITY_KIND_MEMCPY).
struct MemcpyRecord {
  MemcpyKind kind = MemcpyKind::kUnknown;
  uint64_t bytes = 0;
  uint32_t correlation_id = 0;
  uint32_t device_id = 0;
  uint32_t stream_id = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

/// One memset (CUPTI_ACTIVITY_KIND_MEMSET).
struct MemsetRecord {
  uint64_t bytes = 0;
  uint32_t correlation_id = 0;
  uint32_t device_id = 0;
  uint32_t stream_id = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

/// A host wait on the device (CUPTI_ACTIVITY_KIND_SYNCHRONIZATION): stream, event, context.
struct SyncRecord {
  std::string type;  ///< "stream", "event", "context", "stream_wait_event", "unknown"
  uint32_t correlation_id = 0;
  uint32_t stream_id = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

/// Time CUPTI itself spent (CUPTI_ACTIVITY_KIND_OVERHEAD), e.g. buffer flushes.
struct OverheadRecord {
  std::string kind;  ///< "cupti_buffer_flush", "driver_compiler", ...
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

/// A CUDA runtime or driver API call (CUPTI_ACTIVITY_KIND_RUNTIME / _DRIVER).
struct ApiRecord {
  bool is_driver = false;
  uint32_t callback_id = 0;  ///< CUPTI cbid of the function
  uint32_t thread_id = 0;
  uint32_t correlation_id = 0;
  uint64_t start_ns = 0;  ///< host CPU time on CUPTI's clock
  uint64_t end_ns = 0;
};

/// Ties a CUPTI correlation id to one of moeplan's ranges
/// (CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION).
struct ExternalCorrelation {
  int level = 0;  ///< 0: CUSTOM0 (op repetition); 1: CUSTOM1 (part of a composite op)
  uint64_t external_id = 0;
  uint32_t correlation_id = 0;
};

/// The label a tracer gave an external id when it opened the range.
struct RangeLabel {
  uint64_t external_id = 0;
  std::string name;
};

/// An NVTX push/pop or start/end range (CUPTI_ACTIVITY_KIND_MARKER start and end records).
struct MarkerRange {
  uint32_t id = 0;
  std::string name;
  std::string domain;
  uint32_t thread_id = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;  ///< 0 while the range is still open
};

/// A device as CUPTI describes it (CUPTI_ACTIVITY_KIND_DEVICE).
struct DeviceRecord {
  uint32_t id = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  int sm_count = 0;
  uint64_t memory_bytes = 0;
  uint64_t memory_bandwidth_bytes_per_s = 0;
  uint64_t core_clock_hz = 0;
  uint64_t l2_bytes = 0;
};

/// Everything one tracing session recorded, in arrival order.
struct ActivityTrace {
  std::vector<KernelRecord> kernels;
  std::vector<MemcpyRecord> memcpys;
  std::vector<MemsetRecord> memsets;
  std::vector<SyncRecord> syncs;
  std::vector<OverheadRecord> overheads;
  std::vector<ApiRecord> apis;
  std::vector<ExternalCorrelation> external_correlations;
  std::vector<RangeLabel> range_labels;
  std::vector<MarkerRange> markers;
  std::vector<DeviceRecord> devices;
  uint64_t dropped_records = 0;  ///< records CUPTI could not store (buffers full)

  void Clear() { *this = ActivityTrace(); }
  /// Appends `other` (used when buffers are collected in pieces).
  void Append(ActivityTrace&& other);
};

}  // namespace moeplan::profiler
