//===- laws/arch.h - The MoE architecture description ------------*- C++ -*-===//
/// \file
/// `MoeArch` describes one decoder-only (Mixture-of-Experts or dense) language model completely
/// enough to count its parameters and FLOPs exactly (see laws/accounting.h). The dimensions are
/// those of the holistic MoE framework of Wan et al. (arXiv:2603.21862): vocabulary `V`, sequence
/// length `S`, hidden size `d`, layers `L`, leading dense layers, MoE layer frequency, attention
/// (heads, KV heads, head dims, or Multi-head Latent Attention ranks), dense FFN width, routed
/// experts `N_e`, active experts `K`, expert width, shared experts, gated (SwiGLU) or plain FFN,
/// tied embeddings and multi-token-prediction (MTP) layers, plus the details that change counts in
/// real models (biases, QK-norm, attention sinks, sliding-window and chunked attention layers).
///
/// Every field holds a resolved value: derived defaults (e.g. head_dim = d / heads) are applied by
/// the readers (laws/arch_json.h, laws/hf_import.h), never by the accounting.
///
/// Which decoder layers are MoE: layer `i` (0-based) is an MoE layer iff `moe.num_experts > 0`,
/// `i >= moe.first_dense_layers`, `i % moe.layer_period == moe.layer_offset`, and `i` is not in
/// `moe.dense_layers`. Examples: DeepSeek-V3 (first 3 dense, then all MoE): first_dense_layers=3,
/// period=1, offset=0. Llama-4 Maverick (every 2nd layer, starting at layer 1): period=2, offset=1.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::laws {

enum class AttentionType : uint8_t {
  kMultiHead,    ///< MHA / GQA / MQA: separate Q, K, V, O projections, num_kv_heads <= num_heads
  kMultiLatent,  ///< DeepSeek-V2/V3 Multi-head Latent Attention: low-rank Q and KV compression
};

/// Which keys one layer's queries may attend to.
enum class LayerAttention : uint8_t {
  kGlobal,         ///< all previous tokens of the sequence
  kSlidingWindow,  ///< the last `attention.sliding_window` tokens (Mistral, gpt-oss)
  kChunked,        ///< tokens of the same `attention.chunk_size` block (Llama-4)
};

/// Normalisation applied to q and k inside attention (Qwen3, GLM-4.5, OLMoE).
enum class QkNorm : uint8_t {
  kNone,
  kPerHead,  ///< one RMSNorm weight of head_dim for q and one for k, shared by the heads
  kFull,     ///< RMSNorm over all heads: weights of num_heads*head_dim and num_kv_heads*head_dim
};

enum class NormType : uint8_t {
  kRmsNorm,    ///< weight only (d parameters)
  kLayerNorm,  ///< weight and bias (2d parameters)
};

const char* ToString(AttentionType type);
const char* ToString(LayerAttention type);
const char* ToString(QkNorm type);
const char* ToString(NormType type);
Result<AttentionType> ParseAttentionType(std::string_view text);
Result<LayerAttention> ParseLayerAttention(std::string_view text);
Result<QkNorm> ParseQkNorm(std::string_view text);
Result<NormType> ParseNormType(std::string_view text);

struct AttentionSpec {
  AttentionType type = AttentionType::kMultiHead;
  int64_t num_heads = 0;
  /// Multi-head only: key/value heads; must divide num_heads (== num_heads for MHA, 1 for MQA).
  int64_t num_kv_heads = 0;
  /// Multi-head only: width of one query/key head. Need not equal d / num_heads (Qwen3).
  int64_t head_dim = 0;
  /// Width of one value head (multi-head: usually == head_dim; MLA: v_head_dim).
  int64_t v_head_dim = 0;
  /// MLA only: rank of the query down-projection; 0 means queries are not compressed
  /// (DeepSeek-V2-Lite).
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 0;      ///< MLA only: rank of the joint key/value compression
  int64_t qk_nope_head_dim = 0;  ///< MLA only: per-head query/key width without RoPE
  int64_t qk_rope_head_dim = 0;  ///< MLA only: decoupled RoPE width (key part shared by heads)
  bool qkv_bias = false;         ///< bias on the Q, K, V (MLA: down) projections
  bool output_bias = false;      ///< bias on the output projection
  QkNorm qk_norm = QkNorm::kNone;
  bool sinks = false;  ///< one learned attention-sink logit per head (gpt-oss)
  /// Tokens seen by a sliding-window layer; required when any layer is kSlidingWindow.
  int64_t sliding_window = 0;
  /// Block size of a chunked-attention layer; required when any layer is kChunked.
  int64_t chunk_size = 0;

  /// Width of one query/key head as used in the score product.
  int64_t QkHeadDim() const {
    return type == AttentionType::kMultiLatent ? qk_nope_head_dim + qk_rope_head_dim : head_dim;
  }
  bool operator==(const AttentionSpec&) const = default;
};

/// One feed-forward block (dense FFN, one routed expert or one shared expert).
struct FfnSpec {
  int64_t intermediate_size = 0;
  bool gated = true;  ///< SwiGLU/GeGLU: 3 matrices (gate, up, down); plain: 2 (up, down)
  bool bias = false;  ///< biases on the FFN projections (gpt-oss experts)
  bool operator==(const FfnSpec&) const = default;
};

struct MoeSpec {
  int64_t num_experts = 0;  ///< routed experts N_e; 0 makes a dense model
  int64_t top_k = 0;        ///< active routed experts per token K (1..N_e)
  FfnSpec expert;           ///< one routed expert
  int64_t num_shared_experts = 0;
  FfnSpec shared_expert;            ///< one shared expert (always active)
  bool shared_expert_gate = false;  ///< sigmoid gate Linear(d, 1) on the shared output (Qwen2-MoE)
  bool router_bias = false;         ///< bias on the router projection (gpt-oss)
  /// DeepSeek-V3's auxiliary-loss-free balancing bias: N_e learned values per MoE layer.
  bool router_score_correction_bias = false;
  int64_t first_dense_layers = 0;  ///< leading dense layers (DeepSeek first_k_dense_replace)
  int64_t layer_period = 1;        ///< MoE every `layer_period` layers ...
  int64_t layer_offset = 0;        ///< ... at layers with i % period == offset
  /// Further layers forced dense (Qwen mlp_only_layers), strictly increasing.
  std::vector<int64_t> dense_layers;
  bool operator==(const MoeSpec&) const = default;
};

struct NormSpec {
  NormType type = NormType::kRmsNorm;
  int64_t per_layer = 2;  ///< norms in one decoder layer (pre-attention, pre-FFN; Grok-1: 4)
  bool final_norm = true;
  bool operator==(const NormSpec&) const = default;
};

struct MoeArch {
  std::string name;
  int64_t vocab_size = 0;   ///< V
  int64_t seq_len = 4096;   ///< S: training sequence length (sets the attention FLOPs term)
  int64_t hidden_size = 0;  ///< d
  int64_t num_layers = 0;   ///< L decoder layers (MTP layers not included)
  AttentionSpec attention;
  FfnSpec dense_ffn;  ///< FFN of the dense layers; width 0 allowed only when no layer is dense
  MoeSpec moe;
  /// Attention kind per decoder layer; empty means every layer is kGlobal.
  std::vector<LayerAttention> layer_attention;
  NormSpec norm;
  bool tied_embeddings = false;  ///< LM head shares the input embedding matrix
  /// Multi-token-prediction modules (DeepSeek-V3 style: 2 norms + Linear(2d, d) + one decoder
  /// layer + a final norm each; embedding and LM head shared with the main model).
  int64_t mtp_layers = 0;

  bool IsMoe() const { return moe.num_experts > 0; }
  /// True iff decoder layer `layer` (0-based; indices >= num_layers denote MTP blocks) is MoE.
  bool IsMoeLayer(int64_t layer) const;
  LayerAttention AttentionOfLayer(int64_t layer) const {
    return layer < static_cast<int64_t>(layer_attention.size())
               ? layer_attention[static_cast<size_t>(layer)]
               : LayerAttention::kGlobal;
  }
  bool operator==(const MoeArch&) const = default;
};

/// Checks every constraint; the error names the field (JSON path of moeplan's format) and the
/// broken constraint, prefixed by `source` (a file name or preset name).
[[nodiscard]] Status Validate(const MoeArch& arch, std::string_view source);

}  // namespace moeplan::laws
