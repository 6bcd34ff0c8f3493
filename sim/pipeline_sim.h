//===- sim/pipeline_sim.h - Event-driven pipeline step simulator -*- C++ -*-===//
/// \file
/// Simulates one training step of a pipeline-parallel job over the op order of
/// sim/pipeline_schedule.h, given per-stage durations: it knows nothing about models or hardware.
///
/// The machine model, per pipeline rank:
///  - one compute stream runs the rank's ops in schedule order; an op starts when the previous op
///    has ended and its input has arrived: a forward of virtual stage s > 0 needs the activation
///    from stage s - 1, a backward of stage s < S - 1 needs the gradient from stage s + 1
///    (S = p v; stage s = chunk * p + rank, so chunk boundaries wrap from rank p - 1 to rank 0);
///  - two send streams (to the next rank, to the previous rank) carry those tensors: a transfer
///    starts when its producer has it and the stream is free, takes the link's p2p time and
///    overlaps compute; the receiver waits for its arrival. The activation is ready at the end
///    of the forward; the gradient after the backward's input-gradient part. With p = 1 stages
///    pass tensors in memory (no transfer);
///  - one data-parallel stream runs the collectives: the parameter all-gather of each chunk at
///    the start (chunk order, back to back; without overlap the first op waits for all of them,
///    with overlap a chunk's forwards wait for its own), and the gradient reduce-scatter of each
///    chunk (with overlap it starts as soon as the chunk's last backward is done, or bucket by
///    bucket during it, and overlaps the remaining compute; without overlap all start after the
///    rank's last op);
///  - the optimizer step starts when every rank has finished compute and collectives (it needs
///    the global gradient norm) and lasts `optimizer_time`.
/// The step time is the makespan. The model is deterministic and its evaluation is exact: each
/// op's start is the maximum of its stream's free time and its inputs' arrival (the streams are
/// FIFO in schedule order), evaluated in dependency order with a ready list of ranks, O(p v m).
///
/// The breakdown of each rank splits the step exactly:
///   step_time = compute + bubble + exposed_p2p + exposed_param_gather + exposed_grad_reduce
///               + optimizer.
/// An idle gap before an op is the all-gather's while the op waits for its chunk's parameters,
/// p2p while its input is in flight (from the producer's end to the arrival), bubble otherwise;
/// after the rank's last op, the time its reduce-scatters still run is exposed, the rest (waiting
/// for the slowest rank) is bubble. `PipelineResult::critical` is the breakdown of the rank that
/// finishes last: what the step pays. Example: a uniform 1F1B pipeline with zero communication
/// has step_time = (m + p - 1)(t_f + t_b), compute = m (t_f + t_b) and bubble_fraction =
/// bubble / compute = (p - 1) / m (Narayanan et al. 2021).
///
/// `PipelineSimulator` owns scratch buffers and reuses them: once warm (same or smaller
/// shapes), `Run(input, &result)` without a timeline does not allocate; one simulation of
/// p = 8, v = 4, m = 64 takes tens of microseconds (tests/bench/pipeline_bench.cc). A simulator
/// is not thread-safe: use one per thread.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <vector>

#include "laws/support/result.h"
#include "sim/pipeline_schedule.h"

namespace moeplan::sim {

/// Durations, in seconds, for one virtual stage (one model chunk on one rank).
struct StageCost {
  double forward = 0;              ///< forward of one micro-batch
  double backward_input = 0;       ///< input-gradient part of the backward (all of it when unsplit)
  double backward_weight = 0;      ///< weight-gradient part, run right after backward_input
  double grad_reduce_scatter = 0;  ///< data-parallel reduce-scatter of the chunk's gradients
  double param_all_gather = 0;     ///< data-parallel all-gather of the chunk's parameters

  double Backward() const { return backward_input + backward_weight; }
};

/// Everything the simulator needs; plain data, reuse it across calls in sweeps.
struct PipelineInput {
  PipelineShape shape;
  /// Per virtual stage s = chunk * p + rank (the model's layer order): p v entries, or one entry
  /// that every stage shares.
  std::vector<StageCost> stage_costs;
  /// Seconds to send one activation (or gradient, same size) over link r, which joins rank r and
  /// rank (r + 1) % p, in either direction. Empty: free; one entry: every link; else p entries.
  std::vector<double> p2p_time;
  /// Start each chunk's reduce-scatter as soon as its gradients are complete (Megatron-LM
  /// --overlap-grad-reduce); false: all of them after the rank's last backward.
  bool overlap_grad_reduce = true;
  /// With overlap: a chunk's reduce-scatter in this many equal buckets, bucket b ready at
  /// fraction (b + 1) / buckets of the chunk's last backward (gradients complete layer by layer,
  /// as in Megatron-LM's DDP buckets). 1: the whole chunk after its last backward.
  int grad_reduce_buckets = 1;
  /// The all-gathers run back to back from t = 0 in chunk order and each chunk's forwards wait
  /// only for its own (Megatron-LM --overlap-param-gather); false: the first op waits for all.
  bool overlap_param_gather = false;
  double optimizer_time = 0;      ///< seconds, after every rank has finished
  bool collect_timeline = false;  ///< fill PipelineResult::timeline (allocates per event)

  /// Checks the shape and that every time is finite and >= 0, e.g.
  /// "pipeline: stage_costs[5] (rank 1, chunk 1): forward: expected a finite time >= 0 s, got -1".
  [[nodiscard]] Status Validate() const;

  const StageCost& Cost(int stage) const {
    return stage_costs.size() == 1 ? stage_costs[0] : stage_costs[static_cast<size_t>(stage)];
  }
  /// Time on link `link` (0 when p2p_time is empty).
  double LinkTime(int link) const {
    if (p2p_time.empty()) return 0;
    return p2p_time.size() == 1 ? p2p_time[0] : p2p_time[static_cast<size_t>(link)];
  }
};

/// Where each second of one rank's step went; the fields add up to the step time.
struct RankBreakdown {
  double compute = 0;               ///< busy compute (forwards, backwards)
  double bubble = 0;                ///< idle: pipeline fill/drain, waiting for slower stages
  double exposed_p2p = 0;           ///< idle while an input was in flight
  double exposed_param_gather = 0;  ///< idle while waiting for a parameter all-gather
  double exposed_grad_reduce = 0;   ///< reduce-scatter time after the rank's last op
  double optimizer = 0;             ///< optimizer step
  double compute_end = 0;           ///< when the rank's last op ended
  double finish = 0;                ///< when its last op or collective ended

  double ExposedCommunication() const {
    return exposed_p2p + exposed_param_gather + exposed_grad_reduce;
  }
  double Total() const { return compute + bubble + ExposedCommunication() + optimizer; }
};

enum class Stream : uint8_t {
  kCompute,       ///< forwards, backwards, optimizer
  kSendNext,      ///< p2p sends to rank + 1 (activations)
  kSendPrev,      ///< p2p sends to rank - 1 (gradients)
  kDataParallel,  ///< parameter all-gathers and gradient reduce-scatters
};
inline constexpr int kNumStreams = 4;

enum class EventKind : uint8_t {
  kForward,
  kBackward,    ///< the backward, or its input-gradient part when backward_weight > 0
  kWeightGrad,  ///< the weight-gradient part of a split backward
  kSendActivation,
  kSendGradient,
  kParamAllGather,
  kGradReduceScatter,
  kOptimizer,
};

/// "compute", "send_next", "send_prev", "data_parallel".
const char* ToString(Stream stream);
/// "forward", "backward", "weight_grad", "send_activation", "send_gradient",
/// "param_all_gather", "grad_reduce_scatter", "optimizer".
const char* ToString(EventKind kind);

/// One interval of the timeline; seconds from the start of the step.
struct TimelineEvent {
  int32_t rank = 0;
  Stream stream = Stream::kCompute;
  EventKind kind = EventKind::kForward;
  int32_t microbatch = -1;  ///< -1 for collectives and the optimizer
  int32_t chunk = -1;       ///< -1 for the optimizer
  double start = 0;
  double end = 0;
};

struct PipelineResult {
  double step_time = 0;                 ///< seconds, makespan including the optimizer step
  int critical_rank = 0;                ///< lowest-numbered rank that finishes last
  RankBreakdown critical;               ///< ranks[critical_rank]: what the step pays
  double bubble_fraction = 0;           ///< critical.bubble / critical.compute (relative to ideal)
  std::vector<RankBreakdown> ranks;     ///< p entries
  std::vector<TimelineEvent> timeline;  ///< by rank, stream, start; only if collect_timeline
};

/// Reusable simulator; see the file comment. Not thread-safe.
class PipelineSimulator {
 public:
  /// Validates `input` and simulates it into `result`, reusing its storage.
  [[nodiscard]] Status Run(const PipelineInput& input, PipelineResult* result);
  [[nodiscard]] Result<PipelineResult> Run(const PipelineInput& input);

 private:
  struct RankState {
    int cursor = 0;                ///< next op in the rank's order
    bool blocked = false;          ///< waiting for an input; on no ready list
    double compute_free = 0;       ///< end of the last op on the compute stream
    double send_free[2] = {0, 0};  ///< next, prev send streams
    double dp_free = 0;            ///< data-parallel stream
    double gather_all_done = 0;    ///< end of the rank's last all-gather
  };
  /// Where a tensor for (micro-batch, consumer stage) stands.
  struct Arrival {
    double sent = 0;      ///< when the producer had it
    double arrival = -1;  ///< when the consumer has it; < 0 while not produced
  };

  void Prepare(const PipelineInput& input);
  void StartParamGathers(const PipelineInput& input, PipelineResult* result);
  bool RunRank(const PipelineInput& input, int rank, PipelineResult* result);
  void RunOp(const PipelineInput& input, int rank, const ScheduleOp& op, PipelineResult* result);
  void Send(const PipelineInput& input, int rank, const ScheduleOp& op, double ready,
            PipelineResult* result);
  void ReduceScatter(const PipelineInput& input, int rank, int chunk, double first_ready,
                     double last_ready, PipelineResult* result);
  void Finish(const PipelineInput& input, PipelineResult* result);

  PipelineShape shape_{};
  bool have_order_ = false;
  std::vector<ScheduleOp> ops_;
  std::vector<RankState> ranks_;
  std::vector<Arrival> forward_inputs_;   ///< [mb * S + s]: activation for stage s
  std::vector<Arrival> backward_inputs_;  ///< [mb * S + s]: gradient for stage s
  std::vector<double> gather_done_;       ///< [s]: parameters of stage s available
  std::vector<int> backwards_done_;       ///< [s]: backwards finished on stage s
  std::vector<int> ready_;                ///< ranks that may make progress
};

/// One-shot convenience: a fresh simulator per call (allocates).
[[nodiscard]] Result<PipelineResult> SimulatePipeline(const PipelineInput& input);

}  // namespace moeplan::sim
