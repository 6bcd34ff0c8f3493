//===- laws/phases/hf_export.h - Hugging Face config.json for a MoeArch -*- C++ -*-===//
/// \file
/// Writes a `MoeArch` as a Hugging Face `config.json` that the model's reference implementation
/// builds and that moeplan's importer (laws/hf_import.h) reads back to the same triad. The
/// family follows the attention:
///  - Multi-head Latent Attention -> `deepseek_v3` (DeepseekV3ForCausalLM): MLA ranks, shared
///    experts, first_k_dense_replace, topk_method "noaux_tc" iff the router has DeepSeek-V3's
///    correction biases ("greedy" otherwise), MTP layers;
///  - multi-head attention with per-head QK-norm and no shared experts -> `qwen3_moe`
///    (Qwen3MoeForCausalLM): explicit head_dim, leading dense layers as mlp_only_layers;
///  - multi-head attention without QK-norm -> `deepseek` (DeepSeekMoE, DeepseekForCausalLM):
///    shared experts and first_k_dense_replace; head_dim must be hidden_size / heads.
/// Anything these families cannot express (per-layer attention kinds, interleaved MoE layers,
/// expert or router biases, a shared width other than the experts', a shared-expert gate,
/// LayerNorm, ...) is an error naming the field. Fields that do not change the counts (rope,
/// norm epsilon, initialiser range) take the family's usual values. Pure, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>

#include "laws/arch.h"
#include "laws/support/result.h"

namespace moeplan::phases {

/// The config.json object for `arch` (see the file comment for the family chosen).
[[nodiscard]] Result<nlohmann::ordered_json> HfConfig(const laws::MoeArch& arch);

}  // namespace moeplan::phases
