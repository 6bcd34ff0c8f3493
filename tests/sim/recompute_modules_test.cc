//===- tests/sim/recompute_modules_test.cc - Megatron's --recompute-modules -===//
/// What selective recomputation of each Megatron-Core module drops from one decoder layer's
/// saved activations, and the FP8 linear-input copies, against hand counts of the tensors each
/// module owns (Megatron-Core's transformer_config.py: layernorm, moe_act and mla_up_proj drop
/// their output and keep their input; core_attn, mlp, shared_experts and moe checkpoint the whole
/// module and keep only its input). Shapes: tp = ep = 1, no dropout, fused attention, T = b s
/// tokens, h hidden, K of E experts of width f (SwiGLU), all in bytes.
#include <gtest/gtest.h>

#include "sim/layout_check.h"
#include "sim/lowering.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

using testing::FleetOf;
using testing::IdealHardware;
using testing::TinyDense;
using testing::TinyMoe;

constexpr int64_t kBatch = 2;

const BlockCost& Layer(const laws::MoeArch& arch, RecomputeModules modules, hw::Precision p,
                       LoweredModel& storage, const SimOptions& options = {}) {
  Result<ModelProfile> profile = BuildProfile(arch);
  EXPECT_TRUE(profile.ok()) << profile.error().message;
  Layout layout;
  layout.mbs = kBatch;
  layout.recompute = Recompute::kSelective;
  layout.recompute_modules = modules;
  layout.precision = p;
  hw::Hardware hardware = IdealHardware();
  Result<Layout> resolved = ResolveLayout(layout, arch, FleetOf(hardware, 1));
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  storage = LowerModel(*profile, *resolved, hardware, options);
  return storage.layers[0];
}

double Dropped(const laws::MoeArch& arch, RecomputeModules modules,
               hw::Precision p = hw::Precision::kBf16) {
  LoweredModel storage;
  const BlockCost& layer = Layer(arch, modules, p, storage);
  return layer.activation_bytes[static_cast<size_t>(Recompute::kNone)] -
         layer.activation_bytes[static_cast<size_t>(Recompute::kSelective)];
}

// TinyMoe: h = 256, s = 512, E = 8, K = 2, f = 512; T = 2 x 512 = 1024.
constexpr double kT = 1024, kH = 256, kE = 8, kK = 2, kF = 512;

TEST(RecomputeModulesTest, MoeActDropsTheExpertsFc2Inputs) {
  // The activation's output, K f per token, BF16; FP8 keeps only the 1-byte fc2 copy.
  EXPECT_DOUBLE_EQ(Dropped(TinyMoe(), ModuleBit(RecomputeModule::kMoeAct)), 2.0 * kT * kK * kF);
  EXPECT_DOUBLE_EQ(Dropped(TinyMoe(), ModuleBit(RecomputeModule::kMoeAct), hw::Precision::kFp8),
                   kT * kK * kF);
}

TEST(RecomputeModulesTest, LayerNormDropsBothNormOutputs) {
  // The attention norm's output (the QKV input) and the MoE norm's output (router input).
  EXPECT_DOUBLE_EQ(Dropped(TinyMoe(), ModuleBit(RecomputeModule::kLayerNorm)), 4.0 * kT * kH);
  // Dense layer: QKV input and fc1 input. TinyDense: h = 256, s = 256 -> T = 512.
  EXPECT_DOUBLE_EQ(Dropped(TinyDense(), ModuleBit(RecomputeModule::kLayerNorm)), 4.0 * 512 * 256);
}

TEST(RecomputeModulesTest, MoeKeepsOnlyTheModuleInput) {
  // Router probabilities (FP32, T E), expert fc1 inputs (T K h), activation inputs (T K 2f)
  // and fc2 inputs (T K f), BF16.
  const double dropped = 4.0 * kT * kE + 2.0 * kT * kK * (kH + 2 * kF + kF);
  EXPECT_DOUBLE_EQ(Dropped(TinyMoe(), ModuleBit(RecomputeModule::kMoe)), dropped);
  // moe contains moe_act: adding it drops nothing more.
  EXPECT_DOUBLE_EQ(
      Dropped(TinyMoe(), ModuleBit(RecomputeModule::kMoe) | ModuleBit(RecomputeModule::kMoeAct)),
      dropped);
}

TEST(RecomputeModulesTest, MlpKeepsOnlyTheFc1Input) {
  // TinyDense FFN (plain, width 1024): activation input T f and fc2 input T f, BF16.
  EXPECT_DOUBLE_EQ(Dropped(TinyDense(), ModuleBit(RecomputeModule::kMlp)), 2.0 * 512 * 1024 * 2);
}

TEST(RecomputeModulesTest, SharedExpertsShareTheRouterInput) {
  laws::MoeArch arch = TinyMoe();
  arch.moe.num_shared_experts = 1;
  arch.moe.shared_expert = {384, true, false};
  // Whole shared expert: activation input T 2 f_s and fc2 input T f_s (BF16); its fc1 input is
  // the router's input, kept once, so it is not dropped.
  EXPECT_DOUBLE_EQ(Dropped(arch, ModuleBit(RecomputeModule::kSharedExperts)),
                   2.0 * kT * (2 * 384 + 384));
  // Under FP8 the shared expert's own quantised input (1 byte, T h) goes as well.
  EXPECT_DOUBLE_EQ(Dropped(arch, ModuleBit(RecomputeModule::kSharedExperts), hw::Precision::kFp8),
                   2.0 * kT * 2 * 384 + kT * 384 + kT * kH);
}

TEST(RecomputeModulesTest, Fp8KeepsQuantisedLinearInputs) {
  // Korthikanti et al.'s dense layer keeps 32 s b h bytes with fused attention and no dropout
  // (tests/sim/activation_memory_test.cc). Under FP8: QKV input 2 -> 1, attention output 2 plus
  // its 1-byte copy for the output projection, fc1 input 2 -> 1, fc2 input 8 -> 4: 27 s b h.
  LoweredModel bf16_storage, fp8_storage;
  const auto none = static_cast<size_t>(Recompute::kNone);
  const double bf16 =
      Layer(TinyDense(), kDefaultRecomputeModules, hw::Precision::kBf16, bf16_storage)
          .activation_bytes[none];
  const double fp8 = Layer(TinyDense(), kDefaultRecomputeModules, hw::Precision::kFp8, fp8_storage)
                         .activation_bytes[none];
  const double sbh = 512.0 * 256.0;
  EXPECT_DOUBLE_EQ(bf16 - fp8, (32.0 - 27.0) * sbh);
}

TEST(RecomputeModulesTest, RecomputedFlopsAreTheModulesForward) {
  // Recomputing moe repeats the router GEMM (2 T h E) and both expert GEMMs per copy
  // (2 T K h 2f + 2 T K f h).
  LoweredModel storage;
  const BlockCost& layer =
      Layer(TinyMoe(), ModuleBit(RecomputeModule::kMoe), hw::Precision::kBf16, storage);
  const double flops = 2.0 * kT * kH * kE + 2.0 * kT * kK * (kH * 2 * kF + kF * kH);
  EXPECT_DOUBLE_EQ(layer.recompute_flops[static_cast<size_t>(Recompute::kSelective)], flops);
  EXPECT_GT(layer.recompute[static_cast<size_t>(Recompute::kSelective)], 0.0);
}

TEST(RecomputeModulesTest, UnfusedAttentionRepeatsItsFullScoreGemms) {
  // Unfused attention (SimOptions::flash_attention = false) materialises the whole causal score
  // matrix: Q K^T and P V forward cost 2 rows keys d each, with rows = b heads s and keys = s,
  // and no causal halving. TinyDense: b = 2, 4 heads of 64, s = 256 -> rows 2048, keys 256.
  SimOptions unfused;
  unfused.flash_attention = false;
  LoweredModel storage;
  const BlockCost& layer =
      Layer(TinyDense(), kDefaultRecomputeModules, hw::Precision::kBf16, storage, unfused);
  const double flops = 2.0 * 2048 * 256 * 64 + 2.0 * 2048 * 64 * 256;
  EXPECT_DOUBLE_EQ(layer.recompute_flops[static_cast<size_t>(Recompute::kSelective)], flops);
  // What selective recomputation drops with it: the BF16 probabilities, 2 bytes per score.
  EXPECT_DOUBLE_EQ(layer.activation_bytes[static_cast<size_t>(Recompute::kNone)] -
                       layer.activation_bytes[static_cast<size_t>(Recompute::kSelective)],
                   2.0 * 2048 * 256);
}

TEST(RecomputeModulesTest, LayoutTextAndJsonCarryTheModules) {
  Result<Layout> layout = ParseLayout("recompute=selective,recompute_modules=moe_act+layernorm");
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->recompute_modules,
            ModuleBit(RecomputeModule::kMoeAct) | ModuleBit(RecomputeModule::kLayerNorm));
  EXPECT_NE(layout->ToString().find(",recompute_modules=layernorm+moe_act,"), std::string::npos);
  EXPECT_EQ(*ParseLayout(layout->ToString()), *layout);
  Result<Layout> back = LayoutFromJson(nlohmann::json(LayoutToJson(*layout)), "t.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *layout);
  // The default (core attention) is not printed.
  EXPECT_EQ(ParseLayout("recompute=selective")->ToString().find("recompute_modules"),
            std::string::npos);
}

TEST(RecomputeModulesTest, BadModuleListsAreErrors) {
  EXPECT_EQ(ParseLayout("recompute=selective,recompute_modules=moe_ac").error().message,
            "layout 'recompute=selective,recompute_modules=moe_ac': 'recompute_modules' unknown "
            "recompute module 'moe_ac' (expected core_attn, layernorm, mla_up_proj, moe_act, mlp, "
            "shared_experts or moe, joined by '+')");
  EXPECT_EQ(ParseLayout("recompute=full,recompute_modules=moe").error().message,
            "layout 'recompute=full,recompute_modules=moe': recompute_modules=moe needs "
            "recompute=selective, got recompute=full");
  nlohmann::json json = LayoutToJson(*ParseLayout("recompute=selective"));
  json["recompute_modules"] = {"moe", 3};
  EXPECT_EQ(LayoutFromJson(json, "l.json").error().message,
            "l.json: field 'recompute_modules': expected an array of module names, got 3");
}

}  // namespace
}  // namespace moeplan::sim
