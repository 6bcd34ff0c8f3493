//===- tests/sim/lowering_test.cc - Layers as primitive operations ---------===//
/// Communication volumes by hand (MoE all-to-all: tokens x top_k x d x bytes per GPU and
/// direction, of which (ep - 1) / ep leaves the GPU), parameter counts against laws/' exact
/// accounting, and FLOPs of the lowered layers against 6 x parameters per token.
#include "sim/lowering.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "laws/accounting.h"
#include "laws/presets.h"
#include "sim/layout_check.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

using testing::FleetOf;
using testing::IdealHardware;
using testing::MakeLayout;
using testing::TinyMoe;

struct Lowered {
  ModelProfile profile;
  Layout layout;
  LoweredModel model;
  std::vector<OpRecord> ops;
};

Lowered Lower(const laws::MoeArch& arch, const Layout& layout, const hw::Hardware& hardware,
              int64_t gpus, const SimOptions& options = {}) {
  Lowered out;
  out.profile = *BuildProfile(arch);
  Result<Layout> resolved = ResolveLayout(layout, arch, FleetOf(hardware, gpus));
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  out.layout = *resolved;
  out.model = LowerModel(out.profile, out.layout, hardware, options, &out.ops);
  return out;
}

const OpRecord& FindOp(const std::vector<OpRecord>& ops, const std::string& block,
                       const std::string& name, Phase phase) {
  const auto it = std::find_if(ops.begin(), ops.end(), [&](const OpRecord& op) {
    return op.block == block && op.name == name && op.phase == phase;
  });
  EXPECT_NE(it, ops.end()) << block << " " << name;
  return *it;
}

TEST(LoweringTest, AllToAllVolumePerMoeLayerByHand) {
  // Toy fabric (tests/hwmodel/toy_hardware.h): scale-up 100 GB/s, 1 us per step, 5 us per call.
  const hw::Hardware hardware = hw::testing::ToyHardware();
  const Lowered l = Lower(TinyMoe(), MakeLayout(1, 1, 4, 1, 0), hardware, 4);
  // Each GPU routes T = 512 tokens x K = 2 copies x d = 256 x 2 bytes = 524,288 bytes per
  // direction; (ep - 1) / ep = 3/4 of it leaves the GPU: 393,216 bytes.
  const double buffer = 512.0 * 2 * 256 * 2;
  const double wire = buffer * 3.0 / 4.0;
  const double one = 5e-6 + 3 * 1e-6 + wire / 100e9;  // call + 3 steps + transfer
  const OpRecord& a2a = FindOp(l.ops, "moe", "dispatch+combine_a2a", Phase::kForward);
  EXPECT_DOUBLE_EQ(a2a.bytes, 2 * buffer);  // dispatch and combine
  EXPECT_NEAR(a2a.time, 2 * one, 1e-15);
  EXPECT_NEAR(a2a.exposed, 2 * one, 1e-15);  // no overlap by default
  // Forward and backward: four all-to-alls per MoE layer and micro-batch.
  const auto kind = static_cast<size_t>(CommKind::kExpertAllToAll);
  EXPECT_NEAR(l.model.layers[0].comm[kind], 4 * one, 1e-15);
}

TEST(LoweringTest, OverlappedAllToAllStillCostsItsOverlapShare) {
  // With --overlap-moe-expert-parallel-comm the dispatch and combine hide behind the layer's
  // compute, but every hidden second still costs ep_overlap_cost seconds (SM and HBM
  // contention): exposed = a2a - (1 - cost) x hidden, where `hidden` is what a perfect overlap
  // (cost 0) hides. cost 1 is no overlap at all.
  hw::Hardware hardware = hw::testing::ToyHardware();
  SimOptions options;
  options.moe_a2a_overlap = true;
  auto a2a = [&](double cost) {
    hardware.efficiency.collective.ep_overlap_cost = cost;
    const Lowered l = Lower(TinyMoe(), MakeLayout(1, 1, 4, 1, 0), hardware, 4, options);
    return FindOp(l.ops, "moe", "dispatch+combine_a2a", Phase::kForward);
  };
  const OpRecord perfect = a2a(0.0);
  const double hidden = perfect.time - perfect.exposed;
  ASSERT_GT(hidden, 0.0);
  EXPECT_NEAR(a2a(1.0).exposed, perfect.time, 1e-15);
  EXPECT_NEAR(a2a(0.6).exposed, perfect.time - 0.4 * hidden, 1e-15);
  EXPECT_NEAR(a2a(0.6).time, perfect.time, 1e-15);  // the transfer itself is unchanged
}

// The first op of that name and phase in any block.
const OpRecord& FindOpByName(const std::vector<OpRecord>& ops, const std::string& name,
                             Phase phase) {
  const auto it = std::find_if(ops.begin(), ops.end(), [&](const OpRecord& op) {
    return op.name == name && op.phase == phase;
  });
  EXPECT_NE(it, ops.end()) << name;
  return *it;
}

TEST(LoweringTest, TensorParallelOverlapLeavesOneChunkExposed) {
  // --tp-comm-overlap pipelines a collective and its GEMM in tp chunks, so the pipeline takes
  // max(comm, gemm) + min(comm, gemm) / tp: exposed = comm - (tp - 1) / tp x min(comm, gemm).
  // TinyDense, tp = 2 on the toy fabric: the output projection's reduce-scatter against the
  // projection's forward GEMM, and without overlap the whole collective.
  // The toy fabric's collective outlasts the GEMM; a near-free fabric (no latency or call
  // overhead, 10 PB/s) makes the GEMM the longer one.
  hw::Hardware fast = hw::testing::ToyHardware();
  fast.scale_up.bandwidth = 1e16;
  fast.scale_up.latency = 0.0;
  fast.efficiency.collective.call_overhead = 0.0;
  SimOptions overlap;
  overlap.tp_comm_overlap = true;
  int comm_longer = 0;
  for (const hw::Hardware& h : {hw::testing::ToyHardware(), fast}) {
    const Lowered plain = Lower(testing::TinyDense(), MakeLayout(2, 1, 1, 1, 0), h, 2);
    const Lowered hidden = Lower(testing::TinyDense(), MakeLayout(2, 1, 1, 1, 0), h, 2, overlap);
    const OpRecord& rs = FindOpByName(hidden.ops, "out_proj_output", Phase::kForward);
    const double gemm = FindOpByName(hidden.ops, "out_proj", Phase::kForward).time;
    ASSERT_GT(rs.time, 0.0);
    comm_longer += rs.time > gemm ? 1 : 0;
    EXPECT_NEAR(rs.exposed, rs.time - 0.5 * std::min(rs.time, gemm), 1e-15);
    EXPECT_NEAR(FindOpByName(plain.ops, "out_proj_output", Phase::kForward).exposed, rs.time,
                1e-15);
  }
  EXPECT_EQ(comm_longer, 1);  // one case of each
}

TEST(LoweringTest, DeepEpCrossesTheNetworkOncePerDestinationDomain) {
  // Toy fabric with 4-GPU domains: ep = 8 spans 2 domains of 4. Per GPU: 512 tokens x 2 copies
  // of 512-byte rows.
  hw::Hardware hardware = hw::testing::ToyHardware();
  hardware.scale_up.domain_size = 4;
  hardware.node.gpus_per_node = 4;
  const double row = 256 * 2;
  // alltoall, hierarchical (r = 4): 1/8 of the 524,288-byte buffer to each peer; 3 peers over
  // NVLink (3 us + 196,608 B / 100 GB/s) while 4 go over the NIC (40 us + 262,144 B / 10 GB/s),
  // the slower of the two; 5 us call.
  const double alltoall = 5e-6 + std::max(3e-6 + 196608.0 / 100e9, 40e-6 + 262144.0 / 10e9);
  const Lowered plain = Lower(TinyMoe(), MakeLayout(1, 1, 8, 1, 0), hardware, 8);
  EXPECT_NEAR(FindOp(plain.ops, "moe", "dispatch+combine_a2a", Phase::kForward).time, 2 * alltoall,
              1e-12);
  // DeepEP: a token's 2 experts (of 8) hit the other domain's 4 with probability
  // 1 - C(4,2)/C(8,2) = 22/28, so 512 x 22/28 rows cross the NIC (one step of 10 us) while the
  // 1,024 copies are forwarded inside the domains (3 steps, 3/4 x 1024 rows at 100 GB/s).
  SimOptions options;
  options.dispatcher = Dispatcher::kDeepEp;
  const Lowered deepep = Lower(TinyMoe(), MakeLayout(1, 1, 8, 1, 0), hardware, 8, options);
  const double network = 5e-6 + 10e-6 + 512.0 * 22 / 28 * row / 10e9;
  const double nvlink = 5e-6 + 3e-6 + 0.75 * 1024 * row / 100e9;
  EXPECT_NEAR(FindOp(deepep.ops, "moe", "dispatch+combine_a2a", Phase::kForward).time,
              2 * std::max(network, nvlink), 1e-12);
  // HybridEP takes the same two-tier route (a DeepEP branch), so the same time.
  options.dispatcher = Dispatcher::kHybridEp;
  const Lowered hybrid = Lower(TinyMoe(), MakeLayout(1, 1, 8, 1, 0), hardware, 8, options);
  EXPECT_NEAR(FindOp(hybrid.ops, "moe", "dispatch+combine_a2a", Phase::kForward).time,
              2 * std::max(network, nvlink), 1e-12);
}

TEST(LoweringTest, SkewedRoutingSlowsTheBusiestRank) {
  SimOptions options;
  options.expert_load = ExpertLoad::Skew(0.5);
  const hw::Hardware hardware = IdealHardware();
  const Lowered balanced = Lower(TinyMoe(), MakeLayout(1, 1, 4, 1, 0), hardware, 4);
  const Lowered skewed = Lower(TinyMoe(), MakeLayout(1, 1, 4, 1, 0), hardware, 4, options);
  // 8 experts on 4 ranks (g = 2): factor 1 + z(4) 0.5 / sqrt(2), z(4) = Phi^-1(3.625 / 4.25).
  EXPECT_NEAR(skewed.model.imbalance_factor, 1.0 + 1.0494 * 0.5 / std::sqrt(2.0), 1e-3);
  const BlockCost& b = balanced.model.layers[0];
  const BlockCost& s = skewed.model.layers[0];
  EXPECT_GT(s.Time(Recompute::kNone), b.Time(Recompute::kNone));
  EXPECT_NEAR(s.imbalance[0], s.Time(Recompute::kNone) - b.Time(Recompute::kNone), 1e-15);
  EXPECT_EQ(b.imbalance[0], 0.0);
}

TEST(LoweringTest, ExpertGemmsCostTheirFlopsOnIdealHardware) {
  const hw::Hardware hardware = IdealHardware();
  const Lowered l = Lower(TinyMoe(), MakeLayout(1, 1, 4, 1, 0), hardware, 4);
  // Busiest rank = mean: 512 x 2 tokens arrive per GPU; fc1 is [1024 x 1024 x 256] (gate + up)
  // and fc2 [1024 x 256 x 512]; 0.5 x 1e15 FLOP/s for grouped GEMMs.
  const double fc1 = 2.0 * 1024 * 1024 * 256 / 0.5e15;
  const double fc2 = 2.0 * 1024 * 256 * 512 / 0.5e15;
  EXPECT_NEAR(FindOp(l.ops, "moe", "expert_fc1", Phase::kForward).time, fc1, 1e-18);
  EXPECT_NEAR(FindOp(l.ops, "moe", "expert_fc2", Phase::kBackwardWeight).time, fc2, 1e-18);
  const auto experts = static_cast<size_t>(OpClass::kExperts);
  EXPECT_NEAR(l.model.layers[0].compute[experts], 3 * (fc1 + fc2), 1e-15);
}

TEST(LoweringTest, ParametersMatchTheExactAccounting) {
  // With tp = ep = 1 one GPU holds everything: the lowered blocks must count laws/' N
  // (embedding, LM head and MTP included).
  for (const char* name :
       {"deepseek-v3", "mixtral-8x7b", "qwen3-30b-a3b", "gpt-oss-20b", "llama-3-8b"}) {
    const laws::MoeArch arch = laws::FindPreset(name)->arch;
    laws::CountingOptions counting = laws::CountingOptions::ModelCard();
    counting.include_mtp = true;
    const int64_t expected = laws::CountTriad(arch, counting).total_params;
    const Lowered l = Lower(arch, Layout{}, hw::testing::ToyHardware(), 1);
    int64_t params = l.model.embedding.dense_params + l.model.head.dense_params +
                     l.model.mtp.dense_params + l.model.mtp.expert_params;
    for (int k = 0; k < l.profile.num_kinds; ++k) {
      const BlockCost& block = l.model.layers[static_cast<size_t>(k)];
      params +=
          l.profile.CountKind(k, 0, arch.num_layers) * (block.dense_params + block.expert_params);
    }
    EXPECT_EQ(params, expected) << name;
  }
}

TEST(LoweringTest, ShardsParametersOverTensorAndExpertParallelism) {
  const laws::MoeArch arch = laws::FindPreset("mixtral-8x7b")->arch;
  const hw::Hardware hardware = hw::testing::ToyHardware();
  const Lowered one = Lower(arch, Layout{}, hardware, 1);
  const Lowered split = Lower(arch, *ParseLayout("tp=2,ep=4,etp=2"), hardware, 8);
  // Experts: 8 experts x 3 x 4096 x 14336 split over ep x etp = 8.
  EXPECT_EQ(one.model.layers[0].expert_params, 8 * 3 * int64_t{4096} * 14336);
  EXPECT_EQ(split.model.layers[0].expert_params, one.model.layers[0].expert_params / 8);
  // Attention projections split over tp = 2; norms and router are replicated.
  const int64_t projections = 4096 * (4096 + 2 * 1024) + 4096 * 4096;  // qkv + out
  const int64_t replicated = 4096 * 8 + 2 * 4096;
  EXPECT_EQ(one.model.layers[0].dense_params, projections + replicated);
  EXPECT_EQ(split.model.layers[0].dense_params, projections / 2 + replicated);
}

TEST(LoweringTest, AReplicatedEmbeddingKeepsTheWholeTableOnEveryTensorParallelRank) {
  // Llama 3 8B's table is 128,256 x 4,096. Split over tp = 4, Megatron pads the vocabulary to
  // a multiple of 128 x 4 (128,512) and each rank holds 32,128 rows; the partial lookups are
  // reduce-scattered into SP slices. Left replicated (KempnerForge's DTensor plan), each rank
  // holds the unpadded table, the lookup is already whole, and the backward still gathers the
  // SP slices of the gradient.
  const laws::MoeArch arch = laws::FindPreset("llama-3-8b")->arch;
  const hw::Hardware hardware = hw::testing::ToyHardware();
  const Layout layout = *ParseLayout("tp=4");
  SimOptions replicated;
  replicated.vocab_parallel_embedding = false;
  const Lowered split = Lower(arch, layout, hardware, 4);
  const Lowered whole = Lower(arch, layout, hardware, 4, replicated);
  EXPECT_EQ(split.model.embedding_params, int64_t{32128} * 4096);
  EXPECT_EQ(whole.model.embedding_params, int64_t{128256} * 4096);
  EXPECT_EQ(whole.model.embedding.dense_params, int64_t{128256} * 4096);
  auto has = [](const Lowered& l, const std::string& name) {
    return std::any_of(l.ops.begin(), l.ops.end(), [&](const OpRecord& op) {
      return op.block == "embedding" && op.name == name;
    });
  };
  EXPECT_TRUE(has(split, "embedding_reduce_scatter"));
  EXPECT_FALSE(has(whole, "embedding_reduce_scatter"));
  EXPECT_TRUE(has(whole, "embedding_all_gather"));
  // The decoder layers do not change.
  EXPECT_EQ(whole.model.layers[0].dense_params, split.model.layers[0].dense_params);
}

TEST(LoweringTest, LayerFlopsAreSixTimesActiveWeightsPlusAttention) {
  // On one GPU the executed FLOPs of a dense layer are 6 x matmul weights x tokens plus the
  // attention kernels: forward 4 b a (s(s+1)/2) d_h, backward 2.5x that (FlashAttention-2).
  const laws::MoeArch arch = testing::TinyDense();
  const Lowered l = Lower(arch, Layout{}, hw::testing::ToyHardware(), 1);
  const double tokens = 256;
  const double weights = 256.0 * 768 + 256.0 * 256 + 2 * 256.0 * 1024;
  const double pairs = 256.0 * 257 / 2;
  const double attention = 4.0 * 4 * pairs * 64 * 3.5;
  EXPECT_DOUBLE_EQ(l.model.layers[0].flops, 6.0 * weights * tokens + attention);
  // Full recomputation repeats the forward: 2 x weights x tokens + the forward attention.
  EXPECT_DOUBLE_EQ(l.model.layers[0].recompute_flops[2],
                   2.0 * weights * tokens + 4.0 * 4 * pairs * 64);
}

}  // namespace
}  // namespace moeplan::sim
