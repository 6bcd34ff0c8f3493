//===- laws/phases/design.h - The runs of the two-phase experiment -*- C++ -*-===//
/// \file
/// Generates the training runs of the two-phase framework of Wan et al. (arXiv:2603.21862) for
/// a list of compute budgets C:
///
///  - Phase 1, at one proxy hidden size d per budget (the allocation's d_opt(C), rounded to the
///    template's step; the rank-preserving property of d is what lets one d stand for all): the
///    full grid over M (hence D = C / M), N_a / M and N / N_a around the allocation's centre.
///    Every axis is geometric (centre x span^t, t evenly in [-1, 1]); N_a / M values at or
///    above 1/6 are impossible (M = 6 N_a plus the attention products) and come back skipped.
///  - Phase 2, at the phase-1 optimum (M, N_a / M, N / N_a from the allocation laws: a
///    `fit-phases` law file, or the provisional wan2026 + defaults): the grid over d (centre x
///    span^t, rounded to the template's step) and one more shape variable: expert granularity
///    (K = K0 x span^t, the triad solver re-balancing expert width and N_e) or depth
///    (L = L(d) x span^t with the attention heads freed to keep the triad).
///
/// Each run is the best architecture of the triad solver (exact triad within the template's
/// tolerance), with tokens D = C / M of its exact M (so D M = C), and learning rate and batch
/// size eta_opt(C), B_opt(C) of the hyper-parameter law. Grid points the solver cannot realise
/// are returned in `skipped` with the solver's explanation, never dropped silently. Run ids:
/// "c1e19-p1-003" (budget, phase, 1-based index of the grid point in its phase). Pure function
/// of its options, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "laws/accounting.h"
#include "laws/phases/allocation.h"
#include "laws/phases/arch_template.h"

namespace moeplan::phases {

/// A geometric grid centre x span^t, t = -1 .. 1 in `points` even steps (1 point: the centre).
struct GeometricAxis {
  int points = 3;
  double span = 2.0;  ///< > 1; the outermost points are centre / span and centre x span
  std::vector<double> Factors() const;
};

enum class Phase2Shape { kGranularity, kLayers };
const char* ToString(Phase2Shape shape);
Result<Phase2Shape> ParsePhase2Shape(std::string_view text);

struct DesignOptions {
  std::vector<double> budgets;  ///< C, FLOPs; > 0
  ArchTemplate arch;
  AllocationOptions allocation;
  bool phase1 = true;
  bool phase2 = true;
  // Phase 1.
  GeometricAxis m_axis{5, 3.0};           ///< M around M_opt(C): x1/3 .. x3
  GeometricAxis na_over_m_axis{3, 1.15};  ///< N_a / M: x1/1.15, x1, x1.15
  GeometricAxis n_over_na_axis{3, 2.0};   ///< N / N_a: 4, 8, 16 around the default 8
  // Phase 2.
  GeometricAxis d_axis{5, 2.0};  ///< d around d_opt(C): x1/2 .. x2
  Phase2Shape shape = Phase2Shape::kGranularity;
  GeometricAxis shape_axis{3, 2.0};  ///< K or L around the centre: x1/2, x1, x2
  [[nodiscard]] Status Validate() const;
};

/// One planned training run.
struct PlannedRun {
  std::string run_id;
  int phase = 1;
  double compute = 0;
  laws::MoeArch arch;
  laws::Triad triad;  ///< exact, moeplan's default convention (the manifest's)
  double tokens = 0;  ///< C / M
  double learning_rate = 0;
  double batch_tokens = 0;
  /// The grid point the run realises.
  double grid_m = 0, grid_na_over_m = 0, grid_n_over_na = 0;
  int64_t grid_hidden_size = 0;
  std::string grid_shape;  ///< phase 2: "top_k=8" or "num_layers=24"; phase 1: ""
  double worst_error = 0;  ///< of the triad against the grid point
};

/// A grid point no architecture realises within tolerance.
struct SkippedPoint {
  std::string run_id;
  int phase = 1;
  double compute = 0;
  std::string grid;    ///< "M=1.2e9 Na/M=0.13 N/Na=8 d=1024"
  std::string reason;  ///< the triad solver's explanation
};

/// The centre of each budget's grids, and where each came from.
struct BudgetPlan {
  Allocation allocation;
  int64_t proxy_hidden_size = 0;  ///< phase-1 d
};

struct DesignResult {
  std::vector<PlannedRun> runs;  ///< by budget, phase, grid index
  std::vector<SkippedPoint> skipped;
  std::vector<BudgetPlan> budgets;
  std::vector<std::string> sources;  ///< AllocationModel::Describe()
  laws::CountingOptions counting;    ///< the convention of every triad
  std::string convention;            ///< counting.Describe(template seq_len)
};

[[nodiscard]] Result<DesignResult> Design(const DesignOptions& options);

/// "1e19,3e19,1e20" or a geometric range "1e19:1e21:5" (from:to:count, count >= 2).
[[nodiscard]] Result<std::vector<double>> ParseBudgets(std::string_view text);

/// "c1e19", "c3e19", "c1.5e20": the budget part of a run id.
std::string BudgetTag(double compute);

}  // namespace moeplan::phases
