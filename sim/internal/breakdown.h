//===- sim/internal/breakdown.h - A rank's step breakdown -------*- C++ -*-===//
/// \file
/// Private to sim/. Fills a StepEstimate's compute-by-class and communication-by-kind arrays
/// with one pipeline rank's lowered blocks over all micro-batches; shared by the analytic
/// estimate and the event-driven simulation (which differ only in bubble, p2p and DP terms).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "sim/step_estimate.h"

namespace moeplan::sim::internal {

/// Adds rank `rank`'s blocks, times the layout's micro-batches, to `est`; returns the rank's
/// executed FLOPs per step (recompute included).
double AddRankBreakdown(StepEstimate& est, const ModelProfile& profile, const LoweredModel& lowered,
                        const Layout& layout, int64_t rank);

}  // namespace moeplan::sim::internal
