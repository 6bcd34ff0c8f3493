//===- sim/pipeline_sim.cc - Event-driven pipeline step simulator ---------===//
#include "sim/pipeline_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <tuple>
#include <utility>

namespace moeplan::sim {
namespace {

constexpr int kNext = 0;  // RankState::send_free index of the send stream to rank + 1
constexpr int kPrev = 1;  // ... to rank - 1

bool ValidTime(double value) {
  return std::isfinite(value) && value >= 0;
}

Status TimeError(const std::string& where, const char* field, double value) {
  return Error{
      fmt::format("pipeline: {}: {}: expected a finite time >= 0 s, got {}", where, field, value)};
}

/// The first field of `cost` that is not a valid time, or nullptr.
const char* InvalidField(const StageCost& cost, double* value) {
  const std::pair<const char*, double> fields[] = {
      {"forward", cost.forward},
      {"backward_input", cost.backward_input},
      {"backward_weight", cost.backward_weight},
      {"grad_reduce_scatter", cost.grad_reduce_scatter},
      {"param_all_gather", cost.param_all_gather},
  };
  for (const auto& [field, field_value] : fields) {
    if (!ValidTime(field_value)) {
      *value = field_value;
      return field;
    }
  }
  return nullptr;
}

/// Length of the overlap of [lo, hi] and [a, b] (0 when disjoint).
double Overlap(double lo, double hi, double a, double b) {
  return std::max(0.0, std::min(hi, b) - std::max(lo, a));
}

void Emit(PipelineResult* result, bool on, int rank, Stream stream, EventKind kind, int microbatch,
          int chunk, double start, double end) {
  if (!on) return;
  result->timeline.push_back({rank, stream, kind, microbatch, chunk, start, end});
}

}  // namespace

const char* ToString(Stream stream) {
  switch (stream) {
    case Stream::kCompute:
      return "compute";
    case Stream::kSendNext:
      return "send_next";
    case Stream::kSendPrev:
      return "send_prev";
    case Stream::kDataParallel:
      return "data_parallel";
  }
  return "compute";
}

const char* ToString(EventKind kind) {
  switch (kind) {
    case EventKind::kForward:
      return "forward";
    case EventKind::kBackward:
      return "backward";
    case EventKind::kWeightGrad:
      return "weight_grad";
    case EventKind::kSendActivation:
      return "send_activation";
    case EventKind::kSendGradient:
      return "send_gradient";
    case EventKind::kParamAllGather:
      return "param_all_gather";
    case EventKind::kGradReduceScatter:
      return "grad_reduce_scatter";
    case EventKind::kOptimizer:
      return "optimizer";
  }
  return "forward";
}

Status PipelineInput::Validate() const {
  if (Status s = shape.Validate(); !s) return s;
  const int p = shape.num_ranks;
  const size_t stages = static_cast<size_t>(shape.NumStages());
  if (stage_costs.size() != 1 && stage_costs.size() != stages) {
    return Error{fmt::format(
        "pipeline: stage_costs: expected 1 or {} entries (num_ranks {} x num_chunks {}), got {}",
        stages, p, shape.num_chunks, stage_costs.size())};
  }
  // Messages are built only on failure: a valid input is checked without allocating.
  for (size_t s = 0; s < stage_costs.size(); ++s) {
    double value = 0;
    if (const char* field = InvalidField(stage_costs[s], &value)) {
      const std::string where =
          stage_costs.size() == 1
              ? std::string("stage_costs[0] (every stage)")
              : fmt::format("stage_costs[{}] (rank {}, chunk {})", s, s % static_cast<size_t>(p),
                            s / static_cast<size_t>(p));
      return TimeError(where, field, value);
    }
  }
  if (!p2p_time.empty() && p2p_time.size() != 1 && p2p_time.size() != static_cast<size_t>(p)) {
    return Error{
        fmt::format("pipeline: p2p_time: expected 0, 1 or {} entries (one per link), got {}", p,
                    p2p_time.size())};
  }
  for (size_t link = 0; link < p2p_time.size(); ++link) {
    if (!ValidTime(p2p_time[link])) {
      return TimeError(fmt::format("p2p_time[{}]", link), "link", p2p_time[link]);
    }
  }
  if (grad_reduce_buckets < 1 || grad_reduce_buckets > kMaxPipelineDimension) {
    return Error{fmt::format("pipeline: grad_reduce_buckets: expected an integer in 1..{}, got {}",
                             kMaxPipelineDimension, grad_reduce_buckets)};
  }
  if (!ValidTime(optimizer_time)) return TimeError("optimizer_time", "step", optimizer_time);
  return {};
}

void PipelineSimulator::Prepare(const PipelineInput& input) {
  const PipelineShape& shape = input.shape;
  const bool same_order =
      have_order_ && shape.schedule == shape_.schedule && shape.num_ranks == shape_.num_ranks &&
      shape.num_chunks == shape_.num_chunks && shape.num_microbatches == shape_.num_microbatches;
  if (!same_order) {
    ops_.resize(static_cast<size_t>(shape.NumOps()));
    FillSchedule(shape, ops_);
    shape_ = shape;
    have_order_ = true;
  }
  const size_t stages = static_cast<size_t>(shape.NumStages());
  const size_t inputs = stages * static_cast<size_t>(shape.num_microbatches);
  ranks_.assign(static_cast<size_t>(shape.num_ranks), RankState{});
  forward_inputs_.assign(inputs, Arrival{});
  backward_inputs_.assign(inputs, Arrival{});
  gather_done_.assign(stages, 0.0);
  backwards_done_.assign(stages, 0);
  ready_.clear();
}

void PipelineSimulator::StartParamGathers(const PipelineInput& input, PipelineResult* result) {
  const int p = shape_.num_ranks;
  for (int rank = 0; rank < p; ++rank) {
    RankState& state = ranks_[static_cast<size_t>(rank)];
    for (int chunk = 0; chunk < shape_.num_chunks; ++chunk) {
      const int stage = chunk * p + rank;
      const double gather = input.Cost(stage).param_all_gather;
      if (gather > 0) {
        Emit(result, input.collect_timeline, rank, Stream::kDataParallel,
             EventKind::kParamAllGather, -1, chunk, state.dp_free, state.dp_free + gather);
        state.dp_free += gather;
      }
      gather_done_[static_cast<size_t>(stage)] = state.dp_free;
    }
    state.gather_all_done = state.dp_free;
  }
}

void PipelineSimulator::Send(const PipelineInput& input, int rank, const ScheduleOp& op,
                             double ready, PipelineResult* result) {
  const int p = shape_.num_ranks;
  const int stages = shape_.NumStages();
  const int stage = op.chunk * p + rank;
  const bool forward = op.kind == OpKind::kForward;
  const int dest_stage = forward ? stage + 1 : stage - 1;
  if (dest_stage < 0 || dest_stage >= stages) return;
  const int dest_rank = dest_stage % p;
  const int link = forward ? rank : dest_rank;  // link r joins rank r and rank r + 1
  RankState& state = ranks_[static_cast<size_t>(rank)];
  double arrival = ready;
  if (p > 1) {
    const double transfer = input.LinkTime(link);
    double& stream_free = state.send_free[forward ? kNext : kPrev];
    const double start = std::max(ready, stream_free);
    arrival = start + transfer;
    stream_free = arrival;
    if (transfer > 0) {
      Emit(result, input.collect_timeline, rank, forward ? Stream::kSendNext : Stream::kSendPrev,
           forward ? EventKind::kSendActivation : EventKind::kSendGradient, op.microbatch, op.chunk,
           start, arrival);
    }
  }
  auto& table = forward ? forward_inputs_ : backward_inputs_;
  Arrival& slot = table[static_cast<size_t>(op.microbatch) * static_cast<size_t>(stages) +
                        static_cast<size_t>(dest_stage)];
  slot.sent = ready;
  slot.arrival = arrival;
  RankState& dest = ranks_[static_cast<size_t>(dest_rank)];
  if (dest.blocked) {
    dest.blocked = false;
    ready_.push_back(dest_rank);
  }
}

void PipelineSimulator::ReduceScatter(const PipelineInput& input, int rank, int chunk,
                                      double first_ready, double last_ready,
                                      PipelineResult* result) {
  const double total = input.Cost(chunk * shape_.num_ranks + rank).grad_reduce_scatter;
  if (total <= 0) return;
  RankState& state = ranks_[static_cast<size_t>(rank)];
  const int buckets = input.overlap_grad_reduce ? input.grad_reduce_buckets : 1;
  const double piece = total / buckets;
  for (int bucket = 0; bucket < buckets; ++bucket) {
    const double ready =
        first_ready + (last_ready - first_ready) * static_cast<double>(bucket + 1) / buckets;
    const double start = std::max(ready, state.dp_free);
    state.dp_free = start + piece;
    Emit(result, input.collect_timeline, rank, Stream::kDataParallel, EventKind::kGradReduceScatter,
         -1, chunk, start, state.dp_free);
  }
}

void PipelineSimulator::RunOp(const PipelineInput& input, int rank, const ScheduleOp& op,
                              PipelineResult* result) {
  const int p = shape_.num_ranks;
  const int stages = shape_.NumStages();
  const int stage = op.chunk * p + rank;
  const StageCost& cost = input.Cost(stage);
  const bool forward = op.kind == OpKind::kForward;
  RankState& state = ranks_[static_cast<size_t>(rank)];
  RankBreakdown& breakdown = result->ranks[static_cast<size_t>(rank)];

  // Readiness: the input tensor (if any) and, for forwards, the chunk's parameters.
  const bool has_input = forward ? stage > 0 : stage < stages - 1;
  Arrival input_slot{0, 0};
  if (has_input) {
    const auto& table = forward ? forward_inputs_ : backward_inputs_;
    input_slot = table[static_cast<size_t>(op.microbatch) * static_cast<size_t>(stages) +
                       static_cast<size_t>(stage)];
  }
  double gate = 0;
  if (forward) {
    gate = input.overlap_param_gather ? gather_done_[static_cast<size_t>(stage)]
                                      : state.gather_all_done;
  }
  const double idle_from = state.compute_free;
  const double start = std::max({idle_from, input_slot.arrival, gate});

  // Classify the idle gap [idle_from, start]: all-gather first, then p2p in flight, then bubble.
  if (start > idle_from) {
    const double gap = start - idle_from;
    const double gather_wait = std::clamp(gate - idle_from, 0.0, gap);
    const double p2p_wait =
        has_input ? Overlap(idle_from + gather_wait, start, input_slot.sent, input_slot.arrival)
                  : 0.0;
    breakdown.exposed_param_gather += gather_wait;
    breakdown.exposed_p2p += p2p_wait;
    breakdown.bubble += std::max(0.0, gap - gather_wait - p2p_wait);
  }

  const bool collect = input.collect_timeline;
  double end = 0;
  if (forward) {
    end = start + cost.forward;
    Emit(result, collect, rank, Stream::kCompute, EventKind::kForward, op.microbatch, op.chunk,
         start, end);
    Send(input, rank, op, end, result);
  } else {
    const double input_grad_end = start + cost.backward_input;
    end = input_grad_end + cost.backward_weight;
    Emit(result, collect, rank, Stream::kCompute, EventKind::kBackward, op.microbatch, op.chunk,
         start, input_grad_end);
    if (cost.backward_weight > 0) {
      Emit(result, collect, rank, Stream::kCompute, EventKind::kWeightGrad, op.microbatch, op.chunk,
           input_grad_end, end);
    }
    Send(input, rank, op, input_grad_end, result);
    int& done = backwards_done_[static_cast<size_t>(stage)];
    if (++done == shape_.num_microbatches && input.overlap_grad_reduce) {
      ReduceScatter(input, rank, op.chunk, start, end, result);
    }
  }
  breakdown.compute += end - start;
  state.compute_free = end;
}

bool PipelineSimulator::RunRank(const PipelineInput& input, int rank, PipelineResult* result) {
  const int p = shape_.num_ranks;
  const int stages = shape_.NumStages();
  const int per_rank = shape_.OpsPerRank();
  const ScheduleOp* ops = ops_.data() + static_cast<size_t>(rank) * static_cast<size_t>(per_rank);
  RankState& state = ranks_[static_cast<size_t>(rank)];
  while (state.cursor < per_rank) {
    const ScheduleOp& op = ops[state.cursor];
    const int stage = op.chunk * p + rank;
    const bool forward = op.kind == OpKind::kForward;
    if (forward ? stage > 0 : stage < stages - 1) {
      const auto& table = forward ? forward_inputs_ : backward_inputs_;
      const size_t slot = static_cast<size_t>(op.microbatch) * static_cast<size_t>(stages) +
                          static_cast<size_t>(stage);
      if (table[slot].arrival < 0) {
        state.blocked = true;
        return false;
      }
    }
    RunOp(input, rank, op, result);
    ++state.cursor;
  }
  return true;
}

void PipelineSimulator::Finish(const PipelineInput& input, PipelineResult* result) {
  const int p = shape_.num_ranks;
  double pipeline_end = 0;
  for (int rank = 0; rank < p; ++rank) {
    RankState& state = ranks_[static_cast<size_t>(rank)];
    RankBreakdown& breakdown = result->ranks[static_cast<size_t>(rank)];
    breakdown.compute_end = state.compute_free;
    if (!input.overlap_grad_reduce) {
      // Every chunk after the last op, in the order the backwards finish (chunk v-1 first).
      for (int chunk = shape_.num_chunks - 1; chunk >= 0; --chunk) {
        ReduceScatter(input, rank, chunk, state.compute_free, state.compute_free, result);
      }
    }
    breakdown.finish = std::max(state.compute_free, state.dp_free);
    pipeline_end = std::max(pipeline_end, breakdown.finish);
  }
  result->step_time = pipeline_end + input.optimizer_time;
  result->critical_rank = -1;
  for (int rank = 0; rank < p; ++rank) {
    RankBreakdown& breakdown = result->ranks[static_cast<size_t>(rank)];
    const double tail = pipeline_end - breakdown.compute_end;
    breakdown.exposed_grad_reduce = std::max(0.0, breakdown.finish - breakdown.compute_end);
    breakdown.bubble += std::max(0.0, tail - breakdown.exposed_grad_reduce);
    breakdown.optimizer = input.optimizer_time;
    if (result->critical_rank < 0 && breakdown.finish >= pipeline_end) {
      result->critical_rank = rank;
    }
    if (input.optimizer_time > 0) {
      Emit(result, input.collect_timeline, rank, Stream::kCompute, EventKind::kOptimizer, -1, -1,
           pipeline_end, result->step_time);
    }
  }
  result->critical = result->ranks[static_cast<size_t>(result->critical_rank)];
  result->bubble_fraction =
      result->critical.compute > 0 ? result->critical.bubble / result->critical.compute : 0.0;
  if (input.collect_timeline) {
    std::stable_sort(result->timeline.begin(), result->timeline.end(),
                     [](const TimelineEvent& a, const TimelineEvent& b) {
                       return std::tie(a.rank, a.stream, a.start, a.end) <
                              std::tie(b.rank, b.stream, b.start, b.end);
                     });
  }
}

Status PipelineSimulator::Run(const PipelineInput& input, PipelineResult* result) {
  if (Status s = input.Validate(); !s) return s;
  Prepare(input);
  const int p = shape_.num_ranks;
  result->ranks.assign(static_cast<size_t>(p), RankBreakdown{});
  result->timeline.clear();
  StartParamGathers(input, result);

  // Dependency-driven evaluation: run a rank until it needs an input that is not produced yet;
  // the producer puts it back on the ready list. Results do not depend on this order.
  for (int rank = p - 1; rank >= 0; --rank) ready_.push_back(rank);
  int finished = 0;
  while (!ready_.empty()) {
    const int rank = ready_.back();
    ready_.pop_back();
    if (RunRank(input, rank, result)) ++finished;
  }
  if (finished != p) {
    assert(false && "pipeline schedule deadlocked");
    return Error{fmt::format(
        "pipeline: internal error: the {} schedule deadlocked (p = {}, v = {}, "
        "m = {}); {} of {} ranks finished",
        ToString(shape_.schedule), p, shape_.num_chunks, shape_.num_microbatches, finished, p)};
  }
  Finish(input, result);
  return {};
}

Result<PipelineResult> PipelineSimulator::Run(const PipelineInput& input) {
  PipelineResult result;
  if (Status s = Run(input, &result); !s) return s.error();
  return result;
}

Result<PipelineResult> SimulatePipeline(const PipelineInput& input) {
  PipelineSimulator simulator;
  return simulator.Run(input);
}

}  // namespace moeplan::sim
