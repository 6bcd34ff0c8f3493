//===- tests/bench/phases_bench.cc - Cost of the triad solver and design --===//
/// \file
/// The triad solver must answer in microseconds to a millisecond (laws/phases/triad_solver.h):
/// a design calls it once per grid point and `recommend` a few times. Measured on DeepSeek-V3
/// and Qwen3-30B-A3B's own triads with the dimensions fixed as in the models (the common case)
/// and with N_e in 1..1024, K in 1..16 and s in 0..2 free (the most work), and a whole default
/// design of 3 budgets (phase 1 and phase 2, about 180 grid points).
#include <benchmark/benchmark.h>

#include "laws/phases/design.h"
#include "laws/phases/triad_solver.h"
#include "laws/presets.h"

namespace {

namespace ph = moeplan::phases;

ph::TriadProblem OwnTriad(const char* preset, bool free_counts) {
  const moeplan::laws::MoeArch& arch = moeplan::laws::FindPreset(preset)->arch;
  const moeplan::laws::Triad t = moeplan::laws::CountTriad(arch);
  ph::TriadProblem p;
  p.base = arch;
  p.flops_per_token = {t.flops_per_token, 0.02};
  p.active_params = {static_cast<double>(t.active_params), 0.02};
  p.total_params = {static_cast<double>(t.total_params), 0.02};
  if (free_counts) {
    p.num_experts = ph::IntRange{1, 1024, 1};
    p.top_k = ph::IntRange{1, 16, 1};
    p.shared_experts = ph::IntRange{0, 2, 1};
  }
  return p;
}

void BM_SolveTriad(benchmark::State& state, const char* preset, bool free_counts) {
  const ph::TriadProblem problem = OwnTriad(preset, free_counts);
  size_t evaluated = 0;
  for (auto _ : state) {
    moeplan::Result<ph::TriadSolution> s = ph::SolveTriad(problem);
    evaluated = s->evaluated;
    benchmark::DoNotOptimize(s);
  }
  state.counters["CountTriad_calls"] = static_cast<double>(evaluated);
}
BENCHMARK_CAPTURE(BM_SolveTriad, deepseek_v3_fixed, "deepseek-v3", false)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SolveTriad, qwen3_30b_a3b_fixed, "qwen3-30b-a3b", false)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SolveTriad, deepseek_v3_free, "deepseek-v3", true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SolveTriad, qwen3_30b_a3b_free, "qwen3-30b-a3b", true)
    ->Unit(benchmark::kMicrosecond);

void BM_DefaultDesign(benchmark::State& state) {
  ph::DesignOptions options;
  options.budgets = {1e19, 1e20, 1e21};
  size_t points = 0;
  for (auto _ : state) {
    moeplan::Result<ph::DesignResult> d = ph::Design(options);
    points = d->runs.size() + d->skipped.size();
    benchmark::DoNotOptimize(d);
  }
  state.counters["grid_points"] = static_cast<double>(points);
}
BENCHMARK(BM_DefaultDesign)->Unit(benchmark::kMillisecond);

}  // namespace
