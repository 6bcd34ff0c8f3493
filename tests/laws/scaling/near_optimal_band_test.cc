//===- tests/laws/scaling/near_optimal_band_test.cc - Near-optimal bands ----===//
/// A band worked by hand on four runs, and the log-linear trend fit against an OLS worked by
/// hand: ln C = 1, 2, 3 and y = 1, 2, 4 give slope 1.5, intercept -2/3, residuals (1/6, -1/3,
/// 1/6), sse 1/6, slope s.e. sqrt((1/6) / 1 / 2) = 0.288675, t = 5.196152 with 1 dof (Cauchy):
/// p = 1 - (2/pi) atan(5.196152) = 0.1210377 (scipy: 2 t.sf(5.196152, 1) =
/// 0.1210377183236767), R^2 = 1 - (1/6) / (42/9) = 27/28.
#include "laws/scaling/near_optimal_band.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace moeplan::scaling {
namespace {

struct Runs {
  std::vector<std::string> symbols = {"M", "Na/M"};
  Eigen::MatrixXd x;
  Eigen::VectorXd loss;
};

Runs FourRuns() {
  Runs runs;
  runs.x.resize(4, 2);
  runs.x << 1e9, 0.1,  //
      2e9, 0.1,        //
      1e9, 0.4,        //
      4e9, 0.2;
  runs.loss.resize(4);
  runs.loss << 2.000, 2.004, 2.006, 2.100;
  return runs;
}

TEST(NearOptimalBandTest, FourRunsByHand) {
  const Runs runs = FourRuns();
  // Threshold 2.000 * 1.0025 = 2.005: runs 1 and 2; M spans 1e9..2e9 (ln 2), Na/M one value.
  Result<NearOptimalBand> band = FindNearOptimalBand(runs.symbols, runs.x, runs.loss, 0.0025);
  ASSERT_TRUE(band.ok()) << band.error().message;
  EXPECT_DOUBLE_EQ(band->best_loss, 2.0);
  EXPECT_DOUBLE_EQ(band->threshold, 2.005);
  EXPECT_EQ(band->best_index, 0u);
  EXPECT_EQ(band->runs, (std::vector<size_t>{0, 1}));
  ASSERT_EQ(band->spans.size(), 2u);
  EXPECT_EQ(band->spans[0].symbol, "M");
  EXPECT_DOUBLE_EQ(band->spans[0].min, 1e9);
  EXPECT_DOUBLE_EQ(band->spans[0].max, 2e9);
  EXPECT_NEAR(band->spans[0].log_width, std::log(2.0), 1e-14);
  EXPECT_EQ(band->spans[1].log_width, 0.0);
  // Epsilon 0.4%: threshold 2.008 takes run 3 as well; Na/M now spans 0.1..0.4 (ln 4).
  band = FindNearOptimalBand(runs.symbols, runs.x, runs.loss, 0.004);
  EXPECT_EQ(band->runs, (std::vector<size_t>{0, 1, 2}));
  EXPECT_NEAR(band->spans[1].log_width, std::log(4.0), 1e-14);
}

TEST(NearOptimalBandTest, RejectsBadInput) {
  Runs runs = FourRuns();
  EXPECT_EQ(FindNearOptimalBand(runs.symbols, runs.x, runs.loss, 0).error().message,
            "near-optimal band: epsilon must be positive, got 0");
  runs.loss[2] = NAN;
  EXPECT_EQ(FindNearOptimalBand(runs.symbols, runs.x, runs.loss, 0.0025).error().message,
            "near-optimal band: losses must be finite and variables positive");
}

TEST(NearOptimalBandTest, LogLinearTrendByHand) {
  const std::vector<double> compute = {std::exp(1.0), std::exp(2.0), std::exp(3.0)};
  const std::vector<double> y = {1, 2, 4};
  Result<TrendFit> fit = FitLogLinearTrend(compute, y);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_EQ(fit->num_points, 3u);
  EXPECT_NEAR(fit->slope, 1.5, 1e-14);
  EXPECT_NEAR(fit->intercept, -2.0 / 3.0, 1e-14);
  EXPECT_NEAR(*fit->slope_std_error, std::sqrt(1.0 / 12.0), 1e-14);
  EXPECT_NEAR(*fit->slope_p_value, 0.1210377183236767, 1e-12);
  EXPECT_NEAR(fit->r_squared, 27.0 / 28.0, 1e-14);
}

TEST(NearOptimalBandTest, TrendEdgeCases) {
  // Two budgets: a slope but no standard error.
  Result<TrendFit> two =
      FitLogLinearTrend(std::vector<double>{1e18, 1e19}, std::vector<double>{0.5, 0.7});
  ASSERT_TRUE(two.ok());
  EXPECT_NEAR(two->slope, 0.2 / std::log(10.0), 1e-12);
  EXPECT_FALSE(two->slope_std_error.has_value());
  EXPECT_FALSE(two->slope_p_value.has_value());
  // A constant width: slope 0 with no evidence either way (p undefined, not NaN).
  Result<TrendFit> flat =
      FitLogLinearTrend(std::vector<double>{1e18, 1e19, 1e20}, std::vector<double>{0.5, 0.5, 0.5});
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->slope, 0.0);
  EXPECT_FALSE(flat->slope_p_value.has_value());
  EXPECT_EQ(FitLogLinearTrend(std::vector<double>{1e18}, std::vector<double>{1}).error().message,
            "trend: needs at least 2 budgets, got 1");
  EXPECT_EQ(
      FitLogLinearTrend(std::vector<double>{1e18, 1e18}, std::vector<double>{1, 2}).error().message,
      "trend: all budgets have the same compute");
}

}  // namespace
}  // namespace moeplan::scaling
