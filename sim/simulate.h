//===- sim/simulate.h - One training step of a model on a fleet -*- C++ -*-===//
/// \file
/// The entry point of `moeplan sim`: resolves and checks the layout (sim/layout_check.h),
/// lowers the model (sim/lowering.h), estimates the step analytically (sim/step_estimate.h)
/// and with the event-driven pipeline simulator (sim/step_simulation.h), and gathers the
/// memory breakdown. Out-of-memory is part of the report (memory.Fits() false), not an error;
/// errors are bad input (invalid model, layout or fleet), with the layout checker's message.
///
/// `SimReportJson` writes the report as {"format": "moeplan-sim-report", "version": 1, ...} with
/// SI units (seconds, bytes, FLOP/s) and every convention named.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "hwmodel/hardware.h"
#include "laws/arch.h"
#include "laws/support/result.h"
#include "sim/layout.h"
#include "sim/lowering.h"
#include "sim/model_profile.h"
#include "sim/pipeline_sim.h"
#include "sim/sim_options.h"
#include "sim/step_estimate.h"

namespace moeplan::sim {

struct SimRequest {
  laws::MoeArch arch;
  hw::Fleet fleet;
  Layout layout;
  SimOptions options;
  int64_t seq_len = 0;            ///< > 0 overrides the architecture's sequence length
  bool event_simulation = true;   ///< also run the event-driven pipeline simulation
  bool collect_timeline = false;  ///< keep the simulator's timeline (for a Chrome trace)
  bool collect_ops = false;       ///< keep the lowered op table
};

struct SimReport {
  ModelProfile profile;
  hw::Fleet fleet;
  Layout layout;  ///< resolved (etp, dp, gbs filled in)
  SimOptions options;
  LoweredModel lowered;
  StepEstimate analytic;
  std::optional<StepEstimate> simulated;
  /// Memory of every pipeline rank, rank 0 first (analytic.memory is the largest of them): the
  /// first rank keeps the most micro-batches in flight, the last one the LM head and loss.
  std::vector<MemoryBreakdown> rank_memory;
  std::vector<TimelineEvent> timeline;  ///< when collect_timeline
  std::vector<OpRecord> ops;            ///< when collect_ops

  /// The simulated step when present, else the analytic one.
  const StepEstimate& Best() const { return simulated ? *simulated : analytic; }
};

[[nodiscard]] Result<SimReport> Simulate(const SimRequest& request);

/// The report as JSON (see the file comment).
nlohmann::ordered_json SimReportJson(const SimReport& report);

}  // namespace moeplan::sim
