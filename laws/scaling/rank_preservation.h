//===- laws/scaling/rank_preservation.h - Does the ranking survive a change of d? -*- C++ -*-===//
/// \file
/// The rank-preserving property of the hidden size d (Wan et al. 2026, arXiv:2603.21862): at a
/// fixed budget, the configurations of another shape variable (depth, expert width) should be
/// ranked by loss the same way whatever d is, which lets phase 2 search d and the shape
/// separately. Tested here on phase-2 runs of one budget: d and the shape variable are grouped
/// into grid levels, repeated runs of one (d, shape) cell are averaged, and for every pair of d
/// levels the losses of the configurations measured at both are correlated (Pearson, Spearman,
/// Kendall tau-b with two-sided p-values; rank_correlation.h).
///
/// Configurations are paired by their shape level when both d levels measured the same levels
/// ("value"); when each d has its own values but as many of them (e.g. expert widths that scale
/// with d at fixed granularities), by their order ("order"); otherwise by the levels they have
/// in common. Pairs with fewer than 3 configurations are skipped with the reason.
/// Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "laws/scaling/rank_correlation.h"

namespace moeplan::scaling {

/// The rank test for one pair of d levels at one budget.
struct RankPair {
  double d_a = 0, d_b = 0;  ///< the two hidden sizes (d_a < d_b; geometric mean of the level)
  std::string matching;     ///< "value", "order" or "common values"
  std::vector<double> shape_a, shape_b, loss_a, loss_b;  ///< matched configurations
  CorrelationSummary correlation;
  bool same_best = false;  ///< the best configuration is the same at both d
};

struct RankBudget {
  double compute = 0;
  std::vector<RankPair> pairs;
  std::vector<std::string> skipped;  ///< pairs that could not be tested, and why
};

/// Over every tested pair of every budget.
struct RankSummary {
  size_t num_pairs = 0;
  std::optional<double> mean_pearson, mean_spearman, mean_kendall;
  std::optional<double> min_spearman;
  size_t kendall_significant = 0;  ///< pairs with tau > 0 and p < 0.05
  size_t same_best = 0;
};

/// The runs of one budget: hidden size, shape value and loss per run (positive, finite).
RankBudget TestRankPreservation(double compute, std::span<const double> hidden_size,
                                std::span<const double> shape, std::span<const double> loss,
                                double level_tolerance);

RankSummary SummarizeRanks(const std::vector<RankBudget>& budgets);

}  // namespace moeplan::scaling
