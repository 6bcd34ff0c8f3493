//===- tests/sim/plan/plan_test.cc - The planner against hand derivations ---===//
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "hwmodel/fleet_source.h"
#include "laws/arch_json.h"
#include "laws/hf_import.h"
#include "laws/presets.h"
#include "laws/scaling/law_presets.h"
#include "sim/plan/planner.h"

namespace moeplan::plan {
namespace {

void Set(SweepSpace& s, ArchDim d, std::vector<int64_t> v) {
  s.arch[static_cast<size_t>(d)] = v;
}

// A dense MHA family with one free dimension (d), simple enough to count by hand.
SweepSpace HandSpace() {
  SweepSpace s = *BuiltinSpace("dense");
  std::vector<int64_t> d;
  for (int64_t v = 512; v <= 4096; v += 256) d.push_back(v);
  Set(s, ArchDim::kHiddenSize, d);
  Set(s, ArchDim::kNumLayers, {8});
  Set(s, ArchDim::kNumKvHeads, {0});  // MHA
  Set(s, ArchDim::kHeadDim, {128});
  Set(s, ArchDim::kVocabSize, {32000});
  Set(s, ArchDim::kSeqLen, {2048});
  return s;
}

// Hand derivation (independent of laws::CountTriad): per layer, attention 4 d^2 (q, k, v, o
// with kv heads = heads), SwiGLU FFN 3 d f with f = 128 ceil(8d / 3 / 128), two RMSNorms 2d;
// plus the final norm d, embedding and untied LM head 2 V d. Training FLOPs per token
// (fwd+bwd = 3 x fwd): 6 per weight of the layers, 12 S d per layer for QK^T and PV with
// attention counted full (DeepSeek LLM's 72 L d^2 + 12 L d S when f = 4d plain), 6 V d for the
// LM head. The fleet runs at MFU 0.5 on G = 8 GPUs of peak P, so D = G P 0.5 T / (M + 6 V d).
struct Hand {
  double loss, tokens, d;
};
Hand HandOptimum(double peak, double seconds) {
  const double A = 482.01, B = 2085.43, E = 1.8169, alpha = 0.3478, beta = 0.3658;  // epoch2024
  const double V = 32000, S = 2048, L = 8;
  Hand best{1e9, 0, 0};
  for (double d = 512; d <= 4096; d += 256) {
    const double f = 128 * std::ceil(8 * d / 3 / 128);
    const double n = L * (4 * d * d + 3 * d * f + 2 * d) + d + 2 * V * d;
    const double m = L * (6 * (4 * d * d + 3 * d * f) + 12 * S * d);
    const double tokens = 8 * peak * 0.5 / (m + 6 * V * d) * seconds;
    const double loss = E + A / std::pow(n, alpha) + B / std::pow(tokens, beta);
    if (loss < best.loss) best = {loss, tokens, d};
  }
  return best;
}

PlanRequest BaseRequest() {
  PlanRequest r;
  r.fleet = *hw::LoadFleet("8xH100");
  r.law = *scaling::FindLawPreset("epoch2024");
  r.hyper_law = *scaling::FindLawPreset("deepseek-llm-2024");
  r.space = HandSpace();
  r.threads = 2;
  return r;
}

TEST(PlanTest, WallClockPlanMatchesTheHandDerivation) {
  PlanRequest r = BaseRequest();
  r.objective = Objective::kLossInTime;
  r.seconds = 3600;
  r.fixed_mfu = 0.5;
  auto plan = Plan(r);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const Hand hand = HandOptimum(r.fleet.hardware.device.peak_flops_bf16, r.seconds);
  ASSERT_GT(hand.d, 512);  // interior optimum: the test discriminates
  ASSERT_LT(hand.d, 4096);
  EXPECT_EQ(plan->best.values[static_cast<size_t>(ArchDim::kHiddenSize)], hand.d);
  EXPECT_NEAR(plan->best.loss, hand.loss, 1e-9 * hand.loss);
  EXPECT_NEAR(plan->best.tokens, hand.tokens, 1e-9 * hand.tokens);
  // DeepSeek LLM's eta_opt and B_opt at the plan's compute C = M D.
  const double c = plan->best.compute;
  EXPECT_NEAR(plan->learning_rate, 0.3118 * std::pow(c, -0.125), 1e-12);
  EXPECT_NEAR(plan->batch_tokens, 0.2920 * std::pow(c, 0.3271), 1e-6 * plan->batch_tokens);
  EXPECT_LT(plan->loss_low, plan->best.loss);
  EXPECT_GT(plan->loss_high, plan->best.loss);
  EXPECT_GE(plan->band_size, 1);
}

TEST(PlanTest, FlopsOnlySettingsReproduceTheAllocationLaw) {
  PlanRequest r = BaseRequest();
  r.law = *scaling::FindLawPreset("deepseek-llm-2024");
  r.objective = Objective::kLossAtCompute;
  r.compute = 1e21;
  r.fixed_mfu = 0.4;
  std::vector<int64_t> d, layers;
  for (int64_t v = 512; v <= 8192; v += 128) d.push_back(v);
  for (int64_t v = 2; v <= 96; ++v) layers.push_back(v);
  Set(r.space, ArchDim::kHiddenSize, d);
  Set(r.space, ArchDim::kNumLayers, layers);
  auto plan = Plan(r);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  // DeepSeek LLM Eq. 4 (arXiv:2401.02954): M_opt = 0.1715 C^0.5243, D_opt = 5.8316 C^0.4757.
  const double m_opt = 0.1715 * std::pow(1e21, 0.5243);
  const double d_opt = 5.8316 * std::pow(1e21, 0.4757);
  EXPECT_NEAR(plan->best.flops_per_token / m_opt, 1.0, 0.005);
  EXPECT_NEAR(plan->best.tokens / d_opt, 1.0, 0.006);
}

TEST(PlanTest, TimeToLossMeetsTheTarget) {
  PlanRequest r = BaseRequest();
  r.objective = Objective::kTimeToLoss;
  r.target_loss = 2.9;
  r.fixed_mfu = 0.5;
  auto plan = Plan(r);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const double A = 482.01, B = 2085.43, E = 1.8169, alpha = 0.3478, beta = 0.3658;
  const double n = static_cast<double>(plan->best.active_params);
  EXPECT_NEAR(E + A / std::pow(n, alpha) + B / std::pow(plan->best.tokens, beta), 2.9, 1e-9);
}

TEST(PlanTest, SimulatedPlanOnDefaultsIsFeasible) {
  PlanRequest r = BaseRequest();
  r.fleet = *hw::LoadFleet("64xH100");
  r.objective = Objective::kLossInTime;
  r.seconds = 86400;
  r.space = *BuiltinSpace("default");
  Set(r.space, ArchDim::kHiddenSize, {2048, 4096});
  Set(r.space, ArchDim::kNumLayers, {16, 32});
  Set(r.space, ArchDim::kNumExperts, {16, 64});
  Set(r.space, ArchDim::kExpertWidth, {1024, 2048});
  auto plan = Plan(r);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(plan->best.has_layout);
  EXPECT_GT(plan->best.mfu, 0.05);
  EXPECT_LE(plan->best.memory_bytes, static_cast<double>(r.fleet.hardware.device.hbm_bytes));
  EXPECT_TRUE(plan->has_flops_only);
  const std::string args = ExportMegatronArgs(*plan);
  EXPECT_NE(args.find("--num-experts"), std::string::npos);
}

TEST(ExportTest, MegatronArgsCarryTheFrameworkOptions) {
  // The flags Megatron-LM spells for what the plan was evaluated with (sim/sim_options.h).
  PlanResult plan;
  plan.arch = laws::FindPreset("deepseek-v3")->arch;
  plan.framework.dispatcher = sim::Dispatcher::kDeepEp;
  plan.framework.moe_a2a_overlap = true;
  plan.framework.shared_expert_overlap = true;
  const std::string args = ExportMegatronArgs(plan);
  EXPECT_NE(args.find("--moe-token-dispatcher-type flex\n--moe-enable-deepep\n"
                      "--overlap-moe-expert-parallel-comm\n--moe-shared-expert-overlap\n"),
            std::string::npos)
      << args;
  EXPECT_EQ(args.find("alltoall"), std::string::npos) << args;
  EXPECT_EQ(args.find("--cuda-graph-impl"), std::string::npos) << args;
  plan.framework.cuda_graphs = true;
  EXPECT_NE(ExportMegatronArgs(plan).find("--cuda-graph-impl transformer_engine\n"),
            std::string::npos);
  plan.framework.cuda_graphs = false;
  plan.framework.cuda_graph_scope =
      sim::GraphScopeBit(sim::GraphScope::kAttn) | sim::GraphScopeBit(sim::GraphScope::kMoeRouter);
  EXPECT_NE(ExportMegatronArgs(plan).find(
                "--cuda-graph-impl transformer_engine --cuda-graph-scope attn moe_router\n"),
            std::string::npos);
  // HybridEP is the flex dispatcher's other backend (Megatron-Core's flag, as in the ModelZoo
  // DeepSeek-V3 GB200 script: --moe-flex-dispatcher-backend hybridep).
  plan.framework.dispatcher = sim::Dispatcher::kHybridEp;
  const std::string hybrid = ExportMegatronArgs(plan);
  EXPECT_NE(
      hybrid.find("--moe-token-dispatcher-type flex\n--moe-flex-dispatcher-backend hybridep\n"),
      std::string::npos)
      << hybrid;
  EXPECT_EQ(hybrid.find("--moe-enable-deepep"), std::string::npos) << hybrid;
  plan.framework = {};
  EXPECT_NE(ExportMegatronArgs(plan).find("--moe-token-dispatcher-type alltoall\n"),
            std::string::npos);
}

TEST(ExportTest, MegatronArgsAccountForTheEndsWhenStagesExceedLayers) {
  // DeepSeek-V3's 61 layers on 63 = 9 x 7 virtual stages: the embedding and the loss fill a
  // stage each, which Megatron-LM spells with the two --account-for flags. At 61 stages or
  // fewer they are not written.
  PlanResult plan;
  plan.arch = laws::FindPreset("deepseek-v3")->arch;
  plan.best.has_layout = true;
  plan.best.layout.pp = 9;
  plan.best.layout.vpp = 7;
  const char* flags =
      "--account-for-embedding-in-pipeline-split\n--account-for-loss-in-pipeline-split\n";
  EXPECT_NE(ExportMegatronArgs(plan).find(flags), std::string::npos) << ExportMegatronArgs(plan);
  plan.best.layout.pp = 61;
  plan.best.layout.vpp = 1;
  EXPECT_EQ(ExportMegatronArgs(plan).find("--account-for"), std::string::npos);
}

TEST(ExportTest, HfConfigImportsBackToTheSameArchitecture) {
  std::vector<SweepSpace> spaces = {*BuiltinSpace("default"), *BuiltinSpace("deepseek"),
                                    *BuiltinSpace("dense")};
  for (const SweepSpace& s : spaces) {
    for (int64_t index : {int64_t{0}, s.NumArchCandidates() / 3, s.NumArchCandidates() - 1}) {
      laws::MoeArch arch;
      if (BuildArch(s, DecodeArchValues(s, index), arch) != nullptr) continue;
      auto hf = ExportHfConfig(arch);
      ASSERT_TRUE(hf.ok()) << hf.error().message;
      laws::HfImportOptions options;
      options.seq_len = arch.seq_len;
      auto back = laws::ImportHfConfig(nlohmann::json::parse(hf->dump()), "config.json", options);
      ASSERT_TRUE(back.ok()) << back.error().message;
      back->arch.name = arch.name;
      EXPECT_EQ(laws::ArchToJson(back->arch).dump(1), laws::ArchToJson(arch).dump(1))
          << s.name << " candidate " << index << "\n"
          << hf->dump(2);
      EXPECT_EQ(back->arch, arch);
    }
  }
}

}  // namespace
}  // namespace moeplan::plan
