//===- sim/sweep/sweep_report.h - The summary of a finished sweep -*- C++ -*-===//
/// \file
/// What `moeplan sweep` prints when it is done: the candidate count and rate, how many
/// candidates each constraint eliminated, and the best entries kept; as text for people, or
/// (`--json`) as a "moeplan-sweep-summary" document for machines:
///
///   { "format": "moeplan-sweep-summary", "version": 1,
///     "space": "default", "configs": null, "objective": "loss-in-time", "fleet": "64xH100",
///     "law": "epoch2024", "ranks": 1,
///     "range": {"begin": 0, "end": 1000, "of": 1000},
///     "seconds": 0.52, "candidates_per_second": 1923.1,
///     "stats": {"candidates": 1000, "feasible": 812, "layouts_estimated": 53210,
///               "rejects": {"feasible": 812, "invalid-arch": 40, ...}},
///     "eliminated": [{"reason": "invalid-arch", "count": 40, "meaning": "..."}, ...],
///     "top": [{"index": 17, "feasible_or_reason": "feasible", "objective": 2.31, ...}, ...],
///     "front": [...], "band": {"eps": 0.01, "size": 12, "truncated": false},
///     "out": "results.csv" }
///
/// `top` entries are CSV rows (sim/sweep/sweep.h, CsvHeader) as objects; `front` is present
/// with --pareto and `band` with --band. Pure functions.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/sweep/sweep.h"

namespace moeplan::plan {

/// What the sweep was (for the summary's header fields).
struct SweepReportInfo {
  std::string space;    ///< space name
  std::string configs;  ///< list file of --configs; empty for a space sweep
  Objective objective = Objective::kLossAtCompute;
  std::string fleet;  ///< as given on the command line
  std::string law;
  int64_t candidates_total = 0;  ///< size of the space or list
  int ranks = 1;
  std::string out;  ///< output file; empty when none
  ReduceOptions reduce;
};

nlohmann::ordered_json SweepReportToJson(const SweepResult& result, const SweepReportInfo& info);
/// Lines for a terminal: counts and rate, ExplainRejects, the best (at most `max_rows`) entries.
std::string SweepReportText(const SweepResult& result, const SweepReportInfo& info,
                            size_t max_rows = 5);

}  // namespace moeplan::plan
