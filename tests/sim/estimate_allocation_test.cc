//===- tests/sim/estimate_allocation_test.cc - Analytic path never allocates ===//
/// Sweeps call the analytic estimate for every (model, layout) pair: once the model is lowered
/// it must not touch the heap, nor must the layout check without a message. This binary
/// replaces the global operator new with a counting one.
#include <gtest/gtest.h>

#include "hwmodel/fleet_source.h"
#include "laws/presets.h"
#include "sim/layout_check.h"
#include "sim/lowering.h"
#include "sim/step_estimate.h"
#include "tests/allocation_counter.h"

namespace moeplan::sim {
namespace {

TEST(EstimateAllocationTest, CheckAndEstimateDoNotAllocate) {
  const laws::MoeArch arch = laws::FindPreset("deepseek-v3")->arch;
  const hw::Fleet fleet = *hw::LoadFleet("1024xH100");
  const ModelProfile profile = *BuildProfile(arch);
  const Layout parsed = *ParseLayout("tp=2,pp=16,vpp=2,ep=64,etp=1,gbs=8192,recompute=selective");
  SimOptions options;
  options.expert_load = ExpertLoad::Skew(0.2);
  const Layout layout = *ResolveLayout(parsed, arch, fleet);
  const LoweredModel lowered = LowerModel(profile, layout, fleet.hardware, options);
  const long before = moeplan::testing::AllocationCount();
  double sink = 0;
  for (int i = 0; i < 100; ++i) {
    Layout candidate = parsed;
    EXPECT_EQ(DiagnoseLayout(candidate, arch, fleet), LayoutIssue::kNone);
    sink += EstimateStep(profile, lowered, candidate, fleet, options).step_time;
  }
  EXPECT_EQ(moeplan::testing::AllocationCount() - before, 0);
  EXPECT_GT(sink, 0.0);
}

}  // namespace
}  // namespace moeplan::sim
