//===- profiler/core/grouping.cc - Activity records -> op repetitions -----===//
#include "profiler/core/grouping.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace moeplan::profiler {
namespace {

constexpr double kNsToSeconds = 1e-9;

// One GPU activity of any kind, reduced to what grouping needs.
struct Activity {
  uint32_t correlation_id = 0;
  Interval interval;
  const KernelRecord* kernel = nullptr;  // null for copies and memsets
};

std::vector<Activity> GpuActivities(const ActivityTrace& trace) {
  std::vector<Activity> activities;
  activities.reserve(trace.kernels.size() + trace.memcpys.size() + trace.memsets.size());
  for (const KernelRecord& kernel : trace.kernels) {
    activities.push_back({kernel.correlation_id, {kernel.start_ns, kernel.end_ns}, &kernel});
  }
  for (const MemcpyRecord& copy : trace.memcpys) {
    activities.push_back({copy.correlation_id, {copy.start_ns, copy.end_ns}, nullptr});
  }
  for (const MemsetRecord& memset : trace.memsets) {
    activities.push_back({memset.correlation_id, {memset.start_ns, memset.end_ns}, nullptr});
  }
  // Time order, so that kernels and parts appear as they ran.
  std::stable_sort(activities.begin(), activities.end(), [](const Activity& a, const Activity& b) {
    return a.interval.start_ns < b.interval.start_ns;
  });
  return activities;
}

void AddActivity(RangeActivity& range, const Activity& activity) {
  range.intervals.push_back(activity.interval);
  if (activity.kernel != nullptr) range.kernels.push_back(*activity.kernel);
}

}  // namespace

double BusySeconds(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) { return a.start_ns < b.start_ns; });
  uint64_t busy = 0;
  uint64_t covered_until = 0;
  for (const Interval& interval : intervals) {
    if (interval.end_ns <= interval.start_ns) continue;  // CUPTI writes 0s when it lacks a time
    const uint64_t start = std::max(interval.start_ns, covered_until);
    if (interval.end_ns > start) busy += interval.end_ns - start;
    covered_until = std::max(covered_until, interval.end_ns);
  }
  return static_cast<double>(busy) * kNsToSeconds;
}

double SpanSeconds(const std::vector<Interval>& intervals) {
  uint64_t first = UINT64_MAX;
  uint64_t last = 0;
  for (const Interval& interval : intervals) {
    if (interval.end_ns <= interval.start_ns) continue;
    first = std::min(first, interval.start_ns);
    last = std::max(last, interval.end_ns);
  }
  return last > first ? static_cast<double>(last - first) * kNsToSeconds : 0;
}

std::vector<RangeActivity> GroupByExternalRange(const ActivityTrace& trace) {
  std::unordered_map<uint32_t, uint64_t> op_of;    // correlation id -> level-0 external id
  std::unordered_map<uint32_t, uint64_t> part_of;  // correlation id -> level-1 external id
  for (const ExternalCorrelation& link : trace.external_correlations) {
    (link.level == 0 ? op_of : part_of)[link.correlation_id] = link.external_id;
  }
  std::unordered_map<uint64_t, std::string> labels;
  for (const RangeLabel& label : trace.range_labels) labels[label.external_id] = label.name;

  std::map<uint64_t, RangeActivity> ranges;  // ordered by id: repetition order
  for (const Activity& activity : GpuActivities(trace)) {
    const auto op = op_of.find(activity.correlation_id);
    if (op == op_of.end()) continue;
    RangeActivity& range = ranges[op->second];
    range.id = op->second;
    AddActivity(range, activity);
    const auto part = part_of.find(activity.correlation_id);
    if (part == part_of.end()) continue;
    const std::string& part_label = labels[part->second];
    auto slot = std::find_if(range.parts.begin(), range.parts.end(),
                             [&](const auto& entry) { return entry.first == part_label; });
    if (slot == range.parts.end()) {
      range.parts.emplace_back(part_label, std::vector<Interval>{});
      slot = std::prev(range.parts.end());
    }
    slot->second.push_back(activity.interval);
  }
  std::vector<RangeActivity> grouped;
  grouped.reserve(ranges.size());
  for (auto& [id, range] : ranges) {
    range.label = labels[id];
    grouped.push_back(std::move(range));
  }
  return grouped;
}

std::vector<RangeActivity> GroupByMarkers(const ActivityTrace& trace) {
  std::unordered_map<uint32_t, const ApiRecord*> launch_of;  // correlation id -> API call
  for (const ApiRecord& api : trace.apis) {
    // The runtime call encloses the driver call of the same id; either gives thread and time.
    launch_of.emplace(api.correlation_id, &api);
  }
  std::vector<const MarkerRange*> markers;
  for (const MarkerRange& marker : trace.markers) {
    if (marker.end_ns > marker.start_ns) markers.push_back(&marker);
  }
  std::stable_sort(markers.begin(), markers.end(), [](const MarkerRange* a, const MarkerRange* b) {
    return a->start_ns < b->start_ns;
  });
  std::vector<RangeActivity> ranges(markers.size());
  std::map<uint32_t, std::vector<size_t>> markers_of_thread;  // indices, by start time
  for (size_t marker_idx = 0; marker_idx < markers.size(); ++marker_idx) {
    ranges[marker_idx].id = markers[marker_idx]->id;
    ranges[marker_idx].label = markers[marker_idx]->name;
    markers_of_thread[markers[marker_idx]->thread_id].push_back(marker_idx);
  }
  // Activities by launching thread, in order of their launch call.
  std::map<uint32_t, std::vector<std::pair<uint64_t, Activity>>> launches_of_thread;
  for (const Activity& activity : GpuActivities(trace)) {
    const auto launch = launch_of.find(activity.correlation_id);
    if (launch == launch_of.end()) continue;
    launches_of_thread[launch->second->thread_id].emplace_back(launch->second->start_ns, activity);
  }
  // Sweep each thread's launches through its ranges, keeping the ranges open at that time.
  for (auto& [thread, launches] : launches_of_thread) {
    std::stable_sort(launches.begin(), launches.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::vector<size_t>& thread_markers = markers_of_thread[thread];
    std::vector<size_t> open;
    size_t next_marker = 0;
    for (const auto& [launch_ns, activity] : launches) {
      while (next_marker < thread_markers.size() &&
             markers[thread_markers[next_marker]]->start_ns <= launch_ns) {
        open.push_back(thread_markers[next_marker++]);
      }
      std::erase_if(open,
                    [&](size_t marker_idx) { return markers[marker_idx]->end_ns < launch_ns; });
      for (size_t marker_idx : open) AddActivity(ranges[marker_idx], activity);
    }
  }
  std::erase_if(ranges, [](const RangeActivity& range) { return range.intervals.empty(); });
  return ranges;
}

}  // namespace moeplan::profiler
