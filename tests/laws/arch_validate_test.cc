//===- tests/laws/arch_validate_test.cc - MoeArch constraints -------------===//
#include <gtest/gtest.h>

#include "laws/arch.h"
#include "laws/presets.h"

namespace moeplan::laws {
namespace {

std::string Check(const MoeArch& arch) {
  const Status status = Validate(arch, "m.json");
  return status.ok() ? "ok" : status.message();
}

MoeArch Valid() {
  return FindPreset("mixtral-8x7b")->arch;
}

TEST(ValidateTest, PresetIsValid) {
  EXPECT_EQ(Check(Valid()), "ok");
}

TEST(ValidateTest, PositiveSizes) {
  MoeArch arch = Valid();
  arch.vocab_size = 0;
  EXPECT_EQ(Check(arch), "m.json: field 'vocab_size': expected a positive integer, got 0");
  arch = Valid();
  arch.seq_len = -1;
  EXPECT_EQ(Check(arch), "m.json: field 'seq_len': expected a positive integer, got -1");
  arch = Valid();
  arch.moe.expert.intermediate_size = 0;
  EXPECT_EQ(Check(arch),
            "m.json: field 'moe.expert.intermediate_size': expected a positive integer, got 0");
}

TEST(ValidateTest, ExpertCounts) {
  MoeArch arch = Valid();
  arch.moe.top_k = 9;
  EXPECT_EQ(Check(arch),
            "m.json: field 'moe.top_k': expected an integer in 1..num_experts (8), "
            "got 9");
  arch = Valid();
  arch.moe.num_experts = 0;
  EXPECT_EQ(Check(arch),
            "m.json: field 'moe.num_experts': expected routed experts > 0 since "
            "top_k or shared experts are set");
  arch = Valid();
  arch.moe.shared_expert_gate = true;
  EXPECT_EQ(Check(arch),
            "m.json: field 'moe.shared_expert_gate': expected false since there "
            "are no shared experts");
}

TEST(ValidateTest, HeadsMustDivide) {
  MoeArch arch = Valid();
  arch.attention.num_kv_heads = 5;
  EXPECT_EQ(Check(arch),
            "m.json: field 'attention.num_kv_heads': expected a divisor of "
            "num_heads (32), got 5");
}

TEST(ValidateTest, DenseLayersNeedAnFfnAndFitInTheModel) {
  MoeArch arch = Valid();
  arch.moe.first_dense_layers = 33;
  EXPECT_EQ(Check(arch),
            "m.json: field 'moe.first_dense_layers': expected an integer in "
            "0..num_layers (32), got 33");
  arch.moe.first_dense_layers = 1;
  EXPECT_EQ(Check(arch),
            "m.json: field 'dense_ffn.intermediate_size': expected a positive "
            "width since layer 0 is dense");
  arch = Valid();
  arch.moe.dense_layers = {40};
  EXPECT_EQ(Check(arch),
            "m.json: field 'moe.dense_layers': expected layer indices in 0..31, "
            "got 40");
}

TEST(ValidateTest, LayerAttentionNeedsWindowAndLength) {
  MoeArch arch = Valid();
  arch.layer_attention.assign(31, LayerAttention::kGlobal);
  EXPECT_EQ(Check(arch),
            "m.json: field 'layer_attention': expected one entry per layer (32), "
            "got 31");
  arch.layer_attention.assign(32, LayerAttention::kSlidingWindow);
  EXPECT_EQ(Check(arch),
            "m.json: field 'attention.sliding_window': expected a positive window "
            "since some layers are 'sliding'");
  arch.layer_attention.assign(32, LayerAttention::kChunked);
  EXPECT_EQ(Check(arch),
            "m.json: field 'attention.chunk_size': expected a positive chunk size "
            "since some layers are 'chunked'");
}

TEST(ValidateTest, MlaFieldsBelongToMla) {
  MoeArch arch = Valid();
  arch.attention.kv_lora_rank = 512;
  EXPECT_EQ(Check(arch),
            "m.json: field 'attention.type': MLA ranks (q_lora_rank, kv_lora_rank, "
            "qk_*_head_dim) are set but type is 'mha'; expected type 'mla'");
  arch = FindPreset("deepseek-v3")->arch;
  arch.attention.kv_lora_rank = 0;
  EXPECT_EQ(Check(arch),
            "m.json: field 'attention.kv_lora_rank': expected a positive integer, "
            "got 0");
}

TEST(MoeLayerRuleTest, PeriodOffsetAndOverrides) {
  MoeArch arch = Valid();
  arch.num_layers = 8;
  arch.dense_ffn.intermediate_size = 100;
  arch.moe.layer_period = 2;
  arch.moe.layer_offset = 1;  // Qwen decoder_sparse_step=2 / Llama-4 interleave step 2
  arch.moe.dense_layers = {5};
  std::vector<bool> expected = {false, true, false, true, false, false, false, true};
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(arch.IsMoeLayer(i), expected[i]) << "layer " << i;
  arch.moe.first_dense_layers = 4;
  expected = {false, false, false, false, false, false, false, true};
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(arch.IsMoeLayer(i), expected[i]) << "layer " << i;
}

TEST(EnumNamesTest, ParseInvertsToString) {
  for (auto t : {AttentionType::kMultiHead, AttentionType::kMultiLatent}) {
    EXPECT_EQ(*ParseAttentionType(ToString(t)), t);
  }
  for (auto t :
       {LayerAttention::kGlobal, LayerAttention::kSlidingWindow, LayerAttention::kChunked}) {
    EXPECT_EQ(*ParseLayerAttention(ToString(t)), t);
  }
  for (auto t : {QkNorm::kNone, QkNorm::kPerHead, QkNorm::kFull})
    EXPECT_EQ(*ParseQkNorm(ToString(t)), t);
  for (auto t : {NormType::kRmsNorm, NormType::kLayerNorm})
    EXPECT_EQ(*ParseNormType(ToString(t)), t);
  EXPECT_FALSE(ParseNormType("batchnorm").ok());
}

}  // namespace
}  // namespace moeplan::laws
