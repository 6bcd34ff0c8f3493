//===- laws/scaling/minimize.h - L-BFGS that always reports -----*- C++ -*-===//
/// \file
/// A thin, exception-free wrapper around the L-BFGS solver of LBFGS++ (Yixuan Qiu, Debian
/// liblbfgspp-dev) with a backtracking line search under the strong Wolfe conditions. The
/// solver throws when a line search fails, which near a Huber-loss optimum mostly means that
/// double precision is exhausted; the wrapper keeps the best point ever evaluated and judges
/// convergence itself: the solver's own gradient or objective-decrease test, or, after a
/// line-search failure, a gradient norm below `stall_gradient_tolerance` at the best point.
/// Deterministic; thread-safe as long as `objective` is.
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>

#include "laws/support/result.h"

namespace moeplan::scaling {

struct MinimizeOptions {
  int max_iterations = 1000;         ///< L-BFGS iterations; reaching it means not converged
  int history = 10;                  ///< correction pairs kept (L-BFGS memory)
  double gradient_tolerance = 1e-9;  ///< stop when |grad| <= this (absolute)
  /// Stop when the objective decreased by less than this (relative to max(|f|, 1)) over
  /// `decrease_window` iterations.
  double relative_decrease = 1e-13;
  int decrease_window = 5;
  int max_line_search = 40;  ///< trial steps per line search
  /// After a line-search failure, the best point counts as converged if |grad| <= this.
  double stall_gradient_tolerance = 1e-5;
  [[nodiscard]] Status Validate() const;
};

struct MinimizeResult {
  Eigen::VectorXd x;         ///< best point evaluated
  double value = 0;          ///< objective there (+inf if nothing finite was found)
  double gradient_norm = 0;  ///< |grad| there
  int iterations = 0;        ///< L-BFGS iterations (0 when a line search failed: unknown)
  int evaluations = 0;       ///< objective evaluations
  bool converged = false;
  std::string stop_reason;  ///< e.g. "gradient tolerance", "line search stalled"
};

/// Minimises `objective(x, grad)` (returns f and fills grad) from `start`.
MinimizeResult MinimizeLbfgs(
    const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>& objective,
    const Eigen::VectorXd& start, const MinimizeOptions& options);

}  // namespace moeplan::scaling
