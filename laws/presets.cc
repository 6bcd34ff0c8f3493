//===- laws/presets.cc - Built-in architectures of public models ----------===//
#include "laws/presets.h"

namespace moeplan::laws {
namespace {

MoeArch MultiHeadModel(std::string name, int64_t vocab, int64_t d, int64_t layers, int64_t heads,
                       int64_t kv_heads, int64_t head_dim) {
  MoeArch arch;
  arch.name = std::move(name);
  arch.vocab_size = vocab;
  arch.hidden_size = d;
  arch.num_layers = layers;
  arch.attention.num_heads = heads;
  arch.attention.num_kv_heads = kv_heads;
  arch.attention.head_dim = head_dim;
  arch.attention.v_head_dim = head_dim;
  return arch;
}

// mistralai/Mixtral-8x7B-v0.1 config.json.
MoeArch Mixtral8x7B() {
  MoeArch arch = MultiHeadModel("mixtral-8x7b", 32000, 4096, 32, 32, 8, 128);
  arch.moe.num_experts = 8;
  arch.moe.top_k = 2;
  arch.moe.expert = {14336, true, false};
  return arch;
}

// deepseek-ai/DeepSeek-V3 config.json (MLA, 1 shared + 256 routed experts, 3 dense layers, 1 MTP).
MoeArch DeepseekV3() {
  MoeArch arch;
  arch.name = "deepseek-v3";
  arch.vocab_size = 129280;
  arch.hidden_size = 7168;
  arch.num_layers = 61;
  AttentionSpec& a = arch.attention;
  a.type = AttentionType::kMultiLatent;
  a.num_heads = 128;
  a.q_lora_rank = 1536;
  a.kv_lora_rank = 512;
  a.qk_nope_head_dim = 128;
  a.qk_rope_head_dim = 64;
  a.v_head_dim = 128;
  arch.dense_ffn = {18432, true, false};
  MoeSpec& m = arch.moe;
  m.num_experts = 256;
  m.top_k = 8;
  m.expert = {2048, true, false};
  m.num_shared_experts = 1;
  m.shared_expert = m.expert;
  m.router_score_correction_bias = true;
  m.first_dense_layers = 3;
  arch.mtp_layers = 1;
  return arch;
}

// Qwen/Qwen3-30B-A3B config.json (128 experts, top-8, per-head QK-norm).
MoeArch Qwen3_30B_A3B() {
  MoeArch arch = MultiHeadModel("qwen3-30b-a3b", 151936, 2048, 48, 32, 4, 128);
  arch.attention.qk_norm = QkNorm::kPerHead;
  arch.moe.num_experts = 128;
  arch.moe.top_k = 8;
  arch.moe.expert = {768, true, false};
  return arch;
}

// openai/gpt-oss-20b config.json (32 experts, top-4, biases, sinks, alternating 128-token window).
MoeArch GptOss20B() {
  MoeArch arch = MultiHeadModel("gpt-oss-20b", 201088, 2880, 24, 64, 8, 64);
  arch.attention.qkv_bias = true;
  arch.attention.output_bias = true;
  arch.attention.sinks = true;
  arch.attention.sliding_window = 128;
  for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
    arch.layer_attention.push_back(layer % 2 == 0 ? LayerAttention::kSlidingWindow
                                                  : LayerAttention::kGlobal);
  }
  arch.moe.num_experts = 32;
  arch.moe.top_k = 4;
  arch.moe.expert = {2880, true, true};
  arch.moe.router_bias = true;
  return arch;
}

// meta-llama/Meta-Llama-3-8B config.json (dense, GQA).
MoeArch Llama3_8B() {
  MoeArch arch = MultiHeadModel("llama-3-8b", 128256, 4096, 32, 32, 8, 128);
  arch.dense_ffn = {14336, true, false};
  return arch;
}

}  // namespace

const std::vector<Preset>& Presets() {
  static const std::vector<Preset> presets = {
      {"deepseek-v3", "DeepSeek-V3 (671B total, 37B active; deepseek-ai/DeepSeek-V3)",
       DeepseekV3()},
      {"mixtral-8x7b", "Mixtral 8x7B (46.7B / 12.9B; mistralai/Mixtral-8x7B-v0.1)", Mixtral8x7B()},
      {"qwen3-30b-a3b", "Qwen3-30B-A3B (30.5B / 3.3B; Qwen/Qwen3-30B-A3B)", Qwen3_30B_A3B()},
      {"gpt-oss-20b", "gpt-oss-20b (21B / 3.6B; openai/gpt-oss-20b)", GptOss20B()},
      {"llama-3-8b", "Llama 3 8B, dense (8.03B; meta-llama/Meta-Llama-3-8B)", Llama3_8B()},
  };
  return presets;
}

const Preset* FindPreset(std::string_view name) {
  for (const Preset& preset : Presets()) {
    if (preset.name == name) return &preset;
  }
  return nullptr;
}

}  // namespace moeplan::laws
