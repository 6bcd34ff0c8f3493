//===- sim/internal/stage_sums.h - One pipeline stage's totals --*- C++ -*-===//
/// \file
/// Private to sim/. Sums the lowered blocks (sim/lowering.h) over the layers of one virtual
/// pipeline stage: per-micro-batch seconds by phase, parameters and activation bytes. Shared by
/// the analytic step model and the event-driven simulation so that both see the same stages.
/// Allocation-free; O(layer kinds) per stage.
//===----------------------------------------------------------------------===//
#pragma once

#include <algorithm>
#include <cstdint>

#include "sim/layout.h"
#include "sim/lowering.h"
#include "sim/model_profile.h"

namespace moeplan::sim::internal {

/// One virtual stage (or the sum of a rank's stages) for one micro-batch.
struct StageSums {
  double forward = 0.0;
  double backward_input = 0.0;  ///< includes the recomputed forward
  double backward_weight = 0.0;
  double imbalance = 0.0;  ///< seconds over balanced routing (all phases)
  int64_t dense_params = 0;
  int64_t expert_params = 0;
  double activation_bytes = 0.0;        ///< kept per micro-batch
  double layer_activation_bytes = 0.0;  ///< the decoder layers' share of activation_bytes
  double transient_bytes = 0.0;         ///< largest temporary of any block
  int64_t layers = 0;
  /// A rank's activations at its schedule's peak: each virtual stage's activation_bytes (and
  /// layer_activation_bytes) times the micro-batches of that stage then in flight
  /// (ChunkInflightMicrobatches, sim/memory_estimate.h). The memory model reads only these
  /// two for activations: SumRankStages fills them, and a caller summing stages by hand must.
  double inflight_activation_bytes = 0.0;
  double inflight_layer_activation_bytes = 0.0;

  double Time() const { return forward + backward_input + backward_weight; }
  void Add(const StageSums& other) {
    forward += other.forward;
    backward_input += other.backward_input;
    backward_weight += other.backward_weight;
    imbalance += other.imbalance;
    dense_params += other.dense_params;
    expert_params += other.expert_params;
    activation_bytes += other.activation_bytes;
    layer_activation_bytes += other.layer_activation_bytes;
    transient_bytes = std::max(transient_bytes, other.transient_bytes);
    layers += other.layers;
    inflight_activation_bytes += other.inflight_activation_bytes;
    inflight_layer_activation_bytes += other.inflight_layer_activation_bytes;
  }
};

/// Adds `count` copies of `block` under recompute `mode` (`recomputed`: the mode applies).
inline void AddBlock(StageSums& sums, const BlockCost& block, int64_t count, Recompute mode) {
  if (count <= 0) return;
  const auto m = static_cast<size_t>(mode);
  const double n = static_cast<double>(count);
  sums.forward += n * block.forward;
  sums.backward_input += n * (block.backward_input + block.recompute[m]);
  sums.backward_weight += n * block.backward_weight;
  sums.imbalance += n * block.imbalance[m];
  sums.dense_params += count * block.dense_params;
  sums.expert_params += count * block.expert_params;
  sums.activation_bytes += n * block.activation_bytes[m];
  sums.transient_bytes = std::max(sums.transient_bytes, block.transient_bytes[m]);
}

/// Virtual stage `stage` of `stages` (decoder layers by the split rule of model_profile.h, the
/// embedding on stage 0, LM head and MTP on the last stage, and the embedding copy the last
/// stage keeps when pp > 1 for a tied head or MTP).
inline StageSums SumStage(const ModelProfile& profile, const LoweredModel& lowered, int64_t stage,
                          int64_t stages, int64_t pp, Recompute mode) {
  StageSums sums;
  const StageSpan span =
      StageLayers(profile.num_layers(), stages, stage, lowered.reserve_first, lowered.reserve_last);
  for (int k = 0; k < profile.num_kinds; ++k) {
    AddBlock(sums, lowered.layers[static_cast<size_t>(k)],
             profile.CountKind(k, span.begin, span.end), mode);
  }
  sums.layers = span.size();
  sums.layer_activation_bytes = sums.activation_bytes;
  if (stage == 0) AddBlock(sums, lowered.embedding, 1, Recompute::kNone);
  if (stage == stages - 1) {
    AddBlock(sums, lowered.head, 1, Recompute::kNone);
    if (profile.arch.mtp_layers > 0) AddBlock(sums, lowered.mtp, 1, mode);
    if (pp > 1 && (profile.arch.tied_embeddings || profile.arch.mtp_layers > 0)) {
      sums.dense_params += lowered.embedding_params;
    }
  }
  return sums;
}

}  // namespace moeplan::sim::internal
