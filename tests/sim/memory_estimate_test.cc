//===- tests/sim/memory_estimate_test.cc - Memory per GPU ------------------===//
/// Bytes per parameter against Megatron-LM's distributed-optimizer table
/// (docs/source/api-guide/dist_optimizer.md, bf16 parameters with fp32 gradients: 18 bytes
/// without, 6 + 12 / d with the distributed optimizer), in-flight micro-batches against the
/// 1F1B and interleaved schedules, and the out-of-memory verdict.
#include "sim/memory_estimate.h"

#include <gtest/gtest.h>

#include "hwmodel/fleet_source.h"
#include "laws/presets.h"
#include "sim/simulate.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

Layout Resolved(int64_t pp, int64_t vpp, int64_t dp, int64_t m) {
  Layout l;
  l.pp = pp;
  l.vpp = vpp;
  l.dp = dp;
  l.etp = 1;
  l.gbs = m * dp;
  return l;
}

TEST(MemoryEstimateTest, BytesPerParameterFollowMegatronsTable) {
  internal::StageSums sums;
  sums.dense_params = 1'000'000;
  sums.layers = 1;
  SimOptions options;
  const hw::Hardware hardware = hw::testing::ToyHardware();
  Layout l = Resolved(1, 1, 8, 1);
  l.sharding = Sharding::kNone;
  MemoryBreakdown m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights + m.gradients + m.optimizer_states, 18.0 * 1e6);
  l.sharding = Sharding::kOptimizer;
  m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights + m.gradients + m.optimizer_states, (6.0 + 12.0 / 8) * 1e6);
  // FP8 keeps a 1-byte copy of the weights.
  l.precision = hw::Precision::kFp8;
  EXPECT_DOUBLE_EQ(RankMemory(sums, 0, l, hardware, options).weights, 3.0 * 1e6);
}

TEST(MemoryEstimateTest, ExpertStatesShardOverTheExpertDataParallelGroup) {
  internal::StageSums sums;
  sums.expert_params = 1'000'000;
  sums.layers = 1;
  Layout l = Resolved(1, 1, 8, 1);  // tp = cp = 1, dp = 8
  l.ep = 4;                         // edp = 8 / 4 = 2
  const MemoryBreakdown m = RankMemory(sums, 0, l, hw::testing::ToyHardware(), SimOptions{});
  EXPECT_DOUBLE_EQ(m.optimizer_states, 12.0 * 1e6 / 2);
}

TEST(MemoryEstimateTest, FastTotalMatchesTheBreakdown) {
  internal::StageSums sums;
  sums.dense_params = 3'000'000;
  sums.expert_params = 5'000'000;
  sums.activation_bytes = 1e8;
  sums.transient_bytes = 3e7;
  sums.layers = 3;
  for (Sharding sharding : {Sharding::kNone, Sharding::kOptimizer, Sharding::kFull}) {
    for (hw::Precision precision : {hw::Precision::kBf16, hw::Precision::kFp8}) {
      Layout l = Resolved(4, 2, 8, 8);
      l.ep = 4;
      l.sharding = sharding;
      l.precision = precision;
      const RankMemoryTotal total(l, SimOptions{});
      for (int64_t rank = 0; rank < 4; ++rank) {
        const MemoryBreakdown m = RankMemory(sums, rank, l, hw::testing::ToyHardware(), {});
        EXPECT_NEAR(total(sums, rank), m.Total(), 1e-6 * m.Total()) << ToString(sharding);
      }
    }
  }
}

TEST(MemoryEstimateTest, InflightMicrobatchesPerSchedule) {
  // 1F1B: rank r holds min(p - r, m).
  EXPECT_EQ(InflightMicrobatches(Resolved(4, 1, 1, 8), 0), 4.0);
  EXPECT_EQ(InflightMicrobatches(Resolved(4, 1, 1, 8), 3), 1.0);
  EXPECT_EQ(InflightMicrobatches(Resolved(4, 1, 1, 2), 0), 2.0);
  // Interleaved, rank 0: 2 (p - 1) + (v - 1) p + 1 = 11 chunk-micro-batches of 1/v = 2 of
  // its layers: p + (p - 1) / v = 5.5 micro-batches (Korthikanti et al., Sec. 4.2.3).
  EXPECT_EQ(InflightMicrobatches(Resolved(4, 2, 1, 8), 0), 5.5);
  EXPECT_EQ(InflightMicrobatches(Resolved(1, 1, 1, 8), 0), 1.0);
}

TEST(MemoryEstimateTest, OutOfMemoryIsAVerdictWithItsBreakdown) {
  SimRequest request;
  request.arch = laws::FindPreset("deepseek-v3")->arch;
  request.fleet = *hw::LoadFleet("8xH100");
  request.layout = *ParseLayout("ep=8,gbs=8");
  request.event_simulation = false;
  Result<SimReport> report = Simulate(request);
  ASSERT_TRUE(report.ok()) << report.error().message;
  const MemoryBreakdown& m = report->analytic.memory;
  EXPECT_FALSE(m.Fits());
  // 671B parameters over 8 GPUs in BF16 alone exceed 80 GiB.
  EXPECT_GT(m.weights, m.capacity);
  EXPECT_DOUBLE_EQ(m.Total(), m.weights + m.gradients + m.optimizer_states + m.activations +
                                  m.transient + m.communication + m.framework + m.fragmentation);
  EXPECT_EQ(SimReportJson(*report)["memory"]["fits"], false);
}

TEST(MemoryEstimateTest, FirstStageHoldsTheMostActivations) {
  SimRequest request;
  request.arch = laws::FindPreset("llama-3-8b")->arch;
  request.fleet = *hw::LoadFleet("8xH100");
  request.layout = *ParseLayout("tp=2,pp=4,gbs=16");
  request.event_simulation = false;
  Result<SimReport> report = Simulate(request);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->analytic.memory.pipeline_rank, 0);
  EXPECT_EQ(report->analytic.memory.inflight_microbatches, 4.0);
  EXPECT_TRUE(report->analytic.memory.Fits());
}

}  // namespace
}  // namespace moeplan::sim
