//===- tests/sim/activation_memory_test.cc - Korthikanti et al. 2022 -------===//
/// Activation bytes per layer and micro-batch against the closed forms of Korthikanti et al.,
/// "Reducing Activation Recomputation in Large Transformer Models" (arXiv:2205.05198): a GPT
/// layer keeps s b h (34 + 5 a s / h) bytes without parallelism (Sec. 4.1), s b h (10 + 24 / t
/// + 5 a s / (h t)) with tensor parallelism (Eq. 2), s b h / t (34 + 5 a s / h) with tensor and
/// sequence parallelism (Eq. 4), 34 s b h / t with selective recomputation (Eq. 5 and Sec. 5)
/// and 2 s b h / t with full recomputation. The paper's layer has dropout and materialises the
/// attention scores, so the test turns off the fused-attention option and turns dropout on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/layout_check.h"
#include "sim/lowering.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

using testing::FleetOf;
using testing::GptArch;
using testing::IdealHardware;

constexpr int64_t kHidden = 1024;  // h
constexpr int64_t kHeads = 16;     // a
constexpr int64_t kSeq = 2048;     // s
constexpr int64_t kBatch = 2;      // b

struct Activations {
  double none = 0, selective = 0, full = 0;
};

Activations LayerActivations(int64_t tp, bool sp, bool korthikanti_layer = true, int64_t cp = 1) {
  const laws::MoeArch arch = GptArch(kHidden, kHeads, kSeq, 4);
  Result<ModelProfile> profile = BuildProfile(arch);
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  Layout layout;
  layout.tp = tp;
  layout.sequence_parallel = sp;
  layout.cp = cp;
  layout.mbs = kBatch;
  const hw::Hardware hardware = IdealHardware();
  Result<Layout> resolved = ResolveLayout(layout, arch, FleetOf(hardware, tp * cp));
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  SimOptions options;
  options.dropout = korthikanti_layer;
  options.flash_attention = !korthikanti_layer;
  const LoweredModel lowered = LowerModel(*profile, *resolved, hardware, options);
  const auto& bytes = lowered.layers[0].activation_bytes;
  return {bytes[0], bytes[1], bytes[2]};
}

constexpr double kSbh = double{kSeq} * kBatch * kHidden;
constexpr double kAttentionTerm = 5.0 * kHeads * kSeq / kHidden;  // 5 a s / h = 160

TEST(ActivationMemoryTest, GptLayerWithoutParallelism) {
  const Activations a = LayerActivations(1, false);
  EXPECT_DOUBLE_EQ(a.none, kSbh * (34.0 + kAttentionTerm));
  EXPECT_DOUBLE_EQ(a.selective, kSbh * 34.0);
  EXPECT_DOUBLE_EQ(a.full, kSbh * 2.0);
}

TEST(ActivationMemoryTest, TensorParallelWithoutSequenceParallel) {
  for (int64_t t : {2, 4, 8}) {
    const double td = static_cast<double>(t);
    const Activations a = LayerActivations(t, false);
    EXPECT_DOUBLE_EQ(a.none, kSbh * (10.0 + 24.0 / td + kAttentionTerm / td)) << "t=" << t;
  }
}

TEST(ActivationMemoryTest, TensorAndSequenceParallel) {
  for (int64_t t : {2, 4, 8}) {
    const double td = static_cast<double>(t);
    const Activations a = LayerActivations(t, true);
    EXPECT_DOUBLE_EQ(a.none, kSbh / td * (34.0 + kAttentionTerm)) << "t=" << t;
    EXPECT_DOUBLE_EQ(a.selective, kSbh / td * 34.0) << "t=" << t;
    EXPECT_DOUBLE_EQ(a.full, kSbh / td * 2.0) << "t=" << t;
  }
}

TEST(ActivationMemoryTest, FusedAttentionKeepsOnlyTheLogSumExp) {
  // No s x s scores: 34 s b h (no dropout: 32) plus a 4-byte log-sum-exp per head and query.
  const Activations a = LayerActivations(1, false, /*korthikanti_layer=*/false);
  EXPECT_DOUBLE_EQ(a.none, kSbh * 32.0 + 4.0 * kHeads * kSeq * kBatch);
  EXPECT_DOUBLE_EQ(a.selective, kSbh * 32.0);
}

TEST(ActivationMemoryTest, ContextParallelSplitsTheSequence) {
  const Activations one = LayerActivations(2, true, false, 1);
  const Activations two = LayerActivations(2, true, false, 2);
  EXPECT_DOUBLE_EQ(two.none, one.none / 2.0);
  EXPECT_DOUBLE_EQ(two.full, one.full / 2.0);
}

// The LM head of GptArch (vocabulary 1024) over tp = 4, the vocab-parallel head computing 256
// columns per rank, lowered with `options`.
LoweredModel LowerHeadModel(const SimOptions& options, std::vector<OpRecord>* ops = nullptr) {
  const laws::MoeArch arch = GptArch(kHidden, kHeads, kSeq, 4);
  Result<ModelProfile> profile = BuildProfile(arch);
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  Layout layout;
  layout.tp = 4;
  layout.mbs = kBatch;
  const hw::Hardware hardware = IdealHardware();
  Result<Layout> resolved = ResolveLayout(layout, arch, FleetOf(hardware, 4));
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  return LowerModel(*profile, *resolved, hardware, options, ops);
}

TEST(ActivationMemoryTest, ReplicatedLogitsCostEveryRankTheWholeVocabulary) {
  // Megatron's loss (the default) keeps 4 bytes per local logit (the FP32 softmax) and holds 2
  // more while it runs (the BF16 logits in the forward, their BF16 gradient in the backward);
  // with the logits gathered to every rank, the same per logit of all 1024, and the gather
  // moves 2 bytes x tokens x 1024 (the gathered output).
  const double tokens = double{kSeq} * kBatch;
  SimOptions options;
  std::vector<OpRecord> sharded_ops, gathered_ops;
  const LoweredModel sharded = LowerHeadModel(options, &sharded_ops);
  options.vocab_parallel_loss = false;
  const LoweredModel gathered = LowerHeadModel(options, &gathered_ops);
  EXPECT_DOUBLE_EQ(gathered.head.activation_bytes[0] - sharded.head.activation_bytes[0],
                   4.0 * tokens * (1024 - 256));
  EXPECT_DOUBLE_EQ(gathered.head.transient_bytes[0], 2.0 * tokens * 1024);
  auto find = [](const std::vector<OpRecord>& ops, const std::string& name) -> const OpRecord* {
    for (const OpRecord& op : ops) {
      if (op.name == name) return &op;
    }
    return nullptr;
  };
  const OpRecord* gather = find(gathered_ops, "lm_head_logits_all_gather");
  ASSERT_NE(gather, nullptr);
  EXPECT_DOUBLE_EQ(gather->bytes, 2.0 * tokens * 1024);
  EXPECT_EQ(find(sharded_ops, "lm_head_logits_all_gather"), nullptr);
  EXPECT_EQ(find(gathered_ops, "cross_entropy_all_reduce"), nullptr);
  EXPECT_NE(find(sharded_ops, "cross_entropy_all_reduce"), nullptr);
}

TEST(ActivationMemoryTest, EachLossImplementationPeaksAtItsBytesPerLogit) {
  // Bytes per logit each cross entropy keeps from its forward to its backward and its peak,
  // counted by hand from its code:
  //  megatron: FP32 softmax computed and differentiated in place (4 kept) + BF16 logits or
  //    their BF16 gradient (2) = 6;
  //  megatron-legacy: BF16 logits (2) + FP32 copy (4) + out-of-place shifted copy (4 kept) = 10;
  //  te: the gradient written over the BF16 logits in the forward and kept (2) = 2;
  //  torch-bf16: BF16 logits + BF16 log-softmax (2 + 2 kept), then the NLL gradient and the
  //    log-softmax gradient (2 + 2) = 8;
  //  torch-fp32: FP32 log-softmax (4 kept) + NLL gradient (4) + log-softmax gradient (4) = 12;
  //  torch-loss-parallel: log-softmax (4 kept) + zeros_like (4) + exp (4) + sum (4) = 16.
  // The logits held on the rank: 256 with the vocab-parallel head, all 1024 when gathered
  // (torch-loss-parallel needs the shards).
  const double tokens = double{kSeq} * kBatch;
  const struct {
    LossImplementation loss;
    double kept, peak;
  } cases[] = {{LossImplementation::kMegatron, 4.0, 6.0},
               {LossImplementation::kMegatronLegacy, 4.0, 10.0},
               {LossImplementation::kTransformerEngine, 2.0, 2.0},
               {LossImplementation::kTorchBf16, 4.0, 8.0},
               {LossImplementation::kTorchFp32, 4.0, 12.0},
               {LossImplementation::kTorchLossParallel, 4.0, 16.0}};
  for (const auto& c : cases) {
    SimOptions options;
    options.loss = c.loss;
    const LoweredModel sharded = LowerHeadModel(options);
    if (c.peak > c.kept) {
      EXPECT_DOUBLE_EQ(sharded.head.transient_bytes[0], (c.peak - c.kept) * tokens * 256)
          << ToString(c.loss);
    }
    if (c.loss == LossImplementation::kTorchLossParallel) continue;
    options.vocab_parallel_loss = false;
    const LoweredModel gathered = LowerHeadModel(options);
    EXPECT_DOUBLE_EQ(gathered.head.activation_bytes[0] - sharded.head.activation_bytes[0],
                     c.kept * tokens * (1024 - 256))
        << ToString(c.loss);
    if (c.peak > c.kept) {
      EXPECT_DOUBLE_EQ(gathered.head.transient_bytes[0], (c.peak - c.kept) * tokens * 1024)
          << ToString(c.loss);
    }
  }
}

TEST(ActivationMemoryTest, UnsetLossFollowsTheStateConvention) {
  // sim_options.h: Megatron's mixed precision means Megatron's loss; FSDP2's FP32 states mean
  // torchtitan's F.cross_entropy (loss_parallel on a vocab-parallel TP head); a BF16-cast
  // module means F.cross_entropy on BF16 logits. A set loss wins.
  SimOptions options;
  EXPECT_EQ(EffectiveLoss(options, 8), LossImplementation::kMegatron);
  options.state_precision = StatePrecision::kFp32;
  EXPECT_EQ(EffectiveLoss(options, 1), LossImplementation::kTorchFp32);
  EXPECT_EQ(EffectiveLoss(options, 8), LossImplementation::kTorchLossParallel);
  options.vocab_parallel_loss = false;
  EXPECT_EQ(EffectiveLoss(options, 8), LossImplementation::kTorchFp32);
  options.state_precision = StatePrecision::kBf16;
  EXPECT_EQ(EffectiveLoss(options, 4), LossImplementation::kTorchBf16);
  options.loss = LossImplementation::kTransformerEngine;
  EXPECT_EQ(EffectiveLoss(options, 4), LossImplementation::kTransformerEngine);
}

TEST(ActivationMemoryTest, LossImplementationNamesRoundTrip) {
  for (LossImplementation loss :
       {LossImplementation::kMegatron, LossImplementation::kMegatronLegacy,
        LossImplementation::kTorchFp32, LossImplementation::kTorchLossParallel,
        LossImplementation::kTorchBf16, LossImplementation::kTransformerEngine}) {
    EXPECT_EQ(LossImplementationFromString(ToString(loss)), loss);
  }
  EXPECT_EQ(LossImplementationFromString("torch"), std::nullopt);
  EXPECT_EQ(LossImplementationFromString("auto"), std::nullopt);
}

}  // namespace
}  // namespace moeplan::sim
