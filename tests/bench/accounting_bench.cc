//===- tests/bench/accounting_bench.cc - Cost of the exact accounting -----===//
/// \file
/// Sweeps call CountTriad millions of times, so it must be cheap and allocation-free. The
/// allocation counter below replaces global operator new for this binary and reports
/// allocations per iteration (must be 0 for CountTriad).
#include <benchmark/benchmark.h>

#include "laws/accounting.h"
#include "laws/presets.h"
#include "tests/allocation_counter.h"

namespace {

using moeplan::laws::CountingOptions;
using moeplan::laws::CountTriad;
using moeplan::laws::FindPreset;

void BM_CountTriad(benchmark::State& state, const char* preset_name) {
  const moeplan::laws::MoeArch arch = FindPreset(preset_name)->arch;
  CountingOptions options = CountingOptions::ModelCard();
  options.include_mtp = true;
  const int64_t before = moeplan::testing::AllocationCount();
  for (auto _ : state) {
    benchmark::DoNotOptimize(arch);
    moeplan::laws::Triad triad = CountTriad(arch, options);
    benchmark::DoNotOptimize(triad);
  }
  state.counters["allocs_per_call"] =
      benchmark::Counter(static_cast<double>(moeplan::testing::AllocationCount() - before),
                         benchmark::Counter::kAvgIterations);
}
BENCHMARK_CAPTURE(BM_CountTriad, deepseek_v3, "deepseek-v3");
BENCHMARK_CAPTURE(BM_CountTriad, mixtral_8x7b, "mixtral-8x7b");
BENCHMARK_CAPTURE(BM_CountTriad, gpt_oss_20b, "gpt-oss-20b");

void BM_CountLayers(benchmark::State& state) {
  const moeplan::laws::MoeArch arch = FindPreset("deepseek-v3")->arch;
  for (auto _ : state) {
    auto layers = moeplan::laws::CountLayers(arch);
    benchmark::DoNotOptimize(layers);
  }
}
BENCHMARK(BM_CountLayers);

}  // namespace
