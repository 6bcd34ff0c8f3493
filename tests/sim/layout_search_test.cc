//===- tests/sim/layout_search_test.cc - Best layouts for a fleet ----------===//
/// Properties of the search rather than stored numbers: every enumerated layout is either kept,
/// counted as fitting, or rejected under exactly one family; the top list is sorted and each
/// entry matches a direct estimate; the result does not depend on the thread count.
#include "sim/layout_search.h"

#include <gtest/gtest.h>

#include "hwmodel/fleet_source.h"
#include "laws/presets.h"
#include "sim/lowering.h"

namespace moeplan::sim {
namespace {

struct SearchSetup {
  ModelProfile profile;
  hw::Fleet fleet;
  SearchSpace space;
};

SearchSetup MixtralOn64() {
  SearchSetup s{
      *BuildProfile(laws::FindPreset("mixtral-8x7b")->arch), *hw::LoadFleet("64xH100"), {}};
  s.space.gbs = 256;
  s.space.vpp = {1, 2, 4};
  s.space.mbs = {1, 2};
  s.space.top_k = 5;
  return s;
}

TEST(LayoutSearchTest, AccountsForEveryLayout) {
  const SearchSetup s = MixtralOn64();
  Result<SearchResult> result = SearchLayouts(s.profile, s.fleet, s.space, SimOptions{});
  ASSERT_TRUE(result.ok()) << result.error().message;
  int64_t rejected = 0;
  for (const RejectionFamily& family : result->rejected) rejected += family.count;
  const int64_t memory = result->rejected[static_cast<size_t>(LayoutIssue::kMemory)].count;
  const int64_t fitting = result->estimated - memory;
  EXPECT_EQ(rejected + fitting, result->enumerated);
  EXPECT_GT(fitting, 0);
  ASSERT_EQ(result->top.size(), 5u);
  // Families that must occur here, each with its first example's message.
  for (LayoutIssue issue :
       {LayoutIssue::kFleet, LayoutIssue::kExpertGrid, LayoutIssue::kPipeline}) {
    const RejectionFamily& family = result->rejected[static_cast<size_t>(issue)];
    EXPECT_GT(family.count, 0) << ToString(issue);
    EXPECT_EQ(family.example.rfind("layout: ", 0), 0u) << family.example;
  }
}

TEST(LayoutSearchTest, TopIsSortedAndMatchesDirectEstimates) {
  const SearchSetup s = MixtralOn64();
  const SearchResult result = *SearchLayouts(s.profile, s.fleet, s.space, SimOptions{});
  for (size_t i = 0; i < result.top.size(); ++i) {
    const Candidate& c = result.top[i];
    if (i > 0) {
      EXPECT_LE(result.top[i - 1].estimate.step_time, c.estimate.step_time);
    }
    EXPECT_TRUE(c.estimate.memory.Fits());
    const LoweredModel lowered = LowerModel(s.profile, c.layout, s.fleet.hardware, SimOptions{});
    const StepEstimate direct = EstimateStep(s.profile, lowered, c.layout, s.fleet, SimOptions{});
    EXPECT_DOUBLE_EQ(direct.step_time, c.estimate.step_time);
  }
}

TEST(LayoutSearchTest, SameResultWithOneOrTwoThreads) {
  SearchSetup s = MixtralOn64();
  s.space.threads = 1;
  const SearchResult one = *SearchLayouts(s.profile, s.fleet, s.space, SimOptions{});
  s.space.threads = 2;
  const SearchResult two = *SearchLayouts(s.profile, s.fleet, s.space, SimOptions{});
  ASSERT_EQ(one.top.size(), two.top.size());
  for (size_t i = 0; i < one.top.size(); ++i) {
    EXPECT_EQ(one.top[i].layout, two.top[i].layout);
    EXPECT_EQ(one.top[i].estimate.step_time, two.top[i].estimate.step_time);
  }
  for (size_t i = 0; i < one.rejected.size(); ++i) {
    EXPECT_EQ(one.rejected[i].count, two.rejected[i].count);
    EXPECT_EQ(one.rejected[i].example, two.rejected[i].example);
  }
}

TEST(LayoutSearchTest, ReportsWhenNothingFits) {
  SearchSetup s{*BuildProfile(laws::FindPreset("deepseek-v3")->arch), *hw::LoadFleet("8xH100"), {}};
  s.space.gbs = 64;
  s.space.vpp = {1};
  const SearchResult result = *SearchLayouts(s.profile, s.fleet, s.space, SimOptions{});
  EXPECT_TRUE(result.top.empty());
  const RejectionFamily& memory = result.rejected[static_cast<size_t>(LayoutIssue::kMemory)];
  EXPECT_GT(memory.count, 0);
  EXPECT_NE(memory.example.find("GiB"), std::string::npos) << memory.example;
  EXPECT_GT(memory.least_memory, 80.0 * (1 << 30));
}

TEST(LayoutSearchTest, RejectsAnInvalidSpace) {
  SearchSetup s = MixtralOn64();
  s.space.gbs = 0;
  EXPECT_EQ(SearchLayouts(s.profile, s.fleet, s.space, SimOptions{}).error().message,
            "layout search: a global batch size is needed (gbs=N in --layout or --gbs)");
}

}  // namespace
}  // namespace moeplan::sim
