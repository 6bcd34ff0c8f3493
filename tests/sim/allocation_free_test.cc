//===- tests/sim/allocation_free_test.cc - Warm simulator never allocates -===//
/// Sweeps run the pipeline simulator many times: once warm, a run without a timeline must not
/// touch the heap. This test replaces the global operator new with a counting one.
#include <gtest/gtest.h>

#include "sim/pipeline_sim.h"
#include "tests/allocation_counter.h"

namespace moeplan::sim {
namespace {

TEST(PipelineAllocationTest, WarmRunWithoutTimelineDoesNotAllocate) {
  PipelineInput big;
  big.shape = {PipelineSchedule::kInterleaved, 8, 4, 64};
  StageCost cost{0.01, 0.02, 0.0, 0.05, 0.03};
  big.stage_costs.assign(32, cost);
  big.p2p_time = {0.001};
  big.grad_reduce_buckets = 4;
  big.overlap_param_gather = true;
  big.optimizer_time = 0.1;
  PipelineInput small = big;
  small.shape = {PipelineSchedule::kOneFOneB, 4, 1, 16};
  small.stage_costs.resize(4);

  PipelineSimulator simulator;
  PipelineResult result;
  ASSERT_TRUE(simulator.Run(big, &result).ok());  // warm-up: buffers grow here
  const long before = moeplan::testing::AllocationCount();
  double sink = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(simulator.Run(i % 2 ? small : big, &result).ok());
    sink += result.step_time;
  }
  EXPECT_EQ(moeplan::testing::AllocationCount() - before, 0);
  EXPECT_GT(sink, 0.0);
}

}  // namespace
}  // namespace moeplan::sim
