//===- tests/bench/pipeline_bench.cc - Cost of the pipeline simulator -----===//
/// \file
/// Sweeps call the event-driven pipeline simulator for every candidate layout, so one step of a
/// 64-micro-batch interleaved pipeline must take well under a millisecond. The warm simulator
/// does not allocate without a timeline (checked in tests/sim/allocation_free_test.cc); the
/// timeline variant shows what collecting events costs.
#include <benchmark/benchmark.h>

#include "sim/pipeline_schedule.h"
#include "sim/pipeline_sim.h"

namespace {

using moeplan::sim::PipelineInput;
using moeplan::sim::PipelineResult;
using moeplan::sim::PipelineSchedule;
using moeplan::sim::PipelineSimulator;
using moeplan::sim::StageCost;

/// p ranks, v chunks, m micro-batches, with every feature on: p2p sends, overlapped
/// reduce-scatter in buckets, overlapped all-gather, optimizer; per-stage costs differ.
PipelineInput MakeInput(PipelineSchedule schedule, int p, int v, int m) {
  PipelineInput input;
  input.shape = {schedule, p, v, m};
  for (int stage = 0; stage < p * v; ++stage) {
    const double skew = 1.0 + 0.01 * (stage % 5);
    input.stage_costs.push_back({2e-3 * skew, 2e-3 * skew, 2e-3 * skew, 5e-3, 3e-3});
  }
  input.p2p_time = {1e-4};
  input.grad_reduce_buckets = 4;
  input.overlap_param_gather = true;
  input.optimizer_time = 2e-2;
  return input;
}

void BM_PipelineSim(benchmark::State& state, PipelineSchedule schedule, bool timeline) {
  const int p = static_cast<int>(state.range(0));
  const int v = static_cast<int>(state.range(1));
  const int m = static_cast<int>(state.range(2));
  PipelineInput input = MakeInput(schedule, p, v, m);
  input.collect_timeline = timeline;
  PipelineSimulator simulator;
  PipelineResult result;
  if (!simulator.Run(input, &result).ok()) {
    state.SkipWithError("invalid pipeline input");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(input);
    const moeplan::Status status = simulator.Run(input, &result);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(result.step_time);
  }
  state.counters["ops"] = static_cast<double>(input.shape.NumOps());
  state.counters["ns_per_op"] = benchmark::Counter(
      static_cast<double>(input.shape.NumOps()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_PipelineSim, interleaved, PipelineSchedule::kInterleaved, false)
    ->Args({8, 4, 64})
    ->Args({4, 2, 32})
    ->Args({16, 8, 256})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PipelineSim, one_f_one_b, PipelineSchedule::kOneFOneB, false)
    ->Args({8, 1, 64})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PipelineSim, interleaved_timeline, PipelineSchedule::kInterleaved, true)
    ->Args({8, 4, 64})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
