//===- sim/layout.h - Parallel layout of a training run ---------*- C++ -*-===//
/// \file
/// How one training job is split over a fleet, with Megatron-LM / Megatron-Core semantics
/// (megatron/training/arguments.py, megatron/core/parallel_state.py):
///
///  - attention side: world = tp x cp x dp x pp. Tensor parallelism (tp) splits heads and FFN
///    widths (Shoeybi et al. 2019); with sequence parallelism (sp, Korthikanti et al. 2022,
///    arXiv:2205.05198) norms and dropout work on a 1/tp slice of the sequence and the TP
///    all-reduce becomes an all-gather plus a reduce-scatter. Context parallelism (cp) splits the
///    sequence for attention (ring attention with load-balanced chunks). Pipeline parallelism
///    (pp) splits the layers; vpp > 1 virtual stages per rank selects the interleaved 1F1B
///    schedule (Narayanan et al. 2021). dp is derived as fleet / (tp pp cp) unless given.
///  - expert side, MoE Parallel Folding (Liu et al. 2025, arXiv:2504.14960): the same
///    tp x cp x dp GPUs of a pipeline stage are regrouped as etp x ep x edp for the MoE layers:
///    expert tensor parallelism (etp, default tp as in Megatron-Core), expert parallelism (ep)
///    and the expert-data-parallel group edp = tp cp dp / (etp ep) that shares expert gradients.
///  - rank order "tp-cp-ep-dp-pp" (Megatron's default): tp innermost, pp outermost; the expert
///    grid orders etp, ep, edp the same way. sim/lowering.h places each group on the fabric from
///    this order.
///  - gbs global batch (sequences per step) = mbs x dp x m, m micro-batches; gbs = 0 means
///    mbs x dp, Megatron's default.
///  - sharding: none (DDP: every dp rank holds all states), optimizer (Megatron's distributed
///    optimizer, ZeRO-1: fp32 master weights and Adam moments sharded over the data-parallel
///    group, dense parameters over dp x cp and expert parameters over edp), full (FSDP / ZeRO-3:
///    parameters and gradients sharded too, gathered layer by layer).
///  - recompute: none, selective (Korthikanti et al.'s selective recomputation of core attention,
///    Megatron's --recompute-granularity selective default module) or full (every layer's forward
///    is recomputed from its input; Megatron --recompute-granularity full --recompute-method
///    uniform --recompute-num-layers 1).
///
/// Text form (the CLI's --layout): comma-separated key=value pairs in any order, e.g.
///   "tp=1,pp=4,vpp=8,ep=8,mbs=1,gbs=256"
/// keys: tp, sp (on/off), pp, vpp, ep, etp, cp, dp, mbs, gbs, recompute (none|selective|full),
/// sharding (none|optimizer|full; aliases ddp, dist-opt, zero1, fsdp, zero3), precision
/// (bf16|fp8). JSON form: {"format": "moeplan-layout", "version": 1, "tp": 1, ...} with the same
/// keys ("sequence_parallel" for sp). Values not given keep the defaults below.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "hwmodel/precision.h"
#include "laws/support/result.h"

namespace moeplan::sim {

enum class Recompute : uint8_t {
  kNone,       ///< keep every activation the backward needs
  kSelective,  ///< recompute core attention (drops the 5as/h term of Korthikanti et al.)
  kFull,       ///< keep only each layer's input; recompute the layer's forward in backward
};
inline constexpr int kNumRecomputeModes = 3;

/// What selective recomputation recomputes, as Megatron-Core's --recompute-modules (one bit
/// each). Three drop a module's output and keep its input (layernorm, moe_act, mla_up_proj:
/// Megatron's output-discarding checkpoint); the others checkpoint the whole module, keeping
/// only its input.
enum class RecomputeModule : uint8_t {
  kCoreAttn,       ///< core attention (Megatron's default; Korthikanti et al.'s selective)
  kLayerNorm,      ///< the two norms of a layer: their outputs (the next linears' inputs)
  kMlaUpProj,      ///< MLA up-projections and RoPE: Q, K, V of every head
  kMoeAct,         ///< the routed experts' activation function: the fc2 inputs
  kMlp,            ///< a dense FFN, whole
  kSharedExperts,  ///< the shared experts, whole
  kMoe,            ///< the MoE block (router, dispatch, experts, combine), whole
};
inline constexpr int kNumRecomputeModules = 7;
/// A set of RecomputeModule bits.
using RecomputeModules = uint8_t;
constexpr RecomputeModules ModuleBit(RecomputeModule m) {
  return static_cast<RecomputeModules>(1u << static_cast<unsigned>(m));
}
inline constexpr RecomputeModules kDefaultRecomputeModules = ModuleBit(RecomputeModule::kCoreAttn);
/// What "selective" means in layout searches and sweeps unless told otherwise: the modules that
/// are cheap to recompute and that MoE recipes commonly recompute (Megatron-Core's MoE guide and
/// NVIDIA's DeepSeek-V3 / Qwen3 recipes: layernorm, moe_act, mla_up_proj), plus core attention.
/// Core attention alone saves only the log-sum-exp with fused attention.
inline constexpr RecomputeModules kSearchRecomputeModules =
    ModuleBit(RecomputeModule::kCoreAttn) | ModuleBit(RecomputeModule::kLayerNorm) |
    ModuleBit(RecomputeModule::kMoeAct) | ModuleBit(RecomputeModule::kMlaUpProj);

enum class Sharding : uint8_t {
  kNone,       ///< DDP: optimizer states, gradients and weights replicated over dp
  kOptimizer,  ///< distributed optimizer / ZeRO-1: fp32 master weights + Adam moments sharded
  kFull,       ///< FSDP / ZeRO-3: weights, gradients and optimizer states sharded
};

/// "none", "selective", "full".
const char* ToString(Recompute recompute);
/// Megatron's names: core_attn, layernorm, mla_up_proj, moe_act, mlp, shared_experts, moe.
const char* ToString(RecomputeModule module);
/// "layernorm+moe_act" (in enum order).
std::string RecomputeModulesToString(RecomputeModules modules);
/// Names separated by '+', ',' or spaces; at least one. Errors name the unknown module.
[[nodiscard]] Result<RecomputeModules> ParseRecomputeModules(std::string_view text);
/// The JSON form of a module set: an array of names, in enum order.
nlohmann::ordered_json RecomputeModulesToJson(RecomputeModules modules);
/// Reads that array (at least one known name); errors say what was expected.
[[nodiscard]] Result<RecomputeModules> RecomputeModulesFromJson(const nlohmann::json& array);
/// "none", "optimizer", "full".
const char* ToString(Sharding sharding);
[[nodiscard]] Result<Recompute> ParseRecompute(std::string_view text);
/// Also accepts ddp (none), dist-opt / zero1 (optimizer), fsdp / zero3 (full).
[[nodiscard]] Result<Sharding> ParseSharding(std::string_view text);

inline constexpr std::string_view kLayoutFormat = "moeplan-layout";
inline constexpr int kLayoutFormatVersion = 1;

/// One parallel layout. Plain value type. Fields at 0 are derived by ResolveLayout
/// (sim/layout_check.h); the getters below assume a resolved layout.
struct Layout {
  int64_t tp = 1;                 ///< tensor-parallel size
  bool sequence_parallel = true;  ///< SP; only meaningful when tp > 1
  int64_t pp = 1;                 ///< pipeline-parallel size
  int64_t vpp = 1;                ///< virtual stages (model chunks) per pipeline rank; 1 = 1F1B
  int64_t ep = 1;                 ///< expert-parallel size
  int64_t etp = 0;                ///< expert tensor-parallel size; 0 = tp (Megatron-Core)
  int64_t cp = 1;                 ///< context-parallel size
  int64_t dp = 0;                 ///< data-parallel size; 0 = fleet / (tp pp cp)
  int64_t mbs = 1;                ///< micro-batch size, sequences
  int64_t gbs = 0;                ///< global batch size, sequences; 0 = mbs x dp
  Recompute recompute = Recompute::kNone;
  /// Modules selective recomputation recomputes (only with recompute = selective).
  RecomputeModules recompute_modules = kDefaultRecomputeModules;
  Sharding sharding = Sharding::kOptimizer;
  hw::Precision precision = hw::Precision::kBf16;  ///< GEMM precision (bf16 or fp8)

  bool SequenceParallel() const { return sequence_parallel && tp > 1; }
  int64_t World() const { return tp * cp * dp * pp; }  ///< GPUs used
  /// GPUs of one pipeline stage: tp cp dp = etp ep edp.
  int64_t StageGpus() const { return tp * cp * dp; }
  int64_t Edp() const { return StageGpus() / (etp * ep); }   ///< expert-data-parallel size
  int64_t Microbatches() const { return gbs / (mbs * dp); }  ///< m
  int64_t VirtualStages() const { return pp * vpp; }

  /// "tp=1,sp=off,pp=4,vpp=8,ep=8,etp=1,cp=1,dp=32,mbs=1,gbs=256,recompute=none,
  /// sharding=optimizer,precision=bf16" (0-valued derived fields are omitted; with selective
  /// recomputation of other modules than core attention, recompute_modules=layernorm+moe_act
  /// follows recompute).
  std::string ToString() const;
  bool operator==(const Layout&) const = default;
};

/// Parses the text form (see the file comment). Errors quote the offending pair, e.g.
///   "layout 'tp=two': 'tp' expects a positive integer, got 'two'"
[[nodiscard]] Result<Layout> ParseLayout(std::string_view text);

/// Reads the JSON form; `source` names it in errors (strict: unknown keys are errors).
[[nodiscard]] Result<Layout> LayoutFromJson(const nlohmann::json& json, std::string_view source);

/// Every field, with "format" and "version"; LayoutFromJson(LayoutToJson(x)) == x.
nlohmann::ordered_json LayoutToJson(const Layout& layout);

/// `spec` is the path of a JSON layout file when such a file exists, else the text form.
[[nodiscard]] Result<Layout> LoadLayout(std::string_view spec);

}  // namespace moeplan::sim
