//===- profiler/core/measurement.cc - Repetitions -> one measurement ------===//
#include "profiler/core/measurement.h"

#include <map>
#include <tuple>

#include "profiler/core/op_cost.h"

namespace moeplan::profiler {
namespace {

constexpr double kNsToSeconds = 1e-9;

using KernelKey = std::tuple<std::string, std::array<int32_t, 3>, std::array<int32_t, 3>>;

std::vector<KernelSummary> SummarizeKernels(const std::vector<RangeActivity>& repetitions,
                                            const StatsOptions& stats) {
  std::map<KernelKey, std::vector<double>> durations;
  std::vector<KernelKey> order;  // first appearance, so the list reads in execution order
  for (const RangeActivity& repetition : repetitions) {
    for (const KernelRecord& kernel : repetition.kernels) {
      KernelKey key{kernel.name, kernel.grid, kernel.block};
      auto [slot, inserted] = durations.try_emplace(key);
      if (inserted) order.push_back(key);
      const uint64_t ns = kernel.end_ns > kernel.start_ns ? kernel.end_ns - kernel.start_ns : 0;
      slot->second.push_back(static_cast<double>(ns) * kNsToSeconds);
    }
  }
  std::vector<KernelSummary> kernels;
  for (const KernelKey& key : order) {
    const std::vector<double>& samples = durations[key];
    KernelSummary summary;
    std::tie(summary.name, summary.grid, summary.block) = key;
    summary.calls_per_repetition =
        static_cast<double>(samples.size()) / static_cast<double>(repetitions.size());
    summary.duration_s = Summarize(samples, stats);
    kernels.push_back(std::move(summary));
  }
  return kernels;
}

std::vector<PartTiming> SummarizeParts(const std::vector<RangeActivity>& repetitions,
                                       const StatsOptions& stats) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> times;
  for (const RangeActivity& repetition : repetitions) {
    for (const auto& [label, intervals] : repetition.parts) {
      auto [slot, inserted] = times.try_emplace(label);
      if (inserted) order.push_back(label);
      slot->second.push_back(BusySeconds(intervals));
    }
  }
  std::vector<PartTiming> parts;
  for (const std::string& label : order) parts.push_back({label, Summarize(times[label], stats)});
  return parts;
}

}  // namespace

Measurement SummarizeRepetitions(const BenchCase& bench_case,
                                 const std::vector<RangeActivity>& repetitions,
                                 const MeasureOptions& options) {
  Measurement measurement;
  measurement.bench_case = bench_case;
  const OpCost cost = CostOf(bench_case);
  measurement.flops = cost.flops;
  measurement.bytes = cost.bytes;
  std::vector<RangeActivity> active;
  for (const RangeActivity& repetition : repetitions) {
    if (!repetition.intervals.empty()) active.push_back(repetition);
  }
  std::vector<double> busy;
  std::vector<double> span;
  for (const RangeActivity& repetition : active) {
    busy.push_back(BusySeconds(repetition.intervals));
    span.push_back(SpanSeconds(repetition.intervals));
  }
  measurement.time_s = Summarize(busy, options.stats);
  measurement.span_s = Summarize(span, options.stats);
  if (measurement.time_s.median > 0) {
    measurement.achieved_flops_per_s = measurement.flops / measurement.time_s.median;
    measurement.achieved_bytes_per_s = measurement.bytes / measurement.time_s.median;
  }
  measurement.stable = measurement.time_s.count > 0 &&
                       measurement.time_s.RelativeSpread() <= options.max_relative_spread;
  if (!active.empty()) {
    measurement.kernels = SummarizeKernels(active, options.stats);
    measurement.parts = SummarizeParts(active, options.stats);
  }
  return measurement;
}

bool IsBetterAttempt(const Measurement& candidate, const Measurement& current) {
  if (candidate.stable != current.stable) return candidate.stable;
  if (candidate.time_s.count == 0) return false;
  if (current.time_s.count == 0) return true;
  return candidate.time_s.RelativeSpread() < current.time_s.RelativeSpread();
}

TraceMeasurements MeasureTrace(const ActivityTrace& trace, const MeasureOptions& options) {
  std::vector<RangeActivity> ranges = GroupByExternalRange(trace);
  std::vector<RangeActivity> marked = GroupByMarkers(trace);
  ranges.insert(ranges.end(), std::make_move_iterator(marked.begin()),
                std::make_move_iterator(marked.end()));
  std::vector<std::string> order;
  std::map<std::string, std::vector<RangeActivity>> by_label;
  for (RangeActivity& range : ranges) {
    auto [slot, inserted] = by_label.try_emplace(range.label);
    if (inserted) order.push_back(range.label);
    slot->second.push_back(std::move(range));
  }
  TraceMeasurements result;
  for (const std::string& label : order) {
    Result<BenchCase> bench_case = ParseBenchCaseLabel(label);
    if (!bench_case) {
      result.skipped.push_back({label, bench_case.error().message});
      continue;
    }
    Measurement measurement = SummarizeRepetitions(*bench_case, by_label[label], options);
    result.measurements.push_back(std::move(measurement));
  }
  return result;
}

DeviceInfo DeviceInfoFromRecord(const DeviceRecord& record) {
  DeviceInfo device;
  device.name = record.name;
  device.compute_major = record.compute_major;
  device.compute_minor = record.compute_minor;
  device.sm_count = record.sm_count;
  device.memory_bytes = static_cast<int64_t>(record.memory_bytes);
  device.l2_bytes = static_cast<int64_t>(record.l2_bytes);
  device.sm_clock_max_hz = static_cast<int64_t>(record.core_clock_hz);
  device.memory_bandwidth_bytes_per_s = static_cast<double>(record.memory_bandwidth_bytes_per_s);
  device.clock_source = "cupti_device_record";
  return device;
}

Result<Profile> ProfileFromTrace(const TraceFile& file, const std::string& tool,
                                 const MeasureOptions& options) {
  if (file.trace.devices.empty()) {
    return Error{"trace has no device record: the traced program created no CUDA context"};
  }
  TraceMeasurements measured = MeasureTrace(file.trace, options);
  if (measured.measurements.empty()) {
    return Error{
        "trace has no range labelled as a moeplan case (e.g. 'attention forward bf16 "
        "torch_sdpa batch=4 heads=32 seq=4096 head_dim=128 mask=causal'); " +
        std::to_string(measured.skipped.size()) + " other range label(s) found"};
  }
  Profile profile;
  profile.tool = tool;
  profile.created_utc = file.meta.created_utc;
  profile.device = DeviceInfoFromRecord(file.trace.devices.front());
  profile.device.cupti_version = file.meta.cupti_version;
  profile.settings.mode = "trace";
  profile.settings.max_relative_spread = options.max_relative_spread;
  profile.settings.outlier_threshold = options.stats.outlier_threshold;
  profile.measurements = std::move(measured.measurements);
  profile.skipped = std::move(measured.skipped);
  std::string command;
  for (const std::string& word : file.meta.command) command += (command.empty() ? "" : " ") + word;
  profile.notes.push_back("traced with the injection library: " + command);
  if (file.trace.dropped_records > 0) {
    profile.notes.push_back("CUPTI dropped " + std::to_string(file.trace.dropped_records) +
                            " activity records");
  }
  return profile;
}

}  // namespace moeplan::profiler
