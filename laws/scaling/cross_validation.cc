//===- laws/scaling/cross_validation.cc - Leave-one-budget-out error ------===//
#include "laws/scaling/cross_validation.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace moeplan::scaling {

Status LeaveOneBudgetOutOptions::Validate() const {
  if (!(budget_tolerance >= 0) || !std::isfinite(budget_tolerance)) {
    return Error{fmt::format("budget_tolerance must be >= 0, got {}", budget_tolerance)};
  }
  return Status::Ok();
}

Result<std::vector<BudgetFold>> LeaveOneBudgetOut(const FitProblem& problem,
                                                  const FitResult& all_points,
                                                  const LeaveOneBudgetOutOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  const RunData& data = problem.data();
  if (data.compute.size() != static_cast<Eigen::Index>(data.size())) {
    return Error{fmt::format(
        "{}: leave-one-budget-out needs the training compute C of every run (a compute column)",
        data.source)};
  }
  const std::vector<std::vector<size_t>> budgets = GroupByBudget(data, options.budget_tolerance);
  if (budgets.size() < 2) {
    return Error{fmt::format("{}: leave-one-budget-out needs at least 2 budgets, found {}",
                             data.source, budgets.size())};
  }
  for (const std::vector<size_t>& budget : budgets) {
    if (data.size() - budget.size() <= problem.num_free()) {
      return Error{fmt::format(
          "{}: without the {} runs at C = {:.3g}, {} runs remain for {} free coefficients",
          data.source, budget.size(), data.compute[static_cast<Eigen::Index>(budget.front())],
          data.size() - budget.size(), problem.num_free())};
    }
  }
  const std::vector<Eigen::VectorXd> starts =
      options.from_grid ? problem.StartGrid() : std::vector<Eigen::VectorXd>{all_points.theta};
  std::vector<BudgetFold> folds(budgets.size());
  tbb::parallel_for(size_t{0}, budgets.size(), [&](size_t b) {
    Eigen::VectorXd weights = Eigen::VectorXd::Ones(static_cast<Eigen::Index>(data.size()));
    for (size_t idx : budgets[b]) weights[static_cast<Eigen::Index>(idx)] = 0;
    const FitResult fit = problem.FitFrom(starts, weights);
    const Eigen::VectorXd residuals = problem.Residuals(fit.theta);
    BudgetFold& fold = folds[b];
    fold.num_points = budgets[b].size();
    fold.converged = fit.converged;
    fold.compute_min = fold.compute_max = data.compute[static_cast<Eigen::Index>(budgets[b][0])];
    double sum_sq = 0, sum_abs = 0;
    for (size_t idx : budgets[b]) {
      const auto i = static_cast<Eigen::Index>(idx);
      fold.compute_min = std::min(fold.compute_min, data.compute[i]);
      fold.compute_max = std::max(fold.compute_max, data.compute[i]);
      // r = log(predicted / observed).
      sum_sq += residuals[i] * residuals[i];
      const double rel = std::fabs(std::expm1(residuals[i]));
      sum_abs += rel;
      fold.max_abs_rel_error = std::max(fold.max_abs_rel_error, rel);
    }
    const auto n = static_cast<double>(budgets[b].size());
    fold.rms_log_error = std::sqrt(sum_sq / n);
    fold.mean_abs_rel_error = sum_abs / n;
  });
  return folds;
}

}  // namespace moeplan::scaling
