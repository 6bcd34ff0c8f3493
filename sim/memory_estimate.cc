//===- sim/memory_estimate.cc - Memory of one GPU, broken down ------------===//
#include "sim/memory_estimate.h"

#include <algorithm>

#include "sim/internal/enum_names.h"

namespace moeplan::sim {
namespace {

// Bytes per parameter of each kind of state (sim_options.h StatePrecision).
struct StateBytes {
  double weight = 0.0;     // stored parameter, plus the cached FP8 copy under FP8 training
  double gradient = 0.0;   // accumulated gradient
  double optimizer = 0.0;  // Adam: master weights (if separate) and two moments
  // FSDP: a gathered parameter as computed with (BF16, plus FP8) and its unsharded gradient
  // (FP32 for the reduce-scatter in every framework modelled).
  double gathered_weight = 0.0;
  double gathered_gradient = 4.0;
};

StateBytes BytesPerParameter(const SimOptions& options, hw::Precision compute) {
  const bool fp8 = compute == hw::Precision::kFp8;
  const double fp8_copy = fp8 ? 1.0 : 0.0;
  StateBytes b;
  switch (options.state_precision) {
    case StatePrecision::kMixed:  // BF16 weights, FP32 main gradients, FP32 master + moments
      b = {2.0 + fp8_copy, 4.0, 12.0, 2.0 + fp8_copy};
      break;
    case StatePrecision::kBf16:  // all BF16; FSDP reduces in FP32
      b = {2.0 + fp8_copy, 2.0, 4.0, 2.0 + fp8_copy};
      break;
    case StatePrecision::kFp32:  // FP32 parameters and moments, BF16 compute copies
      b = {4.0 + fp8_copy, 4.0, 8.0, 2.0 + fp8_copy};
      break;
  }
  if (options.grad_reduce_in_bf16) b.gradient = b.gathered_gradient = 2.0;
  // Two moments of 4 bytes become two of 2 (all-BF16 states already have them in BF16).
  if (options.bf16_adam_moments && options.state_precision != StatePrecision::kBf16) {
    b.optimizer -= 4.0;
  }
  // The BF16 working copy (2 bytes) gives way to an FP8 parameter (1 byte); the FP32 master of
  // kMixed and kFp32 is in the optimizer or weight term and stays.
  if (options.fp8_param_gather && fp8) {
    if (options.state_precision != StatePrecision::kFp32) b.weight -= 1.0;
    b.gathered_weight -= 1.0;
  }
  return b;
}

// The activations a rank keeps at its peak once `offload_layers` of its decoder layers have
// their activations in host memory (SimOptions::offload_activation_layers). The stages come
// weighed by their own in-flight micro-batches (SumRankStages); there is deliberately no
// uniform fallback, which would silently count every chunk alike.
double InflightKeptBytes(const internal::StageSums& sums, int64_t offload_layers) {
  const double all = sums.inflight_activation_bytes;
  if (offload_layers <= 0 || sums.layers <= 0) return all;
  const double offloaded =
      static_cast<double>(std::min(offload_layers, sums.layers)) / static_cast<double>(sums.layers);
  return all - offloaded * sums.inflight_layer_activation_bytes;
}

// FP32 reduce dtype of the unsharded gradients FSDP keeps while accumulating (sim_options.h).
constexpr double kUnshardedGradBytes = 4.0;

bool AccumulatesUnsharded(const Layout& layout, const SimOptions& options) {
  return options.fsdp_unsharded_grad_accumulation && layout.sharding == Sharding::kFull &&
         layout.Microbatches() > 1;
}

// Bytes per parameter of one kind (dense or expert) under FSDP: what every parameter holds, and
// what each parameter of the two gathered layers adds (multiplied by params / layers).
struct FullShardBytes {
  double weight = 0.0;
  double gradient = 0.0;
  double optimizer = 0.0;
  double layer_weight = 0.0;
  double layer_gradient = 0.0;
};

FullShardBytes FullShard(const StateBytes& b, double shard, bool managed, const Layout& layout,
                         const SimOptions& options) {
  if (!managed) return {b.weight, b.gradient, b.optimizer, 0.0, 0.0};
  const bool reshard = options.fsdp_reshard_after_forward;
  FullShardBytes f;
  // Without resharding after the forward every gathered weight stays until its backward; the
  // two layers in flight then add only their unsharded gradients.
  f.weight = b.weight * shard + (reshard ? 0.0 : b.gathered_weight);
  // The unsharded FP32 accumulators replace the gradient shards: a layer's gradient exists in
  // one form or the other (its accumulator is freed by the reduce-scatter that makes the
  // shard), so the peak, in the last micro-batch's backward, holds the accumulators.
  f.gradient = AccumulatesUnsharded(layout, options) ? kUnshardedGradBytes : b.gradient * shard;
  f.optimizer = b.optimizer * shard;
  // The layer computing and the one prefetched, each with its unsharded gradient.
  f.layer_weight = reshard ? 2.0 * b.gathered_weight : 0.0;
  f.layer_gradient = 2.0 * b.gathered_gradient;
  return f;
}

// Whether FSDP manages the experts (SimOptions::fsdp_skips_unsharded_experts).
bool FsdpManagesExperts(const Layout& layout, const SimOptions& options) {
  return !(options.fsdp_skips_unsharded_experts && layout.Edp() == 1);
}

// cuBLAS workspaces a rank allocates (SimOptions::gemm_workspace_bytes): the grouped-GEMM
// streams' only where it holds routed experts.
double WorkspaceBytes(bool holds_experts, const SimOptions& options) {
  const int64_t count =
      options.gemm_workspaces + (holds_experts ? options.grouped_gemm_workspaces : 0);
  return options.gemm_workspace_bytes * static_cast<double>(count);
}

int64_t ProcessGroups(const Layout& l) {
  const int64_t sizes[] = {l.tp, l.cp, l.dp * l.cp, l.ep, l.etp, l.Edp(), l.pp};
  int64_t groups = 0;
  for (int64_t size : sizes) groups += size > 1 ? 1 : 0;
  return groups;
}

}  // namespace

const char* ToString(MemoryStatistic statistic) {
  switch (statistic) {
    case MemoryStatistic::kMaxAllocated:
      return "max_allocated";
    case MemoryStatistic::kMaxReserved:
      return "max_reserved";
    case MemoryStatistic::kDeviceUsed:
      return "device_used";
  }
  return "?";
}

std::optional<MemoryStatistic> MemoryStatisticFromString(std::string_view name) {
  constexpr MemoryStatistic kAll[] = {MemoryStatistic::kMaxAllocated, MemoryStatistic::kMaxReserved,
                                      MemoryStatistic::kDeviceUsed};
  return internal::EnumFromName(name, kAll);
}

namespace {

// Chunk-micro-batches alive at the peak: the warm-up forwards of Megatron-LM's schedules
// (sim/pipeline_schedule.h NumWarmupForwards) and the first steady-state forward.
int64_t PeakChunkMicrobatches(const Layout& layout, int64_t rank) {
  const int64_t m = layout.Microbatches();
  const int64_t p = layout.pp, v = layout.vpp;
  if (p <= 1) return 1;
  const int64_t warmup = v > 1 ? (p - rank - 1) * 2 + (v - 1) * p : p - rank - 1;
  return std::min(warmup + 1, m * v);
}

}  // namespace

double InflightMicrobatches(const Layout& layout, int64_t rank) {
  return static_cast<double>(PeakChunkMicrobatches(layout, rank)) / static_cast<double>(layout.vpp);
}

double ChunkInflightMicrobatches(const Layout& layout, int64_t rank, int64_t chunk) {
  const int64_t alive = PeakChunkMicrobatches(layout, rank);
  if (layout.vpp <= 1) return static_cast<double>(alive);
  // Forward k runs chunk (k mod (p v)) / p: whole cycles of p v forwards give every chunk p,
  // the remainder fills the chunks in order, p at a time.
  const int64_t p = layout.pp, cycle = p * layout.vpp;
  const int64_t rest = alive % cycle;
  const int64_t count = (alive / cycle) * p + std::clamp<int64_t>(rest - chunk * p, 0, p);
  return static_cast<double>(count);
}

internal::StageSums SumRankStages(const ModelProfile& profile, const LoweredModel& lowered,
                                  const Layout& layout, int64_t rank) {
  internal::StageSums sums;
  const int64_t stages = layout.VirtualStages();
  for (int64_t chunk = 0; chunk < layout.vpp; ++chunk) {
    internal::StageSums stage = internal::SumStage(profile, lowered, chunk * layout.pp + rank,
                                                   stages, layout.pp, layout.recompute);
    const double inflight = ChunkInflightMicrobatches(layout, rank, chunk);
    stage.inflight_activation_bytes = inflight * stage.activation_bytes;
    stage.inflight_layer_activation_bytes = inflight * stage.layer_activation_bytes;
    sums.Add(stage);
  }
  return sums;
}

RankMemoryTotal::RankMemoryTotal(const Layout& layout, const SimOptions& options)
    : offload_layers_(options.offload_activation_layers),
      workspaces_(WorkspaceBytes(false, options)),
      expert_rank_workspaces_(WorkspaceBytes(true, options)) {
  fixed_ = options.nccl_bytes_per_group * static_cast<double>(ProcessGroups(layout)) +
           options.framework_reserve_bytes;
  fragmentation_ = 1.0 + options.fragmentation;
  const StateBytes b = BytesPerParameter(options, layout.precision);
  const double dense_shard = 1.0 / static_cast<double>(layout.dp * layout.cp);
  const double expert_shard = 1.0 / static_cast<double>(layout.Edp());
  switch (layout.sharding) {
    case Sharding::kNone:
      dense_bytes_ = expert_bytes_ = b.weight + b.gradient + b.optimizer;
      break;
    case Sharding::kOptimizer:
      dense_bytes_ = b.weight + b.gradient + b.optimizer * dense_shard;
      expert_bytes_ = b.weight + b.gradient + b.optimizer * expert_shard;
      break;
    case Sharding::kFull: {
      const FullShardBytes d = FullShard(b, dense_shard, true, layout, options);
      const FullShardBytes e =
          FullShard(b, expert_shard, FsdpManagesExperts(layout, options), layout, options);
      dense_bytes_ = d.weight + d.gradient + d.optimizer;
      expert_bytes_ = e.weight + e.gradient + e.optimizer;
      dense_layer_bytes_ = d.layer_weight + d.layer_gradient;
      expert_layer_bytes_ = e.layer_weight + e.layer_gradient;
      break;
    }
  }
}

double RankMemoryTotal::operator()(const internal::StageSums& sums) const {
  const double dense = static_cast<double>(sums.dense_params);
  const double expert = static_cast<double>(sums.expert_params);
  const double layers = static_cast<double>(std::max<int64_t>(sums.layers, 1));
  const double states = dense_bytes_ * dense + expert_bytes_ * expert +
                        (dense_layer_bytes_ * dense + expert_layer_bytes_ * expert) / layers;
  const double workspaces = sums.expert_params > 0 ? expert_rank_workspaces_ : workspaces_;
  const double tensors =
      states + InflightKeptBytes(sums, offload_layers_) + sums.transient_bytes + workspaces;
  return fixed_ + fragmentation_ * tensors;
}

MemoryBreakdown RankMemory(const internal::StageSums& sums, int64_t rank, const Layout& layout,
                           const hw::Hardware& hardware, const SimOptions& options) {
  MemoryBreakdown memory;
  memory.pipeline_rank = rank;
  memory.capacity = static_cast<double>(hardware.device.hbm_bytes);
  const double dense = static_cast<double>(sums.dense_params);
  const double expert = static_cast<double>(sums.expert_params);
  const double params = dense + expert;
  // Shards of the data-parallel groups: dense parameters over dp x cp, experts over edp.
  const double sharded = dense / static_cast<double>(layout.dp * layout.cp) +
                         expert / static_cast<double>(layout.Edp());
  const StateBytes b = BytesPerParameter(options, layout.precision);
  switch (layout.sharding) {
    case Sharding::kNone:
      memory.weights = b.weight * params;
      memory.gradients = b.gradient * params;
      memory.optimizer_states = b.optimizer * params;
      break;
    case Sharding::kOptimizer:
      memory.weights = b.weight * params;
      memory.gradients = b.gradient * params;
      memory.optimizer_states = b.optimizer * sharded;
      break;
    case Sharding::kFull: {
      // Shards plus two gathered layers (the one computing and the one prefetched), each with
      // its unsharded gradient; experts outside FSDP hold plain states.
      const double layers = static_cast<double>(std::max<int64_t>(sums.layers, 1));
      const FullShardBytes d =
          FullShard(b, 1.0 / static_cast<double>(layout.dp * layout.cp), true, layout, options);
      const FullShardBytes e = FullShard(b, 1.0 / static_cast<double>(layout.Edp()),
                                         FsdpManagesExperts(layout, options), layout, options);
      memory.weights = d.weight * dense + e.weight * expert +
                       (d.layer_weight * dense + e.layer_weight * expert) / layers;
      memory.gradients = d.gradient * dense + e.gradient * expert +
                         (d.layer_gradient * dense + e.layer_gradient * expert) / layers;
      memory.optimizer_states = d.optimizer * dense + e.optimizer * expert;
      break;
    }
  }
  memory.inflight_microbatches = InflightMicrobatches(layout, rank);
  memory.activations = InflightKeptBytes(sums, options.offload_activation_layers);
  memory.transient = sums.transient_bytes;
  memory.workspaces = WorkspaceBytes(sums.expert_params > 0, options);
  memory.communication = options.nccl_bytes_per_group * static_cast<double>(ProcessGroups(layout));
  memory.framework = options.framework_reserve_bytes;
  memory.fragmentation = options.fragmentation * memory.Tensors();
  return memory;
}

}  // namespace moeplan::sim
