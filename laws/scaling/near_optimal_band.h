//===- laws/scaling/near_optimal_band.h - Runs within epsilon of the best -*- C++ -*-===//
/// \file
/// The near-optimal band of Wan et al. 2026 (arXiv:2603.21862): at one compute budget, the runs
/// whose loss is within a relative epsilon (default 0.25%) of the best observed loss,
///   L <= L_best (1 + epsilon),
/// their count, and the range each variable spans inside the band, measured in ln x (a width
/// of ln 2 = 0.693 means the band admits a factor of 2 in that variable). The paper reports
/// that the band widens with scale; `FitLogLinearTrend` tests that claim as the slope b of
/// width = a + b ln C over the budgets, with its OLS standard error and the two-sided p-value
/// of b = 0 (t with n - 2 degrees of freedom). A log-linear rather than a power-law fit because
/// a width is 0 whenever a single run is in the band, and a power law cannot take the log of 0.
/// Pure functions, thread-safe.
/// Example: losses (2.000, 2.004, 2.006, 2.100) at epsilon 0.25% give the threshold 2.005 and
/// a band of the first two runs.
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::scaling {

/// The range of one variable over the runs in a band.
struct BandSpan {
  std::string symbol;
  double min = 0, max = 0;
  double log_width = 0;  ///< ln max - ln min
};

struct NearOptimalBand {
  double epsilon = 0;
  double best_loss = 0;
  double threshold = 0;      ///< best_loss (1 + epsilon)
  size_t best_index = 0;     ///< row of x of the best run (the first among equals)
  std::vector<size_t> runs;  ///< rows of x in the band, increasing
  std::vector<BandSpan> spans;
};

/// The band of the runs `x` (rows = runs, columns = variables named by `symbols`, positive)
/// with losses `loss`.
[[nodiscard]] Result<NearOptimalBand> FindNearOptimalBand(const std::vector<std::string>& symbols,
                                                          const Eigen::MatrixXd& x,
                                                          const Eigen::VectorXd& loss,
                                                          double epsilon);

/// y = intercept + slope ln C by least squares.
struct TrendFit {
  size_t num_points = 0;
  double intercept = 0;
  double slope = 0;                       ///< per unit of ln C (times ln 10: per decade)
  std::optional<double> slope_std_error;  ///< with >= 3 points
  std::optional<double> slope_p_value;    ///< two-sided, slope = 0; with >= 3 points
  double r_squared = 0;
};

/// Needs >= 2 points with distinct positive C and finite y.
[[nodiscard]] Result<TrendFit> FitLogLinearTrend(std::span<const double> compute,
                                                 std::span<const double> y);

}  // namespace moeplan::scaling
