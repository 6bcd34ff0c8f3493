//===- tests/calibration/calibrate_command_test.cc - `moeplan calibrate` end to end -===//
/// \file
/// Runs the built binary on a synthetic profile and nccl-tests logs: success writes the
/// hardware file and its reports; bad input or a fit that does not converge prints one
/// "moeplan: error: ..." line, exits 2 and writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "calibration/synthetic.h"
#include "hwmodel/fleet_source.h"
#include "hwmodel/presets.h"
#include "laws/support/atomic_file.h"
#include "profiler/core/profile_json.h"
#include "tests/cli/cli_runner.h"

namespace moeplan::calibration {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::RunMoeplan;
using ::testing::StartsWith;

class CalibrateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("moeplan_calibrate_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    hw::Hardware truth = hw::FindHardwarePreset("h100")->hardware;
    truth.efficiency.gemm.compute_efficiency = 0.7;
    ASSERT_TRUE(
        profiler::WriteProfileFile(dir_ / "profile.json", MakeSyntheticProfile(truth, {})).ok());
    const std::string log =
        MakeSyntheticNcclLog(truth, hw::Collective::kAllGather, 8, 1,
                             {1 << 12, 1 << 16, 1 << 20, 1 << 24, 1 << 28}, 0.01, 2);
    ASSERT_TRUE(WriteFileAtomically(dir_ / "all_gather.log", log).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(CalibrateCommand, WritesTheHardwareFileAndReports) {
  const auto r = RunMoeplan("calibrate " + Path("profile.json") + " --nccl " +
                            Path("all_gather.log") + " --base h100 --out " + Path("my-h100.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("held-out"));
  EXPECT_THAT(r.out, HasSubstr("wrote " + Path("my-h100.json")));
  EXPECT_THAT(r.out, HasSubstr(Path("my-h100.json") + " records: calibrated on "));
  EXPECT_THAT(r.out, HasSubstr(", held-out GEMM MAPE "));
  EXPECT_TRUE(fs::exists(dir_ / "my-h100.report.json"));
  EXPECT_TRUE(fs::exists(dir_ / "my-h100.report.txt"));
  EXPECT_TRUE(fs::exists(dir_ / "my-h100.report.kernels.svg"));
  EXPECT_TRUE(fs::exists(dir_ / "my-h100.report.collectives.svg"));
  Result<hw::Fleet> fleet = hw::LoadFleet("16x" + Path("my-h100.json"));
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_NEAR(fleet->hardware.efficiency.gemm.compute_efficiency, 0.7, 0.02);
  EXPECT_EQ(fleet->hardware.name, "h100-sxm-calibrated");
  ASSERT_TRUE(fleet->hardware.calibration.has_value());
  EXPECT_EQ(fleet->hardware.calibration->nccl_logs,
            std::vector<std::string>{Path("all_gather.log")});
}

TEST_F(CalibrateCommand, BadProfileWritesNothing) {
  ASSERT_TRUE(WriteFileAtomically(dir_ / "bad.json", "{\"format\": \"moeplan-profile\"}").ok());
  const auto r = RunMoeplan("calibrate " + Path("bad.json") + " --out " + Path("out.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("moeplan: error: " + Path("bad.json") + ": field"));
  EXPECT_FALSE(fs::exists(dir_ / "out.json"));
  EXPECT_FALSE(fs::exists(dir_ / "out.report.json"));
}

TEST_F(CalibrateCommand, BadLogWritesNothing) {
  ASSERT_TRUE(WriteFileAtomically(dir_ / "all_reduce.log", "# nThread 1 nGpus 8\n").ok());
  const auto r = RunMoeplan("calibrate " + Path("profile.json") + " --nccl " +
                            Path("all_reduce.log") + " --out " + Path("out.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("all_reduce.log: no nccl-tests result table found"));
  EXPECT_FALSE(fs::exists(dir_ / "out.json"));
}

TEST_F(CalibrateCommand, NonConvergenceWritesNothing) {
  const auto r = RunMoeplan("calibrate " + Path("profile.json") + " --max-iterations 1 --out " +
                            Path("out.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("did not converge"));
  EXPECT_FALSE(fs::exists(dir_ / "out.json"));
  EXPECT_FALSE(fs::exists(dir_ / "out.report.txt"));
}

TEST_F(CalibrateCommand, UnknownBaseIsAnError) {
  const auto r =
      RunMoeplan("calibrate " + Path("profile.json") + " --base h900 --out " + Path("out.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--base: hardware 'h900': not a preset and no such file"));
}

}  // namespace
}  // namespace moeplan::calibration
