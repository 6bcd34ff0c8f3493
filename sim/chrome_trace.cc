//===- sim/chrome_trace.cc - Timeline as a Chrome trace -------------------===//
#include "sim/chrome_trace.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "laws/support/atomic_file.h"

namespace moeplan::sim {
namespace {

constexpr double kMicrosecondsPerSecond = 1e6;

const char* StreamLabel(Stream stream) {
  switch (stream) {
    case Stream::kCompute:
      return "compute";
    case Stream::kSendNext:
      return "p2p send to next rank";
    case Stream::kSendPrev:
      return "p2p send to previous rank";
    case Stream::kDataParallel:
      return "data-parallel collectives";
  }
  return "compute";
}

nlohmann::ordered_json Metadata(const char* name, int pid, int tid, nlohmann::ordered_json args) {
  nlohmann::ordered_json event;
  event["name"] = name;
  event["ph"] = "M";
  event["pid"] = pid;
  event["tid"] = tid;
  event["args"] = std::move(args);
  return event;
}

/// "process_name"/"thread_name" and sort indices for every rank and stream that has events.
void AppendMetadata(std::span<const TimelineEvent> events, nlohmann::ordered_json& out) {
  std::set<int> ranks;
  std::set<std::pair<int, int>> threads;
  for (const TimelineEvent& event : events) {
    ranks.insert(event.rank);
    threads.insert({event.rank, static_cast<int>(event.stream)});
  }
  for (int rank : ranks) {
    out.push_back(Metadata("process_name", rank, 0, {{"name", fmt::format("rank {}", rank)}}));
    out.push_back(Metadata("process_sort_index", rank, 0, {{"sort_index", rank}}));
  }
  for (const auto& [rank, tid] : threads) {
    out.push_back(
        Metadata("thread_name", rank, tid, {{"name", StreamLabel(static_cast<Stream>(tid))}}));
    out.push_back(Metadata("thread_sort_index", rank, tid, {{"sort_index", tid}}));
  }
}

}  // namespace

std::string TraceEventName(const TimelineEvent& event) {
  switch (event.kind) {
    case EventKind::kForward:
      return fmt::format("F mb{} c{}", event.microbatch, event.chunk);
    case EventKind::kBackward:
      return fmt::format("B mb{} c{}", event.microbatch, event.chunk);
    case EventKind::kWeightGrad:
      return fmt::format("W mb{} c{}", event.microbatch, event.chunk);
    case EventKind::kSendActivation:
      return fmt::format("send act mb{} c{}", event.microbatch, event.chunk);
    case EventKind::kSendGradient:
      return fmt::format("send grad mb{} c{}", event.microbatch, event.chunk);
    case EventKind::kParamAllGather:
      return fmt::format("all-gather c{}", event.chunk);
    case EventKind::kGradReduceScatter:
      return fmt::format("reduce-scatter c{}", event.chunk);
    case EventKind::kOptimizer:
      return "optimizer";
  }
  return "event";
}

std::string ChromeTraceJson(std::span<const TimelineEvent> events) {
  nlohmann::ordered_json trace_events = nlohmann::ordered_json::array();
  AppendMetadata(events, trace_events);
  for (const TimelineEvent& event : events) {
    nlohmann::ordered_json e;
    e["name"] = TraceEventName(event);
    e["cat"] = ToString(event.kind);
    e["ph"] = "X";
    e["pid"] = event.rank;
    e["tid"] = static_cast<int>(event.stream);
    e["ts"] = event.start * kMicrosecondsPerSecond;
    e["dur"] = (event.end - event.start) * kMicrosecondsPerSecond;
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
    if (event.microbatch >= 0) args["microbatch"] = event.microbatch;
    if (event.chunk >= 0) args["chunk"] = event.chunk;
    e["args"] = std::move(args);
    trace_events.push_back(std::move(e));
  }
  nlohmann::ordered_json trace;
  trace["traceEvents"] = std::move(trace_events);
  trace["displayTimeUnit"] = "ms";
  trace["otherData"] = {{"generator", "moeplan sim pipeline"}, {"time_unit", "microseconds"}};
  return trace.dump() + "\n";
}

Status WriteChromeTrace(const std::filesystem::path& path, std::span<const TimelineEvent> events) {
  return WriteFileAtomically(path, ChromeTraceJson(events));
}

}  // namespace moeplan::sim
