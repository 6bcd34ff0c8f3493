//===- profiler/cupti_records.h - CUPTI buffers -> moeplan records -*- C++ -*-===//
/// \file
/// The process-wide activity collector shared by the in-process session (cupti_session.h) and
/// the injection library: it hands CUPTI 8 MiB activity buffers (buffer-requested callback),
/// converts every completed buffer's records into moeplan's own structs (core/activity.h) on
/// CUPTI's worker thread (buffer-completed callback), pairs NVTX start/end marker records, and
/// counts dropped records. Record structs are read through the oldest layout that has every
/// field used (Kernel9, Memcpy5, Memset4, Overhead, Synchronization, Device4, Marker2), whose
/// fields are a prefix of the newer ones, so the code reads CUPTI 12 and 13 alike.
/// Thread-safe (one mutex); CUPTI allows one set of buffer callbacks per process.
//===----------------------------------------------------------------------===//
#pragma once

#include "laws/support/result.h"
#include "profiler/core/activity.h"
#include "profiler/cupti_loader.h"

namespace moeplan::profiler {

struct CollectorOptions {
  bool api_records = true;  ///< runtime and driver API records (needed for correlation)
  bool markers = false;     ///< NVTX marker records (needs NVTX_INJECTION64_PATH to CUPTI)
  bool devices = true;      ///< device records
};

/// Registers the buffer callbacks (once per process) and enables the activity kinds.
[[nodiscard]] Status StartCollecting(const CuptiApi& cupti, const CollectorOptions& options);

/// Disables the activity kinds enabled by StartCollecting (buffers are kept until taken).
void StopCollecting(const CuptiApi& cupti);

/// Forces CUPTI to complete every buffer, then returns and clears what was collected. Marker
/// ranges still open stay pending for a later call.
ActivityTrace FlushAndTake(const CuptiApi& cupti);

}  // namespace moeplan::profiler
