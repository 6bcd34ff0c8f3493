//===- tests/profiler/grouping_test.cc - Records -> op repetitions --------===//
/// Kernels are attributed to ranges exactly through correlation ids (moeplan's ranges) or
/// through the launching thread and time (NVTX ranges); activity outside ranges is ignored.
#include "profiler/core/grouping.h"

#include <gtest/gtest.h>

#include "tests/profiler/activity_builder.h"

namespace moeplan::profiler {
namespace {

using testing::TraceBuilder;

TEST(GroupingTest, BusyTimeCountsOverlapsOnceAndSpanIncludesGaps) {
  EXPECT_DOUBLE_EQ(BusySeconds({{0, 1000}, {500, 1500}, {3000, 4000}}), 2500e-9);
  EXPECT_DOUBLE_EQ(SpanSeconds({{0, 1000}, {500, 1500}, {3000, 4000}}), 4000e-9);
  EXPECT_DOUBLE_EQ(BusySeconds({{10, 10}, {20, 5}}), 0);  // CUPTI's missing timestamps
  EXPECT_DOUBLE_EQ(SpanSeconds({}), 0);
}

TEST(GroupingTest, GroupsRepetitionsByExternalRange) {
  TraceBuilder builder;
  builder.Kernel("l2_flush", 0, 100);  // outside any range: ignored
  const uint64_t first = builder.Range("gemm forward bf16 cublaslt tokens=8 in=8 out=8");
  builder.Kernel("sm90_gemm", 200, 1200);
  builder.CloseRange();
  builder.Kernel("l2_flush", 1300, 1400);
  const uint64_t second = builder.Range("gemm forward bf16 cublaslt tokens=8 in=8 out=8");
  builder.Kernel("sm90_gemm", 1500, 2600);
  builder.Memcpy(64, 2600, 2700);
  builder.CloseRange();

  const std::vector<RangeActivity> ranges = GroupByExternalRange(builder.trace());
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].id, first);
  EXPECT_EQ(ranges[1].id, second);
  EXPECT_EQ(ranges[0].label, "gemm forward bf16 cublaslt tokens=8 in=8 out=8");
  ASSERT_EQ(ranges[0].kernels.size(), 1u);
  EXPECT_EQ(ranges[0].kernels[0].name, "sm90_gemm");
  EXPECT_DOUBLE_EQ(BusySeconds(ranges[0].intervals), 1000e-9);
  EXPECT_EQ(ranges[1].kernels.size(), 1u);
  EXPECT_EQ(ranges[1].intervals.size(), 2u);  // the kernel and the copy
  EXPECT_DOUBLE_EQ(BusySeconds(ranges[1].intervals), 1200e-9);
}

TEST(GroupingTest, PartsComeFromLevelOneRanges) {
  TraceBuilder builder;
  builder.Range("moe_layer forward bf16 cublas_grouped tokens=8");
  builder.Range("router forward bf16 moeplan tokens=8", 1);
  builder.Kernel("gemm", 0, 100);
  builder.Kernel("topk", 100, 150);
  builder.CloseRange(1);
  builder.Range("permute forward bf16 moeplan tokens=8", 1);
  builder.Kernel("scatter", 160, 300);
  builder.CloseRange(1);
  builder.CloseRange();

  const std::vector<RangeActivity> ranges = GroupByExternalRange(builder.trace());
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].kernels.size(), 3u);
  ASSERT_EQ(ranges[0].parts.size(), 2u);
  EXPECT_EQ(ranges[0].parts[0].first, "router forward bf16 moeplan tokens=8");
  EXPECT_DOUBLE_EQ(BusySeconds(ranges[0].parts[0].second), 150e-9);
  EXPECT_EQ(ranges[0].parts[1].first, "permute forward bf16 moeplan tokens=8");
  EXPECT_DOUBLE_EQ(BusySeconds(ranges[0].parts[1].second), 140e-9);
}

TEST(GroupingTest, KernelsJoinTheNvtxRangesOpenOnTheirLaunchingThread) {
  TraceBuilder builder;
  builder.Marker(1, "outer", 0, 10000, /*thread=*/1);
  builder.Marker(2, "inner", 1000, 2000, /*thread=*/1);
  builder.Marker(3, "other thread", 0, 10000, /*thread=*/2);
  builder.Kernel("a", 5000, 6000, /*thread=*/1, /*launch_ns=*/1500);   // outer and inner
  builder.Kernel("b", 6000, 7000, /*thread=*/1, /*launch_ns=*/3000);   // outer only
  builder.Kernel("c", 7000, 8000, /*thread=*/1, /*launch_ns=*/20000);  // after every range
  builder.Kernel("d", 8000, 9000, /*thread=*/2, /*launch_ns=*/100);    // thread 2's range

  const std::vector<RangeActivity> ranges = GroupByMarkers(builder.trace());
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].label, "outer");
  EXPECT_EQ(ranges[0].kernels.size(), 2u);
  EXPECT_EQ(ranges[1].label, "other thread");
  ASSERT_EQ(ranges[1].kernels.size(), 1u);
  EXPECT_EQ(ranges[1].kernels[0].name, "d");
  EXPECT_EQ(ranges[2].label, "inner");
  ASSERT_EQ(ranges[2].kernels.size(), 1u);
  EXPECT_EQ(ranges[2].kernels[0].name, "a");
}

TEST(GroupingTest, RangesWithoutGpuActivityAreDropped) {
  TraceBuilder builder;
  builder.Marker(1, "host only", 0, 100);
  builder.Range("empty");
  builder.CloseRange();
  EXPECT_TRUE(GroupByMarkers(builder.trace()).empty());
  EXPECT_TRUE(GroupByExternalRange(builder.trace()).empty());
}

}  // namespace
}  // namespace moeplan::profiler
