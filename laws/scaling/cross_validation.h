//===- laws/scaling/cross_validation.h - Leave-one-budget-out error -*- C++ -*-===//
/// \file
/// How well does a law extrapolate? Leave-one-budget-out cross-validation groups the runs by
/// training compute C (run_data.h GroupByBudget), refits the law without each budget in turn
/// and predicts the runs of the held-out budget. The fold of the largest budget is the honest
/// extrapolation test: it is what planning at a new budget does. Folds run in parallel and are
/// reported in budget order; results do not depend on the thread count.
/// Each refit starts from the all-points optimum (or from the whole start grid with
/// `from_grid`), so a fold only sees the held-out points through its starting point.
//===----------------------------------------------------------------------===//
#pragma once

#include <vector>

#include "laws/scaling/fit.h"

namespace moeplan::scaling {

struct LeaveOneBudgetOutOptions {
  /// Runs whose C lie within this relative distance of a budget's smallest C share the budget.
  double budget_tolerance = 0.05;
  /// Refit each fold from the whole start grid instead of the all-points optimum (slow).
  bool from_grid = false;
  [[nodiscard]] Status Validate() const;
};

/// The error on one held-out budget.
struct BudgetFold {
  double compute_min = 0;         ///< smallest C of the held-out runs
  double compute_max = 0;         ///< largest C of the held-out runs
  size_t num_points = 0;          ///< held-out runs
  bool converged = false;         ///< the refit without them converged
  double rms_log_error = 0;       ///< sqrt(mean r^2), r = log(predicted / observed)
  double mean_abs_rel_error = 0;  ///< mean |predicted / observed - 1|
  double max_abs_rel_error = 0;
};

/// Folds in increasing budget order. Needs the compute C of every run and at least two
/// budgets; a fold whose remaining runs are too few for the free coefficients is an error.
[[nodiscard]] Result<std::vector<BudgetFold>> LeaveOneBudgetOut(
    const FitProblem& problem, const FitResult& all_points,
    const LeaveOneBudgetOutOptions& options);

}  // namespace moeplan::scaling
