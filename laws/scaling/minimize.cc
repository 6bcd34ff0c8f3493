//===- laws/scaling/minimize.cc - L-BFGS that always reports --------------===//
#include "laws/scaling/minimize.h"

#include <LBFGS.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace moeplan::scaling {
namespace {

// Forwards to the objective and remembers the best finite point seen.
class Tracker {
 public:
  explicit Tracker(const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>& f)
      : f_(f) {}

  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    ++evaluations_;
    const double value = f_(x, grad);
    if (std::isfinite(value) && grad.allFinite() && value < best_value_) {
      best_value_ = value;
      best_x_ = x;
      best_gradient_norm_ = grad.norm();
    }
    return std::isfinite(value) ? value : std::numeric_limits<double>::quiet_NaN();
  }

  double best_value_ = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_x_;
  double best_gradient_norm_ = std::numeric_limits<double>::infinity();
  int evaluations_ = 0;

 private:
  const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>& f_;
};

}  // namespace

Status MinimizeOptions::Validate() const {
  if (max_iterations < 1)
    return Error{fmt::format("max_iterations must be >= 1, got {}", max_iterations)};
  if (history < 1) return Error{fmt::format("history must be >= 1, got {}", history)};
  if (!(gradient_tolerance >= 0) || !(relative_decrease >= 0) || !(stall_gradient_tolerance >= 0)) {
    return Error{"tolerances must be non-negative"};
  }
  if (decrease_window < 0) return Error{"decrease_window must be >= 0"};
  if (max_line_search < 1) return Error{"max_line_search must be >= 1"};
  return Status::Ok();
}

MinimizeResult MinimizeLbfgs(
    const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>& objective,
    const Eigen::VectorXd& start, const MinimizeOptions& options) {
  LBFGSpp::LBFGSParam<double> param;
  param.m = options.history;
  param.epsilon = options.gradient_tolerance;
  param.epsilon_rel = 0;
  param.past = options.decrease_window;
  param.delta = options.relative_decrease;
  param.max_iterations = options.max_iterations;
  param.max_linesearch = options.max_line_search;
  param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
  LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchBacktracking> solver(param);

  Tracker tracker(objective);
  Eigen::VectorXd x = start;
  double fx = 0;
  MinimizeResult result;
  bool solver_finished = false;
  try {
    result.iterations = solver.minimize(tracker, x, fx);
    solver_finished = true;
  } catch (const std::exception& e) {  // line-search failure: judged below
    result.stop_reason = e.what();
  }
  result.evaluations = tracker.evaluations_;
  result.value = tracker.best_value_;
  result.x = tracker.best_x_.size() > 0 ? tracker.best_x_ : start;
  result.gradient_norm = tracker.best_gradient_norm_;
  if (!std::isfinite(result.value)) {
    result.stop_reason = "no finite objective value";
    return result;
  }
  if (solver_finished) {
    result.converged = result.iterations < options.max_iterations;
    result.stop_reason = result.converged ? "converged" : "iteration limit reached";
    return result;
  }
  result.converged = result.gradient_norm <= options.stall_gradient_tolerance;
  result.stop_reason = result.converged ? "line search stalled at a stationary point"
                                        : fmt::format("line search failed ({}), |grad| = {:.3g}",
                                                      result.stop_reason, result.gradient_norm);
  return result;
}

}  // namespace moeplan::scaling
