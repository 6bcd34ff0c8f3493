//===- laws/scaling/huber_irls.cc - Newton-type polish of Huber fits ------===//
#include "laws/scaling/huber_irls.h"

#include <Eigen/Dense>
#include <cmath>

namespace moeplan::scaling {
namespace {

// Gradient over the free parameters (already divided by `scale`) and the IRLS normal matrix.
struct Linear {
  Eigen::VectorXd gradient;
  Eigen::MatrixXd normal;
};

Linear Linearize(const HuberObjective& objective, const Eigen::VectorXd& theta,
                 const Eigen::VectorXd& weights, const std::vector<Eigen::Index>& free,
                 double scale) {
  Eigen::VectorXd r;
  Eigen::MatrixXd jacobian;
  objective.Linearize(theta, r, jacobian);
  const double delta = objective.delta();
  Eigen::MatrixXd j(jacobian.rows(), static_cast<Eigen::Index>(free.size()));
  for (size_t i = 0; i < free.size(); ++i)
    j.col(static_cast<Eigen::Index>(i)) = jacobian.col(free[i]);
  const Eigen::ArrayXd abs_r = r.array().abs();
  const Eigen::ArrayXd psi = r.array().max(-delta).min(delta);
  // psi(r)/r: 1 inside the threshold, delta/|r| outside.
  const Eigen::ArrayXd reweight = (abs_r <= delta).select(1.0, delta / abs_r);
  Linear out;
  out.gradient = j.transpose() * (weights.array() * psi).matrix() * scale;
  out.normal = j.transpose() * (weights.array() * reweight).matrix().asDiagonal() * j * scale;
  return out;
}

}  // namespace

IrlsResult PolishHuberIrls(const HuberObjective& objective, const Eigen::VectorXd& theta,
                           const Eigen::VectorXd& weights, const std::vector<Eigen::Index>& free,
                           const IrlsOptions& options) {
  const double scale = 1.0 / (objective.delta() * weights.sum());
  IrlsResult result;
  result.theta = theta;
  result.objective = objective.Evaluate(theta, weights, nullptr);
  for (result.iterations = 0; result.iterations < options.max_iterations; ++result.iterations) {
    const Linear lin = Linearize(objective, result.theta, weights, free, scale);
    result.gradient_norm = lin.gradient.norm();
    if (!std::isfinite(result.gradient_norm)) return result;
    if (result.gradient_norm <= options.gradient_tolerance) {
      result.converged = true;
      return result;
    }
    // Levenberg damping only if the normal matrix is singular.
    Eigen::VectorXd step = lin.normal.ldlt().solve(-lin.gradient);
    if (!step.allFinite() || lin.gradient.dot(step) >= 0) {
      const Eigen::MatrixXd damped =
          lin.normal + 1e-8 * lin.normal.diagonal().cwiseAbs().maxCoeff() *
                           Eigen::MatrixXd::Identity(lin.normal.rows(), lin.normal.cols());
      step = damped.ldlt().solve(-lin.gradient);
      if (!step.allFinite() || lin.gradient.dot(step) >= 0) step = -lin.gradient;
    }
    // Backtracking (Armijo) on the true objective.
    const double slope = lin.gradient.dot(step) / scale;
    bool moved = false;
    for (double t = 1.0; t > 1e-12; t *= 0.5) {
      Eigen::VectorXd trial = result.theta;
      for (size_t i = 0; i < free.size(); ++i)
        trial[free[i]] += t * step[static_cast<Eigen::Index>(i)];
      const double value = objective.Evaluate(trial, weights, nullptr);
      if (std::isfinite(value) && value <= result.objective + 1e-4 * t * slope) {
        moved = value < result.objective;
        result.theta = trial;
        result.objective = value;
        break;
      }
    }
    if (!moved) break;  // no decrease possible in double precision
  }
  const Linear last = Linearize(objective, result.theta, weights, free, scale);
  result.gradient_norm = last.gradient.norm();
  result.converged = result.gradient_norm <= options.gradient_tolerance;
  return result;
}

}  // namespace moeplan::scaling
