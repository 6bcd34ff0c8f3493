//===- profiler/runner.h - Run a profile: the grid, measured ----*- C++ -*-===//
/// \file
/// `RunProfile` measures the shape grid (core/shape_grid.h) on one GPU with CUPTI and returns
/// the profile; writing it is the caller's job (atomically, core/profile_json.h).
///
/// Measurement practice, per case: build the workload (outside any range); run `warmup`
/// repetitions; then `repetitions` times: flush L2 (a memset of twice the L2 size, outside the
/// range), open a level-0 range, run once, close it. One device synchronisation, one CUPTI
/// flush, then records -> per-repetition GPU busy time -> robust statistics. When IQR/median
/// exceeds `max_relative_spread` the case is measured again (up to `max_attempts` rounds; the
/// most stable round is kept and flagged unstable if none passed). Clocks, power, temperature
/// and throttle reasons are sampled (NVML) before and after each case.
///
/// SIGINT (Ctrl-C) stops the run between repetitions: RunProfile then returns an error and the
/// caller writes nothing. Not thread-safe (one CUPTI session per process).
//===----------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"
#include "profiler/core/profile.h"
#include "profiler/core/shape_grid.h"

namespace moeplan::profiler {

struct ProfileOptions {
  GridSize size = GridSize::kQuick;
  std::vector<OpKind> ops;            ///< empty: all
  int device = 0;                     ///< CUDA device ordinal
  int warmup = 3;                     ///< unmeasured repetitions before each round
  int repetitions = 0;                ///< measured per round; 0: 10 (quick) or 20 (full)
  int max_attempts = 3;               ///< rounds per case when the spread is too wide
  double max_relative_spread = 0.05;  ///< IQR / median accepted as stable
  double outlier_threshold = 3.5;     ///< modified z-score; see core/statistics.h
  std::string tool = "moeplan 0.1.0";
  /// Progress lines for humans ("[3/120] gemm forward ... 1.23 ms"), may be empty.
  std::function<void(std::string_view)> progress;

  [[nodiscard]] Status Validate() const;
};

/// Measures the grid. Errors: no device, unsupported device, CUPTI missing, interrupted,
/// a CUDA error that leaves the device unusable. Cases that cannot run are listed in `skipped`.
[[nodiscard]] Result<Profile> RunProfile(const ProfileOptions& options);

}  // namespace moeplan::profiler
