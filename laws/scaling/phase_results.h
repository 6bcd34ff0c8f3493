//===- laws/scaling/phase_results.h - Results of two-phase experiments -*- C++ -*-===//
/// \file
/// Reads a results file of Wan et al.'s two-phase experiments (arXiv:2603.21862): the runs
/// manifest written by `moeplan design` plus a `loss` column, one run per row, columns found
/// by header name in any order (extra columns are ignored). Columns read:
///   always        phase (1 or 2), compute (C, FLOPs), loss (final loss, positive)
///   phase 1 rows  flops_per_token (M, non-embedding forward+backward FLOPs per token),
///                 active_params (N_a), total_params (N) (non-embedding), tokens (D)
///   phase 2 rows  hidden_size (d) and num_layers and/or expert_width (the second shape
///                 variable; whichever the file has)
///   optional      run_id (else runs are named by their row)
/// Every cell is checked; errors name the file, the row and the column:
///   "results.csv: row 7 (line 8), column 'loss': expected a positive number, got 'nan'"
/// Runs of one phase are grouped into compute budgets: sorted by C, a budget starts where C
/// exceeds the budget's first C by more than a relative tolerance.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "laws/scaling/runs_csv.h"

namespace moeplan::scaling {

struct PhaseRun {
  int64_t row = 0;     ///< 1-based data row in the file
  std::string run_id;  ///< from the run_id column, or "row N"
  int phase = 0;       ///< 1 or 2
  double compute = 0;  ///< C, FLOPs
  double loss = 0;
  // Phase 1 (0 in phase 2 rows when the columns are absent).
  double flops_per_token = 0;  ///< M
  double active_params = 0;    ///< N_a
  double total_params = 0;     ///< N
  double tokens = 0;           ///< D
  // Phase 2 shape (0 when the column is absent).
  double hidden_size = 0;
  double num_layers = 0;
  double expert_width = 0;
};

struct PhaseResults {
  std::string source;  ///< file name, for errors
  std::vector<PhaseRun> runs;
  bool has_num_layers = false;  ///< the file has a num_layers column
  bool has_expert_width = false;
  size_t CountPhase(int phase) const;
};

[[nodiscard]] Result<PhaseResults> ReadPhaseResults(const CsvTable& table);
[[nodiscard]] Result<PhaseResults> ReadPhaseResultsFile(const std::filesystem::path& path);

/// The runs of one phase at one budget.
struct Budget {
  double compute = 0;        ///< geometric mean of the runs' C
  std::vector<size_t> runs;  ///< indices into PhaseResults::runs, increasing
};

/// Budgets of `phase` in increasing C.
std::vector<Budget> GroupBudgets(const PhaseResults& results, int phase, double tolerance);

}  // namespace moeplan::scaling
