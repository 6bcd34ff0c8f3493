//===- tests/sim/expert_load_test.cc - The busiest expert rank -------------===//
#include "sim/expert_load.h"

#include <gtest/gtest.h>

#include <vector>

namespace moeplan::sim {
namespace {

TEST(ExpertLoadTest, BlomApproximationOfTheLargestNormal) {
  EXPECT_EQ(ExpectedMaxOfNormals(1), 0.0);
  // Phi^-1((2 - 0.375) / 2.25) = Phi^-1(0.72222) = 0.5894 (tables: Phi(0.59) = 0.72240).
  EXPECT_NEAR(ExpectedMaxOfNormals(2), 0.5894, 1e-3);
  // Phi^-1(7.625 / 8.25 = 0.92424) = 1.4338 (Phi(1.43) = 0.92364, Phi(1.44) = 0.92507).
  EXPECT_NEAR(ExpectedMaxOfNormals(8), 1.4338, 1e-3);
  // Exact E[max of 8 standard normals] is 1.4236: Blom is within 1%.
  EXPECT_NEAR(ExpectedMaxOfNormals(8), 1.4236, 0.015);
}

TEST(ExpertLoadTest, BalancedGivesTheMeanToEveryLocalExpert) {
  std::vector<int64_t> local(4);
  EXPECT_EQ(BusiestRank(ExpertLoad::Balanced(), 32, 2, 8, 100.0, 0.0, 0, local), 1.0);
  EXPECT_EQ(local, (std::vector<int64_t>{100, 100, 100, 100}));
}

TEST(ExpertLoadTest, SkewRaisesTheBusiestRankByTheExpectedMaximum) {
  // 32 experts on ep = 8: g = 4 per rank, rank CV = s / 2; factor = 1 + z(8) s / 2.
  std::vector<int64_t> local(4);
  const double factor = BusiestRank(ExpertLoad::Skew(0.5), 32, 2, 8, 100.0, 0.0, 0, local);
  EXPECT_NEAR(factor, 1.0 + 1.4338 * 0.5 / 2.0, 1e-3);
  EXPECT_EQ(local[0], 136);  // round(100 x 1.358)
  // A capacity factor of 1.2 caps every expert, hence the rank, at 1.2 x the mean.
  EXPECT_NEAR(BusiestRank(ExpertLoad::Skew(0.5), 32, 2, 8, 100.0, 1.2, 0, local), 1.2, 1e-12);
  EXPECT_EQ(local[0], 120);
  // One rank cannot receive more than all copies it can hold: ep x min(g, K) / K = 8.
  EXPECT_NEAR(BusiestRank(ExpertLoad::Skew(100.0), 32, 2, 8, 100.0, 0.0, 0, local), 8.0, 1e-12);
  // Without expert parallelism there is no other rank to wait for.
  std::vector<int64_t> all(32);
  EXPECT_EQ(BusiestRank(ExpertLoad::Skew(0.5), 32, 2, 1, 100.0, 0.0, 0, all), 1.0);
}

TEST(ExpertLoadTest, HistogramPicksTheBusiestContiguousBlock) {
  // 8 experts on ep = 4 (experts {0,1} on rank 0, {2,3} on rank 1, ...); shares by hand:
  // rank loads 0.1+0.1, 0.3+0.1, 0.1+0.1, 0.1+0.1 -> rank 1 holds 0.4 of 0.25 mean: factor 1.6.
  Result<ExpertLoad> load = ParseExpertHistogram("1 1 3 1 1 1 1 1", "h.txt", 8);
  ASSERT_TRUE(load.ok()) << load.error().message;
  std::vector<int64_t> local(2);
  // Mean 50 tokens per expert: 400 tokens in all; rank 1 gets 120 and 40.
  EXPECT_NEAR(BusiestRank(*load, 8, 2, 4, 50.0, 0.0, 0, local), 1.6, 1e-12);
  EXPECT_EQ(local, (std::vector<int64_t>{120, 40}));
}

TEST(ExpertLoadTest, HistogramFormats) {
  Result<ExpertLoad> json = ParseExpertHistogram(
      R"({"format": "moeplan-expert-histogram", "version": 1, "layers": [[1, 1], [3, 1]]})",
      "h.json", 2);
  ASSERT_TRUE(json.ok()) << json.error().message;
  ASSERT_EQ(json->shares.size(), 2u);
  EXPECT_DOUBLE_EQ(json->shares[1][0], 0.75);
  Result<ExpertLoad> text = ParseExpertHistogram("# layer 0\n1, 3\n\n2 2 # layer 1\n", "h.txt", 2);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->shares.size(), 2u);
  EXPECT_EQ(text->Describe(), "histogram h.txt (2 lists)");
}

TEST(ExpertLoadTest, HistogramErrors) {
  EXPECT_EQ(ParseExpertHistogram("1 2 3", "h.txt", 4).error().message,
            "h.txt: list 1 has 3 entries, expected one per routed expert (4)");
  EXPECT_EQ(ParseExpertHistogram("1 -2", "h.txt", 2).error().message,
            "h.txt: line 1: expected a non-negative number, got '-2'");
  EXPECT_EQ(ParseExpertHistogram("0 0", "h.txt", 2).error().message, "h.txt: list 1 has no tokens");
  EXPECT_EQ(ParseExpertHistogram("", "h.txt", 2).error().message, "h.txt: no token counts found");
}

}  // namespace
}  // namespace moeplan::sim
