//===- sim/lowering.h - One layer as primitive operations -------*- C++ -*-===//
/// \file
/// Lowers each kind of decoder layer of a model (sim/model_profile.h), plus the embedding, the
/// LM head with its loss, and the MTP modules, into the primitive operations one GPU runs for
/// one micro-batch under a layout, and prices them with hwmodel's cost functions: GEMMs and
/// grouped expert GEMMs (gemm_cost.h), fused attention (attention_cost.h), memory-bound kernels
/// (memory_cost.h) and collectives (collective_cost.h). The result, `LoweredModel`, is a small
/// fixed-size table that the step model (sim/step_estimate.h) assembles into pipeline stages
/// for any pp, vpp, dp and global batch without lowering again: it depends only on
/// (architecture, tp, sp, cp, ep, etp, mbs, precision, hardware, options).
///
/// Per micro-batch on one GPU, with T = mbs x seq / cp tokens and T_sp = T / tp under sequence
/// parallelism (T otherwise), following Megatron-Core's modules:
///  - attention: norm; SP all-gather; QKV projection (MHA/GQA) or MLA's q/kv down-projections
///    (replicated over TP, "duplicated" in Megatron) and up-projections; RoPE; fused attention
///    over heads / tp with ring context parallelism (K, V passed cp - 1 times, overlapped with
///    the attention kernel); output projection; SP reduce-scatter (all-reduce without SP);
///    residual add;
///  - dense FFN / shared experts: norm, SP all-gather, fc1 (gate+up), SwiGLU, fc2, reduce-scatter;
///  - MoE (alltoall token dispatcher): router GEMM over the T_sp local tokens, softmax/top-k,
///    permute, dispatch all-to-all over ep, all-gather over etp, grouped fc1 / activation /
///    grouped fc2 over the busiest rank's tokens per local expert (sim/expert_load.h),
///    reduce-scatter over etp, combine all-to-all, unpermute;
///  - backward: every linear has a data-gradient GEMM [m, k, n] and a weight-gradient GEMM
///    [k, n, m]; attention backward per FlashAttention-2; memory-bound kernels move about 1.5-2x
///    their forward bytes; collectives mirror the forward (all-gather <-> reduce-scatter);
///  - recompute: the selective mode adds the core-attention forward to the backward, the full
///    mode the whole layer forward (communication included).
/// All-to-all volume per MoE layer and direction: each GPU sends T_sp K d bytes-per-element,
/// of which (ep - 1) / ep leave the GPU (tests/sim/lowering_test.cc checks it by hand).
///
/// Lowering takes a few microseconds per layer kind. `LowerModel` allocates only when `ops` is
/// given (the op table for reports) or a histogram needs scratch; thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hwmodel/hardware.h"
#include "laws/support/result.h"
#include "sim/layout.h"
#include "sim/model_profile.h"
#include "sim/sim_options.h"

namespace moeplan::sim {

/// What a second of compute was spent on (report rows).
enum class OpClass : uint8_t {
  kAttentionProj,     ///< QKV / MLA projections, output projection
  kAttentionCore,     ///< fused attention kernels
  kRouter,            ///< router GEMM, softmax / top-k
  kPermute,           ///< token permute / unpermute around the all-to-alls
  kExperts,           ///< routed experts: grouped GEMMs and activation
  kSharedExperts,     ///< shared experts
  kDenseFfn,          ///< FFN of dense layers
  kNormsElementwise,  ///< norms, residual adds, RoPE, FP8 casts
  kEmbeddingHead,     ///< embedding, LM head, loss, MTP projection
  kRecompute,         ///< forward work repeated by activation recomputation
  kOptimizer,         ///< optimizer step
  kHostBound,         ///< GPU idle while the host dispatches kernels (hw::HostParams)
};
inline constexpr int kNumOpClasses = 12;
const char* ToString(OpClass op_class);

/// Communication by kind (report rows).
enum class CommKind : uint8_t {
  kTensorParallel,        ///< TP/SP all-gather, reduce-scatter, all-reduce
  kContextParallel,       ///< ring attention K/V exchange
  kExpertAllToAll,        ///< MoE dispatch and combine
  kExpertTensorParallel,  ///< all-gather / reduce-scatter inside the expert-TP group
  kPipelineP2p,           ///< activations and gradients between pipeline stages
  kDataParallelGrad,      ///< gradient reduce-scatter (all-reduce with DDP)
  kDataParallelParam,     ///< parameter all-gather (distributed optimizer, FSDP)
};
inline constexpr int kNumCommKinds = 7;
const char* ToString(CommKind kind);

enum class Phase : uint8_t { kForward, kBackwardInput, kBackwardWeight };
const char* ToString(Phase phase);

/// One primitive operation of the lowered model, for reports (`moeplan sim --ops`).
struct OpRecord {
  std::string block;  ///< "dense", "moe", "embedding", "head", "mtp"
  std::string name;   ///< "qkv_proj", "dispatch_a2a", ...
  std::string shape;  ///< "[4096 x 2560 x 4096] bf16", "all_to_all 64.0 MiB over 8 (scale_up)"
  OpClass op_class = OpClass::kAttentionProj;
  Phase phase = Phase::kForward;
  bool is_comm = false;
  CommKind comm = CommKind::kTensorParallel;
  double flops = 0.0;    ///< FLOPs executed (GEMMs, attention)
  double bytes = 0.0;    ///< HBM bytes (kernels) or buffer bytes (collectives)
  double time = 0.0;     ///< seconds (collectives: the whole transfer)
  double exposed = 0.0;  ///< seconds on the critical path (== time for compute)
};

/// One block (a decoder layer of one kind, the embedding, the LM head + loss, or all MTP
/// modules) for one micro-batch on one GPU. Seconds include the communication left exposed
/// after the overlaps the options allow.
struct BlockCost {
  double forward = 0.0;
  double backward_input = 0.0;   ///< data gradients, memory-bound backward, collectives
  double backward_weight = 0.0;  ///< weight gradients
  /// Extra forward seconds during the backward, by Recompute mode (kNone: 0).
  std::array<double, kNumRecomputeModes> recompute{};
  /// Seconds (forward + backward + recompute) the busiest expert rank adds over balanced
  /// routing, by Recompute mode.
  std::array<double, kNumRecomputeModes> imbalance{};
  std::array<double, kNumOpClasses> compute{};  ///< forward + backward, no recompute
  std::array<double, kNumCommKinds> comm{};     ///< forward + backward transfer seconds
  std::array<double, kNumCommKinds> exposed{};  ///< of which on the critical path
  double flops = 0.0;                           ///< executed FLOPs, forward + backward
  std::array<double, kNumRecomputeModes> recompute_flops{};
  int64_t dense_params = 0;   ///< parameters on this GPU shared over dp x cp
  int64_t expert_params = 0;  ///< parameters on this GPU shared over edp
  /// Bytes kept for the backward per micro-batch, by Recompute mode.
  std::array<double, kNumRecomputeModes> activation_bytes{};
  /// Peak temporary bytes while the block runs (a2a buffers, gathered inputs, fp32 logit
  /// gradients, a recomputed layer), by Recompute mode.
  std::array<double, kNumRecomputeModes> transient_bytes{};

  double Time(Recompute mode) const {
    return forward + backward_input + backward_weight + recompute[static_cast<size_t>(mode)];
  }
  double Backward(Recompute mode) const {
    return backward_input + backward_weight + recompute[static_cast<size_t>(mode)];
  }
};

/// The lowered model for one (architecture, tp, sp, cp, ep, etp, mbs, precision) on one
/// hardware: per-kind layer costs plus the blocks of the first and last pipeline stages.
struct LoweredModel {
  int num_kinds = 0;
  std::array<BlockCost, kMaxLayerKinds> layers{};  ///< by ModelProfile kind (MTP kinds too)
  BlockCost embedding;                             ///< input embedding (virtual stage 0)
  BlockCost head;  ///< final norm, LM head, cross-entropy (last virtual stage)
  BlockCost mtp;   ///< every MTP module (last virtual stage)
  /// The embedding (first stage) and the LM head, loss and MTP modules (last stage) in whole
  /// decoder layers of time, for the pipeline split rule of sim/model_profile.h.
  int64_t reserve_first = 0;
  int64_t reserve_last = 0;
  /// Embedding rows on one GPU (vocabulary / tp after padding, x d). With pp > 1 the last stage
  /// keeps a copy when the LM head is tied to it or MTP modules look tokens up.
  int64_t embedding_params = 0;
  /// Bytes of one activation (= one gradient) sent between pipeline stages per micro-batch.
  double p2p_bytes = 0.0;
  /// Busiest expert rank over the mean (1 when balanced), averaged over histogram layers.
  double imbalance_factor = 1.0;
  int64_t tokens_per_microbatch = 0;  ///< mbs x seq (whole sequences, before cp)
};

/// Lowers `profile` for the resolved `layout` (pp, vpp, dp, gbs, recompute and sharding are
/// not used). Appends the op table to `ops` when given. The layout must have passed
/// ResolveLayout; the hardware must support the layout's precision.
LoweredModel LowerModel(const ModelProfile& profile, const Layout& layout,
                        const hw::Hardware& hardware, const SimOptions& options,
                        std::vector<OpRecord>* ops = nullptr);

}  // namespace moeplan::sim
