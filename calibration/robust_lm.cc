//===- calibration/robust_lm.cc - Bounded, robust Levenberg-Marquardt -----===//
#include "calibration/robust_lm.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace moeplan::calibration {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kJacobianStep = 1e-5;  // central differences in u units
constexpr double kMaxDamping = 1e10;    // beyond this no step decreases F: a local minimum
constexpr double kBoundMargin = 1e-3;   // sigmoid within 0.1% of 0 or 1 counts as at a bound

double Sigmoid(double u) {
  return 1.0 / (1.0 + std::exp(-u));
}

double Logit(double p) {
  return std::log(p / (1.0 - p));
}

double Rho(RobustLoss loss, double scale, double r) {
  const double a = std::abs(r);
  switch (loss) {
    case RobustLoss::kSquared:
      return 0.5 * r * r;
    case RobustLoss::kHuber:
      return a <= scale ? 0.5 * r * r : scale * (a - 0.5 * scale);
    case RobustLoss::kCauchy:
      return 0.5 * scale * scale * std::log1p((r / scale) * (r / scale));
  }
  return 0.5 * r * r;
}

// IRLS weight rho'(r) / r.
double Weight(RobustLoss loss, double scale, double r) {
  const double a = std::abs(r);
  switch (loss) {
    case RobustLoss::kSquared:
      return 1.0;
    case RobustLoss::kHuber:
      return a <= scale ? 1.0 : scale / a;
    case RobustLoss::kCauchy:
      return 1.0 / (1.0 + (r / scale) * (r / scale));
  }
  return 1.0;
}

Status CheckParam(const BoundedParam& p) {
  const bool finite = std::isfinite(p.lower) && std::isfinite(p.upper) && std::isfinite(p.start);
  if (!finite || !(p.upper > p.lower) || (p.log_scale && !(p.lower > 0.0))) {
    return Error{fmt::format(
        "parameter '{}': expected finite bounds with lower < upper (and lower > 0 on a log "
        "scale), got [{}, {}]",
        p.name, p.lower, p.upper)};
  }
  return Status::Ok();
}

// Everything one solve needs, with the unbounded <-> physical maps.
class Problem {
 public:
  Problem(const std::vector<BoundedParam>& params, int num_residuals,
          const ResidualFunction& function, const SolverOptions& options)
      : params_(params),
        function_(function),
        options_(options),
        prior_weight_(options.prior_sigma > 0.0 ? (options.loss_scale * options.loss_scale) /
                                                      (options.prior_sigma * options.prior_sigma)
                                                : 0.0),
        physical_(params.size()),
        residuals_(static_cast<size_t>(num_residuals)) {
    start_.resize(static_cast<Eigen::Index>(params.size()));
    for (size_t param_idx = 0; param_idx < params.size(); ++param_idx) {
      start_[static_cast<Eigen::Index>(param_idx)] =
          ToUnbounded(params[param_idx], params[param_idx].start);
    }
  }

  const VectorXd& start() const { return start_; }
  double prior_weight() const { return prior_weight_; }
  Eigen::Index num_params() const { return start_.size(); }
  Eigen::Index num_residuals() const { return static_cast<Eigen::Index>(residuals_.size()); }

  // Residuals at u; false when any is not finite.
  bool Residuals(const VectorXd& u, VectorXd& out) {
    for (Eigen::Index param_idx = 0; param_idx < u.size(); ++param_idx) {
      physical_[static_cast<size_t>(param_idx)] =
          ToPhysical(params_[static_cast<size_t>(param_idx)], u[param_idx]);
    }
    std::fill(residuals_.begin(), residuals_.end(), 0.0);
    function_(physical_, residuals_);
    out = Eigen::Map<const VectorXd>(residuals_.data(), num_residuals());
    return out.allFinite();
  }

  double Cost(const VectorXd& u, const VectorXd& r) const {
    double cost = 0.0;
    for (Eigen::Index res_idx = 0; res_idx < r.size(); ++res_idx) {
      cost += Rho(options_.loss, options_.loss_scale, r[res_idx]);
    }
    return cost + 0.5 * prior_weight_ * (u - start_).squaredNorm();
  }

  VectorXd Weights(const VectorXd& r) const {
    VectorXd w(r.size());
    for (Eigen::Index res_idx = 0; res_idx < r.size(); ++res_idx) {
      w[res_idx] = Weight(options_.loss, options_.loss_scale, r[res_idx]);
    }
    return w;
  }

  // Central-difference Jacobian; a non-finite side falls back to a one-sided difference.
  MatrixXd Jacobian(const VectorXd& u, const VectorXd& r) {
    MatrixXd jacobian(num_residuals(), num_params());
    VectorXd plus;
    VectorXd minus;
    for (Eigen::Index param_idx = 0; param_idx < num_params(); ++param_idx) {
      VectorXd shifted = u;
      shifted[param_idx] = u[param_idx] + kJacobianStep;
      const bool plus_ok = Residuals(shifted, plus);
      shifted[param_idx] = u[param_idx] - kJacobianStep;
      const bool minus_ok = Residuals(shifted, minus);
      if (plus_ok && minus_ok) {
        jacobian.col(param_idx) = (plus - minus) / (2.0 * kJacobianStep);
      } else if (plus_ok) {
        jacobian.col(param_idx) = (plus - r) / kJacobianStep;
      } else if (minus_ok) {
        jacobian.col(param_idx) = (r - minus) / kJacobianStep;
      } else {
        jacobian.col(param_idx).setZero();
      }
    }
    return jacobian;
  }

  double PhysicalSlope(Eigen::Index param_idx, double u) const {
    const BoundedParam& p = params_[static_cast<size_t>(param_idx)];
    return (ToPhysical(p, u + kJacobianStep) - ToPhysical(p, u - kJacobianStep)) /
           (2.0 * kJacobianStep);
  }

 private:
  const std::vector<BoundedParam>& params_;
  const ResidualFunction& function_;
  const SolverOptions& options_;
  double prior_weight_;
  VectorXd start_;
  std::vector<double> physical_;
  std::vector<double> residuals_;
};

// Standard errors, weak-determination and bound flags at the solution.
void Summarize(Problem& problem, const VectorXd& u, const VectorXd& r,
               const std::vector<BoundedParam>& params, SolverSummary& summary) {
  const Eigen::Index n = problem.num_params();
  const VectorXd w = problem.Weights(r);
  const MatrixXd jacobian = problem.Jacobian(u, r);
  MatrixXd normal = jacobian.transpose() * w.asDiagonal() * jacobian;
  normal.diagonal().array() += problem.prior_weight();
  const Eigen::FullPivLU<MatrixXd> lu(normal);
  const double dof = std::max<double>(1.0, static_cast<double>(r.size() - n));
  const double scale2 = (w.array() * r.array().square()).sum() / dof;
  MatrixXd covariance = MatrixXd::Zero(n, n);
  if (lu.isInvertible()) covariance = lu.inverse();
  summary.values.resize(static_cast<size_t>(n));
  summary.std_errors.assign(static_cast<size_t>(n), 0.0);
  summary.weakly_determined.assign(static_cast<size_t>(n), false);
  summary.at_bound.assign(static_cast<size_t>(n), false);
  for (Eigen::Index param_idx = 0; param_idx < n; ++param_idx) {
    const size_t idx = static_cast<size_t>(param_idx);
    summary.values[idx] = ToPhysical(params[idx], u[param_idx]);
    const double variance_u = covariance(param_idx, param_idx);
    summary.std_errors[idx] =
        std::abs(problem.PhysicalSlope(param_idx, u[param_idx])) * std::sqrt(scale2 * variance_u);
    const double prior_variance = problem.prior_weight() > 0.0
                                      ? 1.0 / problem.prior_weight()
                                      : std::numeric_limits<double>::infinity();
    summary.weakly_determined[idx] = !lu.isInvertible() || variance_u > 0.25 * prior_variance;
    const double s = Sigmoid(u[param_idx]);
    summary.at_bound[idx] = s < kBoundMargin || s > 1.0 - kBoundMargin;
  }
  summary.residuals.assign(r.data(), r.data() + r.size());
}

}  // namespace

const char* ToString(RobustLoss loss) {
  switch (loss) {
    case RobustLoss::kSquared:
      return "squared";
    case RobustLoss::kHuber:
      return "huber";
    case RobustLoss::kCauchy:
      return "cauchy";
  }
  return "huber";
}

Result<RobustLoss> ParseRobustLoss(std::string_view text) {
  for (RobustLoss loss : {RobustLoss::kSquared, RobustLoss::kHuber, RobustLoss::kCauchy}) {
    if (text == ToString(loss)) return loss;
  }
  return Error{fmt::format("unknown loss '{}' (expected squared, huber or cauchy)", text)};
}

double ToPhysical(const BoundedParam& p, double u) {
  const double s = Sigmoid(u);
  if (!p.log_scale) return p.lower + (p.upper - p.lower) * s;
  const double lo = std::log(p.lower);
  const double hi = std::log(p.upper);
  return std::exp(lo + (hi - lo) * s);
}

double ToUnbounded(const BoundedParam& p, double x) {
  double fraction = 0.0;
  if (p.log_scale) {
    const double lo = std::log(p.lower);
    const double hi = std::log(p.upper);
    fraction = x > 0.0 ? (std::log(x) - lo) / (hi - lo) : 0.0;
  } else {
    fraction = (x - p.lower) / (p.upper - p.lower);
  }
  fraction = std::clamp(fraction, 1e-6, 1.0 - 1e-6);
  return Logit(fraction);
}

Status SolverOptions::Validate() const {
  auto positive = [](double value, std::string_view name) -> Status {
    if (!std::isfinite(value) || value <= 0.0) {
      return Error{
          fmt::format("solver option '{}': expected a positive number, got {}", name, value)};
    }
    return Status::Ok();
  };
  if (Status s = positive(loss_scale, "loss_scale"); !s.ok()) return s;
  if (!std::isfinite(prior_sigma) || prior_sigma < 0.0) {
    return Error{
        fmt::format("solver option 'prior_sigma': expected a number >= 0, got {}", prior_sigma)};
  }
  if (max_iterations < 1 || max_iterations > 1000000) {
    return Error{
        fmt::format("solver option 'max_iterations': expected 1..1000000, got {}", max_iterations)};
  }
  if (Status s = positive(function_tolerance, "function_tolerance"); !s.ok()) return s;
  if (Status s = positive(parameter_tolerance, "parameter_tolerance"); !s.ok()) return s;
  return positive(gradient_tolerance, "gradient_tolerance");
}

Result<SolverSummary> SolveRobust(const std::vector<BoundedParam>& params, int num_residuals,
                                  const ResidualFunction& function, const SolverOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  for (const BoundedParam& p : params) {
    if (Status s = CheckParam(p); !s.ok()) return s.error();
  }
  if (num_residuals < 1) return Error{"nothing to fit: no residuals"};
  Problem problem(params, num_residuals, function, options);
  VectorXd u = problem.start();
  VectorXd r;
  if (!problem.Residuals(u, r)) {
    Eigen::Index bad = 0;
    while (bad < r.size() && std::isfinite(r[bad])) ++bad;
    return Error{fmt::format("residual {} is not finite at the starting point", bad)};
  }
  SolverSummary summary;
  double cost = problem.Cost(u, r);
  summary.initial_cost = cost;
  double damping = 1e-3;
  VectorXd trial_r;
  for (summary.iterations = 0; summary.iterations < options.max_iterations; ++summary.iterations) {
    if (params.empty()) {
      summary.converged = true;
      summary.stop_reason = "no free parameters";
      break;
    }
    const VectorXd w = problem.Weights(r);
    const MatrixXd jacobian = problem.Jacobian(u, r);
    MatrixXd normal = jacobian.transpose() * w.asDiagonal() * jacobian;
    normal.diagonal().array() += problem.prior_weight();
    const VectorXd gradient = jacobian.transpose() * (w.array() * r.array()).matrix() +
                              problem.prior_weight() * (u - problem.start());
    if (gradient.lpNorm<Eigen::Infinity>() <= options.gradient_tolerance) {
      summary.converged = true;
      summary.stop_reason =
          fmt::format("gradient {:.3g} below tolerance", gradient.lpNorm<Eigen::Infinity>());
      break;
    }
    bool accepted = false;
    VectorXd step;
    double new_cost = cost;
    while (damping <= kMaxDamping) {
      MatrixXd damped = normal;
      damped.diagonal() += damping * normal.diagonal().cwiseMax(1e-12);
      step = -damped.ldlt().solve(gradient);
      const VectorXd trial = u + step;
      if (step.allFinite() && problem.Residuals(trial, trial_r)) {
        new_cost = problem.Cost(trial, trial_r);
        if (new_cost < cost) {
          accepted = true;
          u = trial;
          r = trial_r;
          damping = std::max(damping / 3.0, 1e-12);
          break;
        }
      }
      damping *= 4.0;
    }
    if (!accepted) {
      summary.converged = true;
      summary.stop_reason = "no step decreases the cost (local minimum)";
      break;
    }
    const double decrease = cost - new_cost;
    cost = new_cost;
    if (decrease <= options.function_tolerance * std::max(cost, 1e-300)) {
      summary.converged = true;
      summary.stop_reason = fmt::format("relative cost decrease {:.3g} below tolerance",
                                        decrease / std::max(cost, 1e-300));
      ++summary.iterations;
      break;
    }
    if (step.norm() <= options.parameter_tolerance * (u.norm() + options.parameter_tolerance)) {
      summary.converged = true;
      summary.stop_reason = "step below tolerance";
      ++summary.iterations;
      break;
    }
  }
  if (!summary.converged) {
    summary.stop_reason = fmt::format("no convergence after {} iterations", options.max_iterations);
  }
  summary.final_cost = cost;
  Summarize(problem, u, r, params, summary);
  return summary;
}

}  // namespace moeplan::calibration
