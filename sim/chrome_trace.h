//===- sim/chrome_trace.h - Timeline as a Chrome trace ----------*- C++ -*-===//
/// \file
/// Writes a pipeline timeline (sim/pipeline_sim.h) in the Trace Event Format that
/// chrome://tracing and Perfetto (ui.perfetto.dev) open: {"traceEvents": [...]} with one
/// complete ("ph": "X") event per timeline event, pid = pipeline rank, tid = stream (0 compute,
/// 1 sends to the next rank, 2 sends to the previous rank, 3 data-parallel collectives),
/// "ts" and "dur" in microseconds, "cat" the event kind, and "args" the micro-batch and chunk.
/// Metadata ("ph": "M") events name each process "rank r" and each thread by its stream.
/// Reference: "Trace Event Format", Google, https://docs.google.com/document/d/
/// 1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU.
///
/// Names: "F mb3 c1", "B mb3 c1", "W mb3 c1" (weight-gradient part), "send act mb3 c1",
/// "send grad mb3 c1", "all-gather c1", "reduce-scatter c1", "optimizer".
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "laws/support/result.h"
#include "sim/pipeline_sim.h"

namespace moeplan::sim {

/// The trace name of one event, e.g. "F mb3 c1".
std::string TraceEventName(const TimelineEvent& event);

/// The whole trace as a JSON document.
std::string ChromeTraceJson(std::span<const TimelineEvent> events);

/// Writes ChromeTraceJson(events) to `path` atomically (never a partial file).
[[nodiscard]] Status WriteChromeTrace(const std::filesystem::path& path,
                                      std::span<const TimelineEvent> events);

}  // namespace moeplan::sim
