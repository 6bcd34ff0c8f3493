//===- tests/hwmodel/collective_cost_test.cc - Collective time -------------===//
/// Expected times are the alpha-beta closed forms of the ring algorithms (Thakur, Rabenseifner
/// and Gropp, IJHPCA 2005; per-GPU traffic 2(n-1)/n S for all-reduce, (n-1)/n S for all-gather,
/// reduce-scatter and all-to-all) evaluated by hand on the toy fabric of
/// tests/hwmodel/toy_hardware.h: scale-up 100 GB/s and 1 us per step, scale-out 10 GB/s and
/// 10 us per step, 5 us per call, efficiency 1 (ramps off).
#include "hwmodel/collective_cost.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwmodel/presets.h"
#include "tests/hwmodel/toy_hardware.h"

namespace moeplan::hw {
namespace {

using ::testing::HasSubstr;
using testing::ToyHardware;

constexpr double kS = 1e9;  // buffer bytes used by the hand derivations

CollectiveGroup ScaleUp(int64_t n) {
  return {n, Placement::kScaleUp, 0};
}
CollectiveGroup ScaleOut(int64_t n) {
  return {n, Placement::kScaleOut, 0};
}
CollectiveGroup Hierarchical(int64_t n, int64_t r) {
  return {n, Placement::kHierarchical, r};
}

TEST(CollectiveCostTest, FlatScaleUpRingsByHand) {
  const Hardware h = ToyHardware();
  // All-reduce, n = 8: 5 us + 2*7 * 1 us + (2*7/8 * 1e9) / 100e9 = 17.5 ms + 19 us.
  const CollectiveCost ar = EstimateCollective(Collective::kAllReduce, kS, ScaleUp(8), h);
  EXPECT_NEAR(ar.time, 17.5e-3 + 19e-6, 1e-12);
  EXPECT_EQ(ar.scale_up_steps, 14);
  EXPECT_DOUBLE_EQ(ar.scale_up_bytes, 1.75e9);
  EXPECT_EQ(ar.scale_out_bytes, 0.0);
  // All-gather and reduce-scatter, n = 8: 5 us + 7 * 1 us + (7/8 * 1e9) / 100e9 = 8.75 ms + 12 us.
  EXPECT_NEAR(CollectiveTime(Collective::kAllGather, kS, ScaleUp(8), h), 8.75e-3 + 12e-6, 1e-12);
  EXPECT_NEAR(CollectiveTime(Collective::kReduceScatter, kS, ScaleUp(8), h), 8.75e-3 + 12e-6,
              1e-12);
  // All-to-all, n = 8 (pairwise exchange): 7 steps, 7/8 of the buffer leaves each GPU.
  EXPECT_NEAR(CollectiveTime(Collective::kAllToAll, kS, ScaleUp(8), h), 8.75e-3 + 12e-6, 1e-12);
}

TEST(CollectiveCostTest, SendRecvUsesOneStepOnItsTier) {
  const Hardware h = ToyHardware();
  // 5 us + 1 us + 1e9 / 100e9 = 10 ms + 6 us; over the NIC 5 us + 10 us + 1e9 / 10e9.
  EXPECT_NEAR(CollectiveTime(Collective::kSendRecv, kS, ScaleUp(2), h), 10e-3 + 6e-6, 1e-12);
  EXPECT_NEAR(CollectiveTime(Collective::kSendRecv, kS, ScaleOut(2), h), 0.1 + 15e-6, 1e-12);
  EXPECT_NEAR(CollectiveTime(Collective::kSendRecv, kS, Hierarchical(16, 8), h), 0.1 + 15e-6,
              1e-12);
}

TEST(CollectiveCostTest, FlatScaleOutAllReduceByHand) {
  // n = 16, one GPU per domain: 5 us + 30 * 10 us + (30/16 * 1e9) / 10e9 = 187.5 ms + 305 us.
  const CollectiveCost cost =
      EstimateCollective(Collective::kAllReduce, kS, ScaleOut(16), ToyHardware());
  EXPECT_NEAR(cost.time, 0.1875 + 305e-6, 1e-12);
  EXPECT_EQ(cost.scale_out_steps, 30);
  EXPECT_EQ(cost.scale_up_bytes, 0.0);
}

TEST(CollectiveCostTest, HierarchicalAllReduceIsThreePhasesByHand) {
  // n = 64 = 8 per domain x 8 domains, S = 1e9:
  //   reduce-scatter in domain: 7 * 1 us  + (7/8 * 1e9) / 100e9          = 7 us + 8.75 ms
  //   all-reduce across of S/8: 14 * 10 us + (2 * 7/8 * 1.25e8) / 10e9    = 140 us + 21.875 ms
  //   all-gather in domain:     7 * 1 us  + (7/8 * 1e9) / 100e9          = 7 us + 8.75 ms
  //   + 5 us per call                                                    = 39.375 ms + 159 us
  const CollectiveCost cost =
      EstimateCollective(Collective::kAllReduce, kS, Hierarchical(64, 8), ToyHardware());
  EXPECT_NEAR(cost.time, 39.375e-3 + 159e-6, 1e-12);
  EXPECT_EQ(cost.scale_up_steps, 14);
  EXPECT_EQ(cost.scale_out_steps, 14);
  EXPECT_DOUBLE_EQ(cost.scale_up_bytes, 1.75e9);
  EXPECT_DOUBLE_EQ(cost.scale_out_bytes, 2.1875e8);
}

TEST(CollectiveCostTest, HierarchicalGatherAndScatterByHand) {
  // n = 64 (8 x 8): all-gather of S/8 across (7 * 10 us + 7/8 * 1.25e8 / 10e9 = 70 us +
  // 10.9375 ms), then of S in domain (7 us + 8.75 ms); + 5 us = 19.6875 ms + 82 us.
  // Reduce-scatter runs the same two phases in the opposite order.
  const Hardware h = ToyHardware();
  EXPECT_NEAR(CollectiveTime(Collective::kAllGather, kS, Hierarchical(64, 8), h),
              19.6875e-3 + 82e-6, 1e-12);
  EXPECT_NEAR(CollectiveTime(Collective::kReduceScatter, kS, Hierarchical(64, 8), h),
              19.6875e-3 + 82e-6, 1e-12);
}

TEST(CollectiveCostTest, HierarchicalAllToAllSplitsPeersByTier) {
  // n = 16, 8 per domain, S = 1.6e9 (1e8 per peer): 7 local peers over scale-up (7 us +
  // 7e8 / 100e9 = 7 ms), 8 remote peers over scale-out (80 us + 8e8 / 10e9 = 80 ms), both at
  // once: the network sets the time, 80 ms + 80 us; + 5 us.
  const CollectiveCost cost =
      EstimateCollective(Collective::kAllToAll, 1.6e9, Hierarchical(16, 8), ToyHardware());
  EXPECT_NEAR(cost.time, 80e-3 + 85e-6, 1e-12);
  EXPECT_DOUBLE_EQ(cost.scale_up_bytes, 7e8);
  EXPECT_DOUBLE_EQ(cost.scale_out_bytes, 8e8);
  EXPECT_EQ(cost.scale_up_steps, 7);
  EXPECT_EQ(cost.scale_out_steps, 8);
  // With a 1 TB/s network the remote peers take 80 us + 8e8 / 1e12 = 0.88 ms and the domain's
  // 7.007 ms sets the time: 7 ms + 7 us + 5 us.
  Hardware fast_network = ToyHardware();
  fast_network.scale_out.bandwidth = 1e12;
  EXPECT_NEAR(CollectiveTime(Collective::kAllToAll, 1.6e9, Hierarchical(16, 8), fast_network),
              7e-3 + 12e-6, 1e-12);
}

TEST(CollectiveCostTest, BusBandwidthApproachesLinkTimesEfficiency) {
  // nccl-tests (PERFORMANCE.md) defines busbw = algbw * 2(n-1)/n for all-reduce, algbw = S / t.
  // With alpha and the call overhead zeroed, busbw must equal bandwidth * eff(S) exactly, with
  // eff(S) = 0.8 * S / (S + 4 MiB).
  Hardware h = FindHardwarePreset("h100")->hardware;
  h.scale_up.latency = 0;
  h.efficiency.collective = {0.0, {0.8, 4.0 * 1024 * 1024}, {0.9, 4.0 * 1024 * 1024}};
  const double s = 256.0 * 1024 * 1024;
  const double algbw = s / CollectiveTime(Collective::kAllReduce, s, ScaleUp(8), h);
  const double busbw = algbw * 2.0 * 7.0 / 8.0;
  EXPECT_NEAR(busbw, 450e9 * 0.8 * s / (s + 4.0 * 1024 * 1024), 1.0);
}

TEST(CollectiveCostTest, SizeRampHalvesEfficiencyAtHalfSize) {
  Hardware h = ToyHardware();
  h.efficiency.collective.scale_up = {0.8, 4.0 * 1024 * 1024};
  // n = 2 all-reduce of S = 4 MiB: 2 steps, wire 2 * 1/2 * S = S at 0.8 * 1/2 = 0.4 efficiency.
  const double s = 4.0 * 1024 * 1024;
  EXPECT_NEAR(CollectiveTime(Collective::kAllReduce, s, ScaleUp(2), h),
              5e-6 + 2e-6 + s / (100e9 * 0.4), 1e-15);
}

TEST(CollectiveCostTest, NothingToDoCostsNothing) {
  const Hardware h = ToyHardware();
  EXPECT_EQ(CollectiveTime(Collective::kAllReduce, kS, ScaleUp(1), h), 0.0);
  EXPECT_EQ(CollectiveTime(Collective::kAllToAll, 0.0, ScaleUp(8), h), 0.0);
  EXPECT_EQ(CollectiveTime(Collective::kSendRecv, -5.0, ScaleOut(2), h), 0.0);
}

TEST(CollectiveCostTest, MonotoneInBytesAndHierarchyBeatsFlatScaleOut) {
  const Hardware h = FindHardwarePreset("h100")->hardware;
  for (Collective c : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                       Collective::kAllToAll}) {
    double previous = 0.0;
    for (double bytes = 1024; bytes <= 4e9; bytes *= 4) {
      const double t = CollectiveTime(c, bytes, Hierarchical(64, 8), h);
      EXPECT_GT(t, previous) << ToString(c) << " " << bytes;
      previous = t;
    }
  }
  EXPECT_LT(CollectiveTime(Collective::kAllReduce, 1e9, Hierarchical(64, 8), h),
            CollectiveTime(Collective::kAllReduce, 1e9, ScaleOut(64), h));
}

TEST(CollectiveCostTest, PlaceGroupPicksTheTier) {
  EXPECT_EQ(PlaceGroup(8, 8).placement, Placement::kScaleUp);
  EXPECT_EQ(PlaceGroup(8, 8).RanksPerDomain(), 8);
  EXPECT_EQ(PlaceGroup(64, 1).placement, Placement::kScaleOut);
  EXPECT_EQ(PlaceGroup(64, 1).RanksPerDomain(), 1);
  const CollectiveGroup mixed = PlaceGroup(64, 8);
  EXPECT_EQ(mixed.placement, Placement::kHierarchical);
  EXPECT_EQ(mixed.RanksPerDomain(), 8);
}

TEST(CollectiveCostTest, ValidateGroupExplainsBadPlacements) {
  const Hardware h100 = FindHardwarePreset("h100")->hardware;
  EXPECT_TRUE(ValidateGroup(ScaleUp(8), h100).ok());
  EXPECT_THAT(ValidateGroup(ScaleUp(16), h100).message(),
              HasSubstr("collective group of 16 GPUs does not fit in one scale-up domain of 8 "
                        "GPUs (h100-sxm)"));
  EXPECT_TRUE(ValidateGroup(ScaleUp(72), FindHardwarePreset("gb200")->hardware).ok());
  EXPECT_THAT(ValidateGroup(Hierarchical(16, 3), h100).message(),
              HasSubstr("ranks_per_domain 3 does not divide the group size"));
  EXPECT_THAT(ValidateGroup(Hierarchical(32, 16), h100).message(),
              HasSubstr("16 ranks per domain exceed the scale-up domain of 8 GPUs (h100-sxm)"));
  EXPECT_THAT(ValidateGroup(Hierarchical(8, 8), h100).message(),
              HasSubstr("expected 1 < ranks_per_domain < 8, got 8"));
  EXPECT_THAT(ValidateGroup(ScaleOut(0), h100).message(), HasSubstr("expected at least 1 GPU"));
}

TEST(CollectiveCostTest, NamesRoundTrip) {
  for (Collective c : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                       Collective::kAllToAll, Collective::kSendRecv}) {
    EXPECT_EQ(*ParseCollective(ToString(c)), c);
  }
  for (Placement p : {Placement::kScaleUp, Placement::kScaleOut, Placement::kHierarchical}) {
    EXPECT_EQ(*ParsePlacement(ToString(p)), p);
  }
  EXPECT_THAT(ParseCollective("broadcast").error().message,
              HasSubstr("unknown collective 'broadcast'"));
}

}  // namespace
}  // namespace moeplan::hw
