//===- laws/phases/arch_template.h - Fixed dimensions of planned models -*- C++ -*-===//
/// \file
/// The dimensions that `moeplan design` and `moeplan recommend` keep fixed while the triad
/// solver (laws/phases/triad_solver.h) chooses the free ones: vocabulary, sequence length,
/// attention kind and head width, QK-norm, MLA ranks, active experts K, shared experts, leading
/// dense layers, width alignment. `BaseArch(d)` gives the base architecture at hidden size d:
/// heads = d / head_dim (for MLA, head_dim is the hidden units per head, DeepSeek-V3: 7168 /
/// 128 = 56), KV heads = heads / kv_group.
///
/// The defaults describe a Qwen3-MoE-style model (multi-head attention, head_dim 128, per-head
/// QK-norm, SwiGLU experts, K = 8, no shared experts, N_e free), so that every planned run can
/// also be written as a Hugging Face `qwen3_moe` config.json (laws/phases/hf_export.h).
/// `FromModel` takes them from a real model instead (`--template deepseek-v3`).
/// Immutable value type, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "laws/arch.h"
#include "laws/phases/triad_solver.h"
#include "laws/support/result.h"

namespace moeplan::phases {

struct ArchTemplate {
  std::string name = "moeplan-phases";
  int64_t vocab_size = 151936;  ///< Qwen3's vocabulary; no effect on the non-embedding triad
  int64_t seq_len = 4096;       ///< S: sets the attention FLOPs term of M
  laws::AttentionType attention = laws::AttentionType::kMultiHead;
  /// MHA: width of one head, heads = d / head_dim. MLA: hidden units per head.
  int64_t head_dim = 128;
  int64_t kv_group = 1;  ///< MHA: query heads per KV head (1 = MHA; heads = MQA)
  laws::QkNorm qk_norm = laws::QkNorm::kPerHead;
  bool attention_bias = false;  ///< biases on the q, k, v and o projections
  /// MLA only (DeepSeek-V3's ranks by default).
  int64_t q_lora_rank = 1536, kv_lora_rank = 512, qk_nope_head_dim = 128, qk_rope_head_dim = 64,
          v_head_dim = 128;
  IntRange top_k = IntRange::Fixed(8);
  /// When no architecture with `top_k` realises a triad, K is freed to this range and the
  /// realising candidate with K nearest top_k.min wins (then the smallest error). Small models
  /// need it: with K = 8 and widths in steps of 64, the active FFN moves in steps of 512.
  std::optional<IntRange> top_k_fallback = IntRange{4, 16, 1};
  IntRange num_experts{1, 4096, 1};  ///< free by default
  IntRange shared_experts = IntRange::Fixed(0);
  int64_t first_dense_layers = 0;  ///< their FFN width is (K + s) x expert width
  IntRange num_layers{1, 512, 1};
  int64_t width_align = 64;  ///< expert width multiple (64 or 128)
  /// Hidden sizes are rounded to a multiple of this; 0 means head_dim x kv_group.
  int64_t d_align = 0;
  bool router_score_correction_bias = false;  ///< DeepSeek-V3's balancing biases
  bool tied_embeddings = false;
  int64_t mtp_layers = 0;  ///< not counted in the triad (non-embedding, MTP excluded)
  /// Relative tolerance on each of M, N_a, N. The realised triad is recorded exactly, so this
  /// only bounds how far a run may sit from its grid point.
  double tolerance = 0.03;

  [[nodiscard]] Status Validate() const;
  /// The hidden-size step: d_align, or head_dim x kv_group.
  int64_t HiddenStep() const;
  /// `d` rounded to the nearest positive multiple of HiddenStep().
  int64_t RoundHidden(double d) const;
  /// The base architecture at hidden size `d` (a multiple of HiddenStep()): every fixed
  /// dimension set, the free ones at placeholder values.
  laws::MoeArch BaseArch(int64_t d) const;
  /// A triad problem at `d` for targets M, N_a, N with this template's tolerance and ranges.
  TriadProblem Problem(int64_t d, double m, double na, double n) const;
  /// One layer's attention at hidden size `d`: {parameters, FLOPs per token forward + backward,
  /// projections and score products}, exact at multiples of HiddenStep() and interpolated in
  /// between; the default shape rule of laws/phases/allocation.h uses it.
  std::pair<double, double> AttentionCost(double d) const;
  /// Solves `problem` (from Problem()); when it has no candidate and its K was this template's
  /// fixed top_k, retries with K in top_k_fallback, nearest K first. The explanation stays the
  /// one for the preferred K.
  [[nodiscard]] Result<TriadSolution> Solve(const TriadProblem& problem) const;

  /// The fixed dimensions of a real model (attention kind and head width, QK-norm, MLA ranks,
  /// K, shared experts, leading dense layers, vocabulary, sequence length, router biases).
  /// Errors when the model is dense or has per-layer attention kinds.
  [[nodiscard]] static Result<ArchTemplate> FromModel(const laws::MoeArch& arch);
};

}  // namespace moeplan::phases
