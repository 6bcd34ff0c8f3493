//===- laws/scaling/bootstrap.h - Bootstrap uncertainty of fitted laws -*- C++ -*-===//
/// \file
/// Nonparametric bootstrap of a fit, as Besiroglu et al. 2024 (arXiv:2404.10102) report
/// standard errors for their Chinchilla refit: resample the points with replacement, refit,
/// and read the spread of each coefficient (standard error, central percentile interval) and
/// of any derived prediction (a loss at (N, D), N_opt(C), ...) over the replicates.
///
/// Replicate r draws its sample from its own generator seeded by (seed, r), and replicates run
/// in parallel (oneTBB) but are stored by index: the result depends on the seed only, never on
/// the thread count. A replicate is refitted from the point estimate (warm start), which is
/// what makes 1,000 refits take seconds; `from_grid` refits each from the full start grid.
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

#include "laws/scaling/fit.h"

namespace moeplan::scaling {

struct BootstrapOptions {
  int replicates = 1000;     ///< resamples; more gives steadier interval ends
  uint64_t seed = 20240417;  ///< same seed, same replicates
  double ci_level = 0.95;    ///< central percentile interval, e.g. 0.95 -> [2.5%, 97.5%]
  /// Refit every replicate from the whole start grid instead of the point estimate (slow;
  /// only for multimodal objectives).
  bool from_grid = false;
  [[nodiscard]] Status Validate() const;
};

/// Spread of one quantity over the replicates.
struct Interval {
  double estimate = 0;   ///< from the point fit
  double std_error = 0;  ///< sample standard deviation over replicates
  double low = 0;        ///< percentile interval at ci_level
  double high = 0;
};

struct BootstrapResult {
  /// Coefficient values (natural units) of the converged replicates: replicates x parameters.
  Eigen::MatrixXd values;
  size_t num_failed = 0;  ///< replicates whose refit did not converge (left out)
  double ci_level = 0;
  std::vector<Interval> coefficients;  ///< per parameter
};

/// Resamples the points of `problem` and refits; `point` is the fit on all points.
[[nodiscard]] Result<BootstrapResult> Bootstrap(const FitProblem& problem, const FitResult& point,
                                                const BootstrapOptions& options);

/// The spread of a derived prediction `f(values)` over the replicates.
Interval PredictionInterval(const BootstrapResult& bootstrap, const Eigen::VectorXd& point_values,
                            const std::function<double(const Eigen::VectorXd&)>& f);

/// Summary of samples: sample standard deviation and the percentile interval (linear
/// interpolation between order statistics, as numpy's default).
Interval Summarize(std::vector<double> samples, double estimate, double ci_level);

}  // namespace moeplan::scaling
