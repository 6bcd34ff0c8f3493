//===- tests/calibration/output_test.cc - Calibrated hardware files and reports -===//
/// \file
/// The written hardware file inherits its preset ("base"), holds only the fitted fields, reads
/// back through hwmodel as exactly the calibrated hardware, and works wherever a fleet is taken
/// (hw::LoadFleet, which every --fleet option uses). Reports and plots are written beside it.
#include "calibration/output.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "calibration/report.h"
#include "calibration/svg_plot.h"
#include "calibration/synthetic.h"
#include "hwmodel/fleet_source.h"
#include "hwmodel/presets.h"

namespace moeplan::calibration {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class OutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    hw::Hardware truth = hw::FindHardwarePreset("h100")->hardware;
    truth.efficiency.gemm.compute_efficiency = 0.7;
    truth.efficiency.memory.norm = 0.6;
    CalibrationInput input;
    input.profile = MakeSyntheticProfile(truth, {});
    input.profile_source = "synthetic.json";
    const std::string log =
        MakeSyntheticNcclLog(truth, hw::Collective::kAllReduce, 8, 1,
                             {1 << 10, 1 << 16, 1 << 20, 1 << 24, 1 << 28, 1 << 30}, 0.01, 1);
    input.nccl = *ParseNcclTestsLog(log, "ar.log");
    input.base = hw::FindHardwarePreset("h100")->hardware;
    input.base_preset = "h100-sxm";
    input.name = "my-h100";
    Result<CalibrationResult> result = Calibrate(input, {});
    ASSERT_TRUE(result.ok()) << result.error().message;
    result_ = new CalibrationResult(std::move(result).value());
  }
  static void TearDownTestSuite() {
    delete result_;
    result_ = nullptr;
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("moeplan_calibration_output_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static CalibrationResult* result_;
  fs::path dir_;
};

CalibrationResult* OutputTest::result_ = nullptr;

TEST_F(OutputTest, HardwareFileInheritsThePresetAndOverridesFittedFields) {
  ASSERT_NE(result_, nullptr);
  Result<nlohmann::ordered_json> doc = CalibratedHardwareJson(*result_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["base"], "h100-sxm");
  EXPECT_EQ((*doc)["name"], "my-h100");
  EXPECT_FALSE(doc->contains("device"));  // spec-sheet figures come from the preset
  EXPECT_FALSE(doc->contains("node"));
  EXPECT_TRUE((*doc)["efficiency"].contains("gemm"));
  EXPECT_FALSE((*doc)["efficiency"]["gemm"].contains("tile_m"));  // not fitted
  EXPECT_THAT((*doc)["efficiency"]["source"].get<std::string>(),
              HasSubstr("profile 'synthetic.json'"));
  EXPECT_TRUE((*doc)["scale_up"].contains("latency"));
  EXPECT_FALSE((*doc)["scale_up"].contains("bandwidth"));
}

TEST_F(OutputTest, WrittenFileWorksWhereverAFleetIsTaken) {
  ASSERT_NE(result_, nullptr);
  const OutputPaths paths = DefaultOutputPaths(dir_ / "my-h100.json");
  ASSERT_TRUE(WriteCalibration(*result_, paths).ok());
  Result<hw::Hardware> hardware = hw::LoadHardware(paths.hardware.string());
  ASSERT_TRUE(hardware.ok()) << hardware.error().message;
  EXPECT_TRUE(*hardware == result_->calibrated);
  Result<hw::Fleet> fleet = hw::LoadFleet("64x" + paths.hardware.string());
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_EQ(fleet->num_gpus, 64);
  EXPECT_TRUE(fleet->hardware == result_->calibrated);
  // Without a count the file is read as a fleet file, which needs a "fleet" object.
  Result<hw::Fleet> no_count = hw::LoadFleet(paths.hardware.string());
  ASSERT_FALSE(no_count.ok());
  EXPECT_THAT(no_count.error().message, HasSubstr("fleet"));
}

// The record in the written file holds the CalibrationResult's own numbers: provenance counts,
// and per class (kernels, then collectives) the points, held-out MAPE and worst error.
TEST_F(OutputTest, WrittenFileRecordsWhatItWasFittedOnAndItsErrors) {
  ASSERT_NE(result_, nullptr);
  const OutputPaths paths = DefaultOutputPaths(dir_ / "my-h100.json");
  ASSERT_TRUE(WriteCalibration(*result_, paths).ok());
  const nlohmann::json doc = nlohmann::json::parse(Slurp(paths.hardware));
  ASSERT_TRUE(doc.contains("calibration"));
  const nlohmann::json& record = doc["calibration"];
  const Provenance& p = result_->provenance;
  EXPECT_EQ(record["tool"], "moeplan 0.1.0 calibrate");
  EXPECT_EQ(record["base"], "h100-sxm");
  EXPECT_EQ(record["source"], "synthetic.json");
  EXPECT_EQ(record["device"], p.device_name);
  EXPECT_EQ(record["driver"], p.driver_version);
  EXPECT_EQ(record["measured_utc"], p.profile_created_utc);
  EXPECT_EQ(record["measurements"]["total"], p.measurements);
  EXPECT_EQ(record["measurements"]["used"], p.measurements_used);
  EXPECT_EQ(record["nccl"]["logs"], nlohmann::json::array({"ar.log"}));
  EXPECT_EQ(record["nccl"]["rows"], result_->collective_points.size());
  EXPECT_EQ(record["folds"], 5);  // CalibrationOptions default

  std::vector<ClassValidation> classes = result_->kernel_classes;
  classes.insert(classes.end(), result_->collective_classes.begin(),
                 result_->collective_classes.end());
  const nlohmann::json& errors = record["errors"];
  ASSERT_EQ(errors.size(), classes.size());
  for (size_t class_idx = 0; class_idx < classes.size(); ++class_idx) {
    const ClassValidation& c = classes[class_idx];
    SCOPED_TRACE(c.op_class);
    EXPECT_EQ(errors[class_idx]["class"], c.op_class);
    EXPECT_EQ(errors[class_idx]["points"], c.points);
    EXPECT_EQ(errors[class_idx]["mape_held_out"].get<double>(), c.mape_held_out);
    EXPECT_EQ(errors[class_idx]["worst_error"].get<double>(), c.worst_held_out);
  }

  // The layer-level error is the "moe_layer" class: mean |sum of held-out part predictions -
  // measured layer| / measured layer, recomputed here from the layers.
  ASSERT_FALSE(result_->layers.empty());
  double sum = 0.0;
  double worst = 0.0;
  for (const LayerValidation& layer : result_->layers) {
    const double error =
        100.0 * std::abs(layer.predicted_held_out - layer.measured) / layer.measured;
    sum += error;
    worst = std::max(worst, error);
  }
  const auto layer = std::find_if(errors.begin(), errors.end(), [](const nlohmann::json& e) {
    return e["class"] == "moe_layer";
  });
  ASSERT_NE(layer, errors.end());
  EXPECT_EQ((*layer)["points"], result_->layers.size());
  EXPECT_NEAR((*layer)["mape_held_out"].get<double>(),
              sum / static_cast<double>(result_->layers.size()), 1e-9);
  EXPECT_NEAR((*layer)["worst_error"].get<double>(), worst, 1e-9);

  // hwmodel reads it back as the calibrated hardware's record, and says so in one line.
  Result<hw::Hardware> hardware = hw::LoadHardware(paths.hardware.string());
  ASSERT_TRUE(hardware.ok()) << hardware.error().message;
  ASSERT_TRUE(hardware->calibration.has_value());
  EXPECT_EQ(*hardware->calibration, *result_->calibrated.calibration);
  EXPECT_THAT(hw::CalibrationNote(*hardware),
              HasSubstr(fmt::format("calibrated on {} ", p.device_name)));
  EXPECT_THAT(hw::CalibrationNote(*hardware), HasSubstr("held-out GEMM MAPE "));
}

TEST_F(OutputTest, ReportsAndPlotsAreWrittenBesideIt) {
  ASSERT_NE(result_, nullptr);
  const OutputPaths paths = DefaultOutputPaths(dir_ / "my-h100.json");
  EXPECT_EQ(paths.report_json, dir_ / "my-h100.report.json");
  ASSERT_TRUE(WriteCalibration(*result_, paths).ok());
  const nlohmann::json report = nlohmann::json::parse(Slurp(paths.report_json));
  EXPECT_EQ(report["format"], "moeplan-calibration-report");
  EXPECT_EQ(report["provenance"]["profile"], "synthetic.json");
  EXPECT_FALSE(report["kernel_classes"].empty());
  EXPECT_FALSE(report["layers"].empty());
  const std::string text = Slurp(paths.report_text);
  EXPECT_THAT(text, HasSubstr("held-out"));
  EXPECT_THAT(text, HasSubstr("efficiency.gemm.compute_efficiency"));
  EXPECT_THAT(text, HasSubstr("moe_layer"));
  const std::string svg = Slurp(paths.kernels_svg);
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("grouped_gemm ("));
  EXPECT_TRUE(fs::exists(paths.collectives_svg));
}

TEST_F(OutputTest, NonPresetBaseWritesEveryField) {
  ASSERT_NE(result_, nullptr);
  CalibrationResult copy = *result_;
  copy.base_preset.reset();
  Result<nlohmann::ordered_json> doc = CalibratedHardwareJson(copy);
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->contains("base"));
  EXPECT_TRUE(doc->contains("device"));
}

TEST(SvgPlot, EscapesTextAndHandlesEmptyPlots) {
  EXPECT_EQ(XmlEscape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  ScatterPlot plot;
  plot.title = "<empty>";
  const std::string svg = RenderScatterSvg(plot);
  EXPECT_THAT(svg, HasSubstr("no points"));
  EXPECT_THAT(svg, HasSubstr("&lt;empty&gt;"));
  plot.series.push_back({"gemm", {{1e-4, 1.1e-4}, {2e-3, 1.9e-3}, {0.0, 1.0}}});
  EXPECT_THAT(RenderScatterSvg(plot), HasSubstr("gemm (2)"));  // the non-positive point is skipped
}

}  // namespace
}  // namespace moeplan::calibration
