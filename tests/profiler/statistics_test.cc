//===- tests/profiler/statistics_test.cc - Robust timing statistics -------===//
/// Quantiles match numpy's default (type 7), outliers follow the modified z-score rule, and a
/// summary never rejects the bulk of the samples.
#include "profiler/core/statistics.h"

#include <gtest/gtest.h>

#include <vector>

namespace moeplan::profiler {
namespace {

TEST(StatisticsTest, QuantilesInterpolateLikeNumpy) {
  const std::vector<double> sorted = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(Quantile(sorted, 0.0), 1);
  EXPECT_DOUBLE_EQ(Quantile(sorted, 0.25), 1.75);  // numpy.quantile([1,2,3,4], .25)
  EXPECT_DOUBLE_EQ(Quantile(sorted, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile(sorted, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(Quantile(sorted, 1.0), 4);
  EXPECT_DOUBLE_EQ(Quantile(std::vector<double>{}, 0.5), 0);
  EXPECT_DOUBLE_EQ(Median({5, 1, 3}), 3);
}

TEST(StatisticsTest, RejectsASlowRepetition) {
  const std::vector<double> samples = {1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 5.0};
  const SampleStats stats = Summarize(samples);
  EXPECT_EQ(stats.count, 6);
  EXPECT_EQ(stats.rejected, 1);
  EXPECT_DOUBLE_EQ(stats.max, 1.02);
  EXPECT_NEAR(stats.median, 1.0, 1e-12);
  EXPECT_LT(stats.RelativeSpread(), 0.05);
}

TEST(StatisticsTest, KeepsEverythingWhenTooFewOrIdentical) {
  const std::vector<double> few = {1, 1, 100};
  EXPECT_EQ(Summarize(few).rejected, 0);  // fewer than min_samples_for_rejection
  const std::vector<double> same(10, 2.5);
  const SampleStats stats = Summarize(same);
  EXPECT_EQ(stats.rejected, 0);  // MAD = 0: nothing is an outlier
  EXPECT_DOUBLE_EQ(stats.iqr, 0);
  EXPECT_DOUBLE_EQ(stats.stddev, 0);
  StatsOptions off;
  off.outlier_threshold = 0;
  EXPECT_EQ(Summarize(std::vector<double>{1, 1, 1, 1, 1, 9}, off).rejected, 0);
}

TEST(StatisticsTest, NeverRejectsHalfOrMore) {
  // Bimodal: half fast, half slow. The MAD is wide, so neither half is rejected.
  std::vector<double> samples;
  for (int sample_idx = 0; sample_idx < 10; ++sample_idx) samples.push_back(sample_idx % 2 ? 2 : 1);
  EXPECT_LT(FindOutliers(samples, 3.5).size(), samples.size() / 2);
  const SampleStats stats = Summarize(samples);
  EXPECT_EQ(stats.count + stats.rejected, 10);
  EXPECT_GT(stats.RelativeSpread(), 0.5);  // flagged as unstable by any sane limit
}

TEST(StatisticsTest, EmptyIsAllZeros) {
  const SampleStats stats = Summarize(std::vector<double>{});
  EXPECT_EQ(stats.count, 0);
  EXPECT_DOUBLE_EQ(stats.median, 0);
  EXPECT_DOUBLE_EQ(stats.RelativeSpread(), 0);
}

}  // namespace
}  // namespace moeplan::profiler
