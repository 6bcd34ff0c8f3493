//===- tests/bench/sim_bench.cc - Cost of the step model and layout search ===//
/// \file
/// The planner (issue 6) evaluates millions of (model, layout) pairs: the analytic estimate of
/// one pair, once its model is lowered, must take well under a microsecond (target < 1 us), and
/// `moeplan sim --best-layout` for DeepSeek-V3 on 1,024 H100s must finish in under a second on
/// two cores. Also measured: one lowering (shared by every layout with the same tp, cp, ep, etp
/// and micro-batch), and the event-driven simulation of a lowered model.
#include <benchmark/benchmark.h>

#include "hwmodel/fleet_source.h"
#include "laws/presets.h"
#include "sim/layout_check.h"
#include "sim/layout_search.h"
#include "sim/lowering.h"
#include "sim/step_estimate.h"
#include "sim/step_simulation.h"

namespace {

using namespace moeplan;

struct Pair {
  sim::ModelProfile profile;
  hw::Fleet fleet;
  sim::Layout layout;
  sim::LoweredModel lowered;
};

Pair MakePair(const char* model, const char* fleet_spec, const char* layout_text) {
  Pair pair;
  const laws::MoeArch arch = laws::FindPreset(model)->arch;
  pair.profile = *sim::BuildProfile(arch);
  pair.fleet = *hw::LoadFleet(fleet_spec);
  pair.layout = *sim::ResolveLayout(*sim::ParseLayout(layout_text), arch, pair.fleet);
  pair.lowered = sim::LowerModel(pair.profile, pair.layout, pair.fleet.hardware, {});
  return pair;
}

const char* const kDeepseek[] = {"deepseek-v3", "1024xH100",
                                 "tp=1,pp=16,ep=64,mbs=1,gbs=8192,recompute=full"};
const char* const kDeepseekInterleaved[] = {"deepseek-v3", "1024xH100",
                                            "tp=2,pp=8,vpp=4,ep=64,etp=1,gbs=8192"};
const char* const kMixtral[] = {"mixtral-8x7b", "64xH100", "tp=1,pp=4,vpp=8,ep=8,mbs=1,gbs=256"};

/// Layout check + analytic step time + memory of one (model, layout) pair.
void BM_AnalyticEstimate(benchmark::State& state, const char* const* spec) {
  const Pair pair = MakePair(spec[0], spec[1], spec[2]);
  const sim::Layout unresolved = *sim::ParseLayout(spec[2]);
  const sim::SimOptions options;
  for (auto _ : state) {
    sim::Layout layout = unresolved;
    benchmark::DoNotOptimize(sim::DiagnoseLayout(layout, pair.profile.arch, pair.fleet));
    sim::StepEstimate estimate =
        sim::EstimateStep(pair.profile, pair.lowered, layout, pair.fleet, options);
    benchmark::DoNotOptimize(estimate);
  }
}
BENCHMARK_CAPTURE(BM_AnalyticEstimate, deepseek_v3_pp16, kDeepseek);
BENCHMARK_CAPTURE(BM_AnalyticEstimate, deepseek_v3_pp8_vpp4, kDeepseekInterleaved);
BENCHMARK_CAPTURE(BM_AnalyticEstimate, mixtral_pp4_vpp8, kMixtral);

/// Lowering one model for one (tp, cp, ep, etp, mbs): shared by all layouts that differ only in
/// pp, vpp, dp, batch or recompute.
void BM_LowerModel(benchmark::State& state, const char* const* spec) {
  const Pair pair = MakePair(spec[0], spec[1], spec[2]);
  for (auto _ : state) {
    sim::LoweredModel lowered = sim::LowerModel(pair.profile, pair.layout, pair.fleet.hardware, {});
    benchmark::DoNotOptimize(lowered);
  }
}
BENCHMARK_CAPTURE(BM_LowerModel, deepseek_v3, kDeepseek);
BENCHMARK_CAPTURE(BM_LowerModel, mixtral, kMixtral);

/// The event-driven step of a lowered model (reused simulator, no timeline).
void BM_SimulateStep(benchmark::State& state, const char* const* spec) {
  const Pair pair = MakePair(spec[0], spec[1], spec[2]);
  sim::PipelineSimulator simulator;
  for (auto _ : state) {
    auto step = sim::SimulateStep(pair.profile, pair.lowered, pair.layout, pair.fleet, {}, false,
                                  &simulator);
    benchmark::DoNotOptimize(step);
  }
}
BENCHMARK_CAPTURE(BM_SimulateStep, deepseek_v3_pp8_vpp4, kDeepseekInterleaved);

/// `moeplan sim deepseek-v3 --fleet 1024xH100 --best-layout --gbs 8192` with 1 and 2 threads.
void BM_BestLayout(benchmark::State& state) {
  const sim::ModelProfile profile = *sim::BuildProfile(laws::FindPreset("deepseek-v3")->arch);
  const hw::Fleet fleet = *hw::LoadFleet("1024xH100");
  sim::SearchSpace space;
  space.gbs = 8192;
  space.threads = static_cast<int>(state.range(0));
  int64_t enumerated = 0;
  for (auto _ : state) {
    auto result = sim::SearchLayouts(profile, fleet, space, {});
    enumerated = result->enumerated;
    benchmark::DoNotOptimize(result);
  }
  state.counters["layouts"] = static_cast<double>(enumerated);
  state.counters["layouts_per_s"] = benchmark::Counter(
      static_cast<double>(enumerated), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_BestLayout)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
