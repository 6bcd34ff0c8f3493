//===- tests/laws/arch_json_test.cc - moeplan-arch format -----------------===//
#include "laws/arch_json.h"

#include <gtest/gtest.h>

#include "laws/presets.h"

namespace moeplan::laws {
namespace {

Result<MoeArch> Parse(const std::string& text) {
  return ArchFromJson(nlohmann::json::parse(text), "model.json");
}

std::string ErrorOf(const std::string& text) {
  Result<MoeArch> arch = Parse(text);
  EXPECT_FALSE(arch.ok()) << "expected an error for " << text;
  return arch.ok() ? "" : arch.error().message;
}

TEST(ArchJsonTest, EveryPresetRoundTripsLosslessly) {
  for (const Preset& preset : Presets()) {
    const nlohmann::ordered_json written = ArchToJson(preset.arch);
    Result<MoeArch> read = ArchFromJson(nlohmann::json::parse(written.dump()), preset.name);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, preset.arch) << preset.name;
    // Writing again gives identical text: the format has one spelling per architecture.
    EXPECT_EQ(ArchToJson(*read).dump(), written.dump()) << preset.name;
  }
}

TEST(ArchJsonTest, RoundTripKeepsRareFields) {
  MoeArch arch = FindPreset("mixtral-8x7b")->arch;
  arch.moe.dense_layers = {0, 5};
  arch.moe.layer_period = 2;
  arch.moe.layer_offset = 1;
  arch.moe.num_shared_experts = 2;
  arch.moe.shared_expert = {512, false, true};
  arch.moe.shared_expert_gate = true;
  arch.dense_ffn = {1024, true, false};
  arch.attention.qk_norm = QkNorm::kFull;
  arch.attention.chunk_size = 64;
  arch.layer_attention.assign(32, LayerAttention::kChunked);
  arch.norm = {NormType::kLayerNorm, 4, false};
  arch.tied_embeddings = true;
  arch.mtp_layers = 2;
  arch.seq_len = 8192;
  ASSERT_TRUE(Validate(arch, "x").ok()) << Validate(arch, "x").message();
  Result<MoeArch> read = ArchFromJson(nlohmann::json::parse(ArchToJson(arch).dump()), "x");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, arch);
}

TEST(ArchJsonTest, DocumentedDefaultsApply) {
  Result<MoeArch> arch = Parse(R"({"format": "moeplan-arch", "version": 1,
      "vocab_size": 1000, "hidden_size": 512, "num_layers": 4,
      "attention": {"num_heads": 8}, "dense_ffn": {"intermediate_size": 2048}})");
  ASSERT_TRUE(arch.ok()) << arch.error().message;
  EXPECT_EQ(arch->seq_len, 4096);
  EXPECT_EQ(arch->attention.num_kv_heads, 8);
  EXPECT_EQ(arch->attention.head_dim, 64);  // 512 / 8
  EXPECT_EQ(arch->attention.v_head_dim, 64);
  EXPECT_TRUE(arch->dense_ffn.gated);
  EXPECT_FALSE(arch->IsMoe());
  EXPECT_EQ(arch->norm.per_layer, 2);
}

TEST(ArchJsonTest, ErrorsNameFileAndField) {
  const std::string base = R"("format": "moeplan-arch", "version": 1, "vocab_size": 1000,
      "num_layers": 4, "dense_ffn": {"intermediate_size": 2048})";
  EXPECT_EQ(ErrorOf("{" + base + R"(, "hidden_size": -512, "attention": {"num_heads": 8}})"),
            "model.json: field 'hidden_size': expected an integer in 1..1099511627776, got -512");
  EXPECT_EQ(ErrorOf("{" + base + R"(, "hidden_size": "512", "attention": {"num_heads": 8}})"),
            "model.json: field 'hidden_size': expected an integer in 1..1099511627776, got "
            "\"512\"");
  EXPECT_EQ(ErrorOf("{" + base + R"(, "attention": {"num_heads": 8}})"),
            "model.json: field 'hidden_size': expected an integer in 1..1099511627776, got "
            "nothing (missing)");
  EXPECT_EQ(ErrorOf("{" + base + R"(, "hidden_size": 512, "attention": {"num_heads": 8,
      "num_kv_heads": 3}})"),
            "model.json: field 'attention.num_kv_heads': expected a divisor of num_heads (8), "
            "got 3");
  const std::string unknown =
      ErrorOf("{" + base + R"(, "hidden_size": 512, "attention": {"num_heads": 8, "heads": 8}})");
  EXPECT_EQ(unknown.rfind("model.json: field 'attention.heads': unknown field", 0), 0u) << unknown;
  EXPECT_EQ(ErrorOf("{" + base + R"(, "hidden_size": 512, "attention": {"num_heads": 8},
      "moe": {"num_experts": 8, "top_k": 9, "expert": {"intermediate_size": 64}}})"),
            "model.json: field 'moe.top_k': expected an integer in 1..8, got 9");
  EXPECT_EQ(ErrorOf("{" + base + R"(, "hidden_size": 512, "attention": {"num_heads": 8,
      "type": "gqa"}})"),
            "model.json: field 'attention.type': expected one of 'mha', 'mla', got 'gqa'");
  EXPECT_EQ(ErrorOf(R"({"format": "other", "version": 1})"),
            "model.json: field 'format': expected \"moeplan-arch\", got other");
  EXPECT_EQ(ErrorOf(R"({"format": "moeplan-arch", "version": 2})"),
            "model.json: field 'version': expected an integer in 1..1, got 2");
  EXPECT_EQ(ErrorOf("[1, 2]"),
            "model.json: expected a JSON object at the top level, got array "
            "[1,2]");
}

TEST(ArchJsonTest, MoeLayerPlacementErrors) {
  const std::string head = R"({"format": "moeplan-arch", "version": 1, "vocab_size": 1000,
      "hidden_size": 512, "num_layers": 4, "attention": {"num_heads": 8},)";
  EXPECT_EQ(ErrorOf(head + R"("moe": {"num_experts": 8, "top_k": 2,
      "expert": {"intermediate_size": 64}, "first_dense_layers": 5}})"),
            "model.json: field 'moe.first_dense_layers': expected an integer in 0..num_layers "
            "(4), got 5");
  EXPECT_EQ(ErrorOf(head + R"("moe": {"num_experts": 8, "top_k": 2,
      "expert": {"intermediate_size": 64}, "first_dense_layers": 1}})"),
            "model.json: field 'dense_ffn.intermediate_size': expected a positive width since "
            "layer 0 is dense");
  EXPECT_EQ(ErrorOf(head + R"("moe": {"num_experts": 8, "top_k": 2,
      "expert": {"intermediate_size": 64}, "layer_period": 2, "layer_offset": 2}})"),
            "model.json: field 'moe.layer_offset': expected an integer in 0..layer_period-1 (1), "
            "got 2");
}

}  // namespace
}  // namespace moeplan::laws
