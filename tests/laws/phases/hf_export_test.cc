//===- tests/laws/phases/hf_export_test.cc - config.json round trips ------===//
/// A written config.json must read back, through moeplan's own Hugging Face importer
/// (laws/hf_import.h, whose readers follow the reference implementations), to the same triad:
/// checked on real models (DeepSeek-V3 as deepseek_v3, Qwen3-30B-A3B as qwen3_moe), on a
/// multi-head model with shared experts (deepseek), and on every run of a design.
#include "laws/phases/hf_export.h"

#include <gtest/gtest.h>

#include "laws/hf_import.h"
#include "laws/phases/design.h"
#include "laws/presets.h"

namespace moeplan::phases {
namespace {

void ExpectRoundTrip(const laws::MoeArch& arch, const std::string& family) {
  Result<nlohmann::ordered_json> config = HfConfig(arch);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ((*config)["model_type"], family);
  // Through text, as a file would go.
  const nlohmann::json parsed = nlohmann::json::parse(config->dump());
  Result<laws::ImportedModel> back =
      laws::ImportHfConfig(parsed, "config.json", laws::HfImportOptions{arch.seq_len});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->model_type, family);
  for (const laws::CountingOptions& options :
       {laws::CountingOptions{}, laws::CountingOptions::ModelCard()}) {
    const laws::Triad want = laws::CountTriad(arch, options);
    const laws::Triad got = laws::CountTriad(back->arch, options);
    EXPECT_EQ(got.total_params, want.total_params) << arch.name;
    EXPECT_EQ(got.active_params, want.active_params) << arch.name;
    EXPECT_DOUBLE_EQ(got.flops_per_token, want.flops_per_token) << arch.name;
  }
}

TEST(HfExportTest, DeepseekV3RoundTripsAsDeepseekV3) {
  ExpectRoundTrip(laws::FindPreset("deepseek-v3")->arch, "deepseek_v3");
}

TEST(HfExportTest, Qwen3MoeRoundTripsAsQwen3Moe) {
  ExpectRoundTrip(laws::FindPreset("qwen3-30b-a3b")->arch, "qwen3_moe");
}

TEST(HfExportTest, LeadingDenseLayersOfAQwen3StyleModelBecomeMlpOnlyLayers) {
  laws::MoeArch arch = laws::FindPreset("qwen3-30b-a3b")->arch;
  arch.moe.first_dense_layers = 2;
  arch.dense_ffn = {6144, true, false};
  ExpectRoundTrip(arch, "qwen3_moe");
}

TEST(HfExportTest, MultiHeadWithSharedExpertsRoundTripsAsDeepseekMoe) {
  ArchTemplate t;
  t.qk_norm = laws::QkNorm::kNone;
  laws::MoeArch arch = t.BaseArch(2048);
  arch.name = "mha-shared";
  arch.num_layers = 28;
  arch.moe.num_experts = 64;
  arch.moe.top_k = 6;
  arch.moe.num_shared_experts = 2;
  arch.moe.expert.intermediate_size = 1408;
  arch.moe.shared_expert = arch.moe.expert;
  arch.moe.first_dense_layers = 1;
  arch.dense_ffn = {10944, true, false};
  ASSERT_TRUE(laws::Validate(arch, "test").ok());
  ExpectRoundTrip(arch, "deepseek");
}

TEST(HfExportTest, EveryDesignedRunRoundTrips) {
  DesignOptions o;
  o.budgets = {1e19};
  Result<DesignResult> d = Design(o);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_FALSE(d->runs.empty());
  for (const PlannedRun& run : d->runs) ExpectRoundTrip(run.arch, "qwen3_moe");
}

TEST(HfExportTest, MlaDesignRoundTripsAsDeepseekV3) {
  DesignOptions o;
  o.budgets = {1e20};
  o.phase1 = false;
  Result<ArchTemplate> t = ArchTemplate::FromModel(laws::FindPreset("deepseek-v3")->arch);
  ASSERT_TRUE(t.ok()) << t.error().message;
  o.arch = *t;
  Result<DesignResult> d = Design(o);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_FALSE(d->runs.empty());
  for (const PlannedRun& run : d->runs) {
    EXPECT_EQ(run.arch.moe.first_dense_layers, 3);
    EXPECT_EQ(run.arch.moe.num_shared_experts, 1);
    ExpectRoundTrip(run.arch, "deepseek_v3");
  }
}

TEST(HfExportTest, RefusesWhatNoFamilyExpresses) {
  // gpt-oss-20b alternates sliding and global layers and has biased experts.
  Result<nlohmann::ordered_json> r = HfConfig(laws::FindPreset("gpt-oss-20b")->arch);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot write 'gpt-oss-20b'"), std::string::npos);
  // Qwen3-style QK-norm with shared experts: qwen3_moe has none.
  laws::MoeArch arch = laws::FindPreset("qwen3-30b-a3b")->arch;
  arch.moe.num_shared_experts = 1;
  arch.moe.shared_expert = arch.moe.expert;
  r = HfConfig(arch);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("moe.num_shared_experts"), std::string::npos);
  // Dense models are not MoE families.
  EXPECT_FALSE(HfConfig(laws::FindPreset("llama-3-8b")->arch).ok());
}

}  // namespace
}  // namespace moeplan::phases
