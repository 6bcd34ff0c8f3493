//===- laws/scaling/fit.cc - Robust multi-start fits of scaling laws ------===//
#include "laws/scaling/fit.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace moeplan::scaling {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<double> FixedValue(const FitOptions& options, const ParameterSpec& p) {
  for (const auto& [name, value] : options.fixed) {
    if (name == p.name) return value;
  }
  if (p.default_fixed && !Contains(options.freed, p.name)) return p.default_fixed;
  return std::nullopt;
}

Status CheckNames(const LawForm& form, const FitOptions& options) {
  auto known = [&](const std::string& name, const char* option) -> Status {
    if (form.ParameterIndex(name)) return Status::Ok();
    std::string list;
    for (const ParameterSpec& p : form.parameters()) list += (list.empty() ? "" : ", ") + p.name;
    return Error{fmt::format("{}: '{}' is not a coefficient of law form {} (coefficients: {})",
                             option, name, ToString(form.type()), list)};
  };
  for (const auto& [name, value] : options.fixed) {
    if (Status s = known(name, "fixed"); !s.ok()) return s;
    const ParameterSpec& p = form.parameters()[*form.ParameterIndex(name)];
    if (!std::isfinite(value) || (p.scale == ParameterScale::kLog && !(value > 0))) {
      return Error{fmt::format("fixed: coefficient '{}' must be a {} number, got {}", name,
                               p.scale == ParameterScale::kLog ? "positive" : "finite", value)};
    }
  }
  for (const std::string& name : options.freed) {
    if (Status s = known(name, "freed"); !s.ok()) return s;
  }
  for (const auto& [name, grid] : options.start_grids) {
    if (Status s = known(name, "start grid"); !s.ok()) return s;
    if (grid.empty()) return Error{fmt::format("start grid of '{}' is empty", name)};
  }
  return Status::Ok();
}

Status CheckData(const LawForm& form, const RunData& data, const Eigen::MatrixXd& x,
                 const Eigen::VectorXd& y) {
  for (Eigen::Index v = 0; v < x.cols(); ++v) {
    if (!form.RequiresPositive(static_cast<size_t>(v))) continue;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      if (!(x(i, v) > 0) || !std::isfinite(x(i, v))) {
        return Error{fmt::format("{}: row {}: variable '{}' must be positive, got {}", data.source,
                                 data.rows[static_cast<size_t>(i)], form.variables()[v].symbol,
                                 x(i, v))};
      }
    }
  }
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (!(y[i] > 0) || !std::isfinite(y[i])) {
      return Error{fmt::format("{}: row {}: the target must be positive, got {}", data.source,
                               data.rows[static_cast<size_t>(i)], y[i])};
    }
  }
  return Status::Ok();
}

// Lexicographic (objective, index) order; non-finite objectives last.
bool Better(const FitResult& a, size_t a_idx, const FitResult& b, size_t b_idx) {
  const bool a_ok = std::isfinite(a.objective), b_ok = std::isfinite(b.objective);
  if (a_ok != b_ok) return a_ok;
  if (a_ok && a.objective != b.objective) return a.objective < b.objective;
  return a_idx < b_idx;
}

}  // namespace

Status FitOptions::Validate() const {
  if (!(huber_delta > 0) || !std::isfinite(huber_delta)) {
    return Error{fmt::format("huber_delta must be positive, got {}", huber_delta)};
  }
  if (max_starts < 1) return Error{"max_starts must be at least 1"};
  for (double unit : variable_units) {
    if (!(unit > 0) || !std::isfinite(unit)) {
      return Error{fmt::format("variable units must be positive, got {}", unit)};
    }
  }
  if (!(convergence_tolerance > 0)) {
    return Error{
        fmt::format("convergence_tolerance must be positive, got {}", convergence_tolerance)};
  }
  if (polish.max_iterations < 0) return Error{"polish.max_iterations must be >= 0"};
  if (!(target_unit > 0) || !std::isfinite(target_unit)) {
    return Error{fmt::format("target_unit must be positive, got {}", target_unit)};
  }
  return minimize.Validate();
}

FitProblem::FitProblem(const LawForm& form, RunData data, FitOptions options, Eigen::MatrixXd x_law,
                       Eigen::VectorXd y_law)
    : options_(std::move(options)),
      data_(std::move(data)),
      objective_(form, x_law, y_law, options_.huber_delta),
      fixed_theta_(Eigen::VectorXd::Zero(static_cast<Eigen::Index>(form.num_parameters()))),
      fixed_values_(fixed_theta_) {
  for (size_t i = 0; i < form.num_parameters(); ++i) {
    const ParameterSpec& p = form.parameters()[i];
    if (std::optional<double> value = FixedValue(options_, p)) {
      fixed_values_[static_cast<Eigen::Index>(i)] = *value;
      fixed_theta_[static_cast<Eigen::Index>(i)] =
          p.scale == ParameterScale::kLog ? std::log(*value) : *value;
    } else {
      free_.push_back(static_cast<Eigen::Index>(i));
    }
  }
}

Result<FitProblem> FitProblem::Make(const LawForm& form, const RunData& data,
                                    const FitOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  if (Status s = CheckNames(form, options); !s.ok()) return s.error();
  const auto num_vars = static_cast<Eigen::Index>(form.variables().size());
  if (data.x.cols() != num_vars || data.x.rows() != data.y.size()) {
    return Error{fmt::format("{}: data have {} variables, law form {} has {}", data.source,
                             data.x.cols(), ToString(form.type()), num_vars)};
  }
  if (!options.variable_units.empty() &&
      static_cast<Eigen::Index>(options.variable_units.size()) != num_vars) {
    return Error{fmt::format("{} variable units given, law form {} has {} variables",
                             options.variable_units.size(), ToString(form.type()), num_vars)};
  }
  Eigen::MatrixXd x = data.x;
  for (Eigen::Index v = 0; v < num_vars && !options.variable_units.empty(); ++v) {
    x.col(v) /= options.variable_units[static_cast<size_t>(v)];
  }
  const Eigen::VectorXd y = data.y / options.target_unit;
  if (Status s = CheckData(form, data, x, y); !s.ok()) return s.error();
  FitProblem problem(form, data, options, std::move(x), y);
  if (data.size() <= problem.num_free()) {
    return Error{fmt::format(
        "{}: {} points for the {} free coefficients of law form {}; need at least {}", data.source,
        data.size(), problem.num_free(), ToString(form.type()), problem.num_free() + 1)};
  }
  return problem;
}

std::vector<Eigen::VectorXd> FitProblem::StartGrid() const {
  std::vector<std::vector<double>> axes;
  size_t total = 1;
  for (Eigen::Index idx : free_) {
    const ParameterSpec& p = form().parameters()[static_cast<size_t>(idx)];
    std::vector<double> axis = p.start_grid.empty() ? std::vector<double>{0.0} : p.start_grid;
    for (const auto& [name, grid] : options_.start_grids) {
      if (name == p.name) axis = grid;
    }
    total *= axis.size();
    axes.push_back(std::move(axis));
  }
  const size_t count = std::min(total, options_.max_starts);
  std::vector<Eigen::VectorXd> starts;
  starts.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    // Evenly thinned when the grid is larger than max_starts; mixed radix, last axis fastest.
    size_t code = count == total
                      ? i
                      : static_cast<size_t>(static_cast<double>(i) * static_cast<double>(total) /
                                            static_cast<double>(count));
    Eigen::VectorXd theta = fixed_theta_;
    for (size_t a = axes.size(); a-- > 0;) {
      theta[free_[a]] = axes[a][code % axes[a].size()];
      code /= axes[a].size();
    }
    starts.push_back(std::move(theta));
  }
  return starts;
}

FitResult FitProblem::Solve(const Eigen::VectorXd& start, const Eigen::VectorXd& weights) const {
  const double total_weight = weights.sum();
  const double scale = 1.0 / (options_.huber_delta * total_weight);
  auto objective = [&](const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    Eigen::VectorXd theta = fixed_theta_;
    for (size_t i = 0; i < free_.size(); ++i) theta[free_[i]] = x[static_cast<Eigen::Index>(i)];
    Eigen::VectorXd full_grad;
    const double value = objective_.Evaluate(theta, weights, &full_grad);
    grad.resize(static_cast<Eigen::Index>(free_.size()));
    for (size_t i = 0; i < free_.size(); ++i) {
      grad[static_cast<Eigen::Index>(i)] = full_grad[free_[i]] * scale;
    }
    return value * scale;
  };
  Eigen::VectorXd x0(static_cast<Eigen::Index>(free_.size()));
  for (size_t i = 0; i < free_.size(); ++i) x0[static_cast<Eigen::Index>(i)] = start[free_[i]];
  const MinimizeResult m = MinimizeLbfgs(objective, x0, options_.minimize);

  FitResult result;
  Eigen::VectorXd theta = fixed_theta_;
  for (size_t i = 0; i < free_.size(); ++i) theta[free_[i]] = m.x[static_cast<Eigen::Index>(i)];
  Describe(theta, weights, result);
  result.objective = m.value / scale;
  result.converged = m.converged;
  result.gradient_norm = m.gradient_norm;
  result.stop_reason = m.stop_reason;
  result.evaluations = m.evaluations;
  return result;
}

void FitProblem::Describe(const Eigen::VectorXd& theta, const Eigen::VectorXd& weights,
                          FitResult& result) const {
  result.theta = theta;
  result.values = form().FromFitSpace(theta);
  result.fixed.assign(form().num_parameters(), true);
  for (Eigen::Index idx : free_) result.fixed[static_cast<size_t>(idx)] = false;
  for (size_t p = 0; p < result.fixed.size(); ++p) {
    if (result.fixed[p])
      result.values[static_cast<Eigen::Index>(p)] = fixed_values_[static_cast<Eigen::Index>(p)];
  }
  result.objective = objective_.Evaluate(theta, weights, nullptr);
  const Eigen::ArrayXd r = objective_.Residuals(theta).array();
  const Eigen::ArrayXd used = (weights.array() > 0).cast<double>();
  result.num_points = static_cast<size_t>(used.sum());
  result.rms_log_residual = std::sqrt((used * r.square()).sum() / used.sum());
}

FitResult FitProblem::Fit() const {
  return FitFrom(StartGrid(), Eigen::VectorXd::Ones(objective_.num_points()));
}

FitResult FitProblem::FitFrom(const std::vector<Eigen::VectorXd>& starts,
                              const Eigen::VectorXd& weights) const {
  std::vector<FitResult> results(starts.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, starts.size()), [&](const auto& range) {
    for (size_t i = range.begin(); i != range.end(); ++i) results[i] = Solve(starts[i], weights);
  });
  size_t best = 0;
  size_t converged = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].converged) ++converged;
    if (Better(results[i], i, results[best], best)) best = i;
  }
  FitResult winner = results[best];
  // Polish the best start by IRLS; convergence is judged at the polished point.
  const IrlsResult polish =
      PolishHuberIrls(objective_, winner.theta, weights, free_, options_.polish);
  const std::string lbfgs_reason = winner.stop_reason;
  if (std::isfinite(polish.objective) && polish.objective <= winner.objective) {
    Describe(polish.theta, weights, winner);
  }
  winner.gradient_norm = polish.gradient_norm;
  winner.converged =
      std::isfinite(polish.gradient_norm) && polish.gradient_norm <= options_.convergence_tolerance;
  winner.stop_reason =
      fmt::format("|gradient| {:.2g} {} {:.2g} after L-BFGS ({}) and {} IRLS steps",
                  polish.gradient_norm, winner.converged ? "<=" : ">",
                  options_.convergence_tolerance, lbfgs_reason, polish.iterations);
  winner.best_start = best;
  winner.num_starts = starts.size();
  winner.num_converged_starts = converged;
  return winner;
}

Result<FitResult> FitLaw(const LawForm& form, const RunData& data, const FitOptions& options) {
  Result<FitProblem> problem = FitProblem::Make(form, data, options);
  if (!problem) return problem.error();
  return problem->Fit();
}

}  // namespace moeplan::scaling
