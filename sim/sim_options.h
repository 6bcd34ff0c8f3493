//===- sim/sim_options.h - Assumptions of the step and memory model -*- C++ -*-===//
/// \file
/// Every assumption of sim/'s step-time and memory model that is not a property of the model,
/// the layout or the hardware: which Megatron-LM overlap features are on, how tokens spread over
/// experts, and the memory the framework itself takes. Defaults follow Megatron-LM's
/// defaults where it has one (cited per field) and are otherwise UNCALIBRATED round values
/// (marked); calibration against measured runs may change them.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/expert_load.h"

namespace moeplan::sim {

/// How MoE tokens travel to their experts.
enum class Dispatcher : uint8_t {
  /// Megatron's alltoall token dispatcher: every (token, expert) copy is sent to the expert's
  /// GPU, across nodes as often as the token has experts there.
  kAllToAll,
  /// DeepEP-style (Megatron --moe-token-dispatcher-type flex --moe-enable-deepep): a token
  /// crosses the scale-out network once per destination scale-up domain and is forwarded to
  /// its experts' GPUs over NVLink, the two phases overlapped.
  kDeepEp,
  /// NVIDIA's HybridEP (--moe-token-dispatcher-type flex --moe-flex-dispatcher-backend
  /// hybridep), a branch of DeepEP with the same two-tier route (RDMA once per destination
  /// domain, then NVLink): the same cost model as kDeepEp, its own Megatron flags.
  kHybridEp,
};
const char* ToString(Dispatcher dispatcher);
/// The dispatcher ToString names ("alltoall", "deepep", "hybridep"); nullopt for any other text.
std::optional<Dispatcher> DispatcherFromString(std::string_view name);

/// How the framework stores parameters, gradients and Adam's two moments. The memory model's
/// largest term for small models and the one that differs most between frameworks.
enum class StatePrecision : uint8_t {
  /// Megatron-LM's mixed precision: BF16 weights (plus a 1-byte FP8 copy under FP8), FP32 main
  /// gradients, FP32 master weights and moments: 2 + 4 + 12 bytes per parameter.
  kMixed,
  /// Everything in BF16: the module cast with model.to(torch.bfloat16), so gradients and
  /// torch.optim.AdamW's moments take the parameters' dtype: 2 + 2 + 4 bytes.
  kBf16,
  /// FP32 parameters, gradients and moments, computed in BF16 copies (PyTorch FSDP2 with
  /// MixedPrecisionPolicy(param_dtype=bfloat16), torchtitan's default): 4 + 4 + 8 bytes, the
  /// BF16 copies of the gathered layers on top.
  kFp32,
};
const char* ToString(StatePrecision precision);
/// The precision ToString names ("mixed", "bf16", "fp32"); nullopt for any other text.
std::optional<StatePrecision> StatePrecisionFromString(std::string_view name);

/// A module whose saved tensors Megatron-Core's fine-grained activation offloading moves to
/// host memory after its forward and brings back for its backward
/// (--fine-grained-activation-offloading --offload-modules, pipeline_parallel/
/// fine_grained_activation_offload.py). What each moves, in the lowering's terms:
enum class OffloadModule : uint8_t {
  kAttnNorm,   ///< "attn_norm": the input norm's input, the layer input (not under full recompute)
  kQkvLinear,  ///< "qkv_linear": the fused QKV projection's input, the norm output (GQA / MHA)
  kCoreAttn,   ///< "core_attn": Q, K, V and the softmax statistics (or scores)
  kAttnProj,   ///< "attn_proj": the attention output, the output projection's input
  kMlpNorm,    ///< "mlp_norm": the pre-FFN norm's input
  kExpertFc1,  ///< "expert_fc1": the routed experts' fc1 input, the dispatched tokens
  kMoeAct,     ///< "moe_act": the routed experts' activation input, the fc1 output
};
inline constexpr int kNumOffloadModules = 7;
/// A set of OffloadModule bits.
using OffloadModules = uint8_t;
constexpr OffloadModules OffloadBit(OffloadModule m) {
  return static_cast<OffloadModules>(1u << static_cast<unsigned>(m));
}
/// Megatron's names, in enum order: attn_norm, qkv_linear, core_attn, attn_proj, mlp_norm,
/// expert_fc1, moe_act.
const char* ToString(OffloadModule module);

/// A module Megatron-Core captures as a CUDA graph when graphs cover only part of each layer
/// (--cuda-graph-impl transformer_engine --cuda-graph-scope ...), the rest launched eagerly.
/// What each covers, in the lowering's terms:
enum class GraphScope : uint8_t {
  kAttn,           ///< "attn": the attention block, input norm to residual add (TP comms too)
  kMlp,            ///< "mlp": a dense layer's FFN block, norm to residual add
  kMoe,            ///< "moe": a MoE layer's whole FFN block (token-dropping / padded routing)
  kMoeRouter,      ///< "moe_router": the pre-FFN norm, the router GEMM and its top-k
  kMoePreprocess,  ///< "moe_preprocess": the dispatcher's preprocess, the local token permute
};
inline constexpr int kNumGraphScopes = 5;
/// A set of GraphScope bits.
using GraphScopes = uint8_t;
constexpr GraphScopes GraphScopeBit(GraphScope scope) {
  return static_cast<GraphScopes>(1u << static_cast<unsigned>(scope));
}
/// Megatron's names, in enum order: attn, mlp, moe, moe_router, moe_preprocess.
const char* ToString(GraphScope scope);

/// How the framework computes the cross entropy over the logits, which sets the loss's memory:
/// the bytes per logit it keeps for the backward and the peak it adds while it runs, read from
/// each implementation's code (sim/internal/blocks_moe.cc derives every number). Up to 16 bytes
/// per logit: with a 128K vocabulary and 32K tokens per GPU the choice moves the peak by 30 GiB.
enum class LossImplementation : uint8_t {
  /// Megatron-LM's vocab-parallel cross entropy (tensor_parallel/cross_entropy.py): FP32 copy
  /// of the logits turned into the softmax in place, the gradient written over it: 6 bytes peak.
  kMegatron,
  /// The same before Megatron-Core 0.7 (core_v0.6.0 and older, Megatron-LM of early 2024): the
  /// caller's logits.float() and an out-of-place max subtraction hold BF16 logits, the FP32
  /// copy and the shifted copy at once in the forward: 10 bytes peak.
  kMegatronLegacy,
  /// torch.nn.functional.cross_entropy on FP32-cast logits, the BF16 logits deleted before the
  /// backward (torchtitan without tensor parallelism): 12 bytes peak.
  kTorchFp32,
  /// PyTorch's loss_parallel() context (torch.distributed.tensor.parallel.loss): the same call
  /// on vocabulary-sharded DTensor logits, its log-softmax and gradient decomposed into
  /// unfused elementwise ops (torchtitan with tensor parallelism): 16 bytes peak.
  kTorchLossParallel,
  /// torch.nn.functional.cross_entropy on BF16 logits that stay referenced through the backward
  /// (a module cast to BF16, e.g. KempnerForge): 8 bytes peak.
  kTorchBf16,
  /// Transformer Engine's Triton cross entropy (Megatron cross_entropy_fusion_impl "te"): the
  /// gradient is written over the BF16 logits in the forward and kept: 2 bytes peak.
  kTransformerEngine,
};
const char* ToString(LossImplementation loss);
/// The implementation ToString names ("megatron", "megatron-legacy", "torch-fp32",
/// "torch-loss-parallel", "torch-bf16", "te"); nullopt for any other text.
std::optional<LossImplementation> LossImplementationFromString(std::string_view name);

struct SimOptions;
/// The loss `options` imply on a layout of `tp` tensor-parallel ranks: options.loss where set,
/// else the framework family that options.state_precision names (see SimOptions::loss).
LossImplementation EffectiveLoss(const SimOptions& options, int64_t tp);

struct SimOptions {
  /// How routed tokens spread over experts (sim/expert_load.h); balanced by default.
  ExpertLoad expert_load;
  /// Expert capacity factor (Megatron --moe-expert-capacity-factor): each expert takes at most
  /// this many times its balanced share, the rest is dropped. 0 = dropless (Megatron default).
  double capacity_factor = 0.0;
  Dispatcher dispatcher = Dispatcher::kAllToAll;

  /// Overlap TP all-gather / reduce-scatter with the neighbouring GEMMs (Megatron
  /// --tp-comm-overlap, Transformer Engine userbuffers). Off in Megatron by default.
  bool tp_comm_overlap = false;
  /// Hide the EP all-to-alls behind the other micro-batch's compute (Megatron
  /// --overlap-moe-expert-parallel-comm, 1F1B A2A overlap). Off by default.
  bool moe_a2a_overlap = false;
  /// Run the shared experts concurrently with the dispatch all-to-all (Megatron
  /// --moe-shared-expert-overlap). Off by default.
  bool shared_expert_overlap = false;
  /// Overlap the data-parallel gradient reduce-scatter with the backward (Megatron
  /// --overlap-grad-reduce) and the parameter all-gather with the forward
  /// (--overlap-param-gather); the usual settings of published runs.
  bool overlap_grad_reduce = true;
  bool overlap_param_gather = true;
  /// Parameters per DDP gradient bucket (Megatron: max(40M, 1M x dp)).
  double ddp_bucket_params = 40e6;

  /// Attention through a fused kernel (FlashAttention / cuDNN): the s x s score matrix is never
  /// stored. false: Transformer Engine's unfused attention, which materialises every head's full
  /// score matrix (time: batched GEMMs + memory-bound softmax; memory: Korthikanti et al.'s
  /// 5 a s / h term). TE falls back to it for attention sinks (gpt-oss) where cuDNN is older
  /// than 9.18 (NVIDIA/TransformerEngine#2318, verl-project/verl#5224).
  bool flash_attention = true;
  /// The layers run as captured CUDA graphs (Megatron --cuda-graph-impl transformer_engine or
  /// local, --enable-cuda-graph in older releases): the host launches one graph per layer and
  /// pass instead of each kernel, so no pass is bound by kernels x host.per_kernel. The fixed
  /// per-step host time (host.per_step) still applies. Off by default, as in Megatron.
  bool cuda_graphs = false;
  /// Only these modules of each layer run as captured CUDA graphs (GraphScope bits; Megatron
  /// --cuda-graph-scope with the Transformer Engine implementation): each captured module is
  /// one launch per pass, its kernels no longer count towards kernels x host.per_kernel, and
  /// everything else is launched kernel by kernel. Empty by default; contradicts cuda_graphs.
  GraphScopes cuda_graph_scope = 0;
  /// Storage of parameters, gradients and optimizer states (see StatePrecision).
  StatePrecision state_precision = StatePrecision::kMixed;
  /// FSDP gradient accumulation without a reduce-scatter per micro-batch (PyTorch FSDP2's
  /// set_requires_gradient_sync(False) on all but the last micro-batch): every parameter of the
  /// rank keeps an unsharded gradient in the FP32 reduce dtype between micro-batches, 4 bytes
  /// per (TP/EP-local) parameter on top of the shards. Megatron reduces every bucket as the
  /// backward produces it; off by default.
  bool fsdp_unsharded_grad_accumulation = false;
  /// FSDP frees a layer's gathered parameters after its forward (PyTorch FSDP2's
  /// reshard_after_forward=True, ZeRO-3). false: every FSDP-managed parameter stays gathered
  /// from its forward to its backward (NeMo AutoModel's MoE parallelizer default,
  /// reshard_after_forward=False), BF16 (plus FP8) bytes per parameter on top of the shards.
  bool fsdp_reshard_after_forward = true;
  /// Experts whose expert-data-parallel group is one GPU (edp = 1) stay outside FSDP: plain
  /// parameters with gradients in the state precision, never gathered and never given
  /// unsharded FP32 accumulators (NeMo AutoModel passes them as ignored_params when its
  /// ep_shard mesh has one rank). false: FSDP wraps them on a one-GPU mesh like any other
  /// parameter (torchtitan shards experts over its dp_mod_ep mesh whatever its size).
  bool fsdp_skips_unsharded_experts = false;
  /// Megatron-LM's storage knobs on top of state_precision, each from a published recipe flag:
  /// BF16 gradient buffers and reduction (--grad-reduce-in-bf16; Megatron-Bridge
  /// grad_reduce_in_fp32=False): 2 bytes per gradient instead of 4.
  bool grad_reduce_in_bf16 = false;
  /// Adam's two moments in BF16 (--use-precision-aware-optimizer --exp-avg-dtype bf16
  /// --exp-avg-sq-dtype bf16): 2 + 2 bytes instead of 4 + 4; master weights unchanged.
  bool bf16_adam_moments = false;
  /// Under FP8, parameters live only as FP8 tensors (--fp8-param-gather, NeMo fp8_params): the
  /// 2-byte BF16 weight becomes a 1-byte FP8 one (the cached FP8 copy stays). No effect in BF16.
  bool fp8_param_gather = false;
  /// Activations of this many decoder layers per pipeline rank are copied to host memory during
  /// the forward and brought back for the backward (Megatron --cpu-offloading
  /// --cpu-offloading-num-layers, activations only). Memory only: the copies are assumed hidden
  /// behind compute (they ride the host link, which the hardware model does not describe).
  int64_t offload_activation_layers = 0;
  /// Modules of every decoder layer whose saved tensors go to host memory between their forward
  /// and backward (Megatron --fine-grained-activation-offloading --offload-modules; see
  /// OffloadModule). Memory: those bytes leave the kept activations and return, one layer at a
  /// time, as the backward's transient; the checkpointed layer input of full recomputation
  /// stays. Time: the copies are assumed hidden behind compute, as for whole layers. None by
  /// default.
  OffloadModules offload_modules = 0;
  /// The cross entropy runs on vocabulary shards of the logits (Megatron's vocab-parallel
  /// cross entropy, torch's loss_parallel). false: the LM head's output is all-gathered so that
  /// every tensor-parallel rank holds the full logits (DTensor ColwiseParallel with
  /// output_layouts=Replicate()), which costs memory and an all-gather.
  bool vocab_parallel_loss = true;
  /// The input embedding table is split over the tensor-parallel ranks by vocabulary rows
  /// (Megatron's VocabParallelEmbedding, torchtitan's RowwiseParallel plan). false: every TP
  /// rank holds the whole table with its gradient and optimizer states, and the lookup needs no
  /// TP collective in the forward (DTensor plans that leave nn.Embedding out, e.g. KempnerForge's
  /// distributed/tensor_parallel.py). Data-parallel and FSDP sharding still apply.
  bool vocab_parallel_embedding = true;
  /// The cross-entropy implementation (memory only: the loss's kernels are timed alike).
  /// kTorchLossParallel needs vocab_parallel_loss. Unset: the framework that state_precision
  /// names, which is how a user describes it: kMixed is Megatron (kMegatron), kFp32 is PyTorch
  /// FSDP2 as torchtitan runs it (kTorchFp32, or kTorchLossParallel on a vocab-parallel head
  /// with tp > 1), kBf16 a module cast to BF16 (kTorchBf16).
  std::optional<LossImplementation> loss;
  /// Megatron-LM's --account-for-embedding-in-pipeline-split and
  /// --account-for-loss-in-pipeline-split: the embedding (first virtual stage) and the LM head
  /// with its loss and MTP modules (last virtual stage) each count as exactly one decoder layer
  /// in the pipeline split (sim/model_profile.h), instead of their cost rounded to whole layers.
  /// Recipes set them where L + 2 divides over pp x vpp and L does not (Megatron-Bridge's Llama
  /// 3.1 405B: 126 + 2 layers over 64 stages). Set on their own by more stages than layers.
  bool account_for_embedding_in_pipeline_split = false;
  bool account_for_loss_in_pipeline_split = false;
  /// Dropout after attention and FFN (masks are stored: 1 byte per element). Modern LLM
  /// recipes train without dropout; Korthikanti et al.'s GPT layer has it.
  bool dropout = false;

  /// Memory the framework needs besides tensors: CUDA context, cuDNN and library state, NCCL's
  /// internal buffers. UNCALIBRATED default (typical H100 observations: 1-3 GiB).
  double framework_reserve_bytes = 2.0 * (1 << 30);
  /// cuBLAS workspaces, tensors of PyTorch's caching allocator (so max_memory_allocated counts
  /// them): 32 MiB each on Hopper and newer (Transformer Engine's
  /// get_cublas_workspace_size_bytes; PyTorch's CUBLAS_WORKSPACE_CONFIG default :4096:8; 4 MiB
  /// on older GPUs, where this over-counts by at most 0.2 GiB). One for PyTorch's handle on the
  /// compute stream and one for Transformer Engine's GEMMs; a rank with routed experts adds the
  /// workspaces of Transformer Engine's grouped-GEMM streams (get_multi_stream_cublas_workspace,
  /// one per compute stream, 4).
  double gemm_workspace_bytes = 32.0 * (1 << 20);
  int64_t gemm_workspaces = 2;
  int64_t grouped_gemm_workspaces = 4;
  /// NCCL buffers per process group the GPU belongs to (size > 1). UNCALIBRATED.
  double nccl_bytes_per_group = 64.0 * (1 << 20);
  /// What the PyTorch caching allocator holds beyond the live tensors where memory is
  /// plentiful (max_reserved / max_allocated - 1), as a fraction of the tensor bytes: 0.10 is
  /// the median of 23 public Megatron-family logs after ten or more iterations (1.104; quartiles
  /// 1.03 and 1.18; sim/validation/allocator_cache_logs.json). The cache gives way under memory
  /// pressure, so the out-of-memory verdict leaves it out (MemoryBreakdown::Required()).
  double fragmentation = 0.10;
};

}  // namespace moeplan::sim
