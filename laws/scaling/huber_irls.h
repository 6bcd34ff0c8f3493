//===- laws/scaling/huber_irls.h - Newton-type polish of Huber fits -*- C++ -*-===//
/// \file
/// Iteratively reweighted least squares for the Huber objective (Huber 1981, Robust
/// Statistics, Sec. 7.8 "the W-algorithm"; Holland & Welsch 1977): at each step the Huber loss
/// is majorised by a weighted least-squares problem with weights psi(r_i)/r_i (1 inside the
/// threshold, delta/|r_i| outside), linearised through the form's Jacobian (Gauss-Newton) and
/// solved exactly, followed by a backtracking line search on the true objective.
///
/// Why: with delta = 1e-3 and residuals of 1e-2, the Huber objective is almost piecewise linear
/// and, for strongly correlated coefficients (ln k and e of X = k C^e with ln C ~ 45), L-BFGS
/// line searches stall far from the optimum. The L-BFGS multi-start finds the basin; this polish
/// reaches the optimum to machine precision and gives the gradient that decides convergence.
/// Deterministic; thread-safe (the objective is const).
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <vector>

#include "laws/scaling/huber_objective.h"

namespace moeplan::scaling {

struct IrlsOptions {
  int max_iterations = 100;  ///< reweighting steps
  /// Converged when |gradient| of the objective divided by (delta x total weight) is below.
  double gradient_tolerance = 1e-7;
};

struct IrlsResult {
  Eigen::VectorXd theta;     ///< fit space, every parameter
  double objective = 0;      ///< sum_i w_i H_delta(r_i)
  double gradient_norm = 0;  ///< of the objective / (delta x total weight), free parameters
  int iterations = 0;
  bool converged = false;
};

/// Polishes `theta` over the parameters `free` (others stay) for point `weights`.
IrlsResult PolishHuberIrls(const HuberObjective& objective, const Eigen::VectorXd& theta,
                           const Eigen::VectorXd& weights, const std::vector<Eigen::Index>& free,
                           const IrlsOptions& options);

}  // namespace moeplan::scaling
