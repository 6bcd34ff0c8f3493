//===- tests/sim/memory_estimate_test.cc - Memory per GPU ------------------===//
/// Bytes per parameter against Megatron-LM's distributed-optimizer table
/// (docs/source/api-guide/dist_optimizer.md, bf16 parameters with fp32 gradients: 18 bytes
/// without, 6 + 12 / d with the distributed optimizer), in-flight micro-batches against the
/// 1F1B and interleaved schedules, and the out-of-memory verdict. The other storage conventions
/// by hand: everything in BF16 (model.to(bfloat16): parameters 2, gradients 2, AdamW's two
/// moments in the parameters' dtype 4 = 8 bytes), FP32 parameters with BF16 compute (4 + 4 + 8
/// = 16 bytes), and FSDP2's unsharded FP32 gradient accumulators (4 bytes per parameter in place
/// of the gradient shards). Megatron's storage flags by hand: --grad-reduce-in-bf16 (gradients
/// 4 -> 2 bytes), BF16 Adam moments (12 -> 4 + 2 + 2 = 8 bytes of optimizer state),
/// --fp8-param-gather (BF16 weight 2 -> FP8 1 byte, the cached FP8 copy kept: 3 -> 2), and CPU
/// activation offloading (the offloaded layers' share of the decoder-layer activations leaves).
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

TEST(MemoryEstimateTest, OtherStatePrecisionsByHand) {
  internal::StageSums sums;
  sums.dense_params = 1'000'000;
  sums.layers = 10;  // one layer = 100,000 parameters
  const hw::Hardware hardware = hw::testing::ToyHardware();
  SimOptions options;
  Layout l = Resolved(1, 1, 4, 1);
  l.sharding = Sharding::kNone;
  options.state_precision = StatePrecision::kBf16;
  MemoryBreakdown m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 1e6);
  EXPECT_DOUBLE_EQ(m.gradients, 2.0 * 1e6);
  EXPECT_DOUBLE_EQ(m.optimizer_states, 4.0 * 1e6);
  options.state_precision = StatePrecision::kFp32;
  m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights + m.gradients + m.optimizer_states, 16.0 * 1e6);
  // FSDP over 4: 8 / 4 bytes of shards, plus two gathered layers of BF16 weights (2 bytes)
  // with their FP32 unsharded gradients (4 bytes): 2e6 + 2 x 6 x 1e5.
  options.state_precision = StatePrecision::kBf16;
  l.sharding = Sharding::kFull;
  m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights + m.gradients + m.optimizer_states, 2e6 + 1.2e6);
}

TEST(MemoryEstimateTest, MegatronStorageFlagsByHand) {
  internal::StageSums sums;
  sums.dense_params = 1'000'000;
  sums.layers = 10;
  const hw::Hardware hardware = hw::testing::ToyHardware();
  Layout l = Resolved(1, 1, 4, 1);  // distributed optimizer over 4
  l.precision = hw::Precision::kFp8;
  SimOptions options;
  // Megatron's FP8 default: 2 + 1 bytes of weights, 4 of main gradients, 12 / 4 of states.
  MemoryBreakdown m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights, 3.0 * 1e6);
  EXPECT_DOUBLE_EQ(m.gradients, 4.0 * 1e6);
  EXPECT_DOUBLE_EQ(m.optimizer_states, 3.0 * 1e6);
  options.grad_reduce_in_bf16 = true;
  options.bf16_adam_moments = true;
  options.fp8_param_gather = true;
  m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 1e6);               // FP8 parameter + its cached FP8 copy
  EXPECT_DOUBLE_EQ(m.gradients, 2.0 * 1e6);             // BF16 gradient buffer
  EXPECT_DOUBLE_EQ(m.optimizer_states, 8.0 / 4 * 1e6);  // FP32 master + 2 x BF16 moments
  // In BF16 training there are no FP8 parameters to store.
  l.precision = hw::Precision::kBf16;
  m = RankMemory(sums, 0, l, hardware, options);
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 1e6);
}

TEST(MemoryEstimateTest, OffloadedLayersLeaveTheirActivationsOnTheHost) {
  internal::StageSums sums;
  sums.dense_params = 1'000;
  sums.layers = 8;
  // One micro-batch in flight (no pipeline): kept bytes at the peak = bytes per micro-batch.
  sums.inflight_layer_activation_bytes = 8e6;  // 1e6 per decoder layer
  sums.inflight_activation_bytes = 9e6;        // plus 1e6 of the LM head, never offloaded
  const hw::Hardware hardware = hw::testing::ToyHardware();
  const Layout l = Resolved(1, 1, 1, 1);
  SimOptions options;
  options.offload_activation_layers = 3;
  EXPECT_DOUBLE_EQ(RankMemory(sums, 0, l, hardware, options).activations, 9e6 - 3e6);
  options.offload_activation_layers = 20;  // more than the rank has: every layer, not the head
  EXPECT_DOUBLE_EQ(RankMemory(sums, 0, l, hardware, options).activations, 1e6);
}

TEST(MemoryEstimateTest, FsdpUnshardedAccumulatorsReplaceTheGradientShards) {
  internal::StageSums sums;
  sums.dense_params = 1'000'000;
  sums.layers = 10;
  const hw::Hardware hardware = hw::testing::ToyHardware();
  SimOptions options;
  options.state_precision = StatePrecision::kBf16;
  options.fsdp_unsharded_grad_accumulation = true;
  Layout l = Resolved(1, 1, 4, 2);  // two micro-batches per step
  l.sharding = Sharding::kFull;
  MemoryBreakdown m = RankMemory(sums, 0, l, hardware, options);
  // 4 bytes for every parameter, and the two gathered layers' FP32 gradients (2 x 4 x 1e5).
  EXPECT_DOUBLE_EQ(m.gradients, 4.0 * 1e6 + 8.0 * 1e5);
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 1e6 / 4 + 4.0 * 1e5);
  EXPECT_DOUBLE_EQ(m.optimizer_states, 4.0 * 1e6 / 4);
  // With one micro-batch per step nothing accumulates: BF16 shards (2 bytes / 4) are back.
  Layout single = Resolved(1, 1, 4, 1);
  single.sharding = Sharding::kFull;
  m = RankMemory(sums, 0, single, hardware, options);
  EXPECT_DOUBLE_EQ(m.gradients, 2.0 * 1e6 / 4 + 8.0 * 1e5);
}

TEST(MemoryEstimateTest, FsdpWithoutReshardKeepsEveryGatheredWeight) {
  internal::StageSums sums;
  sums.dense_params = 1'000'000;
  sums.layers = 10;
  SimOptions options;
  options.state_precision = StatePrecision::kBf16;
  options.fsdp_reshard_after_forward = false;
  Layout l = Resolved(1, 1, 4, 1);
  l.sharding = Sharding::kFull;
  const MemoryBreakdown m = RankMemory(sums, 0, l, hw::testing::ToyHardware(), options);
  // BF16 shards (2 / 4 bytes) plus every parameter gathered in BF16 (2 bytes): the two layers
  // in flight add no weights of their own, only their FP32 unsharded gradients (2 x 4 x 1e5).
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 1e6 / 4 + 2.0 * 1e6);
  EXPECT_DOUBLE_EQ(m.gradients, 2.0 * 1e6 / 4 + 8.0 * 1e5);
}

TEST(MemoryEstimateTest, ExpertsOnAOneGpuShardGroupCanStayOutsideFsdp) {
  internal::StageSums sums;
  sums.dense_params = 1'000'000;
  sums.expert_params = 4'000'000;
  sums.layers = 10;
  SimOptions options;
  options.state_precision = StatePrecision::kBf16;
  options.fsdp_unsharded_grad_accumulation = true;
  options.fsdp_skips_unsharded_experts = true;
  Layout l = Resolved(1, 1, 4, 2);  // two micro-batches per step
  l.ep = 4;                         // edp = 4 / 4 = 1
  l.sharding = Sharding::kFull;
  MemoryBreakdown m = RankMemory(sums, 0, l, hw::testing::ToyHardware(), options);
  // Experts: plain BF16 weight (2), gradient (2) and two BF16 moments (4) per parameter. Dense:
  // BF16 shards over 4 plus two gathered layers (2 x 2 x 1e5 weights), FP32 accumulators (4)
  // plus the two layers' FP32 gradients (2 x 4 x 1e5).
  EXPECT_DOUBLE_EQ(m.weights, 2.0 * 4e6 + 2.0 * 1e6 / 4 + 4.0 * 1e5);
  EXPECT_DOUBLE_EQ(m.gradients, 2.0 * 4e6 + 4.0 * 1e6 + 8.0 * 1e5);
  EXPECT_DOUBLE_EQ(m.optimizer_states, 4.0 * 4e6 + 4.0 * 1e6 / 4);
  // With two GPUs per expert shard group FSDP manages the experts again: they accumulate in
  // FP32 and are gathered like the dense layers (4 + 2 x 4 x 4e5 gradient bytes).
  l.dp = 8;
  l.gbs = 16;  // still two micro-batches
  m = RankMemory(sums, 0, l, hw::testing::ToyHardware(), options);
  EXPECT_DOUBLE_EQ(m.gradients, 4.0 * 5e6 + 8.0 * 5e5);
}

TEST(MemoryEstimateTest, EachStatisticReadsItsShareOfTheBreakdown) {
  MemoryBreakdown m;
  m.weights = 1.0;
  m.gradients = 2.0;
  m.optimizer_states = 4.0;
  m.activations = 8.0;
  m.transient = 16.0;
  m.fragmentation = 32.0;
  m.communication = 64.0;
  m.framework = 128.0;
  EXPECT_DOUBLE_EQ(m.Read(MemoryStatistic::kMaxAllocated), 31.0);
  EXPECT_DOUBLE_EQ(m.Read(MemoryStatistic::kMaxReserved), 63.0);
  EXPECT_DOUBLE_EQ(m.Read(MemoryStatistic::kDeviceUsed), 255.0);
  for (MemoryStatistic statistic : {MemoryStatistic::kMaxAllocated, MemoryStatistic::kMaxReserved,
                                    MemoryStatistic::kDeviceUsed}) {
    EXPECT_EQ(MemoryStatisticFromString(ToString(statistic)), statistic);
  }
  EXPECT_FALSE(MemoryStatisticFromString("nvidia-smi").has_value());
}

TEST(MemoryEstimateTest, TheVerdictLeavesTheAllocatorCacheOut) {
  MemoryBreakdown m;
  m.capacity = 100.0;
  m.weights = 80.0;
  m.communication = 5.0;
  m.framework = 5.0;
  m.fragmentation = 8.0;  // 98: fits with the cache
  EXPECT_TRUE(m.Fits());
  EXPECT_FALSE(m.Tight());
  m.fragmentation = 15.0;  // 105 with the cache, 90 without: fits once the cache gives way
  EXPECT_DOUBLE_EQ(m.Required(), 90.0);
  EXPECT_TRUE(m.Fits());
  EXPECT_TRUE(m.Tight());
  m.weights = 95.0;  // 105 without the cache
  EXPECT_FALSE(m.Fits());
  EXPECT_FALSE(m.Tight());
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
  sums.inflight_activation_bytes = 1e8;
  sums.inflight_layer_activation_bytes = 8e7;
  sums.transient_bytes = 3e7;
  sums.layers = 3;
  for (Sharding sharding : {Sharding::kNone, Sharding::kOptimizer, Sharding::kFull}) {
    for (hw::Precision precision : {hw::Precision::kBf16, hw::Precision::kFp8}) {
      for (StatePrecision states :
           {StatePrecision::kMixed, StatePrecision::kBf16, StatePrecision::kFp32}) {
        for (int flags = 0; flags < 64; ++flags) {
          const bool accumulate = (flags & 1) != 0;
          Layout l = Resolved(4, 2, 8, 8);
          l.ep = (flags & 32) != 0 ? 8 : 4;  // edp 1 or 2
          l.sharding = sharding;
          l.precision = precision;
          SimOptions options;
          options.state_precision = states;
          options.fsdp_unsharded_grad_accumulation = accumulate;
          options.grad_reduce_in_bf16 = (flags & 2) != 0;
          options.bf16_adam_moments = (flags & 4) != 0;
          options.fp8_param_gather = (flags & 8) != 0;
          options.offload_activation_layers = flags % 3;
          options.fsdp_reshard_after_forward = (flags & 16) == 0;
          options.fsdp_skips_unsharded_experts = (flags & 32) != 0;
          const RankMemoryTotal total(l, options);
          for (int64_t rank = 0; rank < 4; ++rank) {
            const MemoryBreakdown m =
                RankMemory(sums, rank, l, hw::testing::ToyHardware(), options);
            EXPECT_NEAR(total(sums), m.Total(), 1e-6 * m.Total())
                << ToString(sharding) << " " << ToString(states) << " flags " << flags;
          }
        }
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

TEST(MemoryEstimateTest, ChunkInflightMicrobatchesFollowTheInterleavedOrder) {
  // Megatron's interleaved forwards visit chunk (k mod p v) / p: with p = 4, v = 2, m = 8,
  // rank 0's 11 live chunk-micro-batches are forwards 0-3 (chunk 0), 4-7 (chunk 1) and 8-10
  // (chunk 0 again): 7 and 4. Rank 3: (v - 1) p + 1 = 5 forwards, chunk 0's four and one of
  // chunk 1 (the LM head's on the last rank). 1F1B: the single chunk holds min(p - r, m).
  const Layout interleaved = Resolved(4, 2, 1, 8);
  EXPECT_EQ(ChunkInflightMicrobatches(interleaved, 0, 0), 7.0);
  EXPECT_EQ(ChunkInflightMicrobatches(interleaved, 0, 1), 4.0);
  EXPECT_EQ(ChunkInflightMicrobatches(interleaved, 3, 0), 4.0);
  EXPECT_EQ(ChunkInflightMicrobatches(interleaved, 3, 1), 1.0);
  EXPECT_EQ(ChunkInflightMicrobatches(Resolved(4, 1, 1, 8), 1, 0), 3.0);
  // p = 2, v = 4, m = 16, rank 0: 2 + 6 + 1 = 9 live: chunks 0-3 two each, chunk 0 one more.
  const Layout deep = Resolved(2, 4, 1, 16);
  EXPECT_EQ(ChunkInflightMicrobatches(deep, 0, 0), 3.0);
  for (int64_t chunk = 1; chunk < 4; ++chunk) {
    EXPECT_EQ(ChunkInflightMicrobatches(deep, 0, chunk), 2.0) << chunk;
  }
  // The counts add up to the schedule's total for every rank.
  for (int64_t rank = 0; rank < 4; ++rank) {
    EXPECT_EQ(ChunkInflightMicrobatches(interleaved, rank, 0) +
                  ChunkInflightMicrobatches(interleaved, rank, 1),
              2.0 * InflightMicrobatches(interleaved, rank))
        << rank;
  }
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
                                  m.transient + m.workspaces + m.communication + m.framework +
                                  m.fragmentation);
  EXPECT_EQ(SimReportJson(*report)["memory"]["fits"], false);
}

TEST(MemoryEstimateTest, GemmWorkspacesFollowTheFrameworksAllocations) {
  // 32 MiB per cuBLAS workspace on Hopper (Transformer Engine's get_cublas_workspace_size_bytes,
  // PyTorch's :4096:8 default): PyTorch's and Transformer Engine's on every rank, plus the four
  // grouped-GEMM streams' where the rank holds routed experts.
  constexpr double kMiB = 1024.0 * 1024.0;
  SimRequest request;
  request.fleet = *hw::LoadFleet("8xH100");
  request.event_simulation = false;
  request.arch = laws::FindPreset("mixtral-8x7b")->arch;
  request.layout = *ParseLayout("ep=8,gbs=8");
  Result<SimReport> moe = Simulate(request);
  ASSERT_TRUE(moe.ok()) << moe.error().message;
  EXPECT_DOUBLE_EQ(moe->analytic.memory.workspaces, 6 * 32 * kMiB);
  request.arch = laws::FindPreset("llama-3-8b")->arch;
  request.layout = *ParseLayout("tp=8,gbs=8");
  Result<SimReport> dense = Simulate(request);
  ASSERT_TRUE(dense.ok()) << dense.error().message;
  EXPECT_DOUBLE_EQ(dense->analytic.memory.workspaces, 2 * 32 * kMiB);
  EXPECT_DOUBLE_EQ(SimReportJson(*dense)["memory"]["workspace_bytes"], 2 * 32 * kMiB);
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
