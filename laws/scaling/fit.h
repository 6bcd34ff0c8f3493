//===- laws/scaling/fit.h - Robust multi-start fits of scaling laws -*- C++ -*-===//
/// \file
/// Fits a law form to training runs the way Hoffmann et al. 2022 (arXiv:2203.15556, App. D.2)
/// fit Chinchilla: minimise the summed Huber loss (delta 1e-3) of log residuals over
/// fit-space coefficients (a = log A, ...) with L-BFGS, from every point of a grid of starts,
/// and keep the best. Starts run in parallel (oneTBB) and the best is chosen by (objective,
/// start index), so the result is the same whatever the thread count. The best start is then
/// polished by IRLS (huber_irls.h) and declared converged only if the gradient there is small.
///
///   Result<FitProblem> problem = FitProblem::Make(*form, data, options);
///   FitResult fit = problem->Fit();   // fit.values: A, B, E, alpha, beta for chinchilla
///
/// A `FitProblem` is immutable and thread-safe: bootstrap replicates and leave-one-budget-out
/// folds reuse it with other point weights (a resampling count per point, 0 to leave it out).
/// It refers to its form, which must outlive it.
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "laws/scaling/huber_irls.h"
#include "laws/scaling/huber_objective.h"
#include "laws/scaling/minimize.h"
#include "laws/scaling/run_data.h"

namespace moeplan::scaling {

struct FitOptions {
  /// Huber threshold on log residuals; Hoffmann et al. use 1e-3. Larger values weigh big
  /// residuals more (least squares as delta -> inf).
  double huber_delta = 1e-3;
  /// Coefficients held at a value (natural units), e.g. {"E_max", 256}. Overrides a form's
  /// default (JointMoe holds E_start at 1).
  std::vector<std::pair<std::string, double>> fixed;
  /// Coefficients that a form holds fixed by default but this fit should estimate.
  std::vector<std::string> freed;
  /// Replacement start values (fit space: logs for positive scale coefficients) per parameter.
  std::vector<std::pair<std::string, std::vector<double>>> start_grids;
  /// Upper bound on starts; a larger grid is thinned to this many evenly spaced points.
  /// Hoffmann et al.'s Chinchilla grid has 4,500.
  size_t max_starts = 20000;
  /// Per-start optimiser settings. Tolerances apply to the objective divided by
  /// (delta x total weight), i.e. to a mean of |r| scale.
  MinimizeOptions minimize;
  /// The IRLS polish of the best start (huber_irls.h).
  IrlsOptions polish;
  /// The fit has converged when the gradient of the objective / (delta x total weight) at the
  /// polished optimum is at most this.
  double convergence_tolerance = 1e-5;
  /// Units of the variables (SI amount per law unit); empty: all 1. The data are divided by
  /// them before fitting, so the coefficients are in law units.
  std::vector<double> variable_units;
  /// Unit of the target (empty data are in SI).
  double target_unit = 1.0;
  [[nodiscard]] Status Validate() const;
};

struct FitResult {
  Eigen::VectorXd theta;        ///< fit space, every parameter
  Eigen::VectorXd values;       ///< natural units, every parameter
  std::vector<bool> fixed;      ///< per parameter: held fixed
  double objective = 0;         ///< sum_i w_i H_delta(r_i) at the optimum (Hoffmann's objective)
  double rms_log_residual = 0;  ///< sqrt(mean r_i^2) over points of positive weight
  bool converged = false;
  double gradient_norm = 0;  ///< of objective / (delta x total weight), free coefficients
  std::string
      stop_reason;      ///< e.g. "|gradient| 8.4e-09 <= 1e-05 after L-BFGS (...) and 0 IRLS steps"
  int evaluations = 0;  ///< objective evaluations of the winning start and its polish
  size_t best_start = 0;  ///< index of the winning start
  size_t num_starts = 0;
  size_t num_converged_starts = 0;
  size_t num_points = 0;  ///< points of positive weight
};

class FitProblem {
 public:
  /// Checks the options and the data: positive values where the form takes logs, and more
  /// points than free coefficients ("runs.csv: 4 points for the 5 free coefficients of law
  /// form chinchilla; need at least 6").
  [[nodiscard]] static Result<FitProblem> Make(const LawForm& form, const RunData& data,
                                               const FitOptions& options);

  const LawForm& form() const { return objective_.form(); }
  const FitOptions& options() const { return options_; }
  const RunData& data() const { return data_; }
  size_t num_free() const { return free_.size(); }

  /// The start grid (fit space, every parameter), thinned to options.max_starts.
  std::vector<Eigen::VectorXd> StartGrid() const;

  /// log(predicted / observed) for every point at fit-space `theta`.
  Eigen::VectorXd Residuals(const Eigen::VectorXd& theta) const {
    return objective_.Residuals(theta);
  }

  /// Fits from the start grid with unit weights.
  FitResult Fit() const;
  /// Fits from `starts` (fit space, every parameter; fixed ones are overwritten) with point
  /// `weights`; starts run in parallel and the best wins by (objective, start index).
  FitResult FitFrom(const std::vector<Eigen::VectorXd>& starts,
                    const Eigen::VectorXd& weights) const;

 private:
  FitProblem(const LawForm& form, RunData data, FitOptions options, Eigen::MatrixXd x_law,
             Eigen::VectorXd y_law);
  FitResult Solve(const Eigen::VectorXd& start, const Eigen::VectorXd& weights) const;
  // Fills theta, values (fixed ones exact), objective and residual statistics.
  void Describe(const Eigen::VectorXd& theta, const Eigen::VectorXd& weights,
                FitResult& result) const;

  FitOptions options_;
  RunData data_;
  HuberObjective objective_;
  Eigen::VectorXd fixed_theta_;     // fit-space values of fixed parameters (others unused)
  Eigen::VectorXd fixed_values_;    // the same in natural units, reported exactly
  std::vector<Eigen::Index> free_;  // indices of free parameters
};

/// Convenience: FitProblem::Make(...)->Fit().
[[nodiscard]] Result<FitResult> FitLaw(const LawForm& form, const RunData& data,
                                       const FitOptions& options);

}  // namespace moeplan::scaling
