//===- sim/memory_estimate.h - Memory of one GPU, broken down ---*- C++ -*-===//
/// \file
/// Bytes one GPU of a pipeline rank needs, by kind, in Megatron-LM's mixed precision (the
/// default; SimOptions::state_precision selects PyTorch's all-BF16 and FSDP2 FP32 conventions,
/// and fsdp_unsharded_grad_accumulation FSDP2's unsharded FP32 gradients, see sim_options.h):
///  - weights: BF16 parameters (2 bytes), plus a 1-byte FP8 copy under FP8 training
///    (Transformer Engine caches the quantised weights);
///  - gradients: FP32 main gradients (4 bytes: Megatron accumulates and reduces BF16 runs'
///    gradients in FP32, --accumulate-allreduce-grads-in-fp32 is forced on for bf16);
///  - optimizer states: Adam's FP32 master weights, first and second moments (12 bytes). With
///    the distributed optimizer they are sharded: dense parameters over the dp x cp group,
///    expert parameters over the edp group. This is Megatron-LM's table
///    (docs/source/api-guide/dist_optimizer.md): 18 bytes per parameter without, 6 + 12 / d with
///    the distributed optimizer. FSDP shards weights and gradients the same way and keeps two
///    gathered layers;
///  - activations: per micro-batch (Korthikanti et al. 2022 per layer, see
///    sim/internal/blocks.h) times the micro-batches in flight on that rank: min(p - r, m) for
///    1F1B, and for the interleaved schedule (warm-up forwards + 1) chunk-micro-batches,
///    warm-up = min(2 (p - r - 1) + (v - 1) p, m v) (Megatron-LM's schedules.py), each chunk
///    weighed by its own count (forward k runs chunk (k mod p v) / p): chunk 0 holds the most,
///    and the last rank keeps the LM head's logits of one micro-batch. The first rank holds the
///    most (p micro-batches, and p + (p - 1) / v with interleaving);
///  - transient: the largest temporary of any block (MoE dispatch buffers, sequence-parallel
///    gathers, the loss's temporaries, the layer being recomputed);
///  - communication buffers: NCCL buffers per process group (options);
///  - framework reserve (option; uncalibrated) and the allocator's cache (fragmentation: option,
///    from public logs; left out of the out-of-memory verdict, see MemoryBreakdown::Required()).
/// Megatron's storage flags adjust the per-parameter bytes (SimOptions: BF16 gradient buffers,
/// BF16 Adam moments, FP8 parameters) and CPU activation offloading removes the activations of
/// the offloaded layers from the rank.
/// A measurement reads one counter of these (MemoryStatistic): the live tensors, plus the
/// allocator's fragmentation, or everything (nvidia-smi).
/// Out of memory is a verdict (`Fits()` false), never an error.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "hwmodel/hardware.h"
#include "sim/internal/stage_sums.h"
#include "sim/layout.h"
#include "sim/sim_options.h"

namespace moeplan::sim {

/// The counter a memory measurement reports; the model predicts each from the same breakdown.
enum class MemoryStatistic : uint8_t {
  /// Peak bytes of live tensors: torch.cuda.max_memory_allocated, Megatron-LM's "max allocated".
  kMaxAllocated,
  /// Peak bytes the PyTorch caching allocator holds (torch.cuda.max_memory_reserved, Megatron's
  /// "max reserved"): the tensors plus fragmentation.
  kMaxReserved,
  /// The GPU's used memory as nvidia-smi / NVML show it: the reserved bytes plus what lives
  /// outside the allocator (CUDA context, NCCL buffers, library workspaces).
  kDeviceUsed,
};
/// "max_allocated", "max_reserved", "device_used".
const char* ToString(MemoryStatistic statistic);
std::optional<MemoryStatistic> MemoryStatisticFromString(std::string_view name);

struct MemoryBreakdown {
  int64_t pipeline_rank = 0;           ///< the rank described
  double weights = 0.0;                ///< bytes
  double gradients = 0.0;              ///< bytes
  double optimizer_states = 0.0;       ///< bytes
  double activations = 0.0;            ///< bytes kept for the backward, all in-flight micro-batches
  double inflight_microbatches = 0.0;  ///< micro-batches of this rank's layers in flight
  double transient = 0.0;              ///< bytes
  double workspaces = 0.0;             ///< bytes of GEMM workspaces (SimOptions)
  double communication = 0.0;          ///< bytes
  double framework = 0.0;              ///< bytes
  double fragmentation = 0.0;          ///< bytes
  double capacity = 0.0;               ///< HBM bytes of one GPU

  /// Bytes of the live tensors (what the caching allocator hands out).
  double Tensors() const {
    return weights + gradients + optimizer_states + activations + transient + workspaces;
  }
  double Total() const { return Tensors() + fragmentation + communication + framework; }
  /// Bytes the run cannot do without: Total() less the allocator's cache. PyTorch's caching
  /// allocator frees its cached blocks and retries before it reports out of memory, so the
  /// fragmentation that max_reserved and nvidia-smi show where memory is plentiful gives way
  /// near the capacity (except inside partly used segments: a run between Required() and
  /// Total() is tight).
  double Required() const { return Tensors() + communication + framework; }
  bool Fits() const { return Required() <= capacity; }
  /// Fits, but only once the allocator has given back its cache.
  bool Tight() const { return Fits() && Total() > capacity; }
  /// The value `statistic` would read at the peak (Total() for kDeviceUsed).
  double Read(MemoryStatistic statistic) const {
    switch (statistic) {
      case MemoryStatistic::kMaxAllocated:
        return Tensors();
      case MemoryStatistic::kMaxReserved:
        return Tensors() + fragmentation;
      case MemoryStatistic::kDeviceUsed:
        break;
    }
    return Total();
  }
};

/// Micro-batches of a rank's layers alive at the peak of the schedule (see the file comment).
/// The layout must be resolved.
double InflightMicrobatches(const Layout& layout, int64_t rank);
/// Micro-batches of virtual chunk `chunk` (virtual stage chunk x pp + rank) alive at that peak:
/// the interleaved schedule's first warm-up + 1 forwards visit the chunks in groups of pp
/// micro-batches (Megatron-Core's microbatch_group_size_per_vp_stage default), so chunk 0 holds
/// the most and, on the last rank, the last chunk (the LM head's) only one. The counts over the
/// chunks sum to vpp x InflightMicrobatches(layout, rank).
double ChunkInflightMicrobatches(const Layout& layout, int64_t rank, int64_t chunk);

/// The per-micro-batch sums of pipeline rank `rank`'s virtual stages (chunk x pp + rank), each
/// stage's activations also weighed by its ChunkInflightMicrobatches for the memory peak.
internal::StageSums SumRankStages(const ModelProfile& profile, const LoweredModel& lowered,
                                  const Layout& layout, int64_t rank);

/// Memory of pipeline rank `rank` whose stages sum to `sums` (sim/internal/stage_sums.h).
MemoryBreakdown RankMemory(const internal::StageSums& sums, int64_t rank, const Layout& layout,
                           const hw::Hardware& hardware, const SimOptions& options);

/// RankMemory(...).Total() of one rank's sums (SumRankStages) for every rank of one layout at a few
/// multiply-adds per rank (the analytic estimate compares all ranks and breaks down only the
/// largest).
class RankMemoryTotal {
 public:
  RankMemoryTotal(const Layout& layout, const SimOptions& options);
  double operator()(const internal::StageSums& sums) const;

 private:
  int64_t offload_layers_ = 0;           // decoder layers whose activations live in host memory
  double workspaces_ = 0.0;              // cuBLAS workspaces of a rank without routed experts
  double expert_rank_workspaces_ = 0.0;  // and of one with them (the grouped-GEMM streams')
  double fixed_ = 0.0;                   // communication buffers + framework reserve
  double fragmentation_ = 0.0;           // 1 + fragmentation
  double dense_bytes_ = 0.0;         // weights + gradients + optimizer bytes per dense parameter
  double expert_bytes_ = 0.0;        // same per expert parameter
  double dense_layer_bytes_ = 0.0;   // FSDP: gathered bytes per dense parameter of two layers
  double expert_layer_bytes_ = 0.0;  // same per expert parameter
};

}  // namespace moeplan::sim
