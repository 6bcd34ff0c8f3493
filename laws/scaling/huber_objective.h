//===- laws/scaling/huber_objective.h - Robust loss of log residuals -*- C++ -*-===//
/// \file
/// The objective of Hoffmann et al. 2022 (arXiv:2203.15556, App. D.2): the Huber loss of the
/// log residuals r_i = log(predicted_i) - log(observed_i), summed over the points,
///
///   H_delta(r) = r^2 / 2              for |r| <= delta
///              = delta (|r| - delta/2) otherwise,
///
/// here with a weight per point (bootstrap resampling counts; 0 leaves a point out). Robust to
/// outliers (beyond delta a residual costs linearly) and, in log space, fair to every scale.
/// The features of the data are computed once; evaluation is allocation-light and const, so
/// one objective serves many threads. Example: delta = 1e-3 as in Hoffmann et al.
//===----------------------------------------------------------------------===//
#pragma once

#include <Eigen/Core>

#include "laws/scaling/law_form.h"

namespace moeplan::scaling {

/// H_delta(r).
double Huber(double residual, double delta);

class HuberObjective {
 public:
  /// `x`: points x variables in law units (positive where the form takes logs); `y`: observed
  /// targets (positive).
  HuberObjective(const LawForm& form, const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                 double delta);

  const LawForm& form() const { return *form_; }
  Eigen::Index num_points() const { return log_y_.size(); }
  double delta() const { return delta_; }

  /// sum_i w_i H_delta(r_i) at fit-space `theta`; its gradient when `grad` is given.
  double Evaluate(const Eigen::VectorXd& theta, const Eigen::VectorXd& weights,
                  Eigen::VectorXd* grad) const;
  /// r_i for every point.
  Eigen::VectorXd Residuals(const Eigen::VectorXd& theta) const;
  /// r_i and dr_i/dtheta (rows = points) at `theta`.
  void Linearize(const Eigen::VectorXd& theta, Eigen::VectorXd& residuals,
                 Eigen::MatrixXd& jacobian) const;

 private:
  const LawForm* form_;
  Eigen::MatrixXd features_;
  Eigen::VectorXd log_y_;
  double delta_;
};

}  // namespace moeplan::scaling
