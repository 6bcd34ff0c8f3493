//===- profiler/core/measurement.h - Repetitions -> one measurement -*- C++ -*-===//
/// \file
/// Turns the range instances of one case (one per repetition, from grouping.h) into a
/// `Measurement`: GPU busy time and span per repetition summarised robustly (statistics.h),
/// kernels summarised by name and launch shape, parts of composite ops, FLOPs and bytes from
/// op_cost.h and the achieved rates. Also turns a whole trace of a foreign program (recorded by
/// the injection library) into profile measurements, one per distinct range label that parses
/// as a case label.
///
/// Example: 20 repetitions of "gemm forward bf16 cublaslt tokens=8192 in=8192 out=8192", each
/// one kernel of ~1.5 ms -> time_s.median ~1.5e-3, achieved_flops_per_s ~7.3e14.
//===----------------------------------------------------------------------===//
#pragma once

#include <vector>

#include "profiler/core/activity.h"
#include "profiler/core/grouping.h"
#include "profiler/core/profile.h"
#include "profiler/core/trace_json.h"

namespace moeplan::profiler {

struct MeasureOptions {
  StatsOptions stats;
  double max_relative_spread = 0.05;  ///< IQR/median above this marks a measurement unstable
};

/// Summarises `repetitions` of `bench_case`. Repetitions without GPU activity are ignored;
/// with none left, the measurement has count 0 and is unstable.
Measurement SummarizeRepetitions(const BenchCase& bench_case,
                                 const std::vector<RangeActivity>& repetitions,
                                 const MeasureOptions& options = {});

/// True when `candidate` is a better attempt than `current` (stable beats unstable, then the
/// smaller relative spread wins).
bool IsBetterAttempt(const Measurement& candidate, const Measurement& current);

/// Measurements from a traced program: external ranges and NVTX ranges grouped by label; labels
/// that are case labels (bench_case.h) become measurements, the others are listed in `skipped`.
struct TraceMeasurements {
  std::vector<Measurement> measurements;
  std::vector<SkippedCase> skipped;
};
TraceMeasurements MeasureTrace(const ActivityTrace& trace, const MeasureOptions& options = {});

/// A device description from CUPTI's device record (traces have no cudaDeviceProp).
DeviceInfo DeviceInfoFromRecord(const DeviceRecord& record);

/// A whole profile (mode "trace") from a trace file: MeasureTrace's measurements, the device of
/// the trace's first device record. Error when the trace has no device record (CUPTI saw no
/// CUDA context) or no range that is a case label.
[[nodiscard]] Result<Profile> ProfileFromTrace(const TraceFile& file, const std::string& tool,
                                               const MeasureOptions& options = {});

}  // namespace moeplan::profiler
