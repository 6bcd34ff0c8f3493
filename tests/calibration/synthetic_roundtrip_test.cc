//===- tests/calibration/synthetic_roundtrip_test.cc - Known parameters fitted back -===//
/// \file
/// Profiles and nccl-tests logs generated from known ("true") hwmodel parameters with seeded
/// noise (calibration/synthetic.h) must be fitted back: the parameters the data determine
/// within a few percent, held-out prediction errors near the noise level, MoE layers within a
/// few percent. The numbers printed here (SYNTHETIC, not measurements) are the ones quoted in
/// docs/validation.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "calibration/calibrate.h"
#include "calibration/nccl_log.h"
#include "calibration/synthetic.h"
#include "hwmodel/presets.h"

namespace moeplan::calibration {
namespace {

// H100 with every fittable value moved away from the preset, so that fitting from the preset
// has to find them.
hw::Hardware Truth() {
  hw::Hardware h = hw::FindHardwarePreset("h100")->hardware;
  hw::EfficiencyParams& e = h.efficiency;
  e.launch_overhead = 3.0e-6;
  e.gemm.compute_efficiency = 0.72;
  e.gemm.grouped_compute_efficiency = 0.61;
  e.gemm.k_half = 120.0;
  e.gemm.memory_efficiency = 0.78;
  e.attention.forward_efficiency = 0.55;
  e.attention.backward_efficiency = 0.42;
  e.attention.seq_half = 400.0;
  e.memory.elementwise = 0.80;
  e.memory.norm = 0.70;
  e.memory.router = 0.45;
  e.memory.permute = 0.55;
  e.memory.optimizer = 0.75;
  e.memory.half_bandwidth_bytes = 3.0 * 1024 * 1024;
  e.collective.call_overhead = 6.0e-6;
  e.collective.scale_up.max_efficiency = 0.82;
  e.collective.scale_up.half_efficiency_bytes = 8.0 * 1024 * 1024;
  e.collective.scale_out.max_efficiency = 0.55;
  e.collective.scale_out.half_efficiency_bytes = 2.0 * 1024 * 1024;
  h.scale_up.latency = 2.0e-6;
  h.scale_out.latency = 9.0e-6;
  return h;
}

std::vector<int64_t> Sizes() {
  std::vector<int64_t> sizes;
  for (int64_t size = 1024; size <= (int64_t{1} << 33); size *= 4) sizes.push_back(size);
  return sizes;
}

std::vector<NcclTest> SyntheticLogs(const hw::Hardware& truth, double noise) {
  std::vector<NcclTest> tests;
  const struct {
    hw::Collective collective;
    int per_host;
    int hosts;
  } runs[] = {{hw::Collective::kAllReduce, 8, 1},     {hw::Collective::kAllGather, 8, 1},
              {hw::Collective::kReduceScatter, 4, 1}, {hw::Collective::kAllToAll, 8, 1},
              {hw::Collective::kAllReduce, 8, 4},     {hw::Collective::kAllGather, 1, 8},
              {hw::Collective::kAllToAll, 8, 2},      {hw::Collective::kSendRecv, 1, 2}};
  uint64_t seed = 11;
  for (const auto& run : runs) {
    const std::string log = MakeSyntheticNcclLog(truth, run.collective, run.per_host, run.hosts,
                                                 Sizes(), noise, seed++);
    Result<std::vector<NcclTest>> parsed = ParseNcclTestsLog(log, "synthetic.log");
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    if (parsed.ok()) tests.insert(tests.end(), parsed->begin(), parsed->end());
  }
  return tests;
}

CalibrationInput SyntheticInput(const SyntheticOptions& options, double nccl_noise) {
  const hw::Hardware truth = Truth();
  CalibrationInput input;
  input.profile = MakeSyntheticProfile(truth, options);
  input.profile_source = "synthetic.json";
  input.nccl = SyntheticLogs(truth, nccl_noise);
  input.base = hw::FindHardwarePreset("h100")->hardware;
  input.base_preset = "h100-sxm";
  return input;
}

double ValueOf(const CalibrationResult& result, const std::string& path) {
  for (const FittedParam& p : result.params) {
    if (p.path == path) return p.value;
  }
  ADD_FAILURE() << "not fitted: " << path;
  return 0.0;
}

void Print(const CalibrationResult& result, const char* title) {
  std::printf("\n== %s (SYNTHETIC) ==\n", title);
  for (const FittedParam& p : result.params) {
    std::printf("  %-56s fitted %-12.5g%s\n", p.path.c_str(), p.value,
                p.weakly_determined ? " (weakly determined)" : "");
  }
  for (const ClassValidation& c : result.kernel_classes) {
    std::printf("  kernels %-20s n=%4d  held-out MAPE %5.2f%%  worst %5.2f%%\n", c.op_class.c_str(),
                c.points, c.mape_held_out, c.worst_held_out);
  }
  for (const ClassValidation& c : result.collective_classes) {
    std::printf("  coll.   %-28s n=%3d  held-out MAPE %5.2f%%  worst %5.2f%%\n", c.op_class.c_str(),
                c.points, c.mape_held_out, c.worst_held_out);
  }
}

class SyntheticRoundTrip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SyntheticOptions options;
    options.noise = 0.02;
    options.seed = 7;
    Result<CalibrationResult> result = Calibrate(SyntheticInput(options, 0.02), {});
    ASSERT_TRUE(result.ok()) << result.error().message;
    result_ = new CalibrationResult(std::move(result).value());
    Print(*result_, "2% noise, full grid, 8 nccl-tests logs");
  }
  static void TearDownTestSuite() {
    delete result_;
    result_ = nullptr;
  }
  static CalibrationResult* result_;
};

CalibrationResult* SyntheticRoundTrip::result_ = nullptr;

TEST_F(SyntheticRoundTrip, RecoversTheDeterminedKernelParameters) {
  ASSERT_NE(result_, nullptr);
  const hw::Hardware truth = Truth();
  const std::map<std::string, double> expected = {
      {"efficiency.launch_overhead", truth.efficiency.launch_overhead},
      {"efficiency.gemm.compute_efficiency", 0.72},
      {"efficiency.gemm.grouped_compute_efficiency", 0.61},
      {"efficiency.gemm.memory_efficiency", 0.78},
      {"efficiency.attention.forward_efficiency", 0.55},
      {"efficiency.attention.backward_efficiency", 0.42},
      {"efficiency.memory.elementwise", 0.80},
      {"efficiency.memory.norm", 0.70},
      {"efficiency.memory.permute", 0.55},
      {"efficiency.memory.optimizer", 0.75},
  };
  for (const auto& [path, value] : expected) {
    EXPECT_NEAR(ValueOf(*result_, path) / value, 1.0, 0.03) << path;
  }
  // The router's own kernel is a small share of its time (its GEMM dominates): looser.
  EXPECT_NEAR(ValueOf(*result_, "efficiency.memory.router") / 0.45, 1.0, 0.06);
  EXPECT_NEAR(result_->copy_efficiency / 0.90, 1.0, 0.03);
  EXPECT_EQ(result_->calibrated.efficiency.gemm.compute_efficiency,
            ValueOf(*result_, "efficiency.gemm.compute_efficiency"));
}

TEST_F(SyntheticRoundTrip, HeldOutErrorsAreNearTheNoise) {
  ASSERT_NE(result_, nullptr);
  for (const ClassValidation& c : result_->kernel_classes) {
    EXPECT_LT(c.mape_held_out, 4.0) << c.op_class;  // 2% log-normal noise: MAPE ~1.6%
    EXPECT_LT(c.worst_held_out, 12.0) << c.op_class;
  }
  ASSERT_FALSE(result_->layers.empty());
  for (const LayerValidation& layer : result_->layers) {
    EXPECT_EQ(layer.parts_measured, layer.parts_total) << layer.label;
    EXPECT_NEAR(layer.predicted_held_out / layer.measured, 1.0, 0.06) << layer.label;
  }
}

TEST_F(SyntheticRoundTrip, RecoversTheCollectiveParameters) {
  ASSERT_NE(result_, nullptr);
  EXPECT_NEAR(ValueOf(*result_, "efficiency.collective.scale_up.max_efficiency") / 0.82, 1.0, 0.03);
  EXPECT_NEAR(ValueOf(*result_, "efficiency.collective.scale_out.max_efficiency") / 0.55, 1.0,
              0.03);
  ASSERT_FALSE(result_->collective_classes.empty());
  for (const ClassValidation& c : result_->collective_classes) {
    EXPECT_LT(c.mape_held_out, 4.0) << c.op_class;
  }
}

TEST(SyntheticRobustness, OutliersDoNotMoveTheFit) {
  SyntheticOptions options;
  options.noise = 0.02;
  options.seed = 21;
  options.grid = profiler::GridSize::kFull;
  options.outlier_fraction = 0.05;
  options.outlier_factor = 1.6;
  CalibrationInput input = SyntheticInput(options, 0.02);
  input.nccl.clear();
  Result<CalibrationResult> result = Calibrate(input, {});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_NEAR(ValueOf(*result, "efficiency.gemm.compute_efficiency") / 0.72, 1.0, 0.03);
  EXPECT_NEAR(ValueOf(*result, "efficiency.gemm.grouped_compute_efficiency") / 0.61, 1.0, 0.03);
  EXPECT_NEAR(ValueOf(*result, "efficiency.attention.forward_efficiency") / 0.55, 1.0, 0.05);
}

TEST(SyntheticQuickProfile, NeedsFewerPointsPerClassAndFlagsWhatItCannotSee) {
  SyntheticOptions options;
  options.grid = profiler::GridSize::kQuick;
  CalibrationInput input = SyntheticInput(options, 0.02);
  input.nccl.clear();
  Result<CalibrationResult> strict = Calibrate(input, {});
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.error().message, ::testing::HasSubstr("need at least 3"));
  CalibrationOptions relaxed;
  relaxed.min_points_per_class = 1;
  Result<CalibrationResult> result = Calibrate(input, relaxed);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_NEAR(ValueOf(*result, "efficiency.gemm.compute_efficiency") / 0.72, 1.0, 0.05);
  bool any_weak = false;
  for (const FittedParam& p : result->params) any_weak = any_weak || p.weakly_determined;
  EXPECT_TRUE(any_weak);
}

TEST(SyntheticDeterminism, SameInputsGiveTheSameResult) {
  const CalibrationInput input = SyntheticInput({}, 0.02);
  CalibrationOptions calibration;
  calibration.folds = 3;
  calibration.seed = 5;
  Result<CalibrationResult> a = Calibrate(input, calibration);
  Result<CalibrationResult> b = Calibrate(input, calibration);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(a->calibrated == b->calibrated);
  ASSERT_EQ(a->kernel_points.size(), b->kernel_points.size());
  for (size_t point_idx = 0; point_idx < a->kernel_points.size(); ++point_idx) {
    EXPECT_EQ(a->kernel_points[point_idx].held_out, b->kernel_points[point_idx].held_out);
  }
}

}  // namespace
}  // namespace moeplan::calibration
