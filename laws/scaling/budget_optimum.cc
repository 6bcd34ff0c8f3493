//===- laws/scaling/budget_optimum.cc - Optimum of several variables at one budget ===//
#include "laws/scaling/budget_optimum.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

namespace moeplan::scaling {
namespace {

using Eigen::Index;

// Columns of the quadratic surface for centred logs v (runs x k): 1, v_i, v_i^2, v_i v_j.
Eigen::MatrixXd SurfaceDesign(const Eigen::MatrixXd& v) {
  const Index k = v.cols();
  Eigen::MatrixXd design(v.rows(), static_cast<Index>(SurfaceTermCount(static_cast<size_t>(k))));
  Index col = 0;
  design.col(col++).setOnes();
  for (Index i = 0; i < k; ++i) design.col(col++) = v.col(i);
  for (Index i = 0; i < k; ++i) design.col(col++) = v.col(i).array().square();
  for (Index i = 0; i < k; ++i) {
    for (Index j = i + 1; j < k; ++j) design.col(col++) = v.col(i).cwiseProduct(v.col(j));
  }
  return design;
}

// The runs with positive weight, their logs and weights.
struct Points {
  Eigen::MatrixXd u;  // ln x
  Eigen::VectorXd loss;
  Eigen::VectorXd weight;
  std::vector<std::vector<size_t>> levels;  // per variable, per point
};

Points SelectPoints(const OptimumProblem& problem, double level_tolerance) {
  std::vector<Index> keep;
  for (Index r = 0; r < problem.x.rows(); ++r) {
    if (problem.weights.size() == 0 || problem.weights[r] > 0) keep.push_back(r);
  }
  Points p;
  const auto n = static_cast<Index>(keep.size());
  p.u.resize(n, problem.x.cols());
  p.loss.resize(n);
  p.weight.resize(n);
  for (Index i = 0; i < n; ++i) {
    const Index r = keep[static_cast<size_t>(i)];
    p.u.row(i) = problem.x.row(r).array().log();
    p.loss[i] = problem.loss[r];
    p.weight[i] = problem.weights.size() == 0 ? 1.0 : problem.weights[r];
  }
  for (Index j = 0; j < problem.x.cols(); ++j) {
    std::vector<double> values(static_cast<size_t>(n));
    for (Index i = 0; i < n; ++i) values[static_cast<size_t>(i)] = std::exp(p.u(i, j));
    p.levels.push_back(GridLevels(values, level_tolerance));
  }
  return p;
}

size_t CountLevels(const std::vector<size_t>& levels) {
  return levels.empty() ? 0 : *std::max_element(levels.begin(), levels.end()) + 1;
}

// Weighted least squares; nullopt when the design is rank-deficient.
std::optional<Eigen::VectorXd> SolveWeighted(const Eigen::MatrixXd& design,
                                             const Eigen::VectorXd& y, const Eigen::VectorXd& w) {
  const Eigen::VectorXd sqrt_w = w.array().sqrt();
  const Eigen::MatrixXd a = sqrt_w.asDiagonal() * design;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
  qr.setThreshold(1e-10);
  if (qr.rank() < design.cols()) return std::nullopt;
  return Eigen::VectorXd(qr.solve(Eigen::VectorXd(sqrt_w.cwiseProduct(y))));
}

double WeightedRms(const Eigen::VectorXd& residual, const Eigen::VectorXd& w) {
  return std::sqrt(residual.cwiseAbs2().dot(w) / w.sum());
}

std::string LogList(const std::vector<std::string>& symbols) {
  std::string list;
  for (const std::string& s : symbols) list += (list.empty() ? "ln " : ", ln ") + s;
  return list;
}

VariableOptimum MakeVariable(const std::string& symbol, const Points& p, Index j, double u_opt,
                             double half_width) {
  VariableOptimum v;
  v.symbol = symbol;
  v.optimum = std::exp(u_opt);
  v.low = std::exp(u_opt - half_width);
  v.high = std::exp(u_opt + half_width);
  v.sampled_min = std::exp(p.u.col(j).minCoeff());
  v.sampled_max = std::exp(p.u.col(j).maxCoeff());
  v.inside = u_opt >= p.u.col(j).minCoeff() && u_opt <= p.u.col(j).maxCoeff();
  v.num_levels = CountLevels(p.levels[static_cast<size_t>(j)]);
  return v;
}

// Why the surface cannot be fitted, or nullopt when it can.
std::optional<std::string> SurfaceInfeasible(const OptimumProblem& problem, const Points& p) {
  const size_t k = problem.symbols.size(), terms = SurfaceTermCount(k);
  const auto n = static_cast<size_t>(p.u.rows());
  if (n <= terms) {
    return fmt::format("{} runs: a quadratic surface in {} has {} terms and needs at least {} runs",
                       n, LogList(problem.symbols), terms, terms + 1);
  }
  const Eigen::MatrixXd v = p.u.rowwise() - p.u.colwise().mean();
  if (!SolveWeighted(SurfaceDesign(v), p.loss, p.weight)) {
    return fmt::format(
        "the {} runs do not determine the {} terms of a quadratic surface in {} (each variable "
        "needs 3 levels and each pair must vary together)",
        n, terms, LogList(problem.symbols));
  }
  return std::nullopt;
}

Result<BudgetOptimum> FitSurface(const OptimumProblem& problem, const OptimumOptions& options,
                                 const Points& p) {
  if (std::optional<std::string> why = SurfaceInfeasible(problem, p)) return Error{*why};
  const Index k = p.u.cols();
  const Eigen::RowVectorXd mean = p.u.colwise().mean();
  const Eigen::MatrixXd v = p.u.rowwise() - mean;
  const Eigen::MatrixXd design = SurfaceDesign(v);
  const Eigen::VectorXd b = *SolveWeighted(design, p.loss, p.weight);
  Eigen::VectorXd g = b.segment(1, k);
  Eigen::MatrixXd a(k, k);
  Index col = 1 + 2 * k;
  for (Index i = 0; i < k; ++i) a(i, i) = b[1 + k + i];
  for (Index i = 0; i < k; ++i) {
    for (Index j = i + 1; j < k; ++j) a(i, j) = a(j, i) = 0.5 * b[col++];
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(a);
  if (!(eigen.eigenvalues()[0] > 0)) {
    Index axis = 0;
    eigen.eigenvectors().col(0).cwiseAbs().maxCoeff(&axis);
    return Error{fmt::format(
        "the fitted quadratic surface in {} has no minimum (curvature {:.3g} along a direction "
        "mostly in ln {}); the runs may not bracket the optimum",
        LogList(problem.symbols), eigen.eigenvalues()[0],
        problem.symbols[static_cast<size_t>(axis)])};
  }
  const Eigen::MatrixXd a_inv = a.inverse();
  const Eigen::VectorXd v_opt = -0.5 * a_inv * g;
  BudgetOptimum out;
  out.method = OptimumMethod::kSurface;
  out.num_points = static_cast<size_t>(p.u.rows());
  out.loss_opt = b[0] + 0.5 * g.dot(v_opt);
  out.rms_residual = WeightedRms(design * b - p.loss, p.weight);
  for (Index j = 0; j < k; ++j) {
    const double half = std::sqrt(options.epsilon * std::fabs(out.loss_opt) * a_inv(j, j));
    out.variables.push_back(
        MakeVariable(problem.symbols[static_cast<size_t>(j)], p, j, mean[j] + v_opt[j], half));
  }
  return out;
}

// The points of the slice through `best` along variable j (others at the best run's levels).
std::vector<Index> Slice(const Points& p, Index best, Index j) {
  std::vector<Index> slice;
  for (Index i = 0; i < p.u.rows(); ++i) {
    bool same = true;
    for (Index other = 0; other < p.u.cols() && same; ++other) {
      const auto& levels = p.levels[static_cast<size_t>(other)];
      same = other == j || levels[static_cast<size_t>(i)] == levels[static_cast<size_t>(best)];
    }
    if (same) slice.push_back(i);
  }
  return slice;
}

Result<BudgetOptimum> FitSlices(const OptimumProblem& problem, const OptimumOptions& options,
                                const Points& p) {
  Index best = 0;
  for (Index i = 1; i < p.loss.size(); ++i) {
    if (p.loss[i] < p.loss[best]) best = i;
  }
  BudgetOptimum out;
  out.method = OptimumMethod::kSlices;
  out.num_points = static_cast<size_t>(p.u.rows());
  out.loss_opt = std::numeric_limits<double>::infinity();
  double sse = 0, weight_sum = 0;
  std::vector<std::pair<double, double>> vertices;  // (u_opt, curvature) per variable
  for (Index j = 0; j < p.u.cols(); ++j) {
    const std::string& symbol = problem.symbols[static_cast<size_t>(j)];
    const std::vector<Index> slice = Slice(p, best, j);
    std::vector<size_t> levels;
    for (Index i : slice)
      levels.push_back(p.levels[static_cast<size_t>(j)][static_cast<size_t>(i)]);
    std::sort(levels.begin(), levels.end());
    const auto distinct =
        static_cast<size_t>(std::unique(levels.begin(), levels.end()) - levels.begin());
    if (distinct < 3) {
      return Error{fmt::format(
          "the runs at the best run's levels of the other variables have {} level{} of {}; a "
          "parabola in ln {} needs 3",
          distinct, distinct == 1 ? "" : "s", symbol, symbol)};
    }
    const auto m = static_cast<Index>(slice.size());
    Eigen::VectorXd u(m), y(m), w(m);
    for (Index s = 0; s < m; ++s) {
      const Index i = slice[static_cast<size_t>(s)];
      u[s] = p.u(i, j);
      y[s] = p.loss[i];
      w[s] = p.weight[i];
    }
    const double mean_u = u.dot(w) / w.sum();
    Eigen::MatrixXd design(m, 3);
    design.col(0).setOnes();
    design.col(1) = u.array() - mean_u;
    design.col(2) = design.col(1).array().square();
    const std::optional<Eigen::VectorXd> fitted = SolveWeighted(design, y, w);
    if (!fitted)
      return Error{fmt::format("the runs along ln {} do not determine a parabola", symbol)};
    const Eigen::VectorXd& b = *fitted;
    if (!(b[2] > 0)) {
      return Error{
          fmt::format("along ln {} the loss has no minimum (parabola curvature {:.3g}); the runs "
                      "may not bracket the optimum",
                      symbol, b[2])};
    }
    out.loss_opt = std::min(out.loss_opt, b[0] - b[1] * b[1] / (4 * b[2]));
    vertices.emplace_back(mean_u - b[1] / (2 * b[2]), b[2]);
    sse += (design * b - y).cwiseAbs2().dot(w);
    weight_sum += w.sum();
  }
  out.rms_residual = std::sqrt(sse / weight_sum);
  for (Index j = 0; j < p.u.cols(); ++j) {
    const auto [u_opt, curvature] = vertices[static_cast<size_t>(j)];
    const double half = std::sqrt(options.epsilon * std::fabs(out.loss_opt) / curvature);
    out.variables.push_back(
        MakeVariable(problem.symbols[static_cast<size_t>(j)], p, j, u_opt, half));
  }
  return out;
}

Status CheckProblem(const OptimumProblem& problem) {
  const Index n = problem.x.rows();
  if (problem.symbols.empty() || static_cast<Index>(problem.symbols.size()) != problem.x.cols()) {
    return Error{"budget optimum: one symbol per variable is required"};
  }
  if (problem.loss.size() != n || (problem.weights.size() != 0 && problem.weights.size() != n)) {
    return Error{"budget optimum: x, loss and weights differ in length"};
  }
  for (Index r = 0; r < n; ++r) {
    for (Index j = 0; j < problem.x.cols(); ++j) {
      if (!(problem.x(r, j) > 0) || !std::isfinite(problem.x(r, j))) {
        return Error{fmt::format("budget optimum: run {}: {} = {} is not positive", r + 1,
                                 problem.symbols[static_cast<size_t>(j)], problem.x(r, j))};
      }
    }
    if (!std::isfinite(problem.loss[r])) {
      return Error{
          fmt::format("budget optimum: run {}: loss {} is not finite", r + 1, problem.loss[r])};
    }
    if (problem.weights.size() != 0 && !(problem.weights[r] >= 0)) {
      return Error{fmt::format("budget optimum: run {}: negative weight", r + 1)};
    }
  }
  return Status::Ok();
}

}  // namespace

const char* ToString(OptimumMethod method) {
  switch (method) {
    case OptimumMethod::kAuto:
      return "auto";
    case OptimumMethod::kSurface:
      return "surface";
    case OptimumMethod::kSlices:
      return "slices";
  }
  return "?";
}

Result<OptimumMethod> ParseOptimumMethod(std::string_view text) {
  for (OptimumMethod m : {OptimumMethod::kAuto, OptimumMethod::kSurface, OptimumMethod::kSlices}) {
    if (text == ToString(m)) return m;
  }
  return Error{fmt::format("unknown optimum method '{}' (expected auto, surface or slices)", text)};
}

Status OptimumOptions::Validate() const {
  if (!(epsilon > 0) || !(epsilon < 1)) {
    return Error{fmt::format("epsilon must be in (0, 1), got {}", epsilon)};
  }
  if (!(level_tolerance >= 0) || !(level_tolerance < 1)) {
    return Error{fmt::format("level tolerance must be in [0, 1), got {}", level_tolerance)};
  }
  return Status::Ok();
}

size_t SurfaceTermCount(size_t num_variables) {
  return 1 + 2 * num_variables + num_variables * (num_variables - 1) / 2;
}

std::vector<size_t> GridLevels(std::span<const double> values, double tolerance) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<size_t> levels(values.size(), 0);
  size_t level = 0;
  double start = 0;
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const double value = values[order[pos]];
    if (pos > 0 && value > start * (1 + tolerance)) ++level;
    if (pos == 0 || value > start * (1 + tolerance)) start = value;
    levels[order[pos]] = level;
  }
  return levels;
}

Result<BudgetOptimum> FitBudgetOptimum(const OptimumProblem& problem,
                                       const OptimumOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  if (Status s = CheckProblem(problem); !s.ok()) return s.error();
  const Points p = SelectPoints(problem, options.level_tolerance);
  if (p.u.rows() == 0) return Error{"no runs"};
  switch (options.method) {
    case OptimumMethod::kSurface:
      return FitSurface(problem, options, p);
    case OptimumMethod::kSlices:
      return FitSlices(problem, options, p);
    case OptimumMethod::kAuto:
      break;
  }
  const std::optional<std::string> surface_problem = SurfaceInfeasible(problem, p);
  if (!surface_problem) return FitSurface(problem, options, p);
  Result<BudgetOptimum> slices = FitSlices(problem, options, p);
  if (slices.ok()) return slices;
  return Error{fmt::format("{}; and {}", *surface_problem, slices.error().message)};
}

}  // namespace moeplan::scaling
