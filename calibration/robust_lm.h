//===- calibration/robust_lm.h - Bounded, robust Levenberg-Marquardt -*- C++ -*-===//
/// \file
/// The least-squares engine of calibration: Levenberg-Marquardt (Marquardt's diagonal scaling,
/// Nocedal and Wright, "Numerical Optimization", 2nd ed., Sec. 10.3) on a robust loss, with
/// every parameter kept inside its physical range by a logistic map, and a weak Gaussian prior
/// that pins directions the data cannot see.
///
/// Parameters. Each `BoundedParam` x in [lower, upper] is optimised as an unbounded u:
///   linear: x = lower + (upper - lower) * sigmoid(u)              (efficiencies in (0, 1])
///   log:    x = exp(log lower + (log upper - log lower) * sigmoid(u))   (positive scales)
/// so no step can leave the physical range (no efficiency above 1, no negative time).
///
/// Objective (r_i = data residuals, usually log(predicted) - log(measured)):
///   F(u) = sum_i rho(r_i) + 1/2 * lambda_p * |u - u_start|^2,
///   lambda_p = loss_scale^2 / prior_sigma^2,
/// i.e. the prior costs as much as one residual of size loss_scale when a parameter moves
/// prior_sigma (in u units) from its start. rho is squared (r^2/2), Huber or Cauchy (Ceres'
/// HuberLoss / CauchyLoss with scale loss_scale). Each iteration solves
///   (J'WJ + lambda_p I + mu diag(J'WJ + lambda_p I)) du = -(J'W r + lambda_p (u - u_start))
/// with IRLS weights w_i = rho'(r_i)/r_i and a central-difference Jacobian, accepting the step
/// only when F decreases (mu shrinks on success, grows on failure).
///
/// Stopping: relative decrease of F below function_tolerance, step below parameter_tolerance,
/// gradient below gradient_tolerance, or no decreasing step even with a tiny trust region (a
/// local minimum of a non-smooth objective: the cost models contain max() rooflines). Reaching
/// max_iterations is reported as not converged; callers turn that into an error.
///
/// Example: fitting y = a x with a in [0, 1] to points y = 0.8 x gives a = 0.8 in a few steps.
/// Thread-safe: no global state; the residual function is called from the calling thread only.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::calibration {

enum class RobustLoss : uint8_t { kSquared, kHuber, kCauchy };

/// "squared", "huber", "cauchy".
const char* ToString(RobustLoss loss);
[[nodiscard]] Result<RobustLoss> ParseRobustLoss(std::string_view text);

/// One parameter with its physical range.
struct BoundedParam {
  std::string name;        ///< JSON path in the hardware file, e.g. "efficiency.gemm.k_half"
  double lower = 0.0;      ///< physical lower bound (> 0 when log_scale)
  double upper = 1.0;      ///< physical upper bound (> lower)
  bool log_scale = false;  ///< logistic in log(x) (scales spanning decades) instead of in x
  double start = 0.5;      ///< initial value and centre of the prior; clamped inside the range
};

/// x from u (see the file comment).
double ToPhysical(const BoundedParam& param, double u);
/// u from x; x is first clamped strictly inside (lower, upper).
double ToUnbounded(const BoundedParam& param, double x);

struct SolverOptions {
  RobustLoss loss = RobustLoss::kHuber;
  /// Residual size (log units: 0.1 ~ 10%) where the robust loss turns from quadratic to
  /// linear (Huber) or flattens (Cauchy). Measurements this far off are treated as outliers.
  double loss_scale = 0.1;
  /// Width of the prior around the start, in unbounded units; larger = weaker. Only matters
  /// for directions the data do not determine.
  double prior_sigma = 10.0;
  int max_iterations = 200;
  double function_tolerance = 1e-12;   ///< relative decrease of F that counts as converged
  double parameter_tolerance = 1e-10;  ///< relative step size that counts as converged
  double gradient_tolerance = 1e-14;   ///< max |dF/du| that counts as converged

  /// Errors name the field: "solver option 'loss_scale': expected a positive number, got 0".
  [[nodiscard]] Status Validate() const;
};

/// What the solver found and why it stopped.
struct SolverSummary {
  bool converged = false;
  std::string stop_reason;  ///< e.g. "relative cost decrease 3e-13 below tolerance"
  int iterations = 0;
  double initial_cost = 0.0;
  double final_cost = 0.0;
  std::vector<double> values;  ///< physical values, in the order of the params
  /// Delta-method standard error of each physical value (robust residual scale); 0 when the
  /// normal matrix is singular.
  std::vector<double> std_errors;
  /// True where the posterior variance of u exceeds a quarter of the prior variance: the
  /// data hardly constrain the parameter, which stays near its start.
  std::vector<bool> weakly_determined;
  /// True where the value lies within 0.1% (of the range, in u terms) of a bound.
  std::vector<bool> at_bound;
  std::vector<double> residuals;  ///< final data residuals
};

/// Fills `residuals` (size num_residuals) for physical parameter values `values`.
using ResidualFunction =
    std::function<void(std::span<const double> values, std::span<double> residuals)>;

/// Minimises F. Errors: invalid options or params, no residuals, or non-finite residuals at
/// the start ("residual 3 is not finite at the starting point"). Not converging is not an
/// error here: see SolverSummary::converged.
[[nodiscard]] Result<SolverSummary> SolveRobust(const std::vector<BoundedParam>& params,
                                                int num_residuals, const ResidualFunction& function,
                                                const SolverOptions& options);

}  // namespace moeplan::calibration
