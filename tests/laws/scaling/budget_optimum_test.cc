//===- tests/laws/scaling/budget_optimum_test.cc - Per-budget optima -------===//
/// Exact quadratics in the logs, whose minimum and epsilon-intervals follow by hand:
///  - one variable, L = 2 + 0.05 (ln x - ln 1e9)^2: vertex 1e9, half-width sqrt(0.0025 * 2 /
///    0.05) = 0.316228, interval [0.728893e9, 1.371943e9] (as tests/laws/scaling/isoflop_test);
///  - three variables with an interaction, L = 3 + 0.03 u1^2 + 0.02 u2^2 + 0.01 u3^2
///    + 0.01 u1 u2 with u_i = ln(x_i / x_i*): minimising over u2 at fixed u1 gives u2 = -u1/4
///    and L - 3 = (0.03 + 0.02/16 - 0.01/4) u1^2 = 0.02875 u1^2, so the profile interval of x1
///    is |u1| <= sqrt(0.0025 * 3 / 0.02875) = 0.510754; likewise for x2 the profile curvature
///    is 0.02 - 0.01^2/(4 * 0.03) = 0.0191667, |u2| <= 0.625543; x3 is separate, |u3| <=
///    sqrt(0.0075 / 0.01) = 0.866025.
/// Slices through the best run of a one-factor-at-a-time design recover a separable law
/// exactly, with conditional intervals sqrt(epsilon L* / a_i).
#include "laws/scaling/budget_optimum.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

namespace moeplan::scaling {
namespace {

TEST(BudgetOptimumTest, OneVariableParabola) {
  OptimumProblem problem;
  problem.symbols = {"M"};
  const double factors[] = {0.25, 0.5, 1.0, 2.0, 4.0, 8.0};
  problem.x.resize(6, 1);
  problem.loss.resize(6);
  for (int i = 0; i < 6; ++i) {
    problem.x(i, 0) = 1e9 * factors[i];
    problem.loss[i] = 2 + 0.05 * std::pow(std::log(factors[i]), 2);
  }
  Result<BudgetOptimum> opt = FitBudgetOptimum(problem, OptimumOptions{});
  ASSERT_TRUE(opt.ok()) << opt.error().message;
  EXPECT_EQ(opt->method, OptimumMethod::kSurface);
  const VariableOptimum& v = opt->variables[0];
  EXPECT_NEAR(v.optimum, 1e9, 1e9 * 1e-10);
  EXPECT_NEAR(v.low, 0.728893e9, 1e3);
  EXPECT_NEAR(v.high, 1.371943e9, 1e3);
  EXPECT_NEAR(opt->loss_opt, 2.0, 1e-12);
  EXPECT_TRUE(v.inside);
  EXPECT_EQ(v.num_levels, 6u);
  EXPECT_LT(opt->rms_residual, 1e-12);
}

// Runs of the three-variable law of the file comment on a 3 x 3 x 3 grid (or a star).
OptimumProblem ThreeVariableProblem(bool star, double cross) {
  const double opt[] = {2e9, 0.15, 8.0};
  OptimumProblem problem;
  problem.symbols = {"M", "Na/M", "N/Na"};
  std::vector<std::array<double, 3>> offsets;  // u_i of each run
  const double step = std::log(2.0);
  for (int i = -1; i <= 1; ++i) {
    for (int j = -1; j <= 1; ++j) {
      for (int k = -1; k <= 1; ++k) {
        // The star keeps the centre and the runs that move one variable only.
        if (star && (i != 0) + (j != 0) + (k != 0) > 1) continue;
        offsets.push_back({0.2 + i * step, -0.1 + j * step, 0.3 + k * step});
      }
    }
  }
  problem.x.resize(static_cast<Eigen::Index>(offsets.size()), 3);
  problem.loss.resize(static_cast<Eigen::Index>(offsets.size()));
  for (size_t r = 0; r < offsets.size(); ++r) {
    const auto& u = offsets[r];
    const auto row = static_cast<Eigen::Index>(r);
    for (int v = 0; v < 3; ++v) problem.x(row, v) = opt[v] * std::exp(u[static_cast<size_t>(v)]);
    problem.loss[row] =
        3 + 0.03 * u[0] * u[0] + 0.02 * u[1] * u[1] + 0.01 * u[2] * u[2] + cross * u[0] * u[1];
  }
  return problem;
}

TEST(BudgetOptimumTest, SurfaceRecoversTheJointOptimumAndProfileIntervals) {
  Result<BudgetOptimum> opt = FitBudgetOptimum(ThreeVariableProblem(false, 0.01), OptimumOptions{});
  ASSERT_TRUE(opt.ok()) << opt.error().message;
  EXPECT_EQ(opt->method, OptimumMethod::kSurface);
  EXPECT_EQ(opt->num_points, 27u);
  EXPECT_NEAR(opt->loss_opt, 3.0, 1e-12);
  const double expected[] = {2e9, 0.15, 8.0}, half[] = {0.510754, 0.625543, 0.866025};
  for (size_t v = 0; v < 3; ++v) {
    const VariableOptimum& var = opt->variables[v];
    EXPECT_NEAR(var.optimum, expected[v], expected[v] * 1e-10) << var.symbol;
    EXPECT_NEAR(std::log(var.high / var.optimum), half[v], 1e-6) << var.symbol;
    EXPECT_NEAR(std::log(var.optimum / var.low), half[v], 1e-6) << var.symbol;
    EXPECT_TRUE(var.inside);
    EXPECT_EQ(var.num_levels, 3u);
  }
}

TEST(BudgetOptimumTest, AutoUsesSlicesOnAStarDesign) {
  // 7 runs cannot determine the 10 terms of the surface; slices through the centre (the best
  // run: offsets are within one step of 0) recover a separable law exactly. The slices' best
  // loss is that of the slice along M, whose other variables sit at u2 = -0.1, u3 = 0.3:
  // 3 + 0.02 * 0.01 + 0.01 * 0.09 = 3.0011 (the slices along Na/M and N/Na bottom out at
  // 3.0021 and 3.0014); the conditional half-widths are sqrt(0.0025 * 3.0011 / a_i).
  Result<BudgetOptimum> opt = FitBudgetOptimum(ThreeVariableProblem(true, 0.0), OptimumOptions{});
  ASSERT_TRUE(opt.ok()) << opt.error().message;
  EXPECT_EQ(opt->method, OptimumMethod::kSlices);
  EXPECT_EQ(opt->num_points, 7u);
  EXPECT_NEAR(opt->loss_opt, 3.0011, 1e-12);
  const double expected[] = {2e9, 0.15, 8.0}, curvature[] = {0.03, 0.02, 0.01};
  for (size_t v = 0; v < 3; ++v) {
    const VariableOptimum& var = opt->variables[v];
    EXPECT_NEAR(var.optimum, expected[v], expected[v] * 1e-10) << var.symbol;
    EXPECT_NEAR(std::log(var.high / var.optimum), std::sqrt(0.0025 * 3.0011 / curvature[v]), 1e-9);
  }
  // Forcing the surface on the star says why it cannot.
  OptimumOptions surface;
  surface.method = OptimumMethod::kSurface;
  EXPECT_EQ(FitBudgetOptimum(ThreeVariableProblem(true, 0.0), surface).error().message,
            "7 runs: a quadratic surface in ln M, ln Na/M, ln N/Na has 10 terms and needs at "
            "least 11 runs");
}

TEST(BudgetOptimumTest, WeightsActAsRepeatedRuns) {
  OptimumProblem base = ThreeVariableProblem(false, 0.01);
  // Perturb the losses so that weights matter, then compare weight 2 with a duplicated row.
  for (Eigen::Index r = 0; r < base.loss.size(); ++r)
    base.loss[r] += 1e-3 * std::sin(3.0 * static_cast<double>(r));
  OptimumProblem weighted = base;
  weighted.weights = Eigen::VectorXd::Ones(base.loss.size());
  weighted.weights[4] = 2;
  weighted.weights[9] = 0;
  OptimumProblem repeated = base;
  repeated.x.conservativeResize(base.x.rows() + 1, 3);
  repeated.loss.conservativeResize(base.loss.size() + 1);
  repeated.x.row(base.x.rows()) = base.x.row(4);
  repeated.loss[base.loss.size()] = base.loss[4];
  repeated.weights = Eigen::VectorXd::Ones(repeated.loss.size());
  repeated.weights[9] = 0;
  Result<BudgetOptimum> a = FitBudgetOptimum(weighted, OptimumOptions{});
  Result<BudgetOptimum> b = FitBudgetOptimum(repeated, OptimumOptions{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->num_points, 26u);
  for (size_t v = 0; v < 3; ++v) {
    EXPECT_NEAR(a->variables[v].optimum, b->variables[v].optimum, 1e-9 * b->variables[v].optimum);
  }
}

TEST(BudgetOptimumTest, ErrorsSayWhy) {
  OptimumProblem problem;
  problem.symbols = {"d"};
  problem.x.resize(3, 1);
  problem.x << 512, 1024, 2048;
  problem.loss.resize(3);
  problem.loss << 2.0, 2.1, 2.0;  // a maximum, not a minimum
  EXPECT_EQ(FitBudgetOptimum(problem, OptimumOptions{}).error().message,
            "3 runs: a quadratic surface in ln d has 3 terms and needs at least 4 runs; and "
            "along ln d the loss has no minimum (parabola curvature -0.208); the runs may not "
            "bracket the optimum");
  problem.x.resize(4, 1);
  problem.x << 512, 1024, 2048, 4096;
  problem.loss.resize(4);
  // Symmetric in v = ln d - mean: L = b0 + b2 v^2 through v^2 = 2.25 ln^2 2 and 0.25 ln^2 2,
  // b2 = -0.1 / (2 ln^2 2) = -0.104068.
  problem.loss << 2.0, 2.1, 2.1, 2.0;
  EXPECT_EQ(FitBudgetOptimum(problem, OptimumOptions{}).error().message,
            "the fitted quadratic surface in ln d has no minimum (curvature -0.104 along a "
            "direction mostly in ln d); the runs may not bracket the optimum");
  problem.x.resize(2, 1);
  problem.x << 512, 1024;
  problem.loss.resize(2);
  problem.loss << 2.0, 2.1;
  OptimumOptions slices;
  slices.method = OptimumMethod::kSlices;
  EXPECT_EQ(FitBudgetOptimum(problem, slices).error().message,
            "the runs at the best run's levels of the other variables have 2 levels of d; a "
            "parabola in ln d needs 3");
  problem.x(1, 0) = -1;
  EXPECT_EQ(FitBudgetOptimum(problem, slices).error().message,
            "budget optimum: run 2: d = -1 is not positive");
  OptimumOptions bad;
  bad.epsilon = 0;
  EXPECT_EQ(FitBudgetOptimum(problem, bad).error().message, "epsilon must be in (0, 1), got 0");
}

TEST(BudgetOptimumTest, GridLevelsWithinTolerance) {
  const std::vector<double> values = {203, 100, 400, 101, 200, 103};
  // 100, 101 and 103 are within 3.5% of 100 -> level 0; 200, 203 -> 1; 400 -> 2.
  EXPECT_EQ(GridLevels(values, 0.035), (std::vector<size_t>{1, 0, 2, 0, 1, 0}));
  EXPECT_EQ(GridLevels(values, 0.0), (std::vector<size_t>{4, 0, 5, 1, 3, 2}));
  EXPECT_EQ(SurfaceTermCount(3), 10u);
  EXPECT_EQ(SurfaceTermCount(2), 6u);
}

TEST(BudgetOptimumTest, ParsesMethodNames) {
  EXPECT_EQ(ParseOptimumMethod("slices").value(), OptimumMethod::kSlices);
  EXPECT_EQ(ParseOptimumMethod("grid").error().message,
            "unknown optimum method 'grid' (expected auto, surface or slices)");
}

}  // namespace
}  // namespace moeplan::scaling
