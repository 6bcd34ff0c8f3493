//===- tests/sim/step_estimate_test.cc - Analytic step by hand -------------===//
/// A tiny dense model (tests/sim/sim_test_support.h: V = 512, d = 256, 4 layers, 4 heads of 64,
/// plain FFN 1024, S = 256, one sequence per micro-batch) on the ideal toy device, where only
/// FLOPs and wire bytes cost time. One layer and micro-batch, by hand:
///   GEMMs, forward: 2 x 256 tokens x (256 x 768 + 256 x 256 + 256 x 1024 + 1024 x 256)
///                   = 402,653,184 FLOPs; backward twice that; at 0.5 x 1e15 FLOP/s;
///   attention:      forward 2 x 4 heads x (256 x 257 / 2) pairs x 128 = 33,685,504 FLOPs at
///                   0.5e15; backward 2.5x = 84,213,760 FLOPs at 0.25e15;
///   LM head:        3 x 2 x 256 x 512 x 256 = 201,326,592 FLOPs at 0.5e15 (last stage).
/// Norms, activations, the embedding and the optimizer are memory-bound: ~0 at unbounded HBM
/// bandwidth. Collectives cost their ring wire bytes / 100 GB/s.
#include "sim/step_estimate.h"

#include <gtest/gtest.h>

#include "hwmodel/fleet_source.h"
#include "laws/presets.h"
#include "sim/layout_check.h"
#include "sim/step_simulation.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

using testing::FleetOf;
using testing::IdealHardware;
using testing::MakeLayout;
using testing::TinyDense;

constexpr double kLayer = testing::kTinyDenseLayerSeconds;
constexpr double kHead = testing::kTinyDenseHeadSeconds;
constexpr double kParams = 3410176.0;  // 4 x 786,944 + embedding 131,072 + head and norm 131,328
constexpr double kRel = 1e-9;

struct Estimated {
  ModelProfile profile;
  Layout layout;
  LoweredModel lowered;
  StepEstimate step;
};

Estimated Estimate(const Layout& layout, int64_t gpus) {
  const hw::Fleet fleet = FleetOf(IdealHardware(), gpus);
  Estimated out;
  out.profile = *BuildProfile(TinyDense());
  Result<Layout> resolved = ResolveLayout(layout, out.profile.arch, fleet);
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  out.layout = *resolved;
  out.lowered = LowerModel(out.profile, out.layout, fleet.hardware, SimOptions{});
  out.step = EstimateStep(out.profile, out.lowered, out.layout, fleet, SimOptions{});
  return out;
}

void ExpectBreakdownAddsUp(const StepEstimate& step) {
  EXPECT_NEAR(step.compute + step.exposed_comm + step.bubble, step.step_time,
              1e-12 * step.step_time);
}

TEST(StepEstimateTest, OneGpuIsMicroBatchesTimesTheModel) {
  const Estimated e = Estimate(MakeLayout(1, 1, 1, 1, 4), 1);
  EXPECT_EQ(e.step.microbatches, 4);
  EXPECT_NEAR(e.step.step_time, 4 * (4 * kLayer + kHead), kRel * e.step.step_time);
  EXPECT_NEAR(e.step.bubble, 0.0, 1e-15);
  EXPECT_NEAR(e.step.exposed_comm, 0.0, 1e-15);
  ExpectBreakdownAddsUp(e.step);
  // Throughput: 4 x 256 tokens per step on one GPU.
  EXPECT_NEAR(e.step.throughput.tokens_per_second_per_gpu, 1024.0 / e.step.step_time, 1e-6);
}

TEST(StepEstimateTest, TwoStagePipelineByHand) {
  // Stage 0: layers 0-1 and the embedding; stage 1: layers 2-3 and the LM head. m = 4:
  // pipeline = m t_1 + t_0. One send is 256 x 256 x 2 bytes / 100 GB/s = 1.31 us; 1F1B
  // exposes (1 - 1/p) m max(0, 2 send - w) + 2 (p - 2) send (sim/step_estimate.h), w the
  // critical stage's weight-gradient GEMMs: 2 layers x 402,653,184 FLOPs + the LM head's
  // 67,108,864, at 0.5e15.
  const Estimated e = Estimate(MakeLayout(1, 2, 1, 1, 4), 2);
  const double t0 = 2 * kLayer, t1 = 2 * kLayer + kHead;
  const double send = 256.0 * 256 * 2 / 100e9;
  const double wgrad = (2 * 402653184.0 + 67108864.0) / 0.5e15;
  const double p2p = 0.5 * 4 * (2 * send - wgrad);
  EXPECT_NEAR(e.step.step_time, 4 * t1 + t0 + p2p, kRel * e.step.step_time);
  EXPECT_NEAR(e.step.bubble, t0, kRel * t0);
  EXPECT_NEAR(e.step.exposed_by_kind[static_cast<size_t>(CommKind::kPipelineP2p)], p2p, 1e-15);
  EXPECT_EQ(e.step.critical_rank, 1);
  ExpectBreakdownAddsUp(e.step);
}

TEST(StepEstimateTest, DataParallelGradientsAndParametersByHand) {
  // dp = 2, m = 2. One bucket (3.4M < 40M parameters), so nothing hides: reduce-scatter of FP32
  // gradients 1/2 x 4 P bytes, all-gather of BF16 parameters 1/2 x 2 P bytes, at 100 GB/s.
  const Estimated e = Estimate(MakeLayout(1, 1, 1, 1, 4), 2);
  EXPECT_EQ(e.layout.dp, 2);
  const double grad = 2 * kParams / 100e9, param = kParams / 100e9;
  EXPECT_NEAR(e.step.exposed_by_kind[static_cast<size_t>(CommKind::kDataParallelGrad)], grad,
              1e-15);
  EXPECT_NEAR(e.step.exposed_by_kind[static_cast<size_t>(CommKind::kDataParallelParam)], param,
              1e-15);
  EXPECT_NEAR(e.step.step_time, 2 * (4 * kLayer + kHead) + grad + param, kRel * e.step.step_time);
  ExpectBreakdownAddsUp(e.step);
}

TEST(StepEstimateTest, DdpAllReducesWithoutParameterGather) {
  Layout layout = MakeLayout(1, 1, 1, 1, 4);
  layout.sharding = Sharding::kNone;
  const Estimated e = Estimate(layout, 2);
  // All-reduce of FP32 gradients over 2 GPUs: 2 (n - 1) / n x 4 P bytes.
  EXPECT_NEAR(e.step.exposed_by_kind[static_cast<size_t>(CommKind::kDataParallelGrad)],
              4 * kParams / 100e9, 1e-15);
  EXPECT_EQ(e.step.exposed_by_kind[static_cast<size_t>(CommKind::kDataParallelParam)], 0.0);
}

TEST(StepEstimateTest, FullRecomputeRepeatsTheForward) {
  Layout layout = MakeLayout(1, 1, 1, 1, 4);
  layout.recompute = Recompute::kFull;
  const Estimated e = Estimate(layout, 1);
  const double forward = 402653184.0 / 0.5e15 + 33685504.0 / 0.5e15;
  EXPECT_NEAR(e.step.step_time, 4 * (4 * (kLayer + forward) + kHead), kRel * e.step.step_time);
  EXPECT_NEAR(e.step.compute_by_class[static_cast<size_t>(OpClass::kRecompute)], 4 * 4 * forward,
              kRel * forward);
}

TEST(StepEstimateTest, MfuUsesTheModelFlopsOfBothConventions) {
  const Estimated e = Estimate(MakeLayout(1, 1, 1, 1, 4), 1);
  const Throughput& t = e.step.throughput;
  for (size_t c = 0; c < kNumFlopConventions; ++c) {
    EXPECT_NEAR(t.mfu[c], t.tokens_per_second_per_gpu * e.profile.model_flops_per_token[c] / 1e15,
                1e-12);
  }
  EXPECT_LT(t.mfu[0], t.mfu[1]);  // causal attention counts fewer FLOPs
}

TEST(StepEstimateTest, EventSimulationAgreesOnSmallPipelines) {
  // Sends here cost half a layer, far more than in real models: a hard case for the analytic
  // p2p term, which over-counts the 1F1B round trips of non-uniform stages.
  for (int64_t pp : {1, 2, 4}) {
    const Estimated e = Estimate(MakeLayout(1, pp, 1, 1, 8), pp);
    Result<SimulatedStep> simulated =
        SimulateStep(e.profile, e.lowered, e.layout, FleetOf(IdealHardware(), pp), SimOptions{});
    ASSERT_TRUE(simulated.ok()) << simulated.error().message;
    EXPECT_NEAR(simulated->step.step_time, e.step.step_time, 0.1 * e.step.step_time) << pp;
    ExpectBreakdownAddsUp(simulated->step);
  }
}

TEST(StepEstimateTest, EventSimulationAgreesOnRealModels) {
  struct Case {
    const char* model;
    const char* fleet;
    const char* layout;
  };
  for (const Case& c : {Case{"llama-3-8b", "16xH100", "tp=2,pp=4,gbs=64"},
                        Case{"llama-3-8b", "16xH100", "tp=2,pp=4,vpp=2,gbs=64"},
                        Case{"mixtral-8x7b", "64xH100", "pp=4,vpp=8,ep=8,gbs=256"},
                        Case{"qwen3-30b-a3b", "32xH100", "pp=2,ep=8,gbs=128,recompute=full"}}) {
    const laws::MoeArch arch = laws::FindPreset(c.model)->arch;
    const hw::Fleet fleet = *hw::LoadFleet(c.fleet);
    const ModelProfile profile = *BuildProfile(arch);
    const Layout layout = *ResolveLayout(*ParseLayout(c.layout), arch, fleet);
    const LoweredModel lowered = LowerModel(profile, layout, fleet.hardware, SimOptions{});
    const StepEstimate analytic = EstimateStep(profile, lowered, layout, fleet, SimOptions{});
    Result<SimulatedStep> simulated = SimulateStep(profile, lowered, layout, fleet, SimOptions{});
    ASSERT_TRUE(simulated.ok()) << simulated.error().message;
    // Uneven stages (the LM head on the last one) are where the analytic pipeline formula is an
    // approximation of the schedule: agreement within 3.5% (measured: 3.1% for llama-3-8b
    // tp=2,pp=4 with the fitted presets, within 3% before).
    EXPECT_NEAR(simulated->step.step_time, analytic.step_time, 0.035 * analytic.step_time)
        << c.model << " " << c.layout;
    ExpectBreakdownAddsUp(simulated->step);
  }
}

}  // namespace
}  // namespace moeplan::sim
