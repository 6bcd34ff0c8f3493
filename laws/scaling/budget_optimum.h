//===- laws/scaling/budget_optimum.h - Optimum of several variables at one budget -*- C++ -*-===//
/// \file
/// The IsoFLOP step of Wan et al.'s two-phase framework (arXiv:2603.21862) generalised to
/// several variables: at one compute budget, runs differ in k shape variables x_1..x_k (phase 1:
/// M, N_a/M, N/N_a; phase 2: d and depth or expert width), and the optimum of each is read from
/// the losses in u = ln x. Two estimators:
///
///  - surface: a full quadratic in u (1 + 2k + k(k-1)/2 terms: constant, linear, squares and
///    cross products), L = b0 + g'v + v'Av with v = u - mean(u), by least squares. Its minimum
///    v* = -A^-1 g / 2, L* = b0 + g'v*/2, needs A positive definite. The interval of x_i within
///    a relative epsilon of L* is the projection of the near-optimal ellipsoid onto axis i,
///    |v_i - v_i*| <= sqrt(epsilon L* (A^-1)_ii): how far x_i can move when the other variables
///    follow it optimally (for k = 1 it is isoflop.h's sqrt(epsilon L* / c2)).
///  - slices: one parabola per variable through the runs whose other variables sit at the grid
///    levels of the best run (the IsoFLOP parabola "with the other variables at their best");
///    its interval is conditional on those levels.
///
/// Why the surface is preferred (OptimumMethod::kAuto picks it whenever the runs determine
/// all its terms with at least one residual degree of freedom, e.g. any full 3 x 3 x 3 grid):
/// it uses every run for every variable, so the per-variable optima average over the whole
/// grid instead of one slice; its cross terms capture interactions (the optimal M moving with
/// N_a/M), which slices through a grid point miss, so their optima are biased whenever the best
/// run's other levels are not exactly optimal; and its optimum is the joint one. Slices remain
/// for sparse one-factor-at-a-time designs, where the cross terms cannot be estimated.
///
/// Values within a relative `level_tolerance` are one grid level (runs designed by the triad
/// solver meet their targets only within a tolerance). Optional per-run weights (bootstrap
/// resampling counts) weight the least squares. Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::scaling {

enum class OptimumMethod { kAuto, kSurface, kSlices };
const char* ToString(OptimumMethod method);  ///< "auto", "surface", "slices"
[[nodiscard]] Result<OptimumMethod> ParseOptimumMethod(std::string_view text);

struct OptimumOptions {
  OptimumMethod method = OptimumMethod::kAuto;
  /// Relative loss tolerance of the near-optimal intervals: L <= L* (1 + epsilon); Wan et al.
  /// use 0.25%.
  double epsilon = 0.0025;
  /// Values within this relative distance are one grid level.
  double level_tolerance = 0.03;
  [[nodiscard]] Status Validate() const;
};

/// The fitted optimum of one variable.
struct VariableOptimum {
  std::string symbol;
  double optimum = 0;        ///< x at the fitted minimum
  double low = 0, high = 0;  ///< interval of x within epsilon of the fitted minimum
  double sampled_min = 0, sampled_max = 0;
  bool inside = false;    ///< optimum within the sampled range (not an extrapolation)
  size_t num_levels = 0;  ///< grid levels sampled
};

struct BudgetOptimum {
  OptimumMethod method = OptimumMethod::kSurface;  ///< the one used (never kAuto)
  size_t num_points = 0;                           ///< runs with positive weight
  double loss_opt = 0;                             ///< fitted loss at the optimum
  double rms_residual = 0;                         ///< of the fit, loss units
  std::vector<VariableOptimum> variables;          ///< in the problem's column order
};

/// The runs of one budget.
struct OptimumProblem {
  std::vector<std::string> symbols;  ///< one per column of x, for reports and errors
  Eigen::MatrixXd x;                 ///< runs x variables, positive
  Eigen::VectorXd loss;              ///< per run, finite
  Eigen::VectorXd weights;           ///< per run, >= 0; empty: all 1
};

/// Terms of the quadratic surface in k variables: 1 + 2k + k(k-1)/2.
size_t SurfaceTermCount(size_t num_variables);

/// Grid level of each value (0, 1, ... in increasing order): sorted values start a new level
/// when they exceed the level's first value by more than the relative tolerance.
std::vector<size_t> GridLevels(std::span<const double> values, double tolerance);

/// The optimum; errors say why none could be read (too few runs or levels, no minimum).
[[nodiscard]] Result<BudgetOptimum> FitBudgetOptimum(const OptimumProblem& problem,
                                                     const OptimumOptions& options);

}  // namespace moeplan::scaling
