//===- sim/step_simulation.h - Event-driven step of a lowered model -*- C++ -*-===//
/// \file
/// Feeds a lowered model (sim/lowering.h) into the event-driven pipeline simulator
/// (sim/pipeline_sim.h): one StageCost per virtual stage (forward; backward split into its
/// data-gradient part, with the recomputed forward, and its weight-gradient part), the p2p time
/// of every link between adjacent pipeline ranks (scale-up when both stages share a scale-up
/// domain under Megatron's rank order, else scale-out), each chunk's gradient reduce-scatter and
/// parameter all-gather on the data-parallel stream, and the optimizer step. TP, CP and EP
/// communication are inside the stage times (overlapped within the layer as sim/lowering.h
/// describes); FSDP's per-micro-batch gathers are added to the stage times where they exceed
/// the compute they overlap.
///
/// The result has the analytic estimate's shape (sim/step_estimate.h), for the busiest pipeline
/// rank (the most compute; every rank's times add up to the step): compute by class from the
/// lowered blocks, bubble and the exposed p2p / data-parallel time measured by the simulator, and
/// the imbalance loss from a second simulation with balanced expert routing. Memory is the analytic
/// memory model's.
//===----------------------------------------------------------------------===//
#pragma once

#include <vector>

#include "laws/support/result.h"
#include "sim/pipeline_sim.h"
#include "sim/step_estimate.h"

namespace moeplan::sim {

struct SimulatedStep {
  StepEstimate step;        ///< breakdown in the analytic estimate's terms
  PipelineResult pipeline;  ///< the simulator's own result (timeline when asked)
};

/// Builds the simulator input for the resolved `layout` (exposed for tests and benchmarks).
PipelineInput BuildPipelineInput(const ModelProfile& profile, const LoweredModel& lowered,
                                 const Layout& layout, const hw::Fleet& fleet,
                                 const SimOptions& options);

/// Simulates one step; `collect_timeline` fills the timeline for a Chrome trace. `simulator`
/// may be given to reuse its buffers across calls. Errors come from the simulator's own
/// validation (e.g. more than 65536 micro-batches).
[[nodiscard]] Result<SimulatedStep> SimulateStep(const ModelProfile& profile,
                                                 const LoweredModel& lowered, const Layout& layout,
                                                 const hw::Fleet& fleet, const SimOptions& options,
                                                 bool collect_timeline = false,
                                                 PipelineSimulator* simulator = nullptr);

}  // namespace moeplan::sim
