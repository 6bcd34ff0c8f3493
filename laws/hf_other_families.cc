//===- laws/hf_other_families.cc - Llama-4, DBRX and Grok-1 configs -------===//
/// \file
/// Reference code: transformers' models/llama4/modeling_llama4.py and models/dbrx/modeling_dbrx.py,
/// and the Grok-1 port of hpcai-tech (configuration_grok1.py / modeling_grok1.py, matching
/// xai-org/grok-1's model.py).
#include <fmt/format.h>

#include "laws/internal/hf_families.h"

namespace moeplan::laws::internal {
namespace {

// Llama-4 layer kinds: layers with RoPE use chunked attention, every no_rope_layer_interval-th
// layer (NoPE) is global (Llama4TextConfig.no_rope_layers / layer_types).
void ReadLlama4AttentionLayers(const HfReader& reader, MoeArch& arch) {
  const JsonObject& o = reader.object();
  if (ReadLayerTypes(reader, arch)) {
    if (!arch.layer_attention.empty())
      arch.attention.chunk_size = reader.Int("attention_chunk_size");
    return;
  }
  if (!o.Has("attention_chunk_size")) return;  // null: every layer global
  arch.attention.chunk_size = reader.Int("attention_chunk_size");
  arch.layer_attention.assign(static_cast<size_t>(arch.num_layers), LayerAttention::kGlobal);
  const nlohmann::json* uses_rope = o.OptionalArray("no_rope_layers");
  if (uses_rope != nullptr && !uses_rope->empty()) {
    if (static_cast<int64_t>(uses_rope->size()) != arch.num_layers) {
      o.Fail("no_rope_layers", fmt::format("one entry per layer ({})", arch.num_layers),
             fmt::format("{} entries", uses_rope->size()));
    }
    for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
      const nlohmann::json& v = (*uses_rope)[static_cast<size_t>(layer)];
      if (!v.is_number_integer() && !v.is_boolean()) {
        o.Fail(fmt::format("no_rope_layers[{}]", layer), "0 or 1", DescribeJsonValue(v));
      }
      const bool rope = v.is_boolean() ? v.get<bool>() : v.get<int64_t>() != 0;
      if (rope) arch.layer_attention[static_cast<size_t>(layer)] = LayerAttention::kChunked;
    }
    return;
  }
  const int64_t interval = reader.IntOr("no_rope_layer_interval", 4);
  for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
    if ((layer + 1) % interval != 0) {
      arch.layer_attention[static_cast<size_t>(layer)] = LayerAttention::kChunked;
    }
  }
}

}  // namespace

void ImportLlama4(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, /*default_head_dim=*/128, /*default_tied=*/false);
  const bool bias = reader.BoolOr("attention_bias", false);  // q, k, v and o
  arch.attention.qkv_bias = bias;
  arch.attention.output_bias = bias;
  // use_qk_norm is Llama4TextL2Norm, which has no weights: nothing to count.
  MoeSpec& moe = arch.moe;
  moe.num_experts = reader.IntOr("num_local_experts", 16);
  moe.top_k = reader.IntOr("num_experts_per_tok", 1, 1, moe.num_experts);
  // Llama4TextExperts (gate_up_proj, down_proj) and the always-on shared_expert both use
  // intermediate_size; dense layers use intermediate_size_mlp.
  moe.expert = {reader.IntOr("intermediate_size", 8192), true, false};
  moe.num_shared_experts = 1;
  moe.shared_expert = moe.expert;
  if (reader.object().Has("moe_layers")) {
    SetMoeLayersExplicitly(reader, "moe_layers", arch);
  } else {
    // moe_layers default: range(step - 1, num_layers, step).
    const int64_t step = reader.IntOr("interleave_moe_layer_step", 1);
    moe.layer_period = step;
    moe.layer_offset = step - 1;
  }
  ReadDenseFfnIfUsed(reader, "intermediate_size_mlp", arch);
  ReadLlama4AttentionLayers(reader, arch);
}

void ImportDbrx(const HfReader& reader, MoeArch& arch) {
  const JsonObject& o = reader.object();
  arch.vocab_size = reader.Int("vocab_size");
  arch.hidden_size = reader.Int("d_model");
  arch.num_layers = reader.Int("n_layers", 1, 1 << 20);
  arch.tied_embeddings = reader.BoolOr("tie_word_embeddings", false);
  AttentionSpec& a = arch.attention;
  a.num_heads = reader.Int("n_heads");
  if (arch.hidden_size % a.num_heads != 0) {
    o.Fail("n_heads", fmt::format("a divisor of d_model ({})", arch.hidden_size),
           std::to_string(a.num_heads));
  }
  a.head_dim = arch.hidden_size / a.num_heads;
  a.v_head_dim = a.head_dim;
  // DbrxAttention: fused Wqkv and out_proj, no biases.
  const JsonObject attn_config = o.Object("attn_config");
  a.num_kv_heads = attn_config.Int("kv_n_heads", 1, a.num_heads);
  if (a.num_heads % a.num_kv_heads != 0) {
    attn_config.Fail("kv_n_heads", fmt::format("a divisor of n_heads ({})", a.num_heads),
                     std::to_string(a.num_kv_heads));
  }
  // DbrxExperts: w1, v1, w2 per expert (a GLU); DbrxRouter: Linear(d, E) without bias.
  const JsonObject ffn = o.Object("ffn_config");
  MoeSpec& moe = arch.moe;
  moe.num_experts = ffn.Int("moe_num_experts", 1);
  moe.top_k = ffn.Int("moe_top_k", 1, moe.num_experts);
  moe.expert = {ffn.Int("ffn_hidden_size", 1), true, false};
  // DBRX uses LayerNorm(bias=False): weight-only, counted like RMSNorm.
  arch.norm.type = NormType::kRmsNorm;
  reader.Note("DBRX LayerNorm has no bias: each norm counts d weights");
}

void ImportGrok1(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, /*default_tied=*/true);  // output reuses the embedding
  // DecoderLayer: rms_norm, rms_norm_1 around attention; rms_norm_2, rms_norm_3 around the MoE.
  arch.norm.per_layer = 4;
  MoeSpec& moe = arch.moe;
  // hpcai-tech's Grok1Config names the experts num_experts; Mixtral-shaped Grok-1 configs
  // (sglang's) use num_local_experts.
  moe.num_experts = reader.object().Has("num_experts") || !reader.object().Has("num_local_experts")
                        ? reader.Int("num_experts")
                        : reader.Int("num_local_experts");
  moe.top_k = reader.Int("num_experts_per_tok", 1, moe.num_experts);
  moe.expert = {reader.Int("intermediate_size"), true, false};  // linear, linear_v, linear_1
}

}  // namespace moeplan::laws::internal
