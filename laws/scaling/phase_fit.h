//===- laws/scaling/phase_fit.h - Fitting Wan et al.'s two-phase experiments -*- C++ -*-===//
/// \file
/// Turns the results of the two-phase experiments of Wan et al. 2026 (arXiv:2603.21862) into
/// allocation laws, the evidence for the rank-preserving property of d and the near-optimal
/// bands (`moeplan fit-phases`):
///
///  - Phase 1 (at one proxy d per budget; runs vary M, N_a/M and N/N_a): per budget, the optimum
///    of (M, N_a/M, N/N_a) and, from a second fit with D = C/M in place of M, of D
///    (budget_optimum.h: a quadratic surface in the logs, or slices); then power laws of C,
///      M_opt = k C^e, D_opt, Na_over_M_opt, N_over_Na_opt  (power_law_fit.h, OLS in log-log),
///    and the check e(M_opt) + e(D_opt) = 1, k_M k_D = 1 that C = M D imposes.
///  - Phase 2 (at the phase-1 optimum; runs vary d and one more shape variable, num_layers or
///    expert_width, detected as the one that forms a grid with d): per budget the optimum of
///    (d, shape), power laws d_opt and num_layers_opt or expert_width_opt; and the rank test:
///    for each budget and each pair of d levels, the losses of the shape configurations
///    measured at both d are correlated (Pearson, Spearman, Kendall tau-b with p-values,
///    rank_correlation.h). Configurations are matched by their shape value, or by their order
///    when each d has its own values (e.g. expert widths that scale with d).
///  - Both phases: the near-optimal band of the runs per budget and the trend of its width and
///    count with ln C (near_optimal_band.h), and of the fitted intervals' widths.
///
/// Uncertainty: each power law carries its OLS standard errors (scatter of the optima about the
/// line, n - 2 dof) and, with `bootstrap_replicates` > 0, a bootstrap over runs: every replicate
/// resamples the runs of each budget with replacement, refits every optimum with the method
/// used for the point estimate, and refits the power laws. Replicate r draws from its own
/// seeded stream and replicates are stored by index, so results do not depend on the thread
/// count. Thread-safe (no shared state).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/scaling/bootstrap.h"
#include "laws/scaling/budget_optimum.h"
#include "laws/scaling/near_optimal_band.h"
#include "laws/scaling/phase_results.h"
#include "laws/scaling/power_law_fit.h"
#include "laws/scaling/rank_preservation.h"

namespace moeplan::scaling {

/// The second shape variable of phase 2.
enum class ShapeVariable { kAuto, kNumLayers, kExpertWidth };
const char* ToString(ShapeVariable shape);  ///< "auto", "num_layers", "expert_width"
[[nodiscard]] Result<ShapeVariable> ParseShapeVariable(std::string_view text);

struct PhaseFitOptions {
  /// Per-budget estimator, epsilon of the intervals and bands (Wan et al.: 0.25%), grid-level
  /// tolerance.
  OptimumOptions optimum;
  /// Runs whose C lie within this relative distance of a budget's smallest C share the budget.
  double budget_tolerance = 0.05;
  ShapeVariable shape = ShapeVariable::kAuto;
  /// Bootstrap replicates over runs (0: OLS standard errors only).
  int bootstrap_replicates = 1000;
  uint64_t seed = 20260323;
  double ci_level = 0.95;  ///< of the bootstrap percentile intervals
  [[nodiscard]] Status Validate() const;
};

/// One budget of one phase.
struct BudgetFit {
  double compute = 0;
  std::vector<size_t> runs;  ///< indices into PhaseResults::runs
  /// Phase 1: variables M, Na/M, N/Na; phase 2: d and the shape variable.
  BudgetOptimum optimum;
  /// Phase 1 only: the same fit with D in place of M (gives D_opt and its interval).
  std::optional<BudgetOptimum> tokens_optimum;
  size_t best_run = 0;  ///< index into PhaseResults::runs of the lowest loss
  /// Runs within epsilon of the best; phase 1 over M, D, Na/M, N/Na, phase 2 over d, shape.
  NearOptimalBand band;
};

/// X_opt(C) = k C^e over the budgets of a phase.
struct AllocationFit {
  std::string target;    ///< law target symbol: M_opt, D_opt, Na_over_M_opt, ...
  std::string variable;  ///< the per-budget variable: M, D, Na/M, N/Na, d, num_layers, ...
  std::vector<double> compute, optimum;  ///< per budget
  PowerLawFit ols;
  std::optional<Interval> k_bootstrap, e_bootstrap;
};

/// How the near-optimal band and the fitted intervals change with ln C.
struct WidthTrends {
  TrendFit count;                                              ///< runs in the band
  std::vector<std::pair<std::string, TrendFit>> band_width;    ///< ln-width of the runs' span
  std::vector<std::pair<std::string, TrendFit>> fitted_width;  ///< ln(high / low), fitted
};

struct PhaseOneFit {
  std::vector<BudgetFit> budgets;
  std::vector<AllocationFit> laws;  ///< M_opt, D_opt, Na_over_M_opt, N_over_Na_opt
  ExponentSumCheck exponent_sum;
  WidthTrends trends;
  size_t bootstrap_failed = 0;
};

struct PhaseTwoFit {
  ShapeVariable shape = ShapeVariable::kNumLayers;
  std::string shape_reason;  ///< how it was chosen
  std::vector<BudgetFit> budgets;
  std::vector<AllocationFit> laws;  ///< d_opt, num_layers_opt or expert_width_opt
  WidthTrends trends;
  std::vector<RankBudget> rank;
  RankSummary rank_summary;
  size_t bootstrap_failed = 0;
};

struct PhaseFit {
  std::string source;
  PhaseFitOptions options;
  std::optional<PhaseOneFit> phase1;
  std::optional<PhaseTwoFit> phase2;
};

/// Symbol of the shape variable's values in reports ("num_layers", "expert_width").
const char* ShapeSymbol(ShapeVariable shape);

/// Fits every phase present in `results` (at least one must be).
[[nodiscard]] Result<PhaseFit> FitPhases(const PhaseResults& results,
                                         const PhaseFitOptions& options);

}  // namespace moeplan::scaling
