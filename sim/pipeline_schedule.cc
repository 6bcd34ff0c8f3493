//===- sim/pipeline_schedule.cc - Pipeline-parallel op orders -------------===//
#include "sim/pipeline_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cctype>

namespace moeplan::sim {
namespace {

constexpr PipelineSchedule kAllSchedules[] = {PipelineSchedule::kGpipe, PipelineSchedule::kOneFOneB,
                                              PipelineSchedule::kInterleaved};

Status CheckDimension(const char* field, int value) {
  if (value < 1 || value > kMaxPipelineDimension) {
    return Error{fmt::format("pipeline: {}: expected an integer in 1..{}, got {}", field,
                             kMaxPipelineDimension, value)};
  }
  return {};
}

/// GPipe / breadth-first: forwards chunk 0..v-1, backwards chunk v-1..0, micro-batches ascending.
void FillGpipeRank(const PipelineShape& shape, ScheduleOp* out) {
  const int m = shape.num_microbatches;
  const int v = shape.num_chunks;
  for (int chunk = 0; chunk < v; ++chunk) {
    for (int mb = 0; mb < m; ++mb) *out++ = {OpKind::kForward, mb, chunk};
  }
  for (int chunk = v - 1; chunk >= 0; --chunk) {
    for (int mb = 0; mb < m; ++mb) *out++ = {OpKind::kBackward, mb, chunk};
  }
}

/// The k-th forward (or backward) op of a rank under the interleaved schedule. With v = 1 it is
/// micro-batch k of chunk 0 for any m, i.e. the 1F1B order.
ScheduleOp InterleavedOp(const PipelineShape& shape, int k, OpKind kind) {
  const int p = shape.num_ranks;
  const int v = shape.num_chunks;
  const int group_size = p * v;
  const int in_group = k % group_size;
  int chunk = in_group / p;
  if (kind == OpKind::kBackward) chunk = v - 1 - chunk;
  const int microbatch = (k / group_size) * p + in_group % p;
  return {kind, microbatch, chunk};
}

/// 1F1B (v = 1) and interleaved: warm-up forwards, (forward, backward) pairs, cool-down.
void FillOneFOneBRank(const PipelineShape& shape, int rank, ScheduleOp* out) {
  const int total = shape.num_microbatches * shape.num_chunks;
  const int warmup = NumWarmupForwards(shape, rank);
  for (int k = 0; k < warmup; ++k) *out++ = InterleavedOp(shape, k, OpKind::kForward);
  for (int k = 0; k < total - warmup; ++k) {
    *out++ = InterleavedOp(shape, warmup + k, OpKind::kForward);
    *out++ = InterleavedOp(shape, k, OpKind::kBackward);
  }
  for (int k = total - warmup; k < total; ++k) *out++ = InterleavedOp(shape, k, OpKind::kBackward);
}

}  // namespace

const char* ToString(PipelineSchedule schedule) {
  switch (schedule) {
    case PipelineSchedule::kGpipe:
      return "gpipe";
    case PipelineSchedule::kOneFOneB:
      return "1f1b";
    case PipelineSchedule::kInterleaved:
      return "interleaved";
  }
  return "1f1b";
}

Result<PipelineSchedule> ParsePipelineSchedule(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (PipelineSchedule schedule : kAllSchedules) {
    if (lower == ToString(schedule)) return schedule;
  }
  return Error{
      fmt::format("unknown pipeline schedule '{}' (expected gpipe, 1f1b or interleaved)", text)};
}

std::string ToString(const ScheduleOp& op) {
  return fmt::format("{} mb{} c{}", op.kind == OpKind::kForward ? 'F' : 'B', op.microbatch,
                     op.chunk);
}

Status PipelineShape::Validate() const {
  if (Status s = CheckDimension("num_ranks", num_ranks); !s) return s;
  if (Status s = CheckDimension("num_chunks", num_chunks); !s) return s;
  if (Status s = CheckDimension("num_microbatches", num_microbatches); !s) return s;
  if (NumOps() > kMaxPipelineOps) {
    return Error{fmt::format(
        "pipeline: too many ops: num_ranks {} x num_chunks {} x num_microbatches {} x 2 = {} "
        "exceeds {}",
        num_ranks, num_chunks, num_microbatches, NumOps(), kMaxPipelineOps)};
  }
  if (schedule == PipelineSchedule::kOneFOneB && num_chunks != 1) {
    return Error{fmt::format(
        "pipeline: 1f1b schedule needs num_chunks = 1, got {} (use the interleaved schedule for "
        "virtual stages)",
        num_chunks)};
  }
  if (schedule == PipelineSchedule::kInterleaved) {
    if (num_chunks < 2) {
      return Error{fmt::format(
          "pipeline: interleaved schedule needs num_chunks >= 2, got {} (use 1f1b for one chunk "
          "per rank)",
          num_chunks)};
    }
    if (num_microbatches % num_ranks != 0) {
      return Error{fmt::format(
          "pipeline: interleaved schedule needs num_microbatches to be a multiple of num_ranks "
          "(as Megatron-LM does), got m = {}, p = {}",
          num_microbatches, num_ranks)};
    }
  }
  return {};
}

int NumWarmupForwards(const PipelineShape& shape, int rank) {
  const int p = shape.num_ranks;
  const int total = shape.num_microbatches * shape.num_chunks;
  switch (shape.schedule) {
    case PipelineSchedule::kGpipe:
      return total;
    case PipelineSchedule::kOneFOneB:
      return std::min(p - rank - 1, total);
    case PipelineSchedule::kInterleaved:
      return std::min((p - rank - 1) * 2 + (shape.num_chunks - 1) * p, total);
  }
  return total;
}

void FillSchedule(const PipelineShape& shape, std::span<ScheduleOp> ops) {
  assert(shape.Validate().ok() && "FillSchedule: invalid shape");
  assert(static_cast<int64_t>(ops.size()) == shape.NumOps() && "FillSchedule: wrong ops size");
  const size_t per_rank = static_cast<size_t>(shape.OpsPerRank());
  for (int rank = 0; rank < shape.num_ranks; ++rank) {
    ScheduleOp* out = ops.data() + static_cast<size_t>(rank) * per_rank;
    if (shape.schedule == PipelineSchedule::kGpipe) {
      FillGpipeRank(shape, out);
    } else {
      FillOneFOneBRank(shape, rank, out);
    }
  }
}

Result<PipelineOrder> BuildSchedule(const PipelineShape& shape) {
  if (Status s = shape.Validate(); !s) return s.error();
  PipelineOrder order;
  order.shape = shape;
  order.ops.resize(static_cast<size_t>(shape.NumOps()));
  FillSchedule(shape, order.ops);
  return order;
}

}  // namespace moeplan::sim
