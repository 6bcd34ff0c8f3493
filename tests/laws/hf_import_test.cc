//===- tests/laws/hf_import_test.cc - config.json semantics and errors ----===//
/// Small constructed configs whose counts are derived by hand from each family's reference
/// implementation (cited per test), plus every class of bad input: broken JSON, wrong types,
/// missing fields, negative or inconsistent sizes, unknown model_type.
#include "laws/hf_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "laws/accounting.h"

namespace moeplan::laws {
namespace {

Result<ImportedModel> Import(const std::string& text) {
  return ImportHfConfig(nlohmann::json::parse(text), "cfg.json");
}

std::string ErrorOf(const std::string& text) {
  Result<ImportedModel> model = Import(text);
  EXPECT_FALSE(model.ok()) << "expected an error for " << text;
  return model.ok() ? "" : model.error().message;
}

int64_t NonEmbeddingParams(const MoeArch& arch) {
  return CountTriad(arch).total_params;
}

std::vector<bool> MoeLayers(const MoeArch& arch) {
  std::vector<bool> moe;
  for (const LayerCount& layer : CountLayers(arch)) moe.push_back(layer.is_moe);
  return moe;
}

TEST(HfImportTest, Qwen2MoeSharedExpertGateSparseStepAndMlpOnlyLayers) {
  // Qwen2MoeDecoderLayer: sparse iff i not in mlp_only_layers and (i + 1) % step == 0, so with
  // step 2 and mlp_only_layers [3] only layer 1 is MoE. By hand (d=64, 4 heads of 16):
  //   attention  q, k, v 64*64 + 64 bias each, o 64*64 (no bias)   = 3*4160 + 4096 = 16,576
  //   dense FFN  3*64*128                                          = 24,576
  //   MoE        router 64*8 + experts 8*3*64*32 + shared 3*64*96 + gate 64
  //              = 512 + 49,152 + 18,432 + 64                      = 68,160
  //   norms      2*64 per layer, 64 final
  //   N (non-embedding) = 3*(16,576 + 24,576 + 128) + (16,576 + 68,160 + 128) + 64 = 208,768
  Result<ImportedModel> model = Import(R"({"model_type": "qwen2_moe", "vocab_size": 100,
      "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
      "num_key_value_heads": 4, "num_experts": 8, "num_experts_per_tok": 2,
      "moe_intermediate_size": 32, "shared_expert_intermediate_size": 96,
      "decoder_sparse_step": 2, "mlp_only_layers": [3], "intermediate_size": 128})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(MoeLayers(model->arch), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(NonEmbeddingParams(model->arch), 208'768);
  EXPECT_TRUE(model->arch.moe.shared_expert_gate);
}

TEST(HfImportTest, DeepseekV2LiteHasUncompressedQueries) {
  // q_lora_rank null: q_proj is Linear(d, heads*(nope+rope)) without bias (DeepseekV2Attention).
  //   q_proj 64*4*12 = 3,072; kv_a 64*(16+4) = 1,280; kv_a_layernorm 16;
  //   kv_b 16*4*(8+8) = 1,024; o 4*8*64 = 2,048                        -> 7,440 per layer
  Result<ImportedModel> model = Import(R"({"model_type": "deepseek_v2", "vocab_size": 100,
      "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "q_lora_rank": null, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
      "v_head_dim": 8, "n_routed_experts": 4, "num_experts_per_tok": 2,
      "moe_intermediate_size": 16, "n_shared_experts": 2, "first_k_dense_replace": 1,
      "moe_layer_freq": 1, "intermediate_size": 96})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->arch.attention.type, AttentionType::kMultiLatent);
  EXPECT_EQ(model->arch.attention.q_lora_rank, 0);
  EXPECT_EQ(CountTriad(model->arch)[Component::kAttention].params, 2 * 7'440);
  EXPECT_FALSE(model->arch.moe.router_score_correction_bias);  // V2 has no noaux_tc bias
  // Shared experts: one MLP of n_shared * moe_intermediate = 2*16 wide: 3*64*32 = 6,144.
  EXPECT_EQ(CountTriad(model->arch)[Component::kSharedExperts].params, 6'144);
  EXPECT_EQ(MoeLayers(model->arch), (std::vector<bool>{false, true}));
}

TEST(HfImportTest, Llama4InterleavedMoeAndChunkedAttention) {
  // Llama4TextConfig: moe_layers = range(step-1, L, step); layers with RoPE (every layer but each
  // 4th) use chunked attention; dense layers use intermediate_size_mlp; every MoE layer has a
  // shared expert of intermediate_size.
  Result<ImportedModel> model = Import(R"({"model_type": "llama4", "text_config": {
      "model_type": "llama4_text", "vocab_size": 100, "hidden_size": 64,
      "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2,
      "head_dim": 16, "intermediate_size": 32, "intermediate_size_mlp": 128,
      "num_local_experts": 4, "num_experts_per_tok": 1, "interleave_moe_layer_step": 2,
      "attention_chunk_size": 16}})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(MoeLayers(model->arch),
            (std::vector<bool>{false, true, false, true, false, true, false, true}));
  int64_t chunked = 0;
  for (int64_t i = 0; i < 8; ++i) {
    const bool is_chunked = model->arch.AttentionOfLayer(i) == LayerAttention::kChunked;
    EXPECT_EQ(is_chunked, (i + 1) % 4 != 0) << "layer " << i;
    chunked += is_chunked;
  }
  EXPECT_EQ(chunked, 6);
  EXPECT_EQ(model->arch.moe.num_shared_experts, 1);
  // 4 dense layers of 3*64*128 = 24,576 each.
  EXPECT_EQ(CountTriad(model->arch)[Component::kDenseFfn].params, 4 * 24'576);
}

TEST(HfImportTest, GrokRecognisedByArchitectureWithFourNormsAndTiedEmbeddings) {
  Result<ImportedModel> model = Import(R"({"architectures": ["Grok1ModelForCausalLM"],
      "model_type": "git", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
      "num_attention_heads": 4, "num_key_value_heads": 1, "intermediate_size": 32,
      "num_experts": 8, "num_experts_per_tok": 2})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->model_type, "grok-1");
  EXPECT_TRUE(model->arch.tied_embeddings);
  // 4 norms of 64 per layer, 2 layers, + final norm = 576.
  EXPECT_EQ(CountTriad(model->arch)[Component::kNorms].params, 4 * 64 * 2 + 64);
}

TEST(HfImportTest, SlidingWindowSemanticsPerFamily) {
  // Mistral: a non-null sliding_window applies to every layer.
  Result<ImportedModel> mistral = Import(R"({"model_type": "mistral", "vocab_size": 100,
      "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 128, "sliding_window": 32})");
  ASSERT_TRUE(mistral.ok()) << mistral.error().message;
  EXPECT_EQ(mistral->arch.AttentionOfLayer(0), LayerAttention::kSlidingWindow);
  EXPECT_EQ(mistral->arch.AttentionOfLayer(1), LayerAttention::kSlidingWindow);
  EXPECT_EQ(mistral->arch.attention.sliding_window, 32);
  // Qwen2: sliding_window is ignored unless use_sliding_window; then layers >= max_window_layers.
  const std::string qwen = R"({"model_type": "qwen2", "vocab_size": 100, "hidden_size": 64,
      "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 128,
      "sliding_window": 32, "max_window_layers": 3, "use_sliding_window": )";
  Result<ImportedModel> off = Import(qwen + "false}");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_TRUE(off->arch.layer_attention.empty());
  Result<ImportedModel> on = Import(qwen + "true}");
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_EQ(on->arch.AttentionOfLayer(2), LayerAttention::kGlobal);
  EXPECT_EQ(on->arch.AttentionOfLayer(3), LayerAttention::kSlidingWindow);
  // Qwen2 has q/k/v biases and no o bias.
  EXPECT_TRUE(on->arch.attention.qkv_bias);
  EXPECT_FALSE(on->arch.attention.output_bias);
}

TEST(HfImportTest, DbrxNestedConfig) {
  // DbrxAttention: Wqkv (d x (d + 2*kv*head_dim)) and out_proj, no bias; GLU experts.
  //   Wqkv 64*(64 + 2*1*16) = 6,144, out 64*64 = 4,096 -> 10,240 per layer
  Result<ImportedModel> model = Import(R"({"model_type": "dbrx", "vocab_size": 100,
      "d_model": 64, "n_heads": 4, "n_layers": 2,
      "attn_config": {"kv_n_heads": 1, "clip_qkv": 8},
      "ffn_config": {"ffn_hidden_size": 32, "moe_num_experts": 4, "moe_top_k": 2}})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(CountTriad(model->arch)[Component::kAttention].params, 2 * 10'240);
  EXPECT_EQ(model->arch.moe.top_k, 2);
}

TEST(HfImportTest, Glm4MoeQkNormQkvBiasAndMtp) {
  // Glm4MoeAttention: bias on q, k, v only; per-head q/k RMSNorm of head_dim.
  //   q 64*64+64, k 64*32+32, v 64*32+32, o 64*64, qk-norm 2*16 = 12,448 per layer
  Result<ImportedModel> model = Import(R"({"model_type": "glm4_moe", "vocab_size": 100,
      "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 16, "attention_bias": true, "use_qk_norm": true,
      "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
      "n_shared_experts": 1, "first_k_dense_replace": 1, "intermediate_size": 96,
      "num_nextn_predict_layers": 1})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(CountTriad(model->arch)[Component::kAttention].params, 2 * 12'448);
  EXPECT_EQ(model->arch.mtp_layers, 1);
  EXPECT_TRUE(model->arch.moe.router_score_correction_bias);
}

TEST(HfImportTest, RecordsAssumedDefaults) {
  Result<ImportedModel> model = Import(R"({"model_type": "llama", "vocab_size": 100,
      "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 128})");
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->arch.attention.num_kv_heads, 4);
  bool noted = false;
  for (const std::string& note : model->notes) {
    noted = noted || note.find("'num_key_value_heads' absent: using 4") != std::string::npos;
  }
  EXPECT_TRUE(noted);
}

TEST(HfImportErrorsTest, UnknownModelTypeListsSupported) {
  const std::string error = ErrorOf(R"({"model_type": "gpt2", "n_embd": 768})");
  EXPECT_EQ(error.rfind("cfg.json: field 'model_type': unsupported model_type 'gpt2' "
                        "(supported: dbrx, deepseek, deepseek_v2, deepseek_v3, glm4_moe, "
                        "gpt_oss, grok-1",
                        0),
            0u)
      << error;
  EXPECT_NE(error.find("qwen3_moe"), std::string::npos) << error;
}

TEST(HfImportErrorsTest, FieldErrorsNameTheField) {
  const std::string head = R"({"model_type": "mixtral", "vocab_size": 100, "hidden_size": 64,
      "num_attention_heads": 4, "intermediate_size": 32, )";
  EXPECT_EQ(ErrorOf(head + R"("num_hidden_layers": 2, "num_local_experts": 8})"),
            "cfg.json: field 'num_experts_per_tok': expected an integer in 1..8, got nothing "
            "(missing)");
  EXPECT_EQ(ErrorOf(head + R"("num_hidden_layers": "2", "num_local_experts": 8,
      "num_experts_per_tok": 2})"),
            "cfg.json: field 'num_hidden_layers': expected an integer in 1..1048576, got \"2\"");
  EXPECT_EQ(ErrorOf(head + R"("num_hidden_layers": 2, "num_local_experts": -8,
      "num_experts_per_tok": 2})"),
            "cfg.json: field 'num_local_experts': expected an integer in 1..1099511627776, "
            "got -8");
  EXPECT_EQ(ErrorOf(head + R"("num_hidden_layers": 2, "num_local_experts": 8,
      "num_experts_per_tok": 9})"),
            "cfg.json: field 'num_experts_per_tok': expected an integer in 1..8, got 9");
  EXPECT_EQ(ErrorOf(head + R"("num_hidden_layers": 2, "num_local_experts": 8,
      "num_experts_per_tok": 2, "num_key_value_heads": 3})"),
            "cfg.json: field 'num_key_value_heads': expected a divisor of num_attention_heads "
            "(4), got 3");
  EXPECT_EQ(ErrorOf(head + R"("num_hidden_layers": 2.5, "num_local_experts": 8,
      "num_experts_per_tok": 2})"),
            "cfg.json: field 'num_hidden_layers': expected an integer in 1..1048576, got 2.5");
  EXPECT_EQ(ErrorOf(R"({"model_type": "deepseek_v3", "vocab_size": 100, "hidden_size": 64,
      "num_hidden_layers": 2, "num_attention_heads": 4, "kv_lora_rank": 16,
      "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "n_routed_experts": 4,
      "num_experts_per_tok": 2, "moe_intermediate_size": 16, "first_k_dense_replace": 3})"),
            "cfg.json: field 'first_k_dense_replace': expected an integer in 0..2, got 3");
  EXPECT_EQ(ErrorOf(R"({"model_type": "gpt_oss", "vocab_size": 100, "hidden_size": 64,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_local_experts": 4,
      "num_experts_per_tok": 2, "intermediate_size": 32, "layer_types": ["full_attention"]})"),
            "cfg.json: field 'layer_types': expected one entry per layer (2), got 1 entries");
  EXPECT_EQ(ErrorOf(R"({"model_type": "llama4", "text_config": 5})"),
            "cfg.json: field 'text_config': expected an object, got 5");
  EXPECT_EQ(ErrorOf(R"("llama")"),
            "cfg.json: expected a JSON object at the top level, got \"llama\"");
}

TEST(HfImportErrorsTest, BrokenJsonFileGivesLineAndColumn) {
  const auto path = std::filesystem::temp_directory_path() / "moeplan_broken_config.json";
  {
    std::ofstream out(path);
    out << "{\n  \"model_type\": \"mixtral\",\n  \"hidden_size\": 4096,\n}\n";
  }
  Result<ImportedModel> model = ImportHfConfigFile(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().message.rfind(path.string() + ": invalid JSON at line 4, column 1", 0),
            0u)
      << model.error().message;
  std::filesystem::remove(path);
  Result<ImportedModel> missing = ImportHfConfigFile("/nonexistent/config.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "/nonexistent/config.json: cannot open file for reading");
}

TEST(HfImportTest, SupportedListCoversTheIssueFamilies) {
  const std::vector<std::string>& types = SupportedHfModelTypes();
  for (const char* required :
       {"mixtral", "qwen2_moe", "qwen3_moe", "deepseek", "deepseek_v2", "deepseek_v3", "kimi_k2",
        "gpt_oss", "llama4", "glm4_moe", "dbrx", "grok-1", "llama", "mistral", "qwen2", "qwen3"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), required), types.end()) << required;
  }
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
}

}  // namespace
}  // namespace moeplan::laws
