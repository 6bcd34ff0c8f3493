//===- tests/calibration/end_to_end_params_test.cc - Parameters and record of a fit -===//
/// The twelve end-to-end parameters as the fit writes them: into hardware (Apply), into JSON
/// (ToJson, whose layout `moeplan validate --fit` prints), and the hw::CalibrationRecord of a
/// fit. Expected values are worked out by hand from the parameter definitions in
/// calibration/end_to_end_fit.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "calibration/end_to_end_fit.h"
#include "hwmodel/hardware_json.h"
#include "hwmodel/presets.h"

namespace moeplan::calibration {
namespace {

EndToEndParams Sample() {
  EndToEndParams p;
  p.gemm_ampere = 0.55;
  p.gemm_hopper = 0.62;
  p.gemm_blackwell = 0.47;
  p.gemm_blackwell_ultra = 0.58;
  p.grouped_ratio = 0.5;
  p.fp8_scale = 0.9;
  p.gemm_k_half = 300.0;
  p.host_per_kernel = 30e-6;
  p.host_per_step = 0.01;
  p.scale_up_efficiency = 0.85;
  p.scale_out_efficiency = 0.7;
  p.ep_overlap_cost = 0.4;
  return p;
}

TEST(EndToEndParamsTest, ApplySetsTheGenerationsGemmAndEveryGlobalParameter) {
  const hw::Hardware h100 = hw::FindHardwarePreset("h100")->hardware;
  const hw::EfficiencyParams e = Sample().Apply(h100).efficiency;
  EXPECT_DOUBLE_EQ(e.gemm.compute_efficiency, 0.62);          // Hopper
  EXPECT_DOUBLE_EQ(e.gemm.grouped_compute_efficiency, 0.31);  // 0.62 x 0.5
  EXPECT_DOUBLE_EQ(e.gemm.fp8_efficiency_scale, 0.9);
  EXPECT_DOUBLE_EQ(e.gemm.k_half, 300.0);
  EXPECT_DOUBLE_EQ(e.host.per_kernel, 30e-6);
  EXPECT_DOUBLE_EQ(e.host.per_step, 0.01);
  EXPECT_DOUBLE_EQ(e.collective.scale_up.max_efficiency, 0.85);
  EXPECT_DOUBLE_EQ(e.collective.scale_out.max_efficiency, 0.7);
  EXPECT_DOUBLE_EQ(e.collective.ep_overlap_cost, 0.4);
  // Fields outside the twelve are the preset's: attention is never fitted end to end.
  EXPECT_EQ(e.memory, h100.efficiency.memory);
  EXPECT_EQ(e.attention, h100.efficiency.attention);

  EXPECT_DOUBLE_EQ(
      Sample().Apply(hw::FindHardwarePreset("a100")->hardware).efficiency.gemm.compute_efficiency,
      0.55);
  EXPECT_DOUBLE_EQ(
      Sample().Apply(hw::FindHardwarePreset("gb200")->hardware).efficiency.gemm.compute_efficiency,
      0.47);
  EXPECT_DOUBLE_EQ(
      Sample().Apply(hw::FindHardwarePreset("gb300")->hardware).efficiency.gemm.compute_efficiency,
      0.58);
  EXPECT_DOUBLE_EQ(
      Sample().Apply(hw::FindHardwarePreset("b300")->hardware).efficiency.gemm.compute_efficiency,
      0.58);
}

TEST(EndToEndParamsTest, ApplyKeepsOtherGenerationsGemmAndTheirAttention) {
  const EndToEndParams p = Sample();
  hw::Hardware mi300 = hw::FindHardwarePreset("mi300x")->hardware;
  mi300.efficiency.gemm.compute_efficiency = 0.8;
  mi300.efficiency.attention.forward_efficiency = 0.3;  // a file's own value survives
  const hw::EfficiencyParams e = p.Apply(mi300).efficiency;
  EXPECT_DOUBLE_EQ(e.gemm.compute_efficiency, 0.8);          // no fitted generation: kept
  EXPECT_DOUBLE_EQ(e.gemm.grouped_compute_efficiency, 0.4);  // 0.8 x 0.5
  EXPECT_DOUBLE_EQ(e.attention.forward_efficiency, 0.3);
}

TEST(EndToEndParamsTest, ToJsonLayout) {
  const nlohmann::ordered_json expected = nlohmann::ordered_json::parse(R"({
      "gemm_compute_efficiency": {"ampere": 0.55, "hopper": 0.62, "blackwell": 0.47,
                                  "blackwell_ultra": 0.58},
      "grouped_over_dense_gemm_efficiency": 0.5, "fp8_efficiency_scale": 0.9,
      "gemm_k_half": 300.0, "host_per_kernel_s": 3e-05, "host_per_step_s": 0.01,
      "scale_up_max_efficiency": 0.85, "scale_out_max_efficiency": 0.7,
      "ep_overlap_cost": 0.4})");
  EXPECT_EQ(Sample().ToJson().dump(), expected.dump());  // same keys, values and order
}

EndToEndFit FitWithErrors() {
  EndToEndFit fit;
  fit.folds = 5;
  fit.cases_total = 12;
  fit.cv_published = {10, 0.05, 0.08};
  fit.cv_dense = {4, 0.02, 0.03};
  fit.cv_moe = {6, 0.125, 0.25};
  fit.cv_vtrain = {0, 0.0, 0.0};  // no vTrain cases: left out
  return fit;
}

TEST(EndToEndParamsTest, RecordHoldsTheCrossValidatedErrorsInPercent) {
  const hw::CalibrationRecord r = FitWithErrors().Record("published_runs.json");
  EXPECT_EQ(r.tool, "moeplan 0.1.0 validate --fit");
  EXPECT_EQ(r.source, "published_runs.json");
  EXPECT_EQ(r.measurements_used, 12);
  EXPECT_EQ(r.measurements_total, 12);
  EXPECT_EQ(r.folds, 5);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0], (hw::HeldOutError{"published", 10, 8.0, std::nullopt, 5.0}));
  EXPECT_EQ(r.errors[1], (hw::HeldOutError{"published_dense", 4, 3.0, std::nullopt, 2.0}));
  EXPECT_EQ(r.errors[2], (hw::HeldOutError{"published_moe", 6, 25.0, std::nullopt, 12.5}));
  // It is a valid hardware record and survives the hardware format.
  hw::Hardware h = Sample().Apply(hw::FindHardwarePreset("h100")->hardware);
  h.calibration = r;
  ASSERT_TRUE(h.Validate().ok()) << h.Validate().message();
  Result<hw::Hardware> back =
      hw::HardwareFromJson(nlohmann::json::parse(hw::HardwareToJson(h).dump()), "fitted.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, h);
}

TEST(EndToEndParamsTest, RecordWithoutCrossValidationHasNoErrors) {
  EndToEndFit fit;
  fit.cases_total = 7;
  EXPECT_TRUE(fit.Record("runs.json").errors.empty());
}

}  // namespace
}  // namespace moeplan::calibration
