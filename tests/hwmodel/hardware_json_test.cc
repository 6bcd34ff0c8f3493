//===- tests/hwmodel/hardware_json_test.cc - moeplan-hardware format -------===//
/// Round trips of every preset, "base" inheritance with overrides, and the strict reader's
/// errors, each checked for the file name and JSON path it must name.
#include "hwmodel/hardware_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "hwmodel/presets.h"
#include "laws/support/json_reader.h"

namespace moeplan::hw {
namespace {

using ::testing::HasSubstr;

const Hardware& H100() {
  return FindHardwarePreset("h100")->hardware;
}

Result<Hardware> FromText(const std::string& text, const std::string& source = "calib.json") {
  Result<nlohmann::json> json = ParseJsonText(text, source);
  if (!json) return json.error();
  return HardwareFromJson(*json, source);
}

std::string ErrorOf(const Result<Hardware>& result) {
  return result.ok() ? std::string("<no error>") : result.error().message;
}

// An override file on top of the H100 preset.
std::string OnH100(const std::string& fields) {
  return R"({"format": "moeplan-hardware", "version": 1, "base": "h100", "name": "fit")" +
         (fields.empty() ? std::string() : ", " + fields) + "}";
}

TEST(HardwareJsonTest, EveryPresetRoundTripsThroughText) {
  for (const HardwarePreset& preset : HardwarePresets()) {
    SCOPED_TRACE(preset.name);
    const std::string text = HardwareToJson(preset.hardware).dump(2);
    Result<Hardware> back = FromText(text, preset.name + ".json");
    ASSERT_TRUE(back.ok()) << ErrorOf(back);
    EXPECT_EQ(*back, preset.hardware);
  }
}

TEST(HardwareJsonTest, NonDefaultEfficienciesRoundTrip) {
  Hardware h = H100();
  h.efficiency.source = "calibrated from profiles/h100.json";
  h.efficiency.launch_overhead = 3.3e-6;
  h.efficiency.gemm = {256, 128, 0.713, 0.654, 97.5, 0.91};
  h.efficiency.attention = {0.55, 0.41, 300.0, 0.8};
  h.efficiency.memory = {0.9, 0.8, 0.3, 0.45, 0.7, 1e6};
  h.efficiency.collective = {1e-5, {0.77, 1e7}, {0.93, 2.5e6}};
  h.scale_out.latency = 7.25e-6;
  Result<Hardware> back = FromText(HardwareToJson(h).dump());
  ASSERT_TRUE(back.ok()) << ErrorOf(back);
  EXPECT_EQ(*back, h);
}

TEST(HardwareJsonTest, FleetRoundTripsThroughFile) {
  const Fleet fleet{FindHardwarePreset("gb200")->hardware, 144};
  const std::filesystem::path file =
      std::filesystem::path(::testing::TempDir()) / "moeplan_hardware_json_fleet.json";
  ASSERT_TRUE(WriteFleetFile(file, fleet).ok());
  Result<Fleet> back = LoadFleetFile(file);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, fleet);
  // A fleet file is also a hardware file.
  Result<Hardware> hardware = LoadHardwareFile(file);
  ASSERT_TRUE(hardware.ok());
  EXPECT_EQ(*hardware, fleet.hardware);
}

TEST(HardwareJsonTest, Fp8IsOmittedWhenUnsupported) {
  const nlohmann::ordered_json j = HardwareToJson(FindHardwarePreset("a100")->hardware);
  EXPECT_FALSE(j["device"]["peak_flops"].contains("fp8"));
  EXPECT_TRUE(HardwareToJson(H100())["device"]["peak_flops"].contains("fp8"));
}

TEST(HardwareJsonTest, BaseInheritsAndOverridesFieldByField) {
  Result<Hardware> h = FromText(OnH100(R"(
      "scale_out": {"latency": 5e-6},
      "efficiency": {"source": "fit to profile x", "gemm": {"compute_efficiency": 0.71}})"));
  ASSERT_TRUE(h.ok()) << ErrorOf(h);
  EXPECT_EQ(h->name, "fit");
  EXPECT_EQ(h->device, H100().device);
  EXPECT_EQ(h->scale_up, H100().scale_up);
  EXPECT_DOUBLE_EQ(h->scale_out.bandwidth, 50e9);  // kept from the preset
  EXPECT_DOUBLE_EQ(h->scale_out.latency, 5e-6);    // overridden
  EXPECT_EQ(h->efficiency.source, "fit to profile x");
  EXPECT_DOUBLE_EQ(h->efficiency.gemm.compute_efficiency, 0.71);
  EXPECT_EQ(h->efficiency.gemm.tile_m, 128);                        // kept
  EXPECT_EQ(h->efficiency.attention, H100().efficiency.attention);  // kept from the preset
}

TEST(HardwareJsonTest, BaseNullRemovesFp8) {
  Result<Hardware> h = FromText(OnH100(R"("device": {"peak_flops": {"fp8": null}})"));
  ASSERT_TRUE(h.ok()) << ErrorOf(h);
  EXPECT_FALSE(h->device.Supports(Precision::kFp8));
  EXPECT_DOUBLE_EQ(h->device.peak_flops_bf16, H100().device.peak_flops_bf16);
}

TEST(HardwareJsonTest, UnknownBaseListsPresets) {
  EXPECT_THAT(ErrorOf(FromText(
                  R"({"format": "moeplan-hardware", "version": 1, "base": "h900", "name": "x"})")),
              HasSubstr("calib.json: field 'base': expected a hardware preset (a100-sxm-80gb "
                        "(a100), "));
}

TEST(HardwareJsonTest, UnknownFieldNamesFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("device": {"num_smz": 132})"))),
              HasSubstr("calib.json: field 'device.num_smz': unknown field (known fields: name, "
                        "peak_flops, "));
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("efficiency": {"gemm": {"tile_k": 64}})"))),
              HasSubstr("calib.json: field 'efficiency.gemm.tile_k': unknown field"));
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("colour": "green")"))),
              HasSubstr("calib.json: field 'colour': unknown field"));
}

TEST(HardwareJsonTest, WrongTypeNamesFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("device": {"num_sms": "132"})"))),
              HasSubstr("calib.json: field 'device.num_sms': expected an integer in 1..1048576, "
                        "got \"132\""));
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("scale_up": {"bandwidth": "fast"})"))),
              HasSubstr("calib.json: field 'scale_up.bandwidth': expected a positive number, got "
                        "\"fast\""));
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("node": 8)"))),
              HasSubstr("calib.json: field 'node': expected an object, got 8"));
}

TEST(HardwareJsonTest, OutOfRangeValuesNameFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("scale_out": {"bandwidth": -5})"))),
              HasSubstr("calib.json: field 'scale_out.bandwidth': expected a positive number, "
                        "got -5"));
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("device": {"peak_flops": {"bf16": 0}})"))),
              HasSubstr("field 'device.peak_flops.bf16': expected a positive number, got 0"));
  EXPECT_THAT(
      ErrorOf(FromText(OnH100(R"("efficiency": {"gemm": {"compute_efficiency": 1.5}})"))),
      HasSubstr("calib.json: field 'efficiency.gemm.compute_efficiency': expected a fraction in "
                "(0, 1], got 1.5"));
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("scale_up": {"latency": -1e-6})"))),
              HasSubstr("field 'scale_up.latency': expected a number >= 0, got -1e-06"));
  // The exponential rate may be 0 (not modelled: MI300X), never negative.
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("device": {"exp_rate": -1})"))),
              HasSubstr("calib.json: field 'device.exp_rate': expected a number >= 0, got -1"));
  Result<Hardware> no_exp = FromText(OnH100(R"("device": {"exp_rate": 0})"));
  ASSERT_TRUE(no_exp.ok()) << ErrorOf(no_exp);
  EXPECT_EQ(no_exp->device.exp_rate, 0.0);
  // A share that may be zero (a perfect overlap) but not above one.
  EXPECT_THAT(
      ErrorOf(FromText(OnH100(R"("efficiency": {"collective": {"ep_overlap_cost": 1.2}})"))),
      HasSubstr("calib.json: field 'efficiency.collective.ep_overlap_cost': expected a number in "
                "[0, 1], got 1.2"));
  Result<Hardware> zero =
      FromText(OnH100(R"("efficiency": {"collective": {"ep_overlap_cost": 0}})"));
  ASSERT_TRUE(zero.ok()) << ErrorOf(zero);
  EXPECT_EQ(zero->efficiency.collective.ep_overlap_cost, 0.0);
}

TEST(HardwareJsonTest, CrossFieldChecksNameFileAndPath) {
  EXPECT_THAT(ErrorOf(FromText(OnH100(R"("scale_up": {"domain_size": 12})"))),
              HasSubstr("calib.json: field 'scale_up.domain_size': expected a multiple or a "
                        "divisor of node.gpus_per_node (8), got 12"));
}

TEST(HardwareJsonTest, FormatVersionAndRequiredFields) {
  EXPECT_THAT(ErrorOf(FromText(R"({"format": "moeplan-arch", "version": 1})")),
              HasSubstr("calib.json: field 'format': expected \"moeplan-hardware\", got "
                        "\"moeplan-arch\""));
  EXPECT_THAT(ErrorOf(FromText(R"({"format": "moeplan-hardware", "version": 2})")),
              HasSubstr("calib.json: field 'version': expected an integer in 1..1, got 2"));
  EXPECT_THAT(ErrorOf(FromText(R"({"format": "moeplan-hardware", "version": 1, "name": "bare"})")),
              HasSubstr("calib.json: field 'device': expected an object, got nothing (missing)"));
  EXPECT_THAT(ErrorOf(FromText("[1, 2]")), HasSubstr("calib.json: expected a JSON object"));
}

TEST(HardwareJsonTest, FleetSectionIsCheckedWithItsPath) {
  const auto fleet = [](const std::string& fields) {
    Result<nlohmann::json> json = ParseJsonText(OnH100(fields), "fleet.json");
    return FleetFromJson(*json, "fleet.json");
  };
  Result<Fleet> ok = fleet(R"("fleet": {"num_gpus": 512})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->num_gpus, 512);
  EXPECT_THAT(fleet(R"("fleet": {"num_gpus": 1001})").error().message,
              HasSubstr("fleet.json: field 'fleet.num_gpus': 1001 GPUs is not a whole number of "
                        "8-GPU nodes (nearest: 1000 or 1008)"));
  EXPECT_THAT(fleet(R"("fleet": {"num_gpus": 0})").error().message,
              HasSubstr("fleet.json: field 'fleet.num_gpus': expected an integer in 1..16777216, "
                        "got 0"));
  EXPECT_THAT(fleet(R"("fleet": {"gpus": 8})").error().message,
              HasSubstr("fleet.json: field 'fleet.gpus': unknown field"));
}

TEST(HardwareJsonTest, FileErrorsNameTheFile) {
  Result<Hardware> missing = LoadHardwareFile("/no/such/hardware.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("/no/such/hardware.json: cannot open file"));
}

}  // namespace
}  // namespace moeplan::hw
