//===- laws/scaling/near_optimal_band.cc - Runs within epsilon of the best ===//
#include "laws/scaling/near_optimal_band.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "laws/scaling/special_functions.h"

namespace moeplan::scaling {

Result<NearOptimalBand> FindNearOptimalBand(const std::vector<std::string>& symbols,
                                            const Eigen::MatrixXd& x, const Eigen::VectorXd& loss,
                                            double epsilon) {
  if (!(epsilon > 0) || !std::isfinite(epsilon)) {
    return Error{fmt::format("near-optimal band: epsilon must be positive, got {}", epsilon)};
  }
  if (x.rows() == 0 || loss.size() != x.rows() ||
      static_cast<Eigen::Index>(symbols.size()) != x.cols()) {
    return Error{"near-optimal band: needs at least one run and one symbol per variable"};
  }
  if (!loss.allFinite() || !(x.array() > 0).all() || !x.allFinite()) {
    return Error{"near-optimal band: losses must be finite and variables positive"};
  }
  NearOptimalBand band;
  band.epsilon = epsilon;
  Eigen::Index best = 0;
  band.best_loss = loss.minCoeff(&best);
  band.best_index = static_cast<size_t>(best);
  band.threshold = band.best_loss + epsilon * std::fabs(band.best_loss);
  for (Eigen::Index r = 0; r < loss.size(); ++r) {
    if (loss[r] <= band.threshold) band.runs.push_back(static_cast<size_t>(r));
  }
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    BandSpan span{symbols[static_cast<size_t>(j)], x(best, j), x(best, j), 0};
    for (size_t r : band.runs) {
      span.min = std::min(span.min, x(static_cast<Eigen::Index>(r), j));
      span.max = std::max(span.max, x(static_cast<Eigen::Index>(r), j));
    }
    span.log_width = std::log(span.max) - std::log(span.min);
    band.spans.push_back(span);
  }
  return band;
}

Result<TrendFit> FitLogLinearTrend(std::span<const double> compute, std::span<const double> y) {
  if (compute.size() != y.size()) return Error{"trend: compute and values differ in length"};
  const size_t n = compute.size();
  if (n < 2) return Error{fmt::format("trend: needs at least 2 budgets, got {}", n)};
  double mean_u = 0, mean_y = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!(compute[i] > 0) || !std::isfinite(compute[i]) || !std::isfinite(y[i])) {
      return Error{
          fmt::format("trend: point {} (C = {}, y = {}) is invalid", i + 1, compute[i], y[i])};
    }
    mean_u += std::log(compute[i]);
    mean_y += y[i];
  }
  mean_u /= static_cast<double>(n);
  mean_y /= static_cast<double>(n);
  // Widths equal up to rounding (e.g. ln 2 from every budget's grid) are constant: without this
  // the rounding residue would give a meaningless slope of 1e-16 with a p-value.
  double spread = 0;
  for (size_t i = 0; i < n; ++i) spread = std::max(spread, std::fabs(y[i] - mean_y));
  const bool constant = spread <= 1e-12 * std::max(1.0, std::fabs(mean_y));
  double suu = 0, suy = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double du = std::log(compute[i]) - mean_u, dy = constant ? 0.0 : y[i] - mean_y;
    suu += du * du;
    suy += du * dy;
    syy += dy * dy;
  }
  if (!(suu > 0)) return Error{"trend: all budgets have the same compute"};
  TrendFit fit;
  fit.num_points = n;
  fit.slope = suy / suu;
  fit.intercept = mean_y - fit.slope * mean_u;
  const double sse = std::max(0.0, syy - fit.slope * suy);
  fit.r_squared = syy > 0 ? 1.0 - sse / syy : 1.0;
  if (n >= 3) {
    const double dof = static_cast<double>(n - 2);
    const double se = std::sqrt(sse / dof / suu);
    fit.slope_std_error = se;
    if (se > 0) {
      fit.slope_p_value = StudentTTwoSidedP(fit.slope / se, dof);
    } else if (fit.slope != 0) {
      fit.slope_p_value = 0.0;  // an exact line with a nonzero slope
    }
  }
  return fit;
}

}  // namespace moeplan::scaling
