//===- sim/step_estimate.cc - Fast analytic step time and memory ----------===//
#include "sim/step_estimate.h"

#include <algorithm>
#include <cmath>

#include "hwmodel/collective_cost.h"
#include "hwmodel/memory_cost.h"
#include "sim/internal/breakdown.h"
#include "sim/internal/emitter.h"
#include "sim/internal/stage_sums.h"

namespace moeplan::sim {
namespace {

using internal::StageSums;

constexpr double kOptimizerBytesPerParam = 34.0;  // read grad, master, m, v; write master, m, v,
                                                  // bf16 weight; gradient-norm pass over grads

// Adds `count` micro-batch passes of `block` to the breakdown.
void AddBreakdown(StepEstimate& est, double& flops, const BlockCost& block, double count,
                  Recompute mode) {
  if (count <= 0.0) return;
  const auto m = static_cast<size_t>(mode);
  for (size_t c = 0; c < kNumOpClasses; ++c) est.compute_by_class[c] += count * block.compute[c];
  est.compute_by_class[static_cast<size_t>(OpClass::kRecompute)] += count * block.recompute[m];
  for (size_t k = 0; k < kNumCommKinds; ++k) {
    est.exposed_by_kind[k] += count * block.exposed[k];
    est.comm_by_kind[k] += count * block.comm[k];
  }
  flops += count * (block.flops + block.recompute_flops[m]);
}

// Seconds of pipeline send/recv on the critical path, `send` seconds per transfer. Interleaved:
// the first activation and the last gradient cross every one of the S - 1 stage boundaries,
// 2 (S - 1) sends, and the steady state hides the rest (exact on uniform pipelines of the event
// simulator, sim/pipeline_sim.h). 1F1B blocks on its neighbour in the steady state: a rank waits
// for the gradient of the micro-batch it just sent forward, a round trip of two sends that only
// the neighbour's weight-gradient work (`weight_grad`, run while the gradient is in flight)
// hides; on uniform pipelines the simulator exposes 2 (1 - 1/p) such sends per micro-batch plus
// 2 (p - 2) for fill and drain when m >= p (max(2 (p - 1), 2 (p + m - 3)) when m < p).
double P2pExposure(int64_t p, int64_t v, int64_t m, double send, double weight_grad) {
  if (p <= 1) return 0.0;
  const double pd = static_cast<double>(p);
  const double md = static_cast<double>(m);
  if (v > 1) return 2.0 * (pd * static_cast<double>(v) - 1.0) * send;
  if (m < p) return std::max(2.0 * (pd - 1.0), 2.0 * (pd + md - 3.0)) * send;
  const double round_trip = std::max(0.0, 2.0 * send - weight_grad);
  return (1.0 - 1.0 / pd) * md * round_trip + 2.0 * (pd - 2.0) * send;
}

// Exposed part of a collective of `total` seconds in `buckets` that overlaps `window` seconds of
// compute: at least the last bucket.
double ExposedBuckets(double total, double window, double buckets, bool overlap) {
  if (!overlap) return total;
  return std::max(total / buckets, total - window * (buckets - 1.0) / buckets);
}

}  // namespace

double internal::AddRankBreakdown(StepEstimate& est, const ModelProfile& profile,
                                  const LoweredModel& lowered, const Layout& l, int64_t rank) {
  const int64_t stages = l.VirtualStages();
  const double m = static_cast<double>(l.Microbatches());
  double flops = 0.0;
  for (int64_t chunk = 0; chunk < l.vpp; ++chunk) {
    const int64_t stage = chunk * l.pp + rank;
    const StageSpan span = StageLayers(profile.num_layers(), stages, stage, lowered.reserve_first,
                                       lowered.reserve_last);
    for (int k = 0; k < profile.num_kinds; ++k) {
      const double n = static_cast<double>(profile.CountKind(k, span.begin, span.end));
      AddBreakdown(est, flops, lowered.layers[static_cast<size_t>(k)], n * m, l.recompute);
    }
    if (stage == 0) AddBreakdown(est, flops, lowered.embedding, m, Recompute::kNone);
    if (stage == stages - 1) {
      AddBreakdown(est, flops, lowered.head, m, Recompute::kNone);
      if (profile.arch.mtp_layers > 0) AddBreakdown(est, flops, lowered.mtp, m, l.recompute);
    }
  }
  return flops;
}

double PipelineSendTime(const Layout& layout, const hw::Hardware& hardware, double bytes) {
  const int64_t stride = layout.StageGpus();
  const bool one_domain = stride * layout.pp <= hardware.scale_up.domain_size;
  const hw::CollectiveGroup link{2, one_domain ? hw::Placement::kScaleUp : hw::Placement::kScaleOut,
                                 0};
  return hw::CollectiveTime(hw::Collective::kSendRecv, bytes, link, hardware);
}

DataParallelTimes DataParallelTime(const Layout& l, const hw::Hardware& hardware, double dense,
                                   double expert) {
  const int64_t domain = hardware.scale_up.domain_size;
  const hw::CollectiveGroup dense_group = internal::GroupAt(l.dp * l.cp, l.tp, domain);
  const hw::CollectiveGroup expert_group = internal::GroupAt(l.Edp(), l.etp * l.ep, domain);
  auto both = [&](hw::Collective collective, double bytes_per_param) {
    return hw::CollectiveTime(collective, bytes_per_param * dense, dense_group, hardware) +
           hw::CollectiveTime(collective, bytes_per_param * expert, expert_group, hardware);
  };
  DataParallelTimes times;
  if (l.sharding == Sharding::kNone) {
    times.grad = both(hw::Collective::kAllReduce, 4.0);
  } else {
    times.grad = both(hw::Collective::kReduceScatter, 4.0);
    times.param = both(hw::Collective::kAllGather, 2.0);
  }
  return times;
}

double OptimizerTime(const Layout& l, const hw::Hardware& hardware, double dense, double expert) {
  double shard = dense + expert;
  if (l.sharding != Sharding::kNone) {
    shard = dense / static_cast<double>(l.dp * l.cp) + expert / static_cast<double>(l.Edp());
  }
  return hw::MemoryBoundTime(hw::MemoryKernel::kOptimizer, kOptimizerBytesPerParam * shard,
                             hardware);
}

Throughput ComputeThroughput(const ModelProfile& profile, const Layout& l,
                             const hw::Hardware& hardware, double step_time,
                             double executed_flops) {
  Throughput t;
  if (!(step_time > 0.0)) return t;
  const double tokens = static_cast<double>(l.gbs) * static_cast<double>(profile.arch.seq_len);
  t.tokens_per_second_per_gpu = tokens / (step_time * static_cast<double>(l.World()));
  const double peak_bf16 = hardware.device.PeakFlops(hw::Precision::kBf16);
  for (size_t c = 0; c < kNumFlopConventions; ++c) {
    const double flops_per_second = t.tokens_per_second_per_gpu * profile.model_flops_per_token[c];
    t.model_tflops_per_gpu[c] = flops_per_second / 1e12;
    t.mfu[c] = flops_per_second / peak_bf16;
  }
  t.hardware_flops_utilization =
      executed_flops / step_time / hardware.device.PeakFlops(l.precision);
  return t;
}

StepEstimate EstimateStep(const ModelProfile& profile, const LoweredModel& lowered, const Layout& l,
                          const hw::Fleet& fleet, const SimOptions& options) {
  const hw::Hardware& hardware = fleet.hardware;
  StepEstimate est;
  est.microbatches = l.Microbatches();
  const double m = static_cast<double>(est.microbatches);

  double t_max = -1.0, t_sum = 0.0, balanced_max = 0.0, balanced_sum = 0.0;
  StageSums critical;
  int64_t max_dense = 0, max_expert = 0;
  const RankMemoryTotal memory_total(l, options);
  StageSums largest;
  int64_t largest_rank = 0;
  double largest_memory = -1.0;
  for (int64_t rank = 0; rank < l.pp; ++rank) {
    const StageSums sums = SumRankStages(profile, lowered, l, rank);
    const double t = sums.Time();
    const double balanced = t - sums.imbalance;
    t_sum += t;
    balanced_sum += balanced;
    balanced_max = std::max(balanced_max, balanced);
    if (t > t_max) {
      t_max = t;
      est.critical_rank = rank;
      critical = sums;
    }
    max_dense = std::max(max_dense, sums.dense_params);
    max_expert = std::max(max_expert, sums.expert_params);
    const double memory = memory_total(sums);
    if (memory > largest_memory) {
      largest_memory = memory;
      largest_rank = rank;
      largest = sums;
    }
  }
  est.memory = RankMemory(largest, largest_rank, l, hardware, options);
  const double vpp = static_cast<double>(l.vpp);
  const double pipeline = m * t_max + (t_sum - t_max) / vpp;
  const double pipeline_balanced = m * balanced_max + (balanced_sum - balanced_max) / vpp;

  const double executed_flops =
      internal::AddRankBreakdown(est, profile, lowered, l, est.critical_rank);
  const auto pp_kind = static_cast<size_t>(CommKind::kPipelineP2p);
  if (l.pp > 1) {
    const double send = PipelineSendTime(l, hardware, lowered.p2p_bytes);
    est.exposed_by_kind[pp_kind] =
        P2pExposure(l.pp, l.vpp, est.microbatches, send, critical.backward_weight);
    est.comm_by_kind[pp_kind] = 2.0 * m * vpp * send;
  }
  const double dense = static_cast<double>(max_dense);
  const double expert = static_cast<double>(max_expert);
  const DataParallelTimes dp = DataParallelTime(l, hardware, dense, expert);
  const auto grad_kind = static_cast<size_t>(CommKind::kDataParallelGrad);
  const auto param_kind = static_cast<size_t>(CommKind::kDataParallelParam);
  if (l.sharding == Sharding::kFull) {
    // Gather before forward and backward, reduce-scatter after backward, every micro-batch.
    const double per_microbatch = 2.0 * dp.param + dp.grad;
    const double layers = static_cast<double>(std::max<int64_t>(critical.layers, 1));
    est.comm_by_kind[grad_kind] = m * dp.grad;
    est.comm_by_kind[param_kind] = 2.0 * m * dp.param;
    const double exposed = m * std::max(0.0, per_microbatch - t_max) + dp.param / layers;
    // No data-parallel group (dp x cp = 1): nothing to gather or reduce, nothing exposed.
    const double param_share = per_microbatch > 0.0 ? 2.0 * dp.param / per_microbatch : 0.0;
    est.exposed_by_kind[param_kind] = exposed * param_share;
    est.exposed_by_kind[grad_kind] = exposed - est.exposed_by_kind[param_kind];
  } else {
    const double buckets = std::max(1.0, std::ceil((dense + expert) / options.ddp_bucket_params));
    est.comm_by_kind[grad_kind] = dp.grad;
    est.comm_by_kind[param_kind] = dp.param;
    est.exposed_by_kind[grad_kind] =
        ExposedBuckets(dp.grad, critical.backward_input + critical.backward_weight, buckets,
                       options.overlap_grad_reduce);
    est.exposed_by_kind[param_kind] =
        ExposedBuckets(dp.param, critical.forward, buckets, options.overlap_param_gather);
  }
  est.optimizer = OptimizerTime(l, hardware, dense, expert);
  est.compute_by_class[static_cast<size_t>(OpClass::kOptimizer)] = est.optimizer;
  // The framework's fixed host work per step (hw::HostParams::per_step).
  est.compute_by_class[static_cast<size_t>(OpClass::kHostBound)] +=
      hardware.efficiency.host.per_step;

  for (double seconds : est.compute_by_class) est.compute += seconds;
  for (double seconds : est.exposed_by_kind) est.exposed_comm += seconds;
  est.bubble = pipeline - m * t_max;
  est.step_time = est.compute + est.exposed_comm + est.bubble;
  est.imbalance_loss = pipeline - pipeline_balanced;
  est.throughput = ComputeThroughput(profile, l, hardware, est.step_time, executed_flops);
  return est;
}

}  // namespace moeplan::sim
