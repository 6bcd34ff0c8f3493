//===- laws/hf_llama_family.cc - Llama, Mistral, Qwen and gpt-oss configs --===//
/// \file
/// Readers for model types whose reference code is in Hugging Face transformers:
/// models/{llama,mistral,mixtral,qwen2,qwen3,qwen2_moe,qwen3_moe,gpt_oss}/modeling_*.py.
#include <fmt/format.h>

#include "laws/internal/hf_families.h"

namespace moeplan::laws::internal {

void ReadDenseFfnIfUsed(const HfReader& reader, std::string_view key, MoeArch& arch) {
  for (int64_t layer = 0; layer < arch.num_layers + arch.mtp_layers; ++layer) {
    if (!arch.IsMoeLayer(layer)) {
      arch.dense_ffn.intermediate_size = reader.Int(key);
      return;
    }
  }
  arch.dense_ffn.intermediate_size = 0;
}

namespace {

// Routed experts of a Mixtral/Qwen-style sparse block: gated experts, bias-free router.
void ReadRoutedExperts(const HfReader& reader, std::string_view experts_key,
                       std::string_view width_key, MoeArch& arch) {
  MoeSpec& moe = arch.moe;
  moe.num_experts = reader.Int(experts_key);
  moe.top_k = reader.Int("num_experts_per_tok", 1, moe.num_experts);
  moe.expert = {reader.Int(width_key), /*gated=*/true, /*bias=*/false};
}

// Qwen's rule (Qwen2MoeDecoderLayer): layer i is sparse iff i is not in mlp_only_layers and
// (i + 1) % decoder_sparse_step == 0.
void ReadQwenMoePlacement(const HfReader& reader, MoeArch& arch) {
  const int64_t step = reader.IntOr("decoder_sparse_step", 1);
  arch.moe.layer_period = step;
  arch.moe.layer_offset = step - 1;
  ReadDenseLayerList(reader, "mlp_only_layers", arch);
  ReadDenseFfnIfUsed(reader, "intermediate_size", arch);
}

// Qwen2/Qwen3: with use_sliding_window, layers i >= max_window_layers use the sliding window
// (Qwen2Config.layer_types), unless the config lists layer_types itself.
void ReadQwenSlidingWindow(const HfReader& reader, MoeArch& arch) {
  if (ReadLayerTypes(reader, arch)) {
    if (!arch.layer_attention.empty()) arch.attention.sliding_window = reader.Int("sliding_window");
    return;
  }
  const JsonObject& o = reader.object();
  if (!o.OptionalBool("use_sliding_window").value_or(false) || !o.Has("sliding_window")) return;
  const int64_t first = reader.IntOr("max_window_layers", arch.num_layers, 0, arch.num_layers);
  if (first >= arch.num_layers) return;
  arch.attention.sliding_window = reader.Int("sliding_window");
  arch.layer_attention.assign(static_cast<size_t>(arch.num_layers), LayerAttention::kGlobal);
  for (int64_t layer = first; layer < arch.num_layers; ++layer) {
    arch.layer_attention[static_cast<size_t>(layer)] = LayerAttention::kSlidingWindow;
  }
}

// Mistral/Mixtral: a non-null sliding_window applies to every layer.
void ReadMistralSlidingWindow(const HfReader& reader, MoeArch& arch) {
  if (ReadLayerTypes(reader, arch)) {
    if (!arch.layer_attention.empty()) arch.attention.sliding_window = reader.Int("sliding_window");
    return;
  }
  if (!reader.object().Has("sliding_window")) return;
  arch.attention.sliding_window = reader.Int("sliding_window");
  arch.layer_attention.assign(static_cast<size_t>(arch.num_layers), LayerAttention::kSlidingWindow);
}

// Qwen3 attention: q/k/v/o biases from attention_bias, per-head RMSNorm on q and k.
void ReadQwen3Attention(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, /*default_head_dim=*/128, /*default_tied=*/false);
  const bool bias = reader.BoolOr("attention_bias", false);
  arch.attention.qkv_bias = bias;
  arch.attention.output_bias = bias;
  arch.attention.qk_norm = QkNorm::kPerHead;
}

}  // namespace

void ImportLlama(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);
  const bool bias = reader.BoolOr("attention_bias", false);  // LlamaAttention: q, k, v and o
  arch.attention.qkv_bias = bias;
  arch.attention.output_bias = bias;
  arch.dense_ffn = {reader.Int("intermediate_size"), true, reader.BoolOr("mlp_bias", false)};
  ReadLayerTypes(reader, arch);
}

void ImportMistral(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);  // MistralAttention has no biases
  arch.dense_ffn = {reader.Int("intermediate_size"), true, false};
  ReadMistralSlidingWindow(reader, arch);
}

void ImportMixtral(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);
  ReadRoutedExperts(reader, "num_local_experts", "intermediate_size", arch);
  ReadMistralSlidingWindow(reader, arch);
}

void ImportQwen2(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);
  arch.attention.qkv_bias = true;  // Qwen2Attention: bias on q, k, v; none on o
  arch.dense_ffn = {reader.Int("intermediate_size"), true, false};
  ReadQwenSlidingWindow(reader, arch);
}

void ImportQwen3(const HfReader& reader, MoeArch& arch) {
  ReadQwen3Attention(reader, arch);
  arch.dense_ffn = {reader.Int("intermediate_size"), true, false};
  ReadQwenSlidingWindow(reader, arch);
}

void ImportQwen2Moe(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);
  arch.attention.qkv_bias = reader.BoolOr("qkv_bias", true);
  ReadRoutedExperts(reader, "num_experts", "moe_intermediate_size", arch);
  // Qwen2MoeSparseMoeBlock: one shared expert of shared_expert_intermediate_size, scaled by a
  // sigmoid gate Linear(d, 1). A width of 0 disables it.
  const int64_t shared = reader.IntOr("shared_expert_intermediate_size", 0, 0);
  if (shared > 0) {
    arch.moe.num_shared_experts = 1;
    arch.moe.shared_expert = {shared, true, false};
    arch.moe.shared_expert_gate = true;
  }
  ReadQwenMoePlacement(reader, arch);
  ReadQwenSlidingWindow(reader, arch);
}

void ImportQwen3Moe(const HfReader& reader, MoeArch& arch) {
  ReadQwen3Attention(reader, arch);
  ReadRoutedExperts(reader, "num_experts", "moe_intermediate_size", arch);
  ReadQwenMoePlacement(reader, arch);
  ReadQwenSlidingWindow(reader, arch);
}

void ImportGptOss(const HfReader& reader, MoeArch& arch) {
  ReadCommonDims(reader, arch, 0, false);
  const bool bias = reader.BoolOr("attention_bias", true);  // GptOssAttention: q, k, v and o
  arch.attention.qkv_bias = bias;
  arch.attention.output_bias = bias;
  arch.attention.sinks = true;  // GptOssAttention.sinks: one logit per head
  MoeSpec& moe = arch.moe;
  moe.num_experts = reader.Int("num_local_experts");
  const JsonObject& o = reader.object();
  moe.top_k = o.Has("num_experts_per_tok") ? reader.Int("num_experts_per_tok", 1, moe.num_experts)
                                           : reader.Int("experts_per_token", 1, moe.num_experts);
  // GptOssExperts: fused gate_up_proj (d x 2f) with bias 2f, down_proj (f x d) with bias d.
  moe.expert = {reader.Int("intermediate_size"), true, true};
  moe.router_bias = true;  // GptOssTopKRouter: weight (E x d) and bias (E)
  if (!ReadLayerTypes(reader, arch)) {
    // GptOssConfig's default: even layers sliding, odd layers full.
    reader.Note(
        "'layer_types' absent: alternating sliding (even) and full (odd) layers "
        "(gpt_oss default)");
    arch.layer_attention.resize(static_cast<size_t>(arch.num_layers));
    for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
      arch.layer_attention[static_cast<size_t>(layer)] =
          layer % 2 == 0 ? LayerAttention::kSlidingWindow : LayerAttention::kGlobal;
    }
  }
  if (!arch.layer_attention.empty()) {
    arch.attention.sliding_window = reader.IntOr("sliding_window", 128);
  }
}

}  // namespace moeplan::laws::internal
