//===- laws/scaling/huber_objective.cc - Robust loss of log residuals -----===//
#include "laws/scaling/huber_objective.h"

#include <cmath>

namespace moeplan::scaling {

double Huber(double residual, double delta) {
  const double a = std::fabs(residual);
  return a <= delta ? 0.5 * residual * residual : delta * (a - 0.5 * delta);
}

HuberObjective::HuberObjective(const LawForm& form, const Eigen::MatrixXd& x,
                               const Eigen::VectorXd& y, double delta)
    : form_(&form), features_(form.Features(x)), log_y_(y.array().log()), delta_(delta) {}

double HuberObjective::Evaluate(const Eigen::VectorXd& theta, const Eigen::VectorXd& weights,
                                Eigen::VectorXd* grad) const {
  Eigen::VectorXd log_pred;
  Eigen::MatrixXd jacobian;
  form_->LogPredict(theta, features_, log_pred, grad != nullptr ? &jacobian : nullptr);
  const Eigen::ArrayXd r = (log_pred - log_y_).array();
  const Eigen::ArrayXd abs_r = r.abs();
  const Eigen::ArrayXd inside = (abs_r <= delta_).cast<double>();
  const Eigen::ArrayXd loss =
      inside * 0.5 * r.square() + (1.0 - inside) * delta_ * (abs_r - 0.5 * delta_);
  const double value = (weights.array() * loss).sum();
  if (grad != nullptr) {
    // dH/dr = r inside the threshold, delta sign(r) outside.
    const Eigen::ArrayXd psi = inside * r + (1.0 - inside) * delta_ * r.sign();
    *grad = jacobian.transpose() * (weights.array() * psi).matrix();
  }
  return value;
}

Eigen::VectorXd HuberObjective::Residuals(const Eigen::VectorXd& theta) const {
  Eigen::VectorXd log_pred;
  form_->LogPredict(theta, features_, log_pred, nullptr);
  return log_pred - log_y_;
}

void HuberObjective::Linearize(const Eigen::VectorXd& theta, Eigen::VectorXd& residuals,
                               Eigen::MatrixXd& jacobian) const {
  form_->LogPredict(theta, features_, residuals, &jacobian);
  residuals -= log_y_;
}

}  // namespace moeplan::scaling
