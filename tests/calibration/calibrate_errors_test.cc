//===- tests/calibration/calibrate_errors_test.cc - Bad profiles get clear errors -===//
/// \file
/// Wrong format, missing fields, zero or negative times (caught by the profile reader, which
/// calibration uses, and again by Calibrate for profiles built in memory), bad shapes, too few
/// points for a parameter, a device that does not match the base, and a fit that does not
/// converge: each is an error that names the file and the field or stage.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "calibration/calibrate.h"
#include "calibration/synthetic.h"
#include "hwmodel/presets.h"
#include "profiler/core/profile_json.h"

namespace moeplan::calibration {
namespace {

using ::testing::HasSubstr;

const hw::Hardware& H100() {
  return hw::FindHardwarePreset("h100")->hardware;
}

const profiler::Profile& Synthetic() {
  static const profiler::Profile profile = MakeSyntheticProfile(H100(), {});
  return profile;
}

CalibrationInput Input(profiler::Profile profile) {
  CalibrationInput input;
  input.profile = std::move(profile);
  input.profile_source = "h100.json";
  input.base = H100();
  input.base_preset = "h100-sxm";
  return input;
}

std::string ReadError(const nlohmann::ordered_json& json) {
  Result<profiler::Profile> profile = profiler::ProfileFromJson(json, "h100.json");
  EXPECT_FALSE(profile.ok());
  return profile.ok() ? "" : profile.error().message;
}

TEST(CalibrateErrors, WrongFormatIsNamed) {
  nlohmann::ordered_json json = profiler::ProfileToJson(Synthetic());
  json["format"] = "moeplan-hardware";
  EXPECT_THAT(ReadError(json), HasSubstr("h100.json: field 'format'"));
  EXPECT_THAT(ReadError(nlohmann::ordered_json::array()), HasSubstr("h100.json"));
}

TEST(CalibrateErrors, MissingFieldsAreNamed) {
  nlohmann::ordered_json json = profiler::ProfileToJson(Synthetic());
  json["measurements"][3].erase("time_s");
  EXPECT_THAT(ReadError(json), HasSubstr("measurements[3].time_s"));
  json = profiler::ProfileToJson(Synthetic());
  json.erase("device");
  EXPECT_THAT(ReadError(json), HasSubstr("device"));
}

TEST(CalibrateErrors, ZeroOrNegativeTimesAreRejectedByTheReader) {
  for (const double bad : {0.0, -1e-3}) {
    nlohmann::ordered_json json = profiler::ProfileToJson(Synthetic());
    json["measurements"][5]["time_s"]["median"] = bad;
    json["measurements"][5]["time_s"]["min"] = bad;
    EXPECT_THAT(ReadError(json), HasSubstr("measurements[5].time_s"));
  }
}

TEST(CalibrateErrors, ZeroOrNegativeTimesAreRejectedByCalibrate) {
  for (const double bad : {0.0, -1e-3}) {
    profiler::Profile profile = Synthetic();
    profile.measurements[5].time_s.median = bad;
    Result<CalibrationResult> result = Calibrate(Input(profile), {});
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message,
                HasSubstr("h100.json: field 'measurements[5].time_s.median': expected a positive "
                          "time, got"));
  }
}

TEST(CalibrateErrors, BadShapesAreNamed) {
  profiler::Profile profile = Synthetic();
  profile.measurements[2].bench_case.shape.pop_back();  // a gemm without "out"
  Result<CalibrationResult> result = Calibrate(Input(profile), {});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("h100.json: field 'measurements[2].shape': gemm"));
  EXPECT_THAT(result.error().message, HasSubstr("shape has no 'out' (needs tokens, in, out)"));
}

TEST(CalibrateErrors, TooFewPointsForAParameter) {
  profiler::Profile profile = Synthetic();
  std::vector<profiler::Measurement> kept;
  int gemms = 0;
  for (const profiler::Measurement& m : profile.measurements) {
    if (m.bench_case.op == profiler::OpKind::kGemm && ++gemms > 2) continue;
    kept.push_back(m);
  }
  profile.measurements = kept;
  Result<CalibrationResult> result = Calibrate(Input(profile), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "h100.json: too few gemm measurements to fit efficiency.gemm.compute_efficiency: got "
            "2, need at least 3");
}

TEST(CalibrateErrors, AbsentClassesKeepTheBaseAndSaySo) {
  profiler::Profile profile = Synthetic();
  std::erase_if(profile.measurements, [](const profiler::Measurement& m) {
    return m.bench_case.op == profiler::OpKind::kAttention;
  });
  Result<CalibrationResult> result = Calibrate(Input(profile), {});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->calibrated.efficiency.attention, H100().efficiency.attention);
  bool noted = false;
  for (const std::string& note : result->notes) {
    noted = noted || note.find("efficiency.attention.forward_efficiency kept at base") == 0;
  }
  EXPECT_TRUE(noted);
}

TEST(CalibrateErrors, DeviceMustMatchTheBase) {
  CalibrationInput input = Input(Synthetic());
  input.base = hw::FindHardwarePreset("a100")->hardware;
  Result<CalibrationResult> result = Calibrate(input, {});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message,
              HasSubstr("has 132 SMs but the base 'a100-sxm-80gb' has 108"));
  input.profile.device.sm_count = 0;  // unknown: then FP8 cases need an FP8 peak
  result = Calibrate(input, {});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message,
              HasSubstr(".precision': the base 'a100-sxm-80gb' has no fp8 peak"));
}

TEST(CalibrateErrors, AFitThatDoesNotConvergeSaysSo) {
  CalibrationOptions options;
  options.solver.max_iterations = 1;
  Result<CalibrationResult> result = Calibrate(Input(Synthetic()), options);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message,
              HasSubstr("h100.json: fit of stage 'gemm' did not converge: no convergence after 1 "
                        "iterations"));
}

TEST(CalibrateErrors, OptionsAreValidated) {
  CalibrationOptions options;
  options.folds = 1;
  Result<CalibrationResult> result = Calibrate(Input(Synthetic()), options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "option 'folds': expected 2..50, got 1");
}

TEST(CalibrateErrors, EmptyProfile) {
  profiler::Profile profile = Synthetic();
  profile.measurements.clear();
  Result<CalibrationResult> result = Calibrate(Input(profile), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "h100.json: the profile has no measurements");
}

}  // namespace
}  // namespace moeplan::calibration
