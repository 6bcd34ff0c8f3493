//===- tests/sim/host_floor_test.cc - Host dispatch floor by hand ---------===//
/// hw::HostParams on the ideal toy device (tests/sim/sim_test_support.h), where a kernel's GPU
/// time is a few microseconds at most. With per_kernel = 1 s the host is ~10^5 times slower
/// than the GPU, so every pass of a block takes (its kernels) x 1 s, and the kernels are the
/// op table's records (one record per launched kernel for a dense model: one GEMM per linear
/// pass, one attention kernel per pass, one kernel per norm / activation / collective). The
/// expected times therefore come from counting records, not from the floor's own code.
#include <gtest/gtest.h>

#include "sim/layout_check.h"
#include "sim/lowering.h"
#include "sim/step_estimate.h"
#include "tests/sim/sim_test_support.h"

namespace moeplan::sim {
namespace {

using testing::FleetOf;
using testing::IdealHardware;
using testing::MakeLayout;
using testing::TinyDense;

struct Lowered {
  ModelProfile profile;
  Layout layout;
  LoweredModel lowered;
  std::vector<OpRecord> ops;
  hw::Fleet fleet;
};

Lowered Lower(const hw::Hardware& hardware, Recompute recompute,
              const SimOptions& options = SimOptions{}) {
  Lowered out;
  out.fleet = FleetOf(hardware, 1);
  out.profile = *BuildProfile(TinyDense());
  Layout layout = MakeLayout(1, 1, 1, 1, 4);
  layout.recompute = recompute;
  Result<Layout> resolved = ResolveLayout(layout, out.profile.arch, out.fleet);
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  out.layout = *resolved;
  out.lowered = LowerModel(out.profile, out.layout, hardware, options, &out.ops);
  return out;
}

hw::Hardware SlowHost(double per_kernel, double per_step) {
  hw::Hardware h = IdealHardware();
  h.efficiency.host.per_kernel = per_kernel;
  h.efficiency.host.per_step = per_step;
  return h;
}

int64_t CountOps(const std::vector<OpRecord>& ops, const char* block, bool forward) {
  int64_t n = 0;
  for (const OpRecord& op : ops) {
    if (op.block != block) continue;
    if ((op.phase == Phase::kForward) == forward) ++n;
  }
  return n;
}

TEST(HostFloorTest, EveryPassTakesItsKernelsTimesTheHostCost) {
  const Lowered fast = Lower(IdealHardware(), Recompute::kNone);
  const Lowered slow = Lower(SlowHost(1.0, 0.0), Recompute::kNone);
  const BlockCost& layer = slow.lowered.layers[0];
  const int64_t forward_kernels = CountOps(fast.ops, "dense", true);
  const int64_t backward_kernels = CountOps(fast.ops, "dense", false);
  ASSERT_GT(forward_kernels, 5);
  ASSERT_GT(backward_kernels, forward_kernels);
  // The GPU part is microseconds: the pass is the host's kernels x 1 s to within 1e-3 s.
  EXPECT_NEAR(layer.forward, static_cast<double>(forward_kernels), 1e-3);
  EXPECT_NEAR(layer.backward_input + layer.backward_weight, static_cast<double>(backward_kernels),
              1e-3);
  // The excess over the GPU time is reported as host-bound compute.
  const BlockCost& gpu = fast.lowered.layers[0];
  EXPECT_NEAR(layer.compute[static_cast<size_t>(OpClass::kHostBound)],
              static_cast<double>(forward_kernels + backward_kernels) - gpu.Time(Recompute::kNone),
              1e-9);
}

TEST(HostFloorTest, FullRecomputeReplaysTheForwardKernelsOnTheHost) {
  const Lowered fast = Lower(IdealHardware(), Recompute::kFull);
  const Lowered slow = Lower(SlowHost(1.0, 0.0), Recompute::kFull);
  const int64_t forward_kernels = CountOps(fast.ops, "dense", true);
  // Full recompute runs the layer's forward again inside the backward pass: the same kernels.
  EXPECT_NEAR(slow.lowered.layers[0].recompute[static_cast<size_t>(Recompute::kFull)],
              static_cast<double>(forward_kernels), 1e-3);
}

TEST(HostFloorTest, FastHostChangesNothing) {
  // 1 ps per kernel is far below every pass's GPU time: the floor must not bind.
  const Lowered fast = Lower(IdealHardware(), Recompute::kSelective);
  const Lowered tiny = Lower(SlowHost(1e-12, 0.0), Recompute::kSelective);
  for (Recompute mode : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    const double expected = fast.lowered.layers[0].Time(mode);
    EXPECT_NEAR(tiny.lowered.layers[0].Time(mode), expected, 1e-12 * expected);
  }
}

TEST(HostFloorTest, CudaGraphsLiftTheFloorButKeepThePerStepHostTime) {
  // With the layers captured as CUDA graphs (SimOptions::cuda_graphs), a 1 s per-kernel host
  // no longer paces any pass: every pass costs its GPU time, as on a host with no cost, and
  // nothing is reported as host-bound. The fixed per-step host time still adds once.
  SimOptions graphs;
  graphs.cuda_graphs = true;
  const Lowered fast = Lower(IdealHardware(), Recompute::kFull);
  const Lowered slow = Lower(SlowHost(1.0, 0.25), Recompute::kFull, graphs);
  for (Recompute mode : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    const double expected = fast.lowered.layers[0].Time(mode);
    EXPECT_NEAR(slow.lowered.layers[0].Time(mode), expected, 1e-12 * expected);
  }
  EXPECT_EQ(slow.lowered.layers[0].compute[static_cast<size_t>(OpClass::kHostBound)], 0.0);
  const StepEstimate without =
      EstimateStep(fast.profile, fast.lowered, fast.layout, fast.fleet, graphs);
  const StepEstimate with =
      EstimateStep(slow.profile, slow.lowered, slow.layout, slow.fleet, graphs);
  EXPECT_NEAR(with.step_time - without.step_time, 0.25, 1e-9);
}

TEST(HostFloorTest, ScopedGraphsLaunchOncePerCapturedModule) {
  // Megatron's partial CUDA graphs (--cuda-graph-scope): a captured module is one graph launch
  // per pass and its kernels cost the host nothing. TinyDense's layer is an attention block
  // (the records before "ffn_norm") and an FFN block. With both captured, each pass is two
  // launches, 2 s on the 1 s-per-kernel host.
  const Lowered fast = Lower(IdealHardware(), Recompute::kNone);
  SimOptions both;
  both.cuda_graph_scope = GraphScopeBit(GraphScope::kAttn) | GraphScopeBit(GraphScope::kMlp);
  const BlockCost whole = Lower(SlowHost(1.0, 0.0), Recompute::kNone, both).lowered.layers[0];
  EXPECT_NEAR(whole.forward, 2.0, 1e-3);
  EXPECT_NEAR(whole.backward_input + whole.backward_weight, 2.0, 1e-3);
  // Attention alone: the forward keeps the FFN block's kernels plus the attention graph's one.
  int64_t attention_forward = 0;
  for (const OpRecord& op : fast.ops) {
    if (op.block != "dense") continue;
    if (op.name == "ffn_norm") break;
    if (op.phase == Phase::kForward) ++attention_forward;
  }
  ASSERT_GT(attention_forward, 3);
  SimOptions attention;
  attention.cuda_graph_scope = GraphScopeBit(GraphScope::kAttn);
  const BlockCost partial =
      Lower(SlowHost(1.0, 0.0), Recompute::kNone, attention).lowered.layers[0];
  EXPECT_NEAR(partial.forward,
              static_cast<double>(CountOps(fast.ops, "dense", true) - attention_forward + 1), 1e-3);
  // MoE scopes do not touch a dense layer.
  SimOptions router;
  router.cuda_graph_scope = GraphScopeBit(GraphScope::kMoeRouter);
  EXPECT_NEAR(Lower(SlowHost(1.0, 0.0), Recompute::kNone, router).lowered.layers[0].forward,
              static_cast<double>(CountOps(fast.ops, "dense", true)), 1e-3);
}

TEST(HostFloorTest, PerStepHostTimeAddsOnceToTheStep) {
  const Lowered base = Lower(IdealHardware(), Recompute::kNone);
  const hw::Fleet slow_fleet = FleetOf(SlowHost(0.0, 0.25), 1);
  const StepEstimate without =
      EstimateStep(base.profile, base.lowered, base.layout, base.fleet, SimOptions{});
  const StepEstimate with =
      EstimateStep(base.profile, base.lowered, base.layout, slow_fleet, SimOptions{});
  EXPECT_NEAR(with.step_time - without.step_time, 0.25, 1e-12);
  EXPECT_NEAR(with.compute + with.exposed_comm + with.bubble, with.step_time, 1e-12);
}

}  // namespace
}  // namespace moeplan::sim
