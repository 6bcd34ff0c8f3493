//===- tests/hwmodel/calibration_record_test.cc - The "calibration" object -===//
/// The optional record of what calibrated hardware was fitted on: a hand-written file reads
/// into the values it spells, a written record reads back equal (with and without its
/// optional errors), and the strict reader and Validate() name the file and the field for
/// unknown fields, wrong types, negative counts or errors, NaN and duplicate classes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "hwmodel/hardware.h"
#include "hwmodel/hardware_json.h"
#include "hwmodel/presets.h"
#include "laws/support/json_reader.h"

namespace moeplan::hw {
namespace {

using ::testing::HasSubstr;

Result<Hardware> FromText(const std::string& text) {
  Result<nlohmann::json> json = ParseJsonText(text, "calib.json");
  if (!json) return json.error();
  return HardwareFromJson(*json, "calib.json");
}

std::string ErrorOf(const Result<Hardware>& result) {
  return result.ok() ? std::string("<no error>") : result.error().message;
}

// An H100-based file whose "calibration" object holds `record` (JSON members).
std::string WithRecord(const std::string& record) {
  return R"({"format": "moeplan-hardware", "version": 1, "base": "h100", "name": "fit",
             "calibration": {)" +
         record + "}}";
}

// The smallest valid record plus `more` members.
std::string Minimal(const std::string& more = "") {
  return WithRecord(R"("tool": "t", "source": "p.json")" + (more.empty() ? "" : ", " + more));
}

CalibrationRecord FullRecord() {
  CalibrationRecord r;
  r.tool = "moeplan 0.1.0 calibrate";
  r.base = "h100-sxm";
  r.source = "profiles/h100.json";
  r.device = "NVIDIA H100 80GB HBM3";
  r.driver = "550.54.15";
  r.measured_utc = "2026-11-02T10:00:00Z";
  r.measurements_used = 412;
  r.measurements_total = 420;
  r.nccl_logs = {"ar.log", "a2a.log"};
  r.nccl_rows = 40;
  r.folds = 5;
  r.errors = {{"gemm", 96, 1.7, 6.25, std::nullopt},
              {"moe_layer", 4, 2.125, 3.0, std::nullopt},
              {"published_moe", 30, 11.5, std::nullopt, 8.75}};
  return r;
}

TEST(CalibrationRecordTest, HandWrittenRecordReadsAsSpelled) {
  Result<Hardware> h = FromText(WithRecord(R"(
      "tool": "moeplan 0.1.0 calibrate", "base": "h100-sxm", "source": "h100.json",
      "device": "NVIDIA H100 80GB HBM3", "driver": "550.54.15",
      "measured_utc": "2026-11-02T10:00:00Z", "measurements": {"used": 412, "total": 420},
      "nccl": {"logs": ["ar.log"], "rows": 40}, "folds": 5,
      "errors": [{"class": "gemm", "points": 96, "mape_held_out": 1.7, "worst_error": 6.2},
                 {"class": "vtrain", "points": 9, "mape_held_out": 3, "median_error": 2.5}])"));
  ASSERT_TRUE(h.ok()) << ErrorOf(h);
  ASSERT_TRUE(h->calibration.has_value());
  const CalibrationRecord& r = *h->calibration;
  EXPECT_EQ(r.tool, "moeplan 0.1.0 calibrate");
  EXPECT_EQ(r.device, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(r.measurements_used, 412);
  EXPECT_EQ(r.measurements_total, 420);
  EXPECT_EQ(r.nccl_logs, std::vector<std::string>{"ar.log"});
  EXPECT_EQ(r.nccl_rows, 40);
  EXPECT_EQ(r.folds, 5);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], (HeldOutError{"gemm", 96, 1.7, 6.2, std::nullopt}));
  EXPECT_EQ(r.errors[1], (HeldOutError{"vtrain", 9, 3.0, std::nullopt, 2.5}));
  // The cost models' fields are the preset's: the record changes no prediction.
  EXPECT_EQ(h->efficiency, FindHardwarePreset("h100")->hardware.efficiency);
}

TEST(CalibrationRecordTest, RoundTripsThroughText) {
  Hardware h = FindHardwarePreset("h100")->hardware;
  h.calibration = FullRecord();
  Result<Hardware> back = FromText(HardwareToJson(h).dump(2));
  ASSERT_TRUE(back.ok()) << ErrorOf(back);
  EXPECT_EQ(*back, h);
  // Absent: no "calibration" object is written, and none is read.
  h.calibration.reset();
  EXPECT_FALSE(HardwareToJson(h).contains("calibration"));
  Result<Hardware> plain = FromText(HardwareToJson(h).dump());
  ASSERT_TRUE(plain.ok()) << ErrorOf(plain);
  EXPECT_FALSE(plain->calibration.has_value());
}

TEST(CalibrationRecordTest, MinimalRecordTakesDefaults) {
  Result<Hardware> h = FromText(Minimal());
  ASSERT_TRUE(h.ok()) << ErrorOf(h);
  CalibrationRecord expected;
  expected.tool = "t";
  expected.source = "p.json";
  EXPECT_EQ(*h->calibration, expected);
}

TEST(CalibrationRecordTest, UnknownFieldsNameFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("colour": 1)"))),
              HasSubstr("calib.json: field 'calibration.colour': unknown field"));
  EXPECT_THAT(
      ErrorOf(FromText(Minimal(R"("errors": [{"class": "gemm", "points": 3, "mape_held_out": 1,
                                             "mape": 2}])"))),
      HasSubstr("calib.json: field 'calibration.errors[0].mape': unknown field"));
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("measurements": {"used": 1, "total": 2, "x": 0})"))),
              HasSubstr("calib.json: field 'calibration.measurements.x': unknown field"));
}

TEST(CalibrationRecordTest, WrongTypesNameFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(WithRecord(R"("tool": 3, "source": "p.json")"))),
              HasSubstr("calib.json: field 'calibration.tool': expected a string, got 3"));
  EXPECT_THAT(ErrorOf(FromText(WithRecord(R"("tool": "t")"))),
              HasSubstr("calib.json: field 'calibration.source': expected a string, got nothing"));
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("folds": "five")"))),
              HasSubstr("calib.json: field 'calibration.folds': expected an integer in 0..1000, "
                        "got \"five\""));
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("nccl": {"logs": ["a.log", 7]})"))),
              HasSubstr("calib.json: field 'calibration.nccl.logs[1]': expected a string, got 7"));
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("errors": [3])"))),
              HasSubstr("calib.json: field 'calibration.errors[0]': expected an object, got 3"));
  EXPECT_THAT(ErrorOf(FromText(Minimal(
                  R"("errors": [{"class": "gemm", "points": 3, "mape_held_out": "low"}])"))),
              HasSubstr("calib.json: field 'calibration.errors[0].mape_held_out': expected a "
                        "number >= 0, got \"low\""));
  EXPECT_THAT(ErrorOf(FromText(WithRecord(R"("tool": "t", "source": "p", "errors": {})"))),
              HasSubstr("calib.json: field 'calibration.errors'"));
}

TEST(CalibrationRecordTest, NegativeCountsAndErrorsNameFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("nccl": {"rows": -1})"))),
              HasSubstr("calib.json: field 'calibration.nccl.rows': expected an integer in 0.."));
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("measurements": {"used": -3, "total": 10})"))),
              HasSubstr("calib.json: field 'calibration.measurements.used': expected an integer "
                        "in 0..10, got -3"));
  // More used than there were.
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("measurements": {"used": 11, "total": 10})"))),
              HasSubstr("calib.json: field 'calibration.measurements.used': expected an integer "
                        "in 0..10, got 11"));
  EXPECT_THAT(ErrorOf(FromText(
                  Minimal(R"("errors": [{"class": "gemm", "points": 0, "mape_held_out": 1}])"))),
              HasSubstr("calib.json: field 'calibration.errors[0].points': expected an integer "
                        "in 1.."));
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("errors": [{"class": "gemm", "points": 3,
                                     "mape_held_out": 1, "worst_error": -2}])"))),
              HasSubstr("calib.json: field 'calibration.errors[0].worst_error': expected a "
                        "number >= 0, got -2"));
}

TEST(CalibrationRecordTest, DuplicateAndEmptyClassesAreRejected) {
  EXPECT_THAT(ErrorOf(FromText(Minimal(R"("errors": [
                  {"class": "gemm", "points": 3, "mape_held_out": 1},
                  {"class": "gemm", "points": 4, "mape_held_out": 2}])"))),
              HasSubstr("calib.json: field 'calibration.errors[1].class': expected a class not "
                        "listed before, got \"gemm\""));
  EXPECT_THAT(
      ErrorOf(FromText(Minimal(R"("errors": [{"class": "", "points": 3, "mape_held_out": 1}])"))),
      HasSubstr("calib.json: field 'calibration.errors[0].class': expected a non-empty "
                "string"));
}

TEST(CalibrationRecordTest, NanAndNegativeValuesFailValidate) {
  Hardware h = FindHardwarePreset("h100")->hardware;
  h.calibration = FullRecord();
  ASSERT_TRUE(h.Validate().ok()) << h.Validate().message();
  h.calibration->errors[1].mape_held_out = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(ValidateHardware(h, "my.json").message(),
              HasSubstr("my.json: field 'calibration.errors[1].mape_held_out': expected a number "
                        ">= 0, got nan"));
  // NaN has no JSON spelling: the writer emits null, which the reader reports as missing.
  EXPECT_THAT(ErrorOf(FromText(HardwareToJson(h).dump())),
              HasSubstr("calib.json: field 'calibration.errors[1].mape_held_out': expected a "
                        "number >= 0, got nothing (missing)"));
  h.calibration = FullRecord();
  h.calibration->nccl_rows = -1;
  EXPECT_THAT(ValidateHardware(h, "my.json").message(),
              HasSubstr("field 'calibration.nccl.rows': expected an integer >= 0, got -1"));
  h.calibration = FullRecord();
  h.calibration->measurements_used = 421;
  EXPECT_THAT(ValidateHardware(h, "my.json").message(),
              HasSubstr("field 'calibration.measurements.used': expected at most "
                        "measurements.total (420), got 421"));
}

TEST(CalibrationRecordTest, NoteNamesDeviceDateAndGemmError) {
  Hardware h = FindHardwarePreset("h100")->hardware;
  EXPECT_EQ(CalibrationNote(h), "");
  h.calibration = FullRecord();
  EXPECT_EQ(CalibrationNote(h),
            "calibrated on NVIDIA H100 80GB HBM3 2026-11-02T10:00:00Z by moeplan 0.1.0 "
            "calibrate, held-out GEMM MAPE 1.7%");
  h.calibration->device.clear();
  h.calibration->measured_utc.clear();
  h.calibration->errors.clear();
  EXPECT_EQ(CalibrationNote(h),
            "calibrated on an unknown device at an unknown date by moeplan 0.1.0 calibrate");
}

}  // namespace
}  // namespace moeplan::hw
