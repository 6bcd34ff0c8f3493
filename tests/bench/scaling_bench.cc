//===- tests/bench/scaling_bench.cc - Cost of fitting scaling laws --------===//
/// \file
/// Issue 3's targets: a 5-parameter Chinchilla fit from Hoffmann et al.'s 4,500-point start grid
/// on the 240-point reconstruction, and 1,000 bootstrap refits. Both read ../shared/data and skip
/// with an error when it is absent. UseRealTime: the work runs on oneTBB worker threads.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>

#include "laws/scaling/bootstrap.h"
#include "laws/scaling/fit.h"
#include "laws/scaling/power_sum_form.h"

namespace {
using namespace moeplan::scaling;

// 240 points: the reconstruction minus its 5 highest losses, D = C / (6 N).
std::optional<RunData> ChinchillaRuns(const LawForm& form) {
  const auto path = std::filesystem::path(MOEPLAN_SHARED_DATA_DIR) / "scaling-runs" /
                    "chinchilla_epoch_reconstruction.csv";
  auto table = ReadCsvFile(path);
  if (!table) return std::nullopt;
  ColumnMapping mapping;
  mapping.variables = {{"N", "Model Size"}};
  mapping.compute = "Training FLOP";
  mapping.target = "loss";
  auto data = ExtractRuns(*table, form, mapping);
  if (!data) return std::nullopt;
  return DropHighestTargets(*data, 5);
}

void BM_ChinchillaFit4500Starts(benchmark::State& state) {
  const auto form = MakeChinchillaForm();
  const auto data = ChinchillaRuns(*form);
  if (!data) return state.SkipWithError("shared data not found");
  const auto problem = FitProblem::Make(*form, *data, FitOptions{});  // Hoffmann's grid
  for (auto _ : state) {
    FitResult fit = problem->Fit();
    benchmark::DoNotOptimize(fit.objective);
  }
  state.counters["starts"] = 4500;
}
BENCHMARK(BM_ChinchillaFit4500Starts)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Bootstrap1000Refits(benchmark::State& state) {
  const auto form = MakeChinchillaForm();
  const auto data = ChinchillaRuns(*form);
  if (!data) return state.SkipWithError("shared data not found");
  const auto problem = FitProblem::Make(*form, *data, FitOptions{});
  const FitResult fit = problem->Fit();
  BootstrapOptions options;  // 1,000 replicates, warm-started from the point estimate
  for (auto _ : state) {
    auto result = Bootstrap(*problem, fit, options);
    benchmark::DoNotOptimize(result->coefficients.data());
  }
  state.counters["replicates"] = 1000;
}
BENCHMARK(BM_Bootstrap1000Refits)->Unit(benchmark::kMillisecond)->UseRealTime();
}  // namespace
