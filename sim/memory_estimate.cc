//===- sim/memory_estimate.cc - Memory of one GPU, broken down ------------===//
#include "sim/memory_estimate.h"

#include <algorithm>

namespace moeplan::sim {
namespace {

constexpr double kWeightBytes = 2.0;     // BF16 parameters
constexpr double kFp8WeightBytes = 1.0;  // cached FP8 copy
constexpr double kGradBytes = 4.0;       // FP32 main gradients
constexpr double kAdamBytes = 12.0;      // FP32 master weights + two moments

int64_t ProcessGroups(const Layout& l) {
  const int64_t sizes[] = {l.tp, l.cp, l.dp * l.cp, l.ep, l.etp, l.Edp(), l.pp};
  int64_t groups = 0;
  for (int64_t size : sizes) groups += size > 1 ? 1 : 0;
  return groups;
}

}  // namespace

double InflightMicrobatches(const Layout& layout, int64_t rank) {
  const int64_t m = layout.Microbatches();
  const int64_t p = layout.pp, v = layout.vpp;
  if (p <= 1) return 1.0;
  // Warm-up forwards of Megatron-LM's schedules (sim/pipeline_schedule.h NumWarmupForwards).
  const int64_t warmup = v > 1 ? (p - rank - 1) * 2 + (v - 1) * p : p - rank - 1;
  const int64_t chunk_microbatches = std::min(warmup + 1, m * v);
  return static_cast<double>(chunk_microbatches) / static_cast<double>(v);
}

RankMemoryTotal::RankMemoryTotal(const Layout& layout, const SimOptions& options)
    : layout_(layout) {
  fixed_ = options.nccl_bytes_per_group * static_cast<double>(ProcessGroups(layout)) +
           options.framework_reserve_bytes;
  fragmentation_ = 1.0 + options.fragmentation;
  const double weight =
      kWeightBytes + (layout.precision == hw::Precision::kFp8 ? kFp8WeightBytes : 0.0);
  const double dense_shard = 1.0 / static_cast<double>(layout.dp * layout.cp);
  const double expert_shard = 1.0 / static_cast<double>(layout.Edp());
  switch (layout.sharding) {
    case Sharding::kNone:
      dense_bytes_ = expert_bytes_ = weight + kGradBytes + kAdamBytes;
      break;
    case Sharding::kOptimizer:
      dense_bytes_ = weight + kGradBytes + kAdamBytes * dense_shard;
      expert_bytes_ = weight + kGradBytes + kAdamBytes * expert_shard;
      break;
    case Sharding::kFull:
      dense_bytes_ = (weight + kGradBytes + kAdamBytes) * dense_shard;
      expert_bytes_ = (weight + kGradBytes + kAdamBytes) * expert_shard;
      layer_bytes_ = 2.0 * (weight + kGradBytes);
      break;
  }
}

double RankMemoryTotal::operator()(const internal::StageSums& sums, int64_t rank) const {
  const double dense = static_cast<double>(sums.dense_params);
  const double expert = static_cast<double>(sums.expert_params);
  double states = dense_bytes_ * dense + expert_bytes_ * expert;
  if (layer_bytes_ > 0.0) {
    states +=
        layer_bytes_ * (dense + expert) / static_cast<double>(std::max<int64_t>(sums.layers, 1));
  }
  const double tensors =
      states + sums.activation_bytes * InflightMicrobatches(layout_, rank) + sums.transient_bytes;
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
  const double weight_bytes =
      kWeightBytes + (layout.precision == hw::Precision::kFp8 ? kFp8WeightBytes : 0.0);
  switch (layout.sharding) {
    case Sharding::kNone:
      memory.weights = weight_bytes * params;
      memory.gradients = kGradBytes * params;
      memory.optimizer_states = kAdamBytes * params;
      break;
    case Sharding::kOptimizer:
      memory.weights = weight_bytes * params;
      memory.gradients = kGradBytes * params;
      memory.optimizer_states = kAdamBytes * sharded;
      break;
    case Sharding::kFull: {
      // Shards plus two gathered layers (the one computing and the one prefetched).
      const double layer = params / static_cast<double>(std::max<int64_t>(sums.layers, 1));
      memory.weights = weight_bytes * (sharded + 2.0 * layer);
      memory.gradients = kGradBytes * (sharded + 2.0 * layer);
      memory.optimizer_states = kAdamBytes * sharded;
      break;
    }
  }
  memory.inflight_microbatches = InflightMicrobatches(layout, rank);
  memory.activations = sums.activation_bytes * memory.inflight_microbatches;
  memory.transient = sums.transient_bytes;
  memory.communication = options.nccl_bytes_per_group * static_cast<double>(ProcessGroups(layout));
  memory.framework = options.framework_reserve_bytes;
  memory.fragmentation =
      options.fragmentation * (memory.weights + memory.gradients + memory.optimizer_states +
                               memory.activations + memory.transient);
  return memory;
}

}  // namespace moeplan::sim
