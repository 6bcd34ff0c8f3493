//===- laws/hf_deepseek_family.cc - DeepSeek, Kimi K2 and GLM-4.5 configs --===//
/// \file
/// Readers for the DeepSeek lineage. Reference code: deepseek-ai's modeling_deepseek.py for
/// DeepSeekMoE ("deepseek"), DeepSeek-V2 and DeepSeek-V3 (also used by Kimi K2, model_type
/// "kimi_k2"), and transformers' models/glm4_moe/modeling_glm4_moe.py.
#include <fmt/format.h>

#include "laws/internal/hf_families.h"

namespace moeplan::laws::internal {
namespace {

// DeepseekMoE: layer i is sparse iff n_routed_experts is set, i >= first_k_dense_replace and
// i % moe_layer_freq == 0. Shared experts are one MLP of n_shared_experts x moe_intermediate_size,
// counted here as n_shared_experts experts of moe_intermediate_size (same parameters and FLOPs).
void ReadDeepseekMoe(const HfReader& reader, MoeArch& arch) {
  MoeSpec& moe = arch.moe;
  moe.num_experts = reader.Int("n_routed_experts");
  moe.top_k = reader.Int("num_experts_per_tok", 1, moe.num_experts);
  moe.expert = {reader.Int("moe_intermediate_size"), true, false};
  moe.num_shared_experts = reader.IntOr("n_shared_experts", 0, 0);
  moe.shared_expert = moe.expert;
  moe.first_dense_layers = reader.IntOr("first_k_dense_replace", 0, 0, arch.num_layers);
  moe.layer_period = reader.IntOr("moe_layer_freq", 1);
  moe.layer_offset = 0;
}

// Multi-head Latent Attention (DeepseekV2Attention / DeepseekV3Attention).
void ReadMla(const HfReader& reader, MoeArch& arch) {
  AttentionSpec& a = arch.attention;
  a.type = AttentionType::kMultiLatent;
  a.num_heads = reader.Int("num_attention_heads");
  a.num_kv_heads = 0;
  a.head_dim = 0;
  a.q_lora_rank = reader.object().Has("q_lora_rank") ? reader.Int("q_lora_rank") : 0;
  a.kv_lora_rank = reader.Int("kv_lora_rank");
  a.qk_nope_head_dim = reader.Int("qk_nope_head_dim");
  a.qk_rope_head_dim = reader.Int("qk_rope_head_dim", 0);
  a.v_head_dim = reader.Int("v_head_dim");
  // attention_bias applies to q_a_proj, kv_a_proj_with_mqa and o_proj (q_b/kv_b never biased).
  const bool bias = reader.BoolOr("attention_bias", false);
  a.qkv_bias = bias;
  a.output_bias = bias;
}

void ReadMlaModel(const HfReader& reader, MoeArch& arch, bool correction_bias_by_default) {
  arch.vocab_size = reader.Int("vocab_size");
  arch.hidden_size = reader.Int("hidden_size");
  arch.num_layers = reader.Int("num_hidden_layers", 1, 1 << 20);
  arch.tied_embeddings = reader.BoolOr("tie_word_embeddings", false);
  ReadMla(reader, arch);
  ReadDeepseekMoe(reader, arch);
  // MoEGate carries e_score_correction_bias (N_e values) with topk_method "noaux_tc".
  const std::optional<std::string> topk = reader.object().OptionalString("topk_method");
  arch.moe.router_score_correction_bias = topk ? *topk == "noaux_tc" : correction_bias_by_default;
  arch.mtp_layers = reader.object().OptionalInt("num_nextn_predict_layers", 0, 64).value_or(0);
  ReadDenseFfnIfUsed(reader, "intermediate_size", arch);
}

}  // namespace

void ImportDeepseek(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);
  const bool bias = reader.BoolOr("attention_bias", false);
  arch.attention.qkv_bias = bias;
  arch.attention.output_bias = bias;
  ReadDeepseekMoe(reader, arch);
  ReadDenseFfnIfUsed(reader, "intermediate_size", arch);
}

void ImportDeepseekV2(const HfReader& reader, MoeArch& arch) {
  ReadMlaModel(reader, arch, /*correction_bias_by_default=*/false);
}

void ImportDeepseekV3(const HfReader& reader, MoeArch& arch) {
  ReadMlaModel(reader, arch, /*correction_bias_by_default=*/true);
}

void ImportGlm4Moe(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, /*default_head_dim=*/128, /*default_tied=*/false);
  // Glm4MoeAttention: attention_bias on q, k, v only; optional per-head q/k RMSNorm.
  arch.attention.qkv_bias = reader.BoolOr("attention_bias", false);
  if (reader.BoolOr("use_qk_norm", false)) arch.attention.qk_norm = QkNorm::kPerHead;
  MoeSpec& moe = arch.moe;
  moe.num_experts = reader.Int("n_routed_experts");
  moe.top_k = reader.Int("num_experts_per_tok", 1, moe.num_experts);
  moe.expert = {reader.Int("moe_intermediate_size"), true, false};
  moe.num_shared_experts = reader.IntOr("n_shared_experts", 1, 0);
  moe.shared_expert = moe.expert;
  // Glm4MoeDecoderLayer: sparse iff layer_idx >= first_k_dense_replace; the router always has
  // e_score_correction_bias.
  moe.first_dense_layers = reader.IntOr("first_k_dense_replace", 1, 0, arch.num_layers);
  moe.router_score_correction_bias = true;
  arch.mtp_layers = reader.object().OptionalInt("num_nextn_predict_layers", 0, 64).value_or(0);
  ReadDenseFfnIfUsed(reader, "intermediate_size", arch);
}

}  // namespace moeplan::laws::internal
