//===- tests/bench/sweep_bench.cc - Sweep throughput and thread scaling ---===//
/// \file
/// Full candidate evaluations per second: every (architecture, layout) pair gets the exact
/// triad (once per architecture), the loss, the analytic step time, memory and feasibility
/// (sim/sweep/evaluator.h). The Pareto front is kept, which disables bound pruning, so every
/// candidate is evaluated in full. items/s = (architecture, layout) evaluations per second,
/// also reported as the `evals/s` counter; `archs/s` counts architectures. Arg: threads, 1, 2,
/// 4, ... up to the machine's hardware threads (and that count itself), so the thread scaling
/// of the README's table is one run: build/tests/bench/moeplan_bench --benchmark_filter=Sweep
#include <benchmark/benchmark.h>

#include <algorithm>
#include <thread>

#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"
#include "sim/sweep/sweep.h"

namespace moeplan::plan {
namespace {

// 1, 2, 4, ... hardware threads, and the hardware thread count itself (at least 1 and 2).
void ThreadCounts(benchmark::internal::Benchmark* b) {
  const int cores = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  for (int t = 1; t < cores; t *= 2) b->Arg(t);
  b->Arg(cores);
}

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
  const LossModel loss = *MakeLossModel(*scaling::FindLawPreset("ludziejewski2025"));
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
  state.counters["evals/s"] =
      benchmark::Counter(static_cast<double>(layouts), benchmark::Counter::kIsRate);
  state.counters["archs/s"] =
      benchmark::Counter(static_cast<double>(archs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SweepFullEvaluation)
    ->Apply(ThreadCounts)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The FLOPs-only path (fixed MFU, no layouts): architecture candidates per second, over the
// whole built-in default space (534,600 architectures: enough chunks for every thread).
void BM_SweepFixedMfu(benchmark::State& state) {
  const SweepSpace space = *BuiltinSpace("default");
  const hw::Fleet fleet = *hw::LoadFleet("1024xH100");
  const LossModel loss = *MakeLossModel(*scaling::FindLawPreset("ludziejewski2025"));
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
BENCHMARK(BM_SweepFixedMfu)->Apply(ThreadCounts)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace moeplan::plan
