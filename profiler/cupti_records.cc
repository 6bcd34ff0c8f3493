//===- profiler/cupti_records.cc - CUPTI buffers -> moeplan records -------===//
#include "profiler/cupti_records.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace moeplan::profiler {
namespace {

constexpr size_t kBufferBytes = size_t{8} << 20;
constexpr size_t kBufferAlignment = 8;

// What the callbacks fill; guarded by `mutex`.
struct Collector {
  std::mutex mutex;
  const CuptiApi* cupti = nullptr;
  ActivityTrace trace;
  std::unordered_map<uint32_t, MarkerRange> open_markers;
  std::vector<CUpti_ActivityKind> enabled;
  bool callbacks_registered = false;
};

Collector& TheCollector() {
  static Collector* collector = new Collector();  // outlives atexit handlers
  return *collector;
}

std::string Text(const char* text) {
  return text != nullptr ? text : "";
}

MemcpyKind ToMemcpyKind(uint8_t kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD:
      return MemcpyKind::kHostToDevice;
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH:
      return MemcpyKind::kDeviceToHost;
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD:
      return MemcpyKind::kDeviceToDevice;
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH:
      return MemcpyKind::kHostToHost;
    case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP:
      return MemcpyKind::kPeer;
    default:
      return MemcpyKind::kUnknown;
  }
}

const char* SyncTypeName(CUpti_ActivitySynchronizationType type) {
  switch (type) {
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_EVENT_SYNCHRONIZE:
      return "event";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT:
      return "stream_wait_event";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE:
      return "stream";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE:
      return "context";
    default:
      return "unknown";
  }
}

const char* OverheadName(CUpti_ActivityOverheadKind kind) {
  switch (static_cast<int>(kind)) {
    case CUPTI_ACTIVITY_OVERHEAD_DRIVER_COMPILER:
      return "driver_compiler";
    case CUPTI_ACTIVITY_OVERHEAD_CUPTI_BUFFER_FLUSH:
      return "cupti_buffer_flush";
    case CUPTI_ACTIVITY_OVERHEAD_CUPTI_INSTRUMENTATION:
      return "cupti_instrumentation";
    case CUPTI_ACTIVITY_OVERHEAD_CUPTI_RESOURCE:
      return "cupti_resource";
    default:
      return "other";
  }
}

void AddKernel(const CUpti_ActivityKernel9& k, ActivityTrace& trace) {
  KernelRecord record;
  record.name = Text(k.name);
  record.correlation_id = k.correlationId;
  record.device_id = k.deviceId;
  record.stream_id = k.streamId;
  record.start_ns = k.start;
  record.end_ns = k.end;
  record.grid = {k.gridX, k.gridY, k.gridZ};
  record.block = {k.blockX, k.blockY, k.blockZ};
  record.registers_per_thread = k.registersPerThread;
  record.shared_memory_bytes = k.staticSharedMemory + k.dynamicSharedMemory;
  trace.kernels.push_back(std::move(record));
}

void AddMarker(const CUpti_ActivityMarker2& m, Collector& collector) {
  if ((m.flags & CUPTI_ACTIVITY_FLAG_MARKER_START) != 0) {
    MarkerRange range;
    range.id = m.id;
    range.name = Text(m.name);
    range.domain = Text(m.domain);
    range.thread_id = m.objectId.pt.threadId;
    range.start_ns = m.timestamp;
    collector.open_markers[m.id] = std::move(range);
  } else if ((m.flags & CUPTI_ACTIVITY_FLAG_MARKER_END) != 0) {
    const auto open = collector.open_markers.find(m.id);
    if (open == collector.open_markers.end()) return;
    open->second.end_ns = m.timestamp;
    collector.trace.markers.push_back(std::move(open->second));
    collector.open_markers.erase(open);
  }
}

void AddRecord(const CUpti_Activity& record, Collector& collector) {
  ActivityTrace& trace = collector.trace;
  switch (record.kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      AddKernel(reinterpret_cast<const CUpti_ActivityKernel9&>(record), trace);
      break;
    case CUPTI_ACTIVITY_KIND_MEMCPY: {
      const auto& m = reinterpret_cast<const CUpti_ActivityMemcpy5&>(record);
      trace.memcpys.push_back({ToMemcpyKind(m.copyKind), m.bytes, m.correlationId, m.deviceId,
                               m.streamId, m.start, m.end});
      break;
    }
    case CUPTI_ACTIVITY_KIND_MEMSET: {
      const auto& m = reinterpret_cast<const CUpti_ActivityMemset4&>(record);
      trace.memsets.push_back({m.bytes, m.correlationId, m.deviceId, m.streamId, m.start, m.end});
      break;
    }
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: {
      const auto& s = reinterpret_cast<const CUpti_ActivitySynchronization&>(record);
      trace.syncs.push_back({SyncTypeName(s.type), s.correlationId, s.streamId, s.start, s.end});
      break;
    }
    case CUPTI_ACTIVITY_KIND_OVERHEAD: {
      const auto& o = reinterpret_cast<const CUpti_ActivityOverhead&>(record);
      trace.overheads.push_back({OverheadName(o.overheadKind), o.start, o.end});
      break;
    }
    case CUPTI_ACTIVITY_KIND_RUNTIME:
    case CUPTI_ACTIVITY_KIND_DRIVER: {
      const auto& a = reinterpret_cast<const CUpti_ActivityAPI&>(record);
      trace.apis.push_back({record.kind == CUPTI_ACTIVITY_KIND_DRIVER, a.cbid, a.threadId,
                            a.correlationId, a.start, a.end});
      break;
    }
    case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
      const auto& e = reinterpret_cast<const CUpti_ActivityExternalCorrelation&>(record);
      if (e.externalKind == CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0) {
        trace.external_correlations.push_back({0, e.externalId, e.correlationId});
      } else if (e.externalKind == CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM1) {
        trace.external_correlations.push_back({1, e.externalId, e.correlationId});
      }
      break;
    }
    case CUPTI_ACTIVITY_KIND_MARKER:
      AddMarker(reinterpret_cast<const CUpti_ActivityMarker2&>(record), collector);
      break;
    case CUPTI_ACTIVITY_KIND_DEVICE: {
      const auto& d = reinterpret_cast<const CUpti_ActivityDevice4&>(record);
      DeviceRecord device;
      device.id = d.id;
      device.name = Text(d.name);
      device.compute_major = static_cast<int>(d.computeCapabilityMajor);
      device.compute_minor = static_cast<int>(d.computeCapabilityMinor);
      device.sm_count = static_cast<int>(d.numMultiprocessors);
      device.memory_bytes = d.globalMemorySize;
      device.memory_bandwidth_bytes_per_s = d.globalMemoryBandwidth * 1000;  // kB/s -> B/s
      device.core_clock_hz = uint64_t{d.coreClockRate} * 1000;               // kHz -> Hz
      device.l2_bytes = d.l2CacheSize;
      trace.devices.push_back(std::move(device));
      break;
    }
    default:
      break;
  }
}

void CUPTIAPI BufferRequested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kBufferAlignment, kBufferBytes));
  *size = *buffer != nullptr ? kBufferBytes : 0;
  *max_records = 0;  // as many as fit
}

void CUPTIAPI BufferCompleted(CUcontext context, uint32_t stream_id, uint8_t* buffer, size_t,
                              size_t valid_size) {
  Collector& collector = TheCollector();
  {
    std::lock_guard<std::mutex> lock(collector.mutex);
    const CuptiApi& cupti = *collector.cupti;
    CUpti_Activity* record = nullptr;
    while (cupti.ActivityGetNextRecord(buffer, valid_size, &record) == CUPTI_SUCCESS) {
      AddRecord(*record, collector);
    }
    size_t dropped = 0;
    if (cupti.ActivityGetNumDroppedRecords(context, stream_id, &dropped) == CUPTI_SUCCESS) {
      collector.trace.dropped_records += dropped;
    }
  }
  std::free(buffer);
}

}  // namespace

Status StartCollecting(const CuptiApi& cupti, const CollectorOptions& options) {
  Collector& collector = TheCollector();
  std::lock_guard<std::mutex> lock(collector.mutex);
  collector.cupti = &cupti;
  if (!collector.callbacks_registered) {
    if (Status status =
            cupti.Check(cupti.ActivityRegisterCallbacks(&BufferRequested, &BufferCompleted),
                        "cuptiActivityRegisterCallbacks");
        !status.ok()) {
      return status;
    }
    collector.callbacks_registered = true;
  }
  std::vector<CUpti_ActivityKind> kinds = {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
                                           CUPTI_ACTIVITY_KIND_MEMCPY,
                                           CUPTI_ACTIVITY_KIND_MEMSET,
                                           CUPTI_ACTIVITY_KIND_SYNCHRONIZATION,
                                           CUPTI_ACTIVITY_KIND_OVERHEAD,
                                           CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION};
  if (options.api_records) {
    kinds.push_back(CUPTI_ACTIVITY_KIND_RUNTIME);
    kinds.push_back(CUPTI_ACTIVITY_KIND_DRIVER);
  }
  if (options.markers) kinds.push_back(CUPTI_ACTIVITY_KIND_MARKER);
  if (options.devices) kinds.push_back(CUPTI_ACTIVITY_KIND_DEVICE);
  for (CUpti_ActivityKind kind : kinds) {
    const CUptiResult result = cupti.ActivityEnable(kind);
    if (result == CUPTI_SUCCESS) {
      collector.enabled.push_back(kind);
      continue;
    }
    // Only kernels are indispensable; the rest enrich the trace.
    if (kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL ||
        kind == CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION) {
      return cupti.Check(result, kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL
                                     ? "cuptiActivityEnable(CONCURRENT_KERNEL)"
                                     : "cuptiActivityEnable(EXTERNAL_CORRELATION)");
    }
  }
  return Status::Ok();
}

void StopCollecting(const CuptiApi& cupti) {
  Collector& collector = TheCollector();
  std::lock_guard<std::mutex> lock(collector.mutex);
  for (CUpti_ActivityKind kind : collector.enabled) cupti.ActivityDisable(kind);
  collector.enabled.clear();
}

ActivityTrace FlushAndTake(const CuptiApi& cupti) {
  // Outside the lock: flushing calls BufferCompleted, which takes it.
  cupti.ActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  Collector& collector = TheCollector();
  std::lock_guard<std::mutex> lock(collector.mutex);
  ActivityTrace taken = std::move(collector.trace);
  collector.trace = ActivityTrace();
  return taken;
}

}  // namespace moeplan::profiler
