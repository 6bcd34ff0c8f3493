//===- tests/calibration/robust_lm_test.cc - Bounded robust Levenberg-Marquardt -===//
#include "calibration/robust_lm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace moeplan::calibration {
namespace {

using ::testing::HasSubstr;

// Log residuals of y = a * x^b against data made with (a, b), some points scaled by `outlier`.
struct PowerLaw {
  std::vector<double> x;
  std::vector<double> y;
  PowerLaw(double a, double b, int n, double outlier_every, double outlier) {
    for (int point_idx = 0; point_idx < n; ++point_idx) {
      const double xi = std::pow(10.0, 0.1 * point_idx);
      const bool out = outlier_every > 0 && point_idx % static_cast<int>(outlier_every) == 0;
      x.push_back(xi);
      y.push_back(a * std::pow(xi, b) * (out ? outlier : 1.0));
    }
  }
  ResidualFunction Residuals() const {
    return [this](std::span<const double> v, std::span<double> r) {
      for (size_t i = 0; i < x.size(); ++i) r[i] = std::log(v[0] * std::pow(x[i], v[1]) / y[i]);
    };
  }
};

std::vector<BoundedParam> Params(double a_start, double b_start) {
  return {{"a", 0.01, 1.0, false, a_start}, {"b", 0.1, 10.0, true, b_start}};
}

TEST(RobustLm, TransformsRoundTripInsideTheBounds) {
  const BoundedParam linear{"eff", 0.01, 1.0, false, 0.5};
  const BoundedParam log{"half", 1.0, 1e6, true, 100.0};
  for (const double x : {0.02, 0.5, 0.99}) {
    EXPECT_NEAR(ToPhysical(linear, ToUnbounded(linear, x)), x, 1e-9);
  }
  for (const double x : {2.0, 100.0, 5e5}) {
    EXPECT_NEAR(ToPhysical(log, ToUnbounded(log, x)) / x, 1.0, 1e-9);
  }
  for (const double u : {-50.0, -3.0, 0.0, 3.0, 50.0}) {
    EXPECT_GE(ToPhysical(linear, u), 0.01);
    EXPECT_LE(ToPhysical(linear, u), 1.0);
    EXPECT_GE(ToPhysical(log, u), 1.0);
    EXPECT_LE(ToPhysical(log, u), 1e6 * (1 + 1e-12));
  }
}

TEST(RobustLm, RecoversExactParameters) {
  const PowerLaw data(0.8, 1.7, 30, 0, 1.0);
  Result<SolverSummary> s = SolveRobust(Params(0.3, 1.0), 30, data.Residuals(), {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->converged) << s->stop_reason;
  EXPECT_NEAR(s->values[0], 0.8, 1e-3);  // the weak prior moves it by ~1e-4
  EXPECT_NEAR(s->values[1], 1.7, 1e-3);
  EXPECT_FALSE(s->weakly_determined[0]);
  EXPECT_FALSE(s->at_bound[0]);
}

TEST(RobustLm, KeepsEfficienciesAtMostOne) {
  const PowerLaw data(1.4, 1.0, 20, 0, 1.0);  // the data want a = 1.4 > 1
  Result<SolverSummary> s = SolveRobust(Params(0.5, 1.0), 20, data.Residuals(), {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_LE(s->values[0], 1.0);
  EXPECT_GT(s->values[0], 0.99);
  EXPECT_TRUE(s->at_bound[0]);
}

TEST(RobustLm, HuberResistsOutliersThatBiasLeastSquares) {
  const PowerLaw data(0.6, 1.2, 40, 5, 2.0);  // every fifth point twice as slow
  SolverOptions squared;
  squared.loss = RobustLoss::kSquared;
  SolverOptions huber;
  huber.loss = RobustLoss::kHuber;
  huber.loss_scale = 0.05;
  Result<SolverSummary> ls = SolveRobust(Params(0.3, 1.0), 40, data.Residuals(), squared);
  Result<SolverSummary> robust = SolveRobust(Params(0.3, 1.0), 40, data.Residuals(), huber);
  ASSERT_TRUE(ls.ok() && robust.ok());
  EXPECT_GT(std::abs(ls->values[0] / 0.6 - 1.0), 0.05);
  EXPECT_LT(std::abs(robust->values[0] / 0.6 - 1.0), 0.05);
}

TEST(RobustLm, UnconstrainedDirectionStaysAtItsStart) {
  // The residuals depend on a only: b is held by the prior.
  const ResidualFunction only_a = [](std::span<const double> v, std::span<double> r) {
    for (size_t i = 0; i < r.size(); ++i) r[i] = std::log(v[0] / 0.7);
  };
  Result<SolverSummary> s = SolveRobust(Params(0.3, 2.5), 10, only_a, {});
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->values[0], 0.7, 1e-3);
  EXPECT_NEAR(s->values[1], 2.5, 1e-6);
  EXPECT_TRUE(s->weakly_determined[1]);
  EXPECT_FALSE(s->weakly_determined[0]);
}

TEST(RobustLm, ReportsNonConvergence) {
  const PowerLaw data(0.8, 1.7, 30, 0, 1.0);
  SolverOptions options;
  options.max_iterations = 1;
  Result<SolverSummary> s = SolveRobust(Params(0.02, 0.2), 30, data.Residuals(), options);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->converged);
  EXPECT_EQ(s->stop_reason, "no convergence after 1 iterations");
}

TEST(RobustLm, RejectsNonFiniteStartAndBadOptions) {
  const ResidualFunction nan = [](std::span<const double>, std::span<double> r) {
    r[0] = 0.0;
    r[1] = std::nan("");
  };
  Result<SolverSummary> s = SolveRobust(Params(0.5, 1.0), 2, nan, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "residual 1 is not finite at the starting point");
  SolverOptions bad;
  bad.loss_scale = 0.0;
  EXPECT_THAT(SolveRobust(Params(0.5, 1.0), 2, nan, bad).error().message,
              HasSubstr("solver option 'loss_scale': expected a positive number, got 0"));
  EXPECT_THAT(SolveRobust({{"x", 1.0, 0.5, false, 0.7}}, 2, nan, {}).error().message,
              HasSubstr("parameter 'x': expected finite bounds with lower < upper"));
  EXPECT_FALSE(ParseRobustLoss("l1").ok());
  EXPECT_EQ(*ParseRobustLoss("cauchy"), RobustLoss::kCauchy);
}

}  // namespace
}  // namespace moeplan::calibration
