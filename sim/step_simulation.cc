//===- sim/step_simulation.cc - Event-driven step of a lowered model ------===//
#include "sim/step_simulation.h"

#include <algorithm>
#include <cmath>

#include "hwmodel/collective_cost.h"
#include "sim/internal/breakdown.h"
#include "sim/internal/stage_sums.h"

namespace moeplan::sim {
namespace {

constexpr int kMaxBuckets = 64;

// Whether link `link` (rank link -> link + 1; link p - 1 wraps to rank 0) joins GPUs of
// different scale-up domains for some pair, under Megatron's rank order (pp outermost: stage r
// holds GPUs [r stride, (r + 1) stride)).
bool LinkCrossesDomain(int64_t link, int64_t pp, int64_t stride, int64_t domain) {
  if (stride * pp <= domain) return false;
  if (stride >= domain || link == pp - 1) return true;
  const int64_t low = link * stride;
  const int64_t next_boundary = (low / domain + 1) * domain;
  return next_boundary < (link + 2) * stride;
}

PipelineSchedule ScheduleOf(const Layout& l) {
  return l.vpp > 1 ? PipelineSchedule::kInterleaved : PipelineSchedule::kOneFOneB;
}

// FSDP gathers parameters before the forward and backward of every micro-batch and
// reduce-scatters gradients after it; what the stage's own compute does not hide is added.
void AddFsdpExposure(StageCost& cost, const DataParallelTimes& dp) {
  const double backward = cost.backward_input + cost.backward_weight;
  cost.forward += std::max(0.0, dp.param - cost.forward);
  cost.backward_input += std::max(0.0, dp.param + dp.grad - backward);
}

}  // namespace

PipelineInput BuildPipelineInput(const ModelProfile& profile, const LoweredModel& lowered,
                                 const Layout& l, const hw::Fleet& fleet,
                                 const SimOptions& options) {
  const hw::Hardware& hardware = fleet.hardware;
  const int64_t stages = l.VirtualStages();
  PipelineInput in;
  in.shape = {ScheduleOf(l), static_cast<int>(l.pp), static_cast<int>(l.vpp),
              static_cast<int>(l.Microbatches())};
  in.stage_costs.resize(static_cast<size_t>(stages));
  std::vector<double> rank_dense(static_cast<size_t>(l.pp), 0.0);
  std::vector<double> rank_expert(static_cast<size_t>(l.pp), 0.0);
  double max_chunk_params = 0.0;
  for (int64_t stage = 0; stage < stages; ++stage) {
    const internal::StageSums sums =
        internal::SumStage(profile, lowered, stage, stages, l.pp, l.recompute);
    StageCost& cost = in.stage_costs[static_cast<size_t>(stage)];
    cost.forward = sums.forward;
    cost.backward_input = sums.backward_input;
    cost.backward_weight = sums.backward_weight;
    const double dense = static_cast<double>(sums.dense_params);
    const double expert = static_cast<double>(sums.expert_params);
    const DataParallelTimes dp = DataParallelTime(l, hardware, dense, expert);
    if (l.sharding == Sharding::kFull) {
      AddFsdpExposure(cost, dp);
    } else {
      cost.grad_reduce_scatter = dp.grad;
      cost.param_all_gather = dp.param;
    }
    const auto rank = static_cast<size_t>(stage % l.pp);
    rank_dense[rank] += dense;
    rank_expert[rank] += expert;
    max_chunk_params = std::max(max_chunk_params, dense + expert);
  }
  if (l.pp > 1) {
    in.p2p_time.resize(static_cast<size_t>(l.pp));
    auto send = [&](hw::Placement placement) {
      return hw::CollectiveTime(hw::Collective::kSendRecv, lowered.p2p_bytes, {2, placement, 0},
                                hardware);
    };
    const double up = send(hw::Placement::kScaleUp);
    const double out = send(hw::Placement::kScaleOut);
    for (int64_t link = 0; link < l.pp; ++link) {
      const bool crosses =
          LinkCrossesDomain(link, l.pp, l.StageGpus(), hardware.scale_up.domain_size);
      in.p2p_time[static_cast<size_t>(link)] = crosses ? out : up;
    }
  }
  in.overlap_grad_reduce = options.overlap_grad_reduce;
  in.overlap_param_gather = options.overlap_param_gather;
  in.grad_reduce_buckets = static_cast<int>(std::clamp(
      std::ceil(max_chunk_params / options.ddp_bucket_params), 1.0, double{kMaxBuckets}));
  const size_t heaviest = static_cast<size_t>(
      std::max_element(rank_dense.begin(), rank_dense.end()) - rank_dense.begin());
  in.optimizer_time = OptimizerTime(l, hardware, rank_dense[heaviest],
                                    *std::max_element(rank_expert.begin(), rank_expert.end()));
  return in;
}

Result<SimulatedStep> SimulateStep(const ModelProfile& profile, const LoweredModel& lowered,
                                   const Layout& l, const hw::Fleet& fleet,
                                   const SimOptions& options, bool collect_timeline,
                                   PipelineSimulator* simulator) {
  PipelineSimulator local;
  PipelineSimulator& sim = simulator != nullptr ? *simulator : local;
  PipelineInput in = BuildPipelineInput(profile, lowered, l, fleet, options);
  in.collect_timeline = collect_timeline;
  SimulatedStep out;
  if (Status status = sim.Run(in, &out.pipeline); !status.ok()) return status.error();

  const PipelineResult& result = out.pipeline;
  // Every rank's breakdown adds up to the step; report the busiest one (the others wait for it).
  int busiest = 0;
  for (size_t r = 1; r < result.ranks.size(); ++r) {
    if (result.ranks[r].compute > result.ranks[static_cast<size_t>(busiest)].compute) {
      busiest = static_cast<int>(r);
    }
  }
  const RankBreakdown& rank = result.ranks[static_cast<size_t>(busiest)];
  StepEstimate& est = out.step;
  est.microbatches = l.Microbatches();
  est.critical_rank = busiest;
  const double flops = internal::AddRankBreakdown(est, profile, lowered, l, busiest);
  const double m = static_cast<double>(est.microbatches);
  auto at = [](CommKind kind) { return static_cast<size_t>(kind); };
  if (l.sharding == Sharding::kFull) {
    // The FSDP exposure sits inside the stage times: recover it per critical stage.
    double fsdp = 0.0;
    for (int64_t chunk = 0; chunk < l.vpp; ++chunk) {
      const int64_t stage = chunk * l.pp + busiest;
      const internal::StageSums sums =
          internal::SumStage(profile, lowered, stage, l.VirtualStages(), l.pp, l.recompute);
      const StageCost& cost = in.stage_costs[static_cast<size_t>(stage)];
      fsdp += cost.forward + cost.Backward() - sums.Time();
    }
    est.exposed_by_kind[at(CommKind::kDataParallelParam)] += m * fsdp;
  }
  est.exposed_by_kind[at(CommKind::kPipelineP2p)] = rank.exposed_p2p;
  est.exposed_by_kind[at(CommKind::kDataParallelGrad)] += rank.exposed_grad_reduce;
  est.exposed_by_kind[at(CommKind::kDataParallelParam)] += rank.exposed_param_gather;
  est.optimizer = rank.optimizer;
  est.compute_by_class[static_cast<size_t>(OpClass::kOptimizer)] = est.optimizer;
  // The framework's fixed host work per step runs after the optimizer, outside the pipeline.
  const double per_step = fleet.hardware.efficiency.host.per_step;
  est.compute_by_class[static_cast<size_t>(OpClass::kHostBound)] += per_step;
  for (double seconds : est.compute_by_class) est.compute += seconds;
  for (double seconds : est.exposed_by_kind) est.exposed_comm += seconds;
  est.step_time = result.step_time + per_step;
  // The rank's idle time; equals the simulator's bubble up to rounding.
  est.bubble = std::max(0.0, est.step_time - est.compute - est.exposed_comm);

  const StepEstimate analytic = EstimateStep(profile, lowered, l, fleet, options);
  est.memory = analytic.memory;
  for (size_t k = 0; k < kNumCommKinds; ++k) est.comm_by_kind[k] = analytic.comm_by_kind[k];
  if (analytic.imbalance_loss > 0.0) {
    // Same simulation with every stage relieved of its imbalance seconds.
    for (int64_t stage = 0; stage < l.VirtualStages(); ++stage) {
      const internal::StageSums sums =
          internal::SumStage(profile, lowered, stage, l.VirtualStages(), l.pp, l.recompute);
      StageCost& cost = in.stage_costs[static_cast<size_t>(stage)];
      const double total = cost.forward + cost.Backward();
      const double keep = total > 0.0 ? (total - sums.imbalance) / total : 1.0;
      cost.forward *= keep;
      cost.backward_input *= keep;
      cost.backward_weight *= keep;
    }
    in.collect_timeline = false;
    PipelineResult balanced;
    if (Status status = sim.Run(in, &balanced); !status.ok()) return status.error();
    est.imbalance_loss = std::max(0.0, est.step_time - balanced.step_time);
  }
  est.throughput = ComputeThroughput(profile, l, fleet.hardware, est.step_time, flops);
  return out;
}

}  // namespace moeplan::sim
