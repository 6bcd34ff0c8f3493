//===- laws/scaling/isoflop.cc - IsoFLOP profiles and their optima --------===//
#include "laws/scaling/isoflop.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace moeplan::scaling {

Status IsoFlopOptions::Validate() const {
  if (!(epsilon > 0) || !std::isfinite(epsilon)) {
    return Error{fmt::format("isoflop epsilon must be positive, got {}", epsilon)};
  }
  if (!(budget_tolerance >= 0) || !std::isfinite(budget_tolerance)) {
    return Error{fmt::format("budget_tolerance must be >= 0, got {}", budget_tolerance)};
  }
  return Status::Ok();
}

Result<IsoFlopProfile> FitIsoFlopProfile(std::span<const double> x, std::span<const double> loss,
                                         double compute, const IsoFlopOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  const size_t n = x.size();
  if (loss.size() != n) return Error{"isoflop: x and loss differ in length"};
  std::set<double> distinct;
  for (size_t i = 0; i < n; ++i) {
    if (!(x[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(loss[i])) {
      return Error{
          fmt::format("isoflop: budget C = {:.3g}: point {} (x = {}, loss = {}) is "
                      "invalid",
                      compute, i + 1, x[i], loss[i])};
    }
    distinct.insert(x[i]);
  }
  if (distinct.size() < 3) {
    return Error{
        fmt::format("isoflop: budget C = {:.3g} has {} distinct sizes; a parabola "
                    "needs 3",
                    compute, distinct.size())};
  }
  // Centre u = ln x for conditioning: L = b0 + b1 v + b2 v^2 with v = u - mean(u).
  Eigen::VectorXd u(static_cast<Eigen::Index>(n)), y(static_cast<Eigen::Index>(n));
  for (size_t i = 0; i < n; ++i) {
    u[static_cast<Eigen::Index>(i)] = std::log(x[i]);
    y[static_cast<Eigen::Index>(i)] = loss[i];
  }
  const double mean_u = u.mean();
  const Eigen::VectorXd v = u.array() - mean_u;
  Eigen::MatrixXd design(static_cast<Eigen::Index>(n), 3);
  design.col(0).setOnes();
  design.col(1) = v;
  design.col(2) = v.array().square();
  const Eigen::Vector3d b = design.colPivHouseholderQr().solve(y);
  if (!(b[2] > 0)) {
    return Error{
        fmt::format("isoflop: budget C = {:.3g}: the fitted parabola opens downward "
                    "(no minimum; c2 = {:.3g})",
                    compute, b[2])};
  }
  IsoFlopProfile p;
  p.compute = compute;
  p.num_points = n;
  p.c2 = b[2];
  p.c1 = b[1] - 2 * b[2] * mean_u;
  p.c0 = b[0] - b[1] * mean_u + b[2] * mean_u * mean_u;
  const double v_opt = -b[1] / (2 * b[2]);
  p.loss_opt = b[0] - b[1] * b[1] / (4 * b[2]);
  p.x_opt = std::exp(mean_u + v_opt);
  const double half_width = std::sqrt(options.epsilon * std::fabs(p.loss_opt) / b[2]);
  p.x_low = std::exp(mean_u + v_opt - half_width);
  p.x_high = std::exp(mean_u + v_opt + half_width);
  p.inside = p.x_opt >= *distinct.begin() && p.x_opt <= *distinct.rbegin();
  p.rms_residual = std::sqrt((design * b - y).squaredNorm() / static_cast<double>(n));
  return p;
}

Result<std::vector<IsoFlopProfile>> FitIsoFlopProfiles(std::span<const double> compute,
                                                       std::span<const double> x,
                                                       std::span<const double> loss,
                                                       const IsoFlopOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  if (compute.size() != x.size() || x.size() != loss.size()) {
    return Error{"isoflop: compute, x and loss differ in length"};
  }
  std::vector<size_t> order(compute.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return compute[a] < compute[b]; });
  std::vector<IsoFlopProfile> profiles;
  size_t begin = 0;
  while (begin < order.size()) {
    const double start = compute[order[begin]];
    if (!(start > 0)) return Error{fmt::format("isoflop: compute must be positive, got {}", start)};
    size_t end = begin;
    std::vector<double> group_x, group_loss;
    double log_sum = 0;
    while (end < order.size() && compute[order[end]] <= start * (1 + options.budget_tolerance)) {
      group_x.push_back(x[order[end]]);
      group_loss.push_back(loss[order[end]]);
      log_sum += std::log(compute[order[end]]);
      ++end;
    }
    const double budget = std::exp(log_sum / static_cast<double>(end - begin));
    Result<IsoFlopProfile> profile = FitIsoFlopProfile(group_x, group_loss, budget, options);
    if (!profile) return profile.error();
    profiles.push_back(*profile);
    begin = end;
  }
  return profiles;
}

Result<PowerLawFit> FitOptimaPowerLaw(const std::vector<IsoFlopProfile>& profiles) {
  std::vector<double> c, x;
  for (const IsoFlopProfile& p : profiles) {
    c.push_back(p.compute);
    x.push_back(p.x_opt);
  }
  return FitPowerLaw(c, x);
}

}  // namespace moeplan::scaling
