//===- profiler/core/shape_grid.h - Which shapes a profile measures -*- C++ -*-===//
/// \file
/// The grid of `BenchCase`s a profile run measures, chosen to cover what sweeps ask the hardware
/// model about: hidden sizes 1024..8192 (and DeepSeek-V3's 7168), expert widths 512..14336,
/// tokens per expert from 4 to 8192, local expert counts 4..64, top-k 1..8, sequences
/// 1024..16384, FP8 where the GPU has FP8 tensor cores (compute capability >= 8.9).
///
/// `kQuick` (about a minute on one H100) keeps a few points per op; `kFull` (about five
/// minutes) is the calibration grid. The grids are fixed lists, so the same command gives the
/// same cases on every machine with the same capabilities. Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <vector>

#include "laws/support/result.h"
#include "profiler/core/bench_case.h"

namespace moeplan::profiler {

enum class GridSize { kQuick, kFull };
const char* ToString(GridSize size);

/// What the device and the build can run; cases needing something absent are not generated
/// (the runner lists them as skipped with the reason).
struct DeviceCaps {
  bool fp8 = false;        ///< FP8 tensor cores (compute capability >= 8.9)
  bool attention = false;  ///< a fused attention kernel is available (cuDNN SDPA)
};

struct GridOptions {
  GridSize size = GridSize::kQuick;
  std::vector<OpKind> ops;  ///< empty: every op
  DeviceCaps caps;
};

/// The cases to measure, in a fixed order (op by op, as `ops` lists them or kAllOpKinds).
std::vector<BenchCase> MakeGrid(const GridOptions& options);

/// Parses a comma-separated op list ("gemm,router"); "all" or "" gives every op.
/// Error: "--ops: unknown op 'gem' (known: gemm, grouped_gemm, ...)".
[[nodiscard]] Result<std::vector<OpKind>> ParseOpList(std::string_view text);

}  // namespace moeplan::profiler
