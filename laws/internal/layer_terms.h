//===- laws/internal/layer_terms.h - Per-block weight counts ----*- C++ -*-===//
/// \file
/// Private to laws/: parameter counts of the building blocks of one decoder layer. Each block
/// reports all its parameters and, separately, the weights of its matrix products (the FLOPs of a
/// token through a block are 2 x its matmul weights; biases and norm weights cost no matmul).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>

#include "laws/arch.h"

namespace moeplan::laws::internal {

struct Weights {
  int64_t params = 0;         ///< everything learned
  int64_t matmul_params = 0;  ///< entries of the weight matrices only

  Weights& operator+=(const Weights& other) {
    params += other.params;
    matmul_params += other.matmul_params;
    return *this;
  }
  Weights Times(int64_t n) const { return {params * n, matmul_params * n}; }
};

/// A Linear(in, out) layer, optionally with a bias of `out` values.
inline Weights Linear(int64_t in, int64_t out, bool bias) {
  return {in * out + (bias ? out : 0), in * out};
}

/// One norm over `width` values (RMSNorm: weight; LayerNorm: weight and bias).
inline int64_t NormParams(NormType type, int64_t width) {
  return type == NormType::kLayerNorm ? 2 * width : width;
}

/// One FFN block: gated = gate + up + down, plain = up + down.
inline Weights FfnWeights(int64_t d, const FfnSpec& ffn) {
  const int64_t f = ffn.intermediate_size;
  Weights w = Linear(d, f, ffn.bias);
  if (ffn.gated) w += Linear(d, f, ffn.bias);
  w += Linear(f, d, ffn.bias);
  return w;
}

/// All attention parameters of one layer (projections, biases, QK-norm or MLA latent norms,
/// sinks).
inline Weights AttentionWeights(int64_t d, const AttentionSpec& a) {
  Weights w;
  const int64_t h = a.num_heads;
  if (a.type == AttentionType::kMultiHead) {
    const int64_t kv = a.num_kv_heads;
    w += Linear(d, h * a.head_dim, a.qkv_bias);       // q_proj
    w += Linear(d, kv * a.head_dim, a.qkv_bias);      // k_proj
    w += Linear(d, kv * a.v_head_dim, a.qkv_bias);    // v_proj
    w += Linear(h * a.v_head_dim, d, a.output_bias);  // o_proj
    if (a.qk_norm == QkNorm::kPerHead) w.params += 2 * a.head_dim;
    if (a.qk_norm == QkNorm::kFull) w.params += (h + kv) * a.head_dim;
  } else {
    const int64_t qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    if (a.q_lora_rank > 0) {
      w += Linear(d, a.q_lora_rank, a.qkv_bias);  // q_a_proj
      w.params += a.q_lora_rank;                  // q_a_layernorm (RMSNorm)
      w += Linear(a.q_lora_rank, h * qk, false);  // q_b_proj
    } else {
      w += Linear(d, h * qk, false);  // q_proj
    }
    w += Linear(d, a.kv_lora_rank + a.qk_rope_head_dim, a.qkv_bias);  // kv_a_proj_with_mqa
    w.params += a.kv_lora_rank;                                       // kv_a_layernorm
    w += Linear(a.kv_lora_rank, h * (a.qk_nope_head_dim + a.v_head_dim), false);  // kv_b_proj
    w += Linear(h * a.v_head_dim, d, a.output_bias);                              // o_proj
  }
  if (a.sinks) w.params += h;
  return w;
}

/// Router of one MoE layer: Linear(d, N_e) with optional bias and DeepSeek-V3 correction bias.
inline Weights RouterWeights(int64_t d, const MoeSpec& moe) {
  Weights w = Linear(d, moe.num_experts, moe.router_bias);
  if (moe.router_score_correction_bias) w.params += moe.num_experts;
  return w;
}

/// All shared experts of one MoE layer, with the optional shared-expert gate Linear(d, 1).
inline Weights SharedExpertWeights(int64_t d, const MoeSpec& moe) {
  Weights w = FfnWeights(d, moe.shared_expert).Times(moe.num_shared_experts);
  if (moe.shared_expert_gate) w += Linear(d, 1, false);
  return w;
}

}  // namespace moeplan::laws::internal
