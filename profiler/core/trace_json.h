//===- profiler/core/trace_json.h - moeplan-trace files ---------*- C++ -*-===//
/// \file
/// Writes and reads `moeplan-trace` version 1: the raw activity records of one traced program
/// (the injection library writes one at exit), documented in docs/profile-format.md. A trace is
/// turned into profile measurements by measurement.h's `MeasureTrace`.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"
#include "profiler/core/activity.h"

namespace moeplan::profiler {

inline constexpr std::string_view kTraceFormat = "moeplan-trace";
inline constexpr int kTraceVersion = 1;

/// Who wrote a trace and when.
struct TraceMeta {
  std::string tool;
  std::string created_utc;
  std::vector<std::string> command;  ///< the traced program's argv, when known
  int cupti_version = 0;
};

struct TraceFile {
  TraceMeta meta;
  ActivityTrace trace;
};

nlohmann::ordered_json TraceToJson(const ActivityTrace& trace, const TraceMeta& meta);
[[nodiscard]] Result<TraceFile> TraceFromJson(const nlohmann::ordered_json& json,
                                              std::string_view source);
[[nodiscard]] Result<TraceFile> ReadTraceFile(const std::filesystem::path& path);
/// Writes atomically (compact JSON, one line per record array element is not promised).
[[nodiscard]] Status WriteTraceFile(const std::filesystem::path& path, const ActivityTrace& trace,
                                    const TraceMeta& meta);

/// The current UTC time as "2026-03-01T12:00:00Z".
std::string UtcNow();

}  // namespace moeplan::profiler
