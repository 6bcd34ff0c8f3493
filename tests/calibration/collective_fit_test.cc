//===- tests/calibration/collective_fit_test.cc - Alpha-beta fits to nccl-tests -===//
/// \file
/// Placement of nccl-tests runs on the hardware's tiers, and fits to the real published H100
/// logs of tests/calibration/data/ (sources in nccl_log_test.cc): the fitted scale-up bus
/// efficiency must match what the logs' busbw column says, and the held-out error stay small.
#include "calibration/collective_fit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "calibration/calibrate.h"
#include "calibration/synthetic.h"
#include "hwmodel/presets.h"

namespace moeplan::calibration {
namespace {

using ::testing::HasSubstr;

const hw::Hardware& H100() {
  return hw::FindHardwarePreset("h100")->hardware;
}

std::vector<NcclTest> Read(std::initializer_list<const char*> names) {
  std::vector<NcclTest> tests;
  for (const char* name : names) {
    Result<std::vector<NcclTest>> parsed =
        ReadNcclTestsLog(std::string(MOEPLAN_CALIBRATION_TEST_DATA) + "/" + name);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    if (parsed.ok()) tests.insert(tests.end(), parsed->begin(), parsed->end());
  }
  return tests;
}

TEST(CollectiveFit, PlacesRunsOnTheirTiers) {
  std::vector<std::string> notes;
  const std::vector<NcclTest> tests =
      Read({"h100_8gpu_all_gather_ring.log", "h100_2nodes_1gpu_alltoall_sendrecv.log",
            "h100_2nodes_8gpu_alltoall.log"});
  Result<std::vector<CollectivePoint>> points = CollectivePoints(tests, H100(), notes);
  ASSERT_TRUE(points.ok()) << points.error().message;
  ASSERT_EQ(points->size(), 27u + 10u + 10u + 10u);  // the 4 size-0 all-gather rows left out
  EXPECT_EQ(points->front().group.placement, hw::Placement::kScaleUp);
  EXPECT_EQ((*points)[27].group.placement, hw::Placement::kScaleOut);
  EXPECT_EQ(points->back().group.placement, hw::Placement::kHierarchical);
  EXPECT_EQ(points->back().group.ranks_per_domain, 8);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("4 row(s) of all_gather_perf with size 0"));
}

TEST(CollectiveFit, GroupsThatDoNotFitTheHardwareAreErrors) {
  std::vector<NcclTest> tests = Read({"h100_2nodes_8gpu_alltoall.log"});
  tests[0].num_hosts = 1;
  tests[0].ranks_per_host = 16;  // 16 GPUs in one 8-GPU NVLink domain
  std::vector<std::string> notes;
  Result<std::vector<CollectivePoint>> points = CollectivePoints(tests, H100(), notes);
  ASSERT_FALSE(points.ok());
  EXPECT_THAT(points.error().message,
              HasSubstr("h100_2nodes_8gpu_alltoall.log: line 2: 16 ranks per host, but "
                        "'h100-sxm' has 8 GPUs per node"));
}

TEST(CollectiveFit, RealSingleNodeH100RingLogs) {
  std::vector<std::string> notes;
  Result<std::vector<CollectivePoint>> points = CollectivePoints(
      Read({"h100_8gpu_all_reduce_ring.log", "h100_8gpu_all_gather_ring.log"}), H100(), notes);
  ASSERT_TRUE(points.ok());
  Result<CollectiveFit> fit = FitCollectives(*points, H100(), {});
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  // busbw at 8 GiB is 358-368 GB/s of the 450 GB/s per-direction NVLink: ~0.79-0.82.
  const double efficiency = fit->hardware.efficiency.collective.scale_up.max_efficiency;
  EXPECT_GT(efficiency, 0.75);
  EXPECT_LT(efficiency, 0.83);
  // The small-message floor of these logs is ~35 us.
  EXPECT_NEAR(fit->hardware.efficiency.collective.call_overhead, 35e-6, 5e-6);
  double sum = 0.0;
  for (const CollectivePoint& point : *points) {
    sum += std::abs(PredictCollective(point, fit->hardware) / point.measured - 1.0);
  }
  EXPECT_LT(sum / static_cast<double>(points->size()), 0.08);
}

TEST(CollectiveFit, TooFewRowsIsAnError) {
  std::vector<NcclTest> tests = Read({"h100_2nodes_1gpu_alltoall_sendrecv.log"});
  tests.resize(1);
  tests[0].rows.resize(3);
  std::vector<std::string> notes;
  Result<std::vector<CollectivePoint>> points = CollectivePoints(tests, H100(), notes);
  ASSERT_TRUE(points.ok());
  Result<CollectiveFit> fit = FitCollectives(*points, H100(), {});
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.error().message,
              HasSubstr("h100_2nodes_1gpu_alltoall_sendrecv.log: too few scale-out nccl-tests "
                        "rows to fit 4 parameters: got 3, need at least 5"));
}

}  // namespace
}  // namespace moeplan::calibration
