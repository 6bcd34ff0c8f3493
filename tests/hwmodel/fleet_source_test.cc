//===- tests/hwmodel/fleet_source_test.cc - Fleet shorthand and files ------===//
/// Good and bad fleet specifications with the exact fragments of their error messages.
#include "hwmodel/fleet_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hwmodel/hardware_json.h"
#include "hwmodel/presets.h"

namespace moeplan::hw {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const Result<Fleet>& result) {
  return result.ok() ? std::string("<no error>") : result.error().message;
}

TEST(FleetShorthandTest, ParsesCountAndPreset) {
  Result<Fleet> fleet = ParseFleetShorthand("1024xH100");
  ASSERT_TRUE(fleet.ok()) << ErrorOf(fleet);
  EXPECT_EQ(fleet->num_gpus, 1024);
  EXPECT_EQ(fleet->hardware.name, "h100-sxm");
  EXPECT_EQ(fleet->NumNodes(), 128);
  EXPECT_EQ(fleet->NumScaleUpDomains(), 128);
  EXPECT_TRUE(fleet->Validate().ok());
}

TEST(FleetShorthandTest, AcceptsAliasesCaseAndSpaces) {
  EXPECT_EQ(ParseFleetShorthand("64xH200")->hardware.name, "h200-sxm");
  EXPECT_EQ(ParseFleetShorthand("8xA100")->hardware.name, "a100-sxm-80gb");
  EXPECT_EQ(ParseFleetShorthand("16Xh100-sxm")->hardware.name, "h100-sxm");
  EXPECT_EQ(ParseFleetShorthand(" 8 x mi300x ")->hardware.name, "mi300x");
  EXPECT_EQ(ParseFleetShorthand("+8xh800")->num_gpus, 8);
}

TEST(FleetShorthandTest, Gb200CountsTraysAndRacks) {
  // 1024 GPUs = 256 four-GPU trays = 14 full NVL72 racks (1008 GPUs) + one of 16.
  Result<Fleet> fleet = ParseFleetShorthand("1024xGB200");
  ASSERT_TRUE(fleet.ok()) << ErrorOf(fleet);
  EXPECT_EQ(fleet->NumNodes(), 256);
  EXPECT_EQ(fleet->NumScaleUpDomains(), 15);
}

TEST(FleetShorthandTest, PartOfOneNodeIsAllowed) {
  Result<Fleet> fleet = ParseFleetShorthand("4xH100");
  ASSERT_TRUE(fleet.ok()) << ErrorOf(fleet);
  EXPECT_EQ(fleet->NumNodes(), 1);
  EXPECT_TRUE(ParseFleetShorthand("1xH100").ok());
}

TEST(FleetShorthandTest, RejectsNonPositiveCounts) {
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("0xH100")),
              HasSubstr("fleet '0xH100': GPU count must be positive, got 0"));
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("-8xH100")),
              HasSubstr("fleet '-8xH100': GPU count must be positive, got -8"));
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("99999999999999999999xH100")),
              HasSubstr("GPU count 99999999999999999999 is out of range (1..16777216)"));
}

TEST(FleetShorthandTest, RejectsPartialNodes) {
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("1001xH100")),
              HasSubstr("fleet '1001xH100': 1001 GPUs is not a whole number of 8-GPU nodes "
                        "(nearest: 1000 or 1008)"));
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("74xGB200")),
              HasSubstr("74 GPUs is not a whole number of 4-GPU nodes (nearest: 72 or 76)"));
}

TEST(FleetShorthandTest, UnknownPresetListsThePresets) {
  const std::string error = ErrorOf(ParseFleetShorthand("64xH900"));
  EXPECT_THAT(error, HasSubstr("fleet '64xH900': unknown hardware preset 'H900' (presets: "));
  for (const HardwarePreset& preset : HardwarePresets()) {
    EXPECT_THAT(error, HasSubstr(preset.name));
  }
}

TEST(FleetShorthandTest, MalformedTextExplainsTheForm) {
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("H100")),
              HasSubstr("fleet 'H100': give the number of GPUs, e.g. 8xH100"));
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("lots of gpus")),
              HasSubstr("expected <count>x<hardware> (e.g. 1024xH100)"));
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("64x")), HasSubstr("unknown hardware preset ''"));
  EXPECT_THAT(ErrorOf(ParseFleetShorthand("64")), HasSubstr("expected <count>x<hardware>"));
}

class FleetFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / "moeplan_fleet_source_test";
    std::filesystem::create_directories(dir_);
  }
  std::filesystem::path Write(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(FleetFileTest, LoadsFleetFileAndCountTimesHardwareFile) {
  Fleet fleet{FindHardwarePreset("h200")->hardware, 64};
  const std::filesystem::path fleet_file = dir_ / "fleet.json";
  ASSERT_TRUE(WriteFleetFile(fleet_file, fleet).ok());
  Result<Fleet> loaded = LoadFleet(fleet_file.string());
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(*loaded, fleet);

  const std::filesystem::path calibrated =
      Write("calibrated.json",
            R"({"format": "moeplan-hardware", "version": 1, "base": "h100", "name": "h100-fit"})");
  Result<Fleet> counted = LoadFleet("16x" + calibrated.string());
  ASSERT_TRUE(counted.ok()) << ErrorOf(counted);
  EXPECT_EQ(counted->num_gpus, 16);
  EXPECT_EQ(counted->hardware.name, "h100-fit");
  EXPECT_EQ(counted->hardware.device, FindHardwarePreset("h100")->hardware.device);
}

TEST_F(FleetFileTest, ShorthandWorksThroughLoadFleet) {
  Result<Fleet> fleet = LoadFleet("256xB200");
  ASSERT_TRUE(fleet.ok()) << ErrorOf(fleet);
  EXPECT_EQ(fleet->hardware.name, "b200");
  EXPECT_THAT(ErrorOf(LoadFleet("8x/no/such/file.json")),
              HasSubstr("unknown hardware preset '/no/such/file.json' and no such file"));
}

TEST_F(FleetFileTest, HardwareFileWithoutFleetObjectIsNotAFleet) {
  const std::filesystem::path file = dir_ / "hardware.json";
  ASSERT_TRUE(WriteHardwareFile(file, FindHardwarePreset("a100")->hardware).ok());
  EXPECT_THAT(ErrorOf(LoadFleet(file.string())),
              HasSubstr(file.string() + ": field 'fleet': expected an object, got nothing"));
}

TEST(LoadHardwareTest, PresetOrFile) {
  Result<Hardware> hardware = LoadHardware("H800");
  ASSERT_TRUE(hardware.ok());
  EXPECT_EQ(hardware->name, "h800-sxm");
  Result<Hardware> missing = LoadHardware("tpu-v5");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message,
              HasSubstr("hardware 'tpu-v5': not a preset and no such file (presets: "));
}

}  // namespace
}  // namespace moeplan::hw
