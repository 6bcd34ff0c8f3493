//===- tests/hwmodel/allocation_free_test.cc - Cost models never allocate --===//
/// The cost functions are called millions of times in sweeps: they must not touch the heap.
/// This test replaces the global operator new with a counting one and calls every cost
/// function between two readings of the counter.
#include <gtest/gtest.h>

#include <array>

#include "hwmodel/attention_cost.h"
#include "hwmodel/collective_cost.h"
#include "hwmodel/gemm_cost.h"
#include "hwmodel/memory_cost.h"
#include "hwmodel/presets.h"
#include "tests/allocation_counter.h"

namespace moeplan::hw {
namespace {

TEST(AllocationFreeTest, CostFunctionsDoNotAllocate) {
  const Hardware& h = FindHardwarePreset("h100")->hardware;  // built before counting
  const std::array<int64_t, 8> tokens = {300, 0, 5000, 17, 128, 129, 1, 4096};
  const AttentionShape attention{2, 32, 8, 4096, 4096, 128, 128, true, Precision::kBf16};
  const CollectiveGroup group = PlaceGroup(64, 8);
  double sink = 0.0;
  const long before = moeplan::testing::AllocationCount();
  for (int i = 0; i < 100; ++i) {
    sink += GemmTime({4096 + i, 7168, 2048, Precision::kFp8}, h);
    sink += GroupedGemmTime(tokens, 2048, 7168, Precision::kBf16, h);
    sink += AttentionTime(attention, Pass::kBackward, h);
    sink += MemoryBoundTime(MemoryKernel::kPermute, 1e8 + i, h);
    sink += LaunchTime(3, h);
    sink += CollectiveTime(Collective::kAllToAll, 1e8, group, h);
    sink += CollectiveTime(Collective::kAllReduce, 1e9, group, h);
  }
  EXPECT_EQ(moeplan::testing::AllocationCount() - before, 0);
  EXPECT_GT(sink, 0.0);
}

}  // namespace
}  // namespace moeplan::hw
