//===- sim/internal/blocks.h - The blocks a model is lowered into -*- C++ -*-===//
/// \file
/// Private to sim/. Each function emits the operations of one block of a Megatron-Core model
/// for one micro-batch on one GPU (see sim/lowering.h for the sequence of operations) and what
/// its backward keeps: the tensor list follows Korthikanti et al. 2022 (arXiv:2205.05198,
/// Sec. 4.1), which gives s b h (34 + 5 a s / h) bytes for a GPT layer without parallelism:
///   attention 11 s b h + 5 a s^2 b: QKV input 2, Q and K 4, V 2, output-projection input 2,
///     dropout mask 1; softmax 2 a s^2 b, its dropout mask a s^2 b and output 2 a s^2 b
///     (only without a fused attention kernel, which keeps a 4-byte log-sum-exp per query
///     instead);
///   MLP 19 s b h: fc1 input 2, activation input 8, fc2 input 8, dropout mask 1;
///   norms 4 s b h: the inputs of the two norms.
/// Tensors on the sequence-parallel slice are divided by tp; with tp but no SP the norm inputs,
/// the inputs of the first linears and the dropout masks are whole (Korthikanti's
/// s b h (10 + 24 / t + 5 a s / (h t))).
//===----------------------------------------------------------------------===//
#pragma once

#include "sim/expert_load.h"
#include "sim/internal/emitter.h"
#include "sim/model_profile.h"

namespace moeplan::sim::internal {

/// Bytes of one stored activation element (BF16).
inline constexpr double kActivationBytes = 2.0;

/// Bytes per element of a linear layer's input kept for its weight gradient: under FP8,
/// Transformer Engine keeps the quantised copy it already made for the forward GEMM (1 byte;
/// MXFP8's one E8M0 scale per 32 elements is neglected), not the BF16 tensor.
inline double LinearInputElementBytes(const LowerContext& c) {
  return c.precision == hw::Precision::kFp8 ? 1.0 : kActivationBytes;
}

/// The recompute-module bits of sim/layout.h, by name.
inline constexpr RecomputeModules kModCoreAttn = ModuleBit(RecomputeModule::kCoreAttn);
inline constexpr RecomputeModules kModLayerNorm = ModuleBit(RecomputeModule::kLayerNorm);
inline constexpr RecomputeModules kModMlaUpProj = ModuleBit(RecomputeModule::kMlaUpProj);
inline constexpr RecomputeModules kModMoeAct = ModuleBit(RecomputeModule::kMoeAct);
inline constexpr RecomputeModules kModMlp = ModuleBit(RecomputeModule::kMlp);
inline constexpr RecomputeModules kModSharedExperts = ModuleBit(RecomputeModule::kSharedExperts);
inline constexpr RecomputeModules kModMoe = ModuleBit(RecomputeModule::kMoe);

/// Tensor-parallel communication around a column-parallel linear whose input of `bytes`
/// (full T rows) is gathered from the sequence-parallel slices: forward all-gather, backward
/// re-gather (hidden behind the data-gradient GEMM, as Megatron does) and reduce-scatter
/// (hidden behind the weight-gradient GEMM); without SP one backward all-reduce.
void ColumnInputComm(Emitter& e, const char* name, const LinearTimes& linear, double bytes);

/// Tensor-parallel communication after a row-parallel linear producing `bytes`: forward
/// reduce-scatter (all-reduce without SP), backward all-gather.
void RowOutputComm(Emitter& e, const char* name, const LinearTimes& linear, double bytes);

/// A norm over the sequence-parallel slice (forward and backward).
void Norm(Emitter& e, const char* name, OpClass op_class);

/// Residual add over the sequence-parallel slice (forward and backward) and its dropout mask.
void ResidualAdd(Emitter& e);

/// Attention (MHA/GQA or MLA) of a decoder layer, with its norm and residual add.
void EmitAttention(Emitter& e, laws::LayerAttention kind);

/// `copies` FFNs of shape `ffn` fused into one, split over tp (dense FFN, shared experts):
/// fc1 (gate + up), activation, fc2, with their TP communication; all of it but the fc1 input
/// (a norm's output, the module's checkpoint input) is part of `module` for recomputation.
/// `input_shared`: the fc1 input is the same BF16 tensor another linear already keeps (the
/// shared experts read the router's input), so only an FP8 copy adds bytes.
void EmitFfn(Emitter& e, const laws::FfnSpec& ffn, int64_t copies, OpClass op_class,
             const char* fc1_name, const char* fc2_name, RecomputeModules module,
             bool input_shared);

/// Dense FFN of a decoder layer, with its norm and residual add.
void EmitDenseFfn(Emitter& e);

/// MoE block of a decoder layer (router, dispatch, experts, combine, shared experts), with its
/// norm and residual add. Returns the busiest rank's load over the mean.
double EmitMoe(Emitter& e, const ExpertLoad& load);

/// One decoder layer of `kind` (attention + FFN or MoE + the layer's norm parameters);
/// returns the imbalance factor of its MoE block (1 for dense layers).
double EmitDecoderLayer(Emitter& e, const LayerKind& kind, const ExpertLoad& load);

/// Input embedding (vocabulary-parallel over tp).
void EmitEmbedding(Emitter& e);

/// Final norm, LM head and vocabulary-parallel cross-entropy; `head_params` adds the LM
/// head's weights (false when tied to the embedding on the same GPU, or shared by MTP).
void EmitHead(Emitter& e, bool head_params);

/// Vocabulary rows per tensor-parallel rank after Megatron's padding of the vocabulary to a
/// multiple of 128 x tp (--make-vocab-size-divisible-by 128).
int64_t VocabPerRank(int64_t vocab, int64_t tp);

/// All MTP modules (DeepSeek-V3: two norms, Linear(2d, d), a decoder layer, norm, shared head).
void EmitMtp(Emitter& e, const ModelProfile& profile, const ExpertLoad& load);

}  // namespace moeplan::sim::internal
