//===- sim/pipeline_schedule.h - Pipeline-parallel op orders ----*- C++ -*-===//
/// \file
/// The order in which each pipeline rank runs the forward and backward passes of its
/// micro-batches, for three schedules:
///
///  - GPipe (Huang et al. 2019): all forwards, then all backwards. With v > 1 chunks per rank it
///    is the breadth-first order: chunk by chunk, every micro-batch of a chunk in a row (forwards
///    in chunk order 0..v-1, backwards in chunk order v-1..0, micro-batches ascending).
///  - 1F1B, PipeDream-flush (Narayanan et al. 2021, "Memory-Efficient Pipeline-Parallel DNN
///    Training"): rank r runs min(p - r - 1, m) warm-up forwards, then alternates one forward and
///    one backward, then drains the remaining backwards. v must be 1.
///  - Interleaved 1F1B (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on
///    GPU Clusters", Sec. 2.2), as Megatron-LM's `forward_backward_pipelining_with_interleaving`
///    (megatron/core/pipeline_parallel/schedules.py, microbatch_group_size_per_vp_stage = p):
///    each rank holds v model chunks; virtual stage s = chunk * p + rank. The k-th forward of a
///    rank (k = 0 .. m v - 1) runs micro-batch (k / (p v)) p + k % p of chunk (k mod p v) / p;
///    the k-th backward the same micro-batch of chunk v - 1 - (k mod p v) / p. Rank r runs
///    W_r = min((p - r - 1) 2 + (v - 1) p, m v) warm-up forwards, then the pairs
///    (forward W_r + k, backward k), then the remaining backwards. Like Megatron-LM, m must be a
///    multiple of p.
///
/// Uniform pipelines (every chunk forward t_f / v, backward t_b / v, no communication) finish in
/// (m + p - 1)(t_f + t_b) under GPipe with v = 1 and under 1F1B, and in (m + (p - 1) / v)(t_f +
/// t_b) under interleaved 1F1B, so the bubble relative to the ideal m (t_f + t_b) is (p - 1) / (v
/// m); tests/sim/pipeline_sim_test.cc checks these with the simulator of sim/pipeline_sim.h.
///
/// Every rank runs exactly 2 m v ops. `FillSchedule` is allocation-free for the simulator's hot
/// path; `BuildSchedule` validates and returns a fresh schedule. Both are thread-safe.
/// Example: 1F1B, p = 2, m = 3 gives rank 0: F0 F1 B0 F2 B1 B2 and rank 1: F0 B0 F1 B1 F2 B2.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::sim {

enum class PipelineSchedule : uint8_t {
  kGpipe,        ///< all forwards, then all backwards
  kOneFOneB,     ///< PipeDream-flush 1F1B; one chunk per rank
  kInterleaved,  ///< Megatron-LM interleaved 1F1B; v >= 2 chunks per rank, m % p == 0
};

/// "gpipe", "1f1b", "interleaved".
const char* ToString(PipelineSchedule schedule);
/// Parses "gpipe", "1f1b" or "interleaved" (case-insensitive).
[[nodiscard]] Result<PipelineSchedule> ParsePipelineSchedule(std::string_view text);

/// Largest supported size in each dimension and in total ops (p * v * m * 2): beyond that the
/// simulator's int32 indices could overflow and no real pipeline is that deep.
inline constexpr int kMaxPipelineDimension = 1 << 16;
inline constexpr int64_t kMaxPipelineOps = int64_t{1} << 28;

/// The shape of a pipeline: schedule, p ranks, v chunks per rank, m micro-batches.
struct PipelineShape {
  PipelineSchedule schedule = PipelineSchedule::kOneFOneB;
  int num_ranks = 1;         ///< p, pipeline-parallel size
  int num_chunks = 1;        ///< v, model chunks (virtual stages) per rank
  int num_microbatches = 1;  ///< m, micro-batches per step

  /// Errors name the field and the broken constraint, e.g.
  /// "pipeline: interleaved schedule needs num_microbatches to be a multiple of num_ranks (as
  /// Megatron-LM does), got m = 6, p = 4".
  [[nodiscard]] Status Validate() const;

  int NumStages() const { return num_ranks * num_chunks; }              ///< p v virtual stages
  int OpsPerRank() const { return 2 * num_microbatches * num_chunks; }  ///< 2 m v
  int64_t NumOps() const { return int64_t{2} * num_ranks * num_chunks * num_microbatches; }
};

enum class OpKind : uint8_t { kForward, kBackward };

/// One compute op of a rank: the forward or backward of one micro-batch through one chunk.
struct ScheduleOp {
  OpKind kind = OpKind::kForward;
  int32_t microbatch = 0;  ///< 0 .. m - 1
  int32_t chunk = 0;       ///< 0 .. v - 1; virtual stage = chunk * p + rank
};

/// "F mb3 c1" / "B mb0 c0".
std::string ToString(const ScheduleOp& op);

/// Per-rank op lists, rank-major: rank r's ops are ops[r * OpsPerRank(), (r + 1) * OpsPerRank()).
struct PipelineOrder {
  PipelineShape shape;
  std::vector<ScheduleOp> ops;

  std::span<const ScheduleOp> RankOps(int rank) const {
    const size_t n = static_cast<size_t>(shape.OpsPerRank());
    return std::span<const ScheduleOp>(ops).subspan(static_cast<size_t>(rank) * n, n);
  }
};

/// Warm-up forwards rank `rank` runs before its first backward: m v (all) for GPipe,
/// min(p - r - 1, m) for 1F1B, min((p - r - 1) 2 + (v - 1) p, m v) for interleaved.
/// Precondition: shape.Validate() passed, 0 <= rank < p.
int NumWarmupForwards(const PipelineShape& shape, int rank);

/// Writes every rank's ops into `ops` (size shape.NumOps(), rank-major). Allocation-free.
/// Precondition: shape.Validate() passed (asserted in debug builds).
void FillSchedule(const PipelineShape& shape, std::span<ScheduleOp> ops);

/// Validates `shape` and returns its schedule.
[[nodiscard]] Result<PipelineOrder> BuildSchedule(const PipelineShape& shape);

}  // namespace moeplan::sim
