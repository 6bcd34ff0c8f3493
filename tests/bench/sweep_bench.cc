//===- tests/bench/sweep_bench.cc - Sweep throughput and thread scaling ---===//
/// \file
/// Full candidate evaluations per second: every (architecture, layout) pair gets the exact
/// triad (once per architecture), the loss, the analytic step time, memory and feasibility
/// (sim/sweep/evaluator.h). The Pareto front is kept, which disables bound pruning, so every
/// candidate is evaluated in full. items/s = (architecture, layout) evaluations per second;
/// the `archs/s` counter counts architectures. Arg: threads.
#include <benchmark/benchmark.h>

#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"
#include "sim/sweep/sweep.h"

namespace moeplan::plan {
namespace {

SweepSpace BenchSpace() {
  SweepSpace s = *BuiltinSpace("default");
  auto set = [&](ArchDim d, std::vector<int64_t> v) { s.arch[static_cast<size_t>(d)] = v; };
  set(ArchDim::kHiddenSize, {2048, 3072, 4096, 5120});
  set(ArchDim::kNumLayers, {24, 32, 48, 64});
  set(ArchDim::kNumExperts, {64, 128, 256});
  set(ArchDim::kTopK, {4, 8});
  set(ArchDim::kExpertWidth, {1024, 2048});
  set(ArchDim::kSharedExperts, {1});
  set(ArchDim::kFirstDenseLayers, {1});
  s.layout.gbs = 4096;
  return s;
}

void BM_SweepFullEvaluation(benchmark::State& state) {
  const SweepSpace space = BenchSpace();
  const hw::Fleet fleet = *hw::LoadFleet("1024xH100");
  const LossModel loss = *MakeLossModel(*scaling::FindLawPreset("epoch2024"));
  SweepOptions o;
  o.eval.objective = Objective::kLossInTime;
  o.eval.seconds = 30 * 86400.0;
  o.reduce.top_k = 10;
  o.reduce.pareto = true;
  o.threads = static_cast<int>(state.range(0));
  o.chunk_size = 4;
  int64_t layouts = 0, archs = 0;
  for (auto _ : state) {
    auto result = RunSweep(space, fleet, loss, o);
    if (!result) state.SkipWithError(result.error().message.c_str());
    layouts += result->stats.layouts_estimated;
    archs += result->stats.candidates;
    benchmark::DoNotOptimize(result->reducer.top().data());
  }
  state.SetItemsProcessed(layouts);
  state.counters["archs/s"] =
      benchmark::Counter(static_cast<double>(archs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SweepFullEvaluation)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The FLOPs-only path (fixed MFU, no layouts): architecture candidates per second.
void BM_SweepFixedMfu(benchmark::State& state) {
  SweepSpace space = BenchSpace();
  const hw::Fleet fleet = *hw::LoadFleet("1024xH100");
  const LossModel loss = *MakeLossModel(*scaling::FindLawPreset("epoch2024"));
  SweepOptions o;
  o.eval.objective = Objective::kLossInTime;
  o.eval.seconds = 30 * 86400.0;
  o.eval.fixed_mfu = 0.4;
  o.reduce.top_k = 10;
  o.reduce.pareto = true;
  o.threads = static_cast<int>(state.range(0));
  int64_t archs = 0;
  for (auto _ : state) {
    auto result = RunSweep(space, fleet, loss, o);
    archs += result->stats.candidates;
  }
  state.SetItemsProcessed(archs);
}
BENCHMARK(BM_SweepFixedMfu)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace moeplan::plan
