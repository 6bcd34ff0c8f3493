//===- tests/hwmodel/memory_cost_test.cc - Memory-bound kernels ------------===//
/// Expected times are bytes / (bandwidth * efficiency) + launch worked out by hand, on the H100
/// spec-sheet bandwidth (3.35 TB/s) and on the toy device (2e12 B/s, launch 1 us).
#include "hwmodel/memory_cost.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwmodel/presets.h"
#include "tests/hwmodel/toy_hardware.h"

namespace moeplan::hw {
namespace {

using testing::ToyHardware;

TEST(MemoryCostTest, RmsNormOnH100ByHand) {
  // RMSNorm forward over 8192 tokens x 4096, BF16: reads and writes 8192*4096*2 B each
  // = 134,217,728 B. With norm efficiency 0.75, half size 2 MiB, launch 2 us:
  //   2 us + (134,217,728 + 2,097,152) / (3.35e12 * 0.75) = 2 us + 54.2547 us = 56.2547 us.
  Hardware h = FindHardwarePreset("h100")->hardware;
  h.efficiency.launch_overhead = 2e-6;
  h.efficiency.memory.norm = 0.75;
  h.efficiency.memory.half_bandwidth_bytes = 2.0 * 1024 * 1024;
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kNorm, 134217728.0, h), 56.254679e-6, 1e-12);
}

TEST(MemoryCostTest, EachKindUsesItsOwnEfficiency) {
  // Toy: elementwise 1.0, norm 0.5, router 0.25, permute 0.5, optimizer 1.0; 1e9 B at 2e12 B/s.
  const Hardware h = ToyHardware();
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kElementwise, 1e9, h), 1e-6 + 0.5e-3, 1e-15);
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kNorm, 1e9, h), 1e-6 + 1e-3, 1e-15);
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kRouter, 1e9, h), 1e-6 + 2e-3, 1e-15);
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kPermute, 1e9, h), 1e-6 + 1e-3, 1e-15);
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kOptimizer, 1e9, h), 1e-6 + 0.5e-3, 1e-15);
}

TEST(MemoryCostTest, SizeRampHalvesBandwidthAtHalfSize) {
  Hardware h = ToyHardware();
  h.efficiency.memory.half_bandwidth_bytes = 1e6;
  // At bytes == half the achieved bandwidth is 2e12 / 2, so 1e6 B takes 1 us + 1 us.
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kElementwise, 1e6, h), 2e-6, 1e-15);
  // Far above the half size the ramp fades: 1e12 B takes (1e12 + 1e6) / 2e12 + 1 us.
  EXPECT_NEAR(MemoryBoundTime(MemoryKernel::kElementwise, 1e12, h), 0.5 + 0.5e-6 + 1e-6, 1e-12);
}

TEST(MemoryCostTest, MonotoneInBytesAndFreeWhenEmpty) {
  const Hardware h = FindHardwarePreset("mi300x")->hardware;
  EXPECT_EQ(MemoryBoundTime(MemoryKernel::kPermute, 0.0, h), 0.0);
  EXPECT_EQ(MemoryBoundTime(MemoryKernel::kPermute, -1.0, h), 0.0);
  double previous = 0.0;
  for (double bytes = 1.0; bytes < 1e11; bytes *= 3) {
    const double t = MemoryBoundTime(MemoryKernel::kPermute, bytes, h);
    EXPECT_GT(t, previous);
    previous = t;
  }
}

TEST(MemoryCostTest, LaunchTimeCountsKernels) {
  const Hardware h = ToyHardware();
  EXPECT_DOUBLE_EQ(LaunchTime(5, h), 5e-6);
  EXPECT_EQ(LaunchTime(0, h), 0.0);
  EXPECT_EQ(LaunchTime(-2, h), 0.0);
}

TEST(MemoryCostTest, KindNamesRoundTrip) {
  for (MemoryKernel kind : {MemoryKernel::kElementwise, MemoryKernel::kNorm, MemoryKernel::kRouter,
                            MemoryKernel::kPermute, MemoryKernel::kOptimizer}) {
    EXPECT_EQ(*ParseMemoryKernel(ToString(kind)), kind);
  }
  EXPECT_THAT(ParseMemoryKernel("softmax").error().message,
              ::testing::HasSubstr("unknown memory-bound kernel kind 'softmax'"));
}

}  // namespace
}  // namespace moeplan::hw
