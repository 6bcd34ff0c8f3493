//===- laws/phases/hf_export.cc - Hugging Face config.json for a MoeArch --===//
#include "laws/phases/hf_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace moeplan::phases {
namespace {

using nlohmann::ordered_json;

Error Unsupported(const laws::MoeArch& arch, const char* family, const std::string& what) {
  return Error{
      fmt::format("cannot write '{}' as a Hugging Face {} config: {}", arch.name, family, what)};
}

// What all three families share: RMSNorm twice per layer plus a final one, gated bias-free
// FFNs, a bias-free softmax/sigmoid router, global attention, no sinks.
std::string CommonLimits(const laws::MoeArch& a) {
  if (!a.IsMoe()) return "a dense model (these are MoE families)";
  if (a.norm.type != laws::NormType::kRmsNorm || a.norm.per_layer != 2 || !a.norm.final_norm) {
    return "field 'norm': expected RMSNorm, 2 per layer and a final norm";
  }
  if (!a.layer_attention.empty()) return "field 'layer_attention': expected every layer global";
  if (a.attention.sinks) return "field 'attention.sinks': expected false";
  if (a.attention.qkv_bias != a.attention.output_bias) {
    return "fields 'attention.qkv_bias' and 'attention.output_bias': expected equal (one "
           "attention_bias flag)";
  }
  const laws::MoeSpec& m = a.moe;
  if (!m.expert.gated || m.expert.bias) return "field 'moe.expert': expected gated, no bias";
  if (m.router_bias) return "field 'moe.router_bias': expected false";
  if (m.shared_expert_gate) return "field 'moe.shared_expert_gate': expected false";
  if (m.layer_period != 1 || m.layer_offset != 0) {
    return "fields 'moe.layer_period', 'moe.layer_offset': expected 1 and 0";
  }
  const bool any_dense = m.first_dense_layers > 0 || !m.dense_layers.empty();
  if (any_dense && (!a.dense_ffn.gated || a.dense_ffn.bias)) {
    return "field 'dense_ffn': expected gated, no bias";
  }
  return "";
}

std::string SharedLimits(const laws::MoeArch& a) {
  const laws::MoeSpec& m = a.moe;
  if (m.num_shared_experts > 0 && m.shared_expert != m.expert) {
    return "field 'moe.shared_expert': expected the routed experts' shape "
           "(n_shared_experts x moe_intermediate_size)";
  }
  if (!m.dense_layers.empty()) return "field 'moe.dense_layers': expected none";
  return "";
}

ordered_json Common(const laws::MoeArch& a, const char* architecture, const char* model_type) {
  ordered_json c;
  c["architectures"] = {architecture};
  c["model_type"] = model_type;
  c["vocab_size"] = a.vocab_size;
  c["hidden_size"] = a.hidden_size;
  // Width of the dense layers; families require the field even when no layer is dense.
  c["intermediate_size"] =
      a.dense_ffn.intermediate_size > 0
          ? a.dense_ffn.intermediate_size
          : (a.moe.top_k + a.moe.num_shared_experts) * a.moe.expert.intermediate_size;
  c["moe_intermediate_size"] = a.moe.expert.intermediate_size;
  c["num_hidden_layers"] = a.num_layers;
  c["num_attention_heads"] = a.attention.num_heads;
  c["num_key_value_heads"] = a.attention.type == laws::AttentionType::kMultiHead
                                 ? a.attention.num_kv_heads
                                 : a.attention.num_heads;
  c["num_experts_per_tok"] = a.moe.top_k;
  c["attention_bias"] = a.attention.qkv_bias;
  c["tie_word_embeddings"] = a.tied_embeddings;
  c["max_position_embeddings"] = a.seq_len;
  c["hidden_act"] = "silu";
  c["rms_norm_eps"] = 1e-6;
  c["rope_theta"] = 10000.0;
  c["initializer_range"] = 0.02;
  c["attention_dropout"] = 0.0;
  c["use_cache"] = true;
  c["torch_dtype"] = "bfloat16";
  return c;
}

Result<ordered_json> DeepseekV3(const laws::MoeArch& a) {
  const laws::AttentionSpec& at = a.attention;
  if (std::string why = SharedLimits(a); !why.empty()) return Unsupported(a, "deepseek_v3", why);
  ordered_json c = Common(a, "DeepseekV3ForCausalLM", "deepseek_v3");
  c["q_lora_rank"] = at.q_lora_rank > 0 ? ordered_json(at.q_lora_rank) : ordered_json(nullptr);
  c["kv_lora_rank"] = at.kv_lora_rank;
  c["qk_nope_head_dim"] = at.qk_nope_head_dim;
  c["qk_rope_head_dim"] = at.qk_rope_head_dim;
  c["v_head_dim"] = at.v_head_dim;
  c["n_routed_experts"] = a.moe.num_experts;
  c["n_shared_experts"] = a.moe.num_shared_experts;
  c["first_k_dense_replace"] = a.moe.first_dense_layers;
  c["moe_layer_freq"] = 1;
  // noaux_tc routers carry e_score_correction_bias (N_e values per MoE layer).
  c["topk_method"] = a.moe.router_score_correction_bias ? "noaux_tc" : "greedy";
  c["scoring_func"] = a.moe.router_score_correction_bias ? "sigmoid" : "softmax";
  c["n_group"] = 1;
  c["topk_group"] = 1;
  c["norm_topk_prob"] = true;
  c["routed_scaling_factor"] = 1.0;
  c["num_nextn_predict_layers"] = a.mtp_layers;
  return c;
}

Result<ordered_json> Qwen3Moe(const laws::MoeArch& a) {
  if (a.moe.num_shared_experts > 0) {
    return Unsupported(a, "qwen3_moe", "field 'moe.num_shared_experts': expected 0");
  }
  if (a.moe.router_score_correction_bias) {
    return Unsupported(a, "qwen3_moe", "field 'moe.router_score_correction_bias': expected false");
  }
  if (a.mtp_layers > 0) return Unsupported(a, "qwen3_moe", "field 'mtp_layers': expected 0");
  ordered_json c = Common(a, "Qwen3MoeForCausalLM", "qwen3_moe");
  c["head_dim"] = a.attention.head_dim;
  c["num_experts"] = a.moe.num_experts;
  c["decoder_sparse_step"] = 1;
  // Qwen's rule: layer i is dense iff it is listed in mlp_only_layers.
  std::vector<int64_t> dense;
  for (int64_t layer = 0; layer < a.moe.first_dense_layers; ++layer) dense.push_back(layer);
  for (int64_t layer : a.moe.dense_layers) {
    if (layer >= a.moe.first_dense_layers) dense.push_back(layer);
  }
  c["mlp_only_layers"] = dense;
  c["norm_topk_prob"] = true;
  c["use_sliding_window"] = false;
  c["router_aux_loss_coef"] = 0.001;
  return c;
}

Result<ordered_json> DeepseekMoe(const laws::MoeArch& a) {
  const laws::AttentionSpec& at = a.attention;
  if (std::string why = SharedLimits(a); !why.empty()) return Unsupported(a, "deepseek", why);
  if (at.num_heads * at.head_dim != a.hidden_size || at.v_head_dim != at.head_dim) {
    return Unsupported(
        a, "deepseek",
        fmt::format("field 'attention.head_dim': DeepSeekMoE derives it as "
                    "hidden_size / num_heads = {}, got {}",
                    a.hidden_size / std::max<int64_t>(at.num_heads, 1), at.head_dim));
  }
  if (a.moe.router_score_correction_bias) {
    return Unsupported(a, "deepseek", "field 'moe.router_score_correction_bias': expected false");
  }
  if (a.mtp_layers > 0) return Unsupported(a, "deepseek", "field 'mtp_layers': expected 0");
  ordered_json c = Common(a, "DeepseekForCausalLM", "deepseek");
  c["n_routed_experts"] = a.moe.num_experts;
  c["n_shared_experts"] = a.moe.num_shared_experts;
  c["first_k_dense_replace"] = a.moe.first_dense_layers;
  c["moe_layer_freq"] = 1;
  c["scoring_func"] = "softmax";
  c["norm_topk_prob"] = false;
  c["aux_loss_alpha"] = 0.001;
  return c;
}

}  // namespace

Result<ordered_json> HfConfig(const laws::MoeArch& arch) {
  if (std::string why = CommonLimits(arch); !why.empty()) {
    return Unsupported(arch, "MoE", why);
  }
  const laws::AttentionSpec& a = arch.attention;
  if (a.type == laws::AttentionType::kMultiLatent) return DeepseekV3(arch);
  if (a.qk_norm == laws::QkNorm::kPerHead) return Qwen3Moe(arch);
  if (a.qk_norm == laws::QkNorm::kNone) return DeepseekMoe(arch);
  return Unsupported(arch, "MoE",
                     "field 'attention.qk_norm': 'full' QK-norm has no supported MoE family "
                     "(qwen3_moe normalises per head)");
}

}  // namespace moeplan::phases
