//===- laws/accounting_report.h - Machine-readable triad report --*- C++ -*-===//
/// \file
/// The JSON form of an accounting result (`moeplan eval --json`): the model, the convention in
/// words and as flags, the triad, the breakdown by component and the per-layer table with runs of
/// identical layers merged. Versioned with `format`/`version` like every moeplan file.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "laws/accounting.h"

namespace moeplan::laws {

/// A run of consecutive layers with identical kind and costs ("layers 3-60: moe, global").
struct LayerRun {
  int64_t first = 0;
  int64_t last = 0;  ///< inclusive
  LayerCount layer;  ///< costs of one layer of the run
};

/// Merges consecutive identical layers; MTP blocks never merge with decoder layers.
std::vector<LayerRun> MergeLayerRuns(const std::vector<LayerCount>& layers);

nlohmann::ordered_json AccountingReportJson(const MoeArch& arch, const CountingOptions& options,
                                            const Triad& triad,
                                            const std::vector<LayerCount>& layers,
                                            const std::vector<std::string>& notes);

}  // namespace moeplan::laws
