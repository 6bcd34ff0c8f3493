//===- sim/step_estimate.h - Fast analytic step time and memory -*- C++ -*-===//
/// \file
/// The analytic estimate of one training step from a lowered model (sim/lowering.h): fast
/// enough for sweeps over millions of (model, layout) pairs (well below a microsecond once the
/// model is lowered; tests/bench/sim_bench.cc), allocation-free and thread-safe.
///
/// With S = pp x vpp virtual stages, t_s the seconds of one micro-batch through stage s
/// (forward + backward + recompute + the exposed in-layer communication, summed over its
/// layers by sim/internal/stage_sums.h), t_r = sum of rank r's stages, t_max = max_r t_r and m
/// micro-batches:
///
///   pipeline  = m t_max + (sum_r t_r - t_max) / vpp      (= (m + (p - 1) / v) t when uniform:
///                                                          bubble (p - 1) / (v m), Narayanan
///                                                          et al. 2021)
///   p2p       = 2 (S - 1) t_send when interleaved (the first activation and the last
///               gradient cross every stage boundary); 1F1B also waits in the steady state
///               for the gradient round trip that the neighbour's weight-gradient work w does
///               not hide: (1 - 1/p) m max(0, 2 t_send - w) + 2 (p - 2) t_send for m >= p.
///               Both reproduce the event simulator on uniform pipelines (step_estimate.cc)
///   dp        = exposed gradient reduce-scatter + parameter all-gather: with overlap, what
///               does not fit behind the last micro-batch's backward (forward), and at least
///               one bucket; all of it without overlap (DDP all-reduce when not sharded;
///               FSDP gathers and reduces every micro-batch, hidden behind its compute)
///   optimizer = fused Adam over the rank's shard: 34 bytes per parameter through HBM
///   step      = pipeline + p2p + dp + optimizer
///
/// The breakdown is that of the slowest rank and adds up exactly:
///   step = compute (by op class, recompute included) + exposed communication (by kind)
///          + bubble + optimizer.
/// The expert-imbalance loss is what the step loses to the busiest expert rank over balanced
/// routing (already inside compute and communication, reported separately).
/// Throughput: tokens/s/GPU = gbs x seq / (step x world); model TFLOP/s per GPU and MFU (of the
/// dense BF16 peak) under both FLOP conventions of sim/model_profile.h.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>

#include "hwmodel/hardware.h"
#include "sim/layout.h"
#include "sim/lowering.h"
#include "sim/memory_estimate.h"
#include "sim/model_profile.h"
#include "sim/sim_options.h"

namespace moeplan::sim {

/// Throughput figures shared by the analytic and simulated results.
struct Throughput {
  double tokens_per_second_per_gpu = 0.0;
  /// Model FLOP/s per GPU / 1e12, by FlopConvention.
  std::array<double, kNumFlopConventions> model_tflops_per_gpu{};
  /// Model FLOP/s per GPU over the dense BF16 peak, by FlopConvention.
  std::array<double, kNumFlopConventions> mfu{};
  /// Executed FLOP/s (recompute and redundant replicated work included) of the slowest rank
  /// over the dense peak of the layout's precision.
  double hardware_flops_utilization = 0.0;
};

struct StepEstimate {
  double step_time = 0.0;     ///< seconds
  int64_t critical_rank = 0;  ///< the pipeline rank described (the busiest)
  int64_t microbatches = 0;
  double compute = 0.0;  ///< seconds of the slowest rank, recompute included
  std::array<double, kNumOpClasses> compute_by_class{};
  double exposed_comm = 0.0;
  std::array<double, kNumCommKinds> exposed_by_kind{};
  std::array<double, kNumCommKinds> comm_by_kind{};  ///< all transfer time, hidden or not
  double bubble = 0.0;                               ///< pipeline fill/drain and stage imbalance
  double optimizer = 0.0;                            ///< optimizer step
  double imbalance_loss = 0.0;  ///< seconds lost to the busiest expert rank (already included)
  Throughput throughput;
  MemoryBreakdown memory;  ///< of the rank that needs the most
};

/// Estimates one step of the resolved `layout` from `lowered` (LowerModel of the same profile,
/// layout and hardware). Allocation-free.
StepEstimate EstimateStep(const ModelProfile& profile, const LoweredModel& lowered,
                          const Layout& layout, const hw::Fleet& fleet, const SimOptions& options);

/// The throughput of a step of `step_time` seconds (also used by the event simulation).
/// `executed_flops` are the slowest rank's FLOPs per step.
Throughput ComputeThroughput(const ModelProfile& profile, const Layout& layout,
                             const hw::Hardware& hardware, double step_time, double executed_flops);

/// Seconds of one pipeline send/recv of `bytes` between adjacent stages of `layout` (scale-up
/// when the whole pipeline sits in one domain, else scale-out).
double PipelineSendTime(const Layout& layout, const hw::Hardware& hardware, double bytes);

/// Data-parallel collectives of one rank: seconds of the gradient reduction and of the
/// parameter all-gather (0 unless sharded) for `dense` and `expert` parameters.
struct DataParallelTimes {
  double grad = 0.0;
  double param = 0.0;
};
DataParallelTimes DataParallelTime(const Layout& layout, const hw::Hardware& hardware, double dense,
                                   double expert);

/// Seconds of the fused optimizer step over a rank's shard of `dense` and `expert` parameters.
double OptimizerTime(const Layout& layout, const hw::Hardware& hardware, double dense,
                     double expert);

}  // namespace moeplan::sim
