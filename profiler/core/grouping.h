//===- profiler/core/grouping.h - Activity records -> op repetitions -*- C++ -*-===//
/// \file
/// Groups a trace's GPU activity (kernels, copies, memsets) into instances of ranges, the unit
/// a measurement is summarised over:
///   - moeplan's own ranges: each repetition of an op is opened with an external correlation id
///     (level 0, CUPTI's CUSTOM0 kind), each part of a composite op with a second one (level 1,
///     CUSTOM1). CUPTI writes an external correlation record for every API call made inside, so
///     kernel -> correlation id -> external id is exact, even with several streams;
///   - NVTX ranges of a traced program (marker records): a kernel belongs to every range that
///     was open on the launching thread when its launch API call started (API record of the
///     same correlation id).
/// Records that belong to no range are ignored (L2 flushes, warm-up, setup).
/// Example: two repetitions with ids 7 and 9 -> two RangeActivity, sorted by id.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "profiler/core/activity.h"

namespace moeplan::profiler {

struct Interval {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

/// Seconds during which at least one interval is active (overlaps counted once).
double BusySeconds(std::vector<Interval> intervals);
/// Seconds from the earliest start to the latest end; 0 when empty.
double SpanSeconds(const std::vector<Interval>& intervals);

/// The GPU activity of one range instance.
struct RangeActivity {
  uint64_t id = 0;  ///< external id or marker id
  std::string label;
  std::vector<KernelRecord> kernels;
  std::vector<Interval> intervals;  ///< kernels, copies and memsets
  /// Level-1 parts inside this instance, in order of first activity: label and intervals.
  std::vector<std::pair<std::string, std::vector<Interval>>> parts;
};

/// Groups by moeplan's external correlation ids of `level` 0; parts come from level 1.
/// Labels come from `trace.range_labels` ("" when an id has none).
std::vector<RangeActivity> GroupByExternalRange(const ActivityTrace& trace);

/// Groups by NVTX marker ranges (see the file comment); sorted by marker start time.
std::vector<RangeActivity> GroupByMarkers(const ActivityTrace& trace);

}  // namespace moeplan::profiler
