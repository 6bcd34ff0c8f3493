//===- tests/profiler/profile_command_test.cc - `moeplan profile`/`trace` -===//
/// End to end through the real binary. Without a GPU (or without CUDA at build time) the
/// commands fail with one clear line and exit status 2, and leave no file; with a GPU, a
/// copy-only quick profile is written and reads back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "profiler/core/atomic_output.h"
#include "profiler/core/profile_json.h"
#include "tests/cli/cli_runner.h"

namespace moeplan::profiler {
namespace {

namespace fs = std::filesystem;
using moeplan::testing::RunMoeplan;

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(ProfileCommandTest, ProfilesOrFailsCleanly) {
  const fs::path out =
      fs::temp_directory_path() / ("moeplan_profile_cmd_" + std::to_string(::getpid()) + ".json");
  fs::remove(out);
  const auto result = RunMoeplan("profile --quick --ops copy --quiet --out " + out.string());
  if (result.exit_code == 0) {
    Result<Profile> profile = ReadProfileFile(out);
    ASSERT_TRUE(profile.ok()) << profile.error().message;
    EXPECT_FALSE(profile->measurements.empty());
    fs::remove(out);
    return;
  }
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_TRUE(StartsWith(result.err, "moeplan: error: profile: built without CUDA/CUPTI") ||
              StartsWith(result.err, "moeplan: error: no usable CUDA device") ||
              StartsWith(result.err, "moeplan: error: cannot load CUPTI"))
      << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(StagingPath(out)));
}

TEST(ProfileCommandTest, RejectsBadOptions) {
  const auto unknown_op = RunMoeplan("profile --ops gemm,flash --out /tmp/never.json");
  EXPECT_EQ(unknown_op.exit_code, 2);
  EXPECT_TRUE(StartsWith(unknown_op.err, "moeplan: error: ")) << unknown_op.err;
  const auto both = RunMoeplan("profile --quick --full --out /tmp/never.json");
  EXPECT_EQ(both.exit_code, 2);
  const auto no_out = RunMoeplan("profile --quick");
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_NE(no_out.err.find("--out"), std::string::npos) << no_out.err;
  EXPECT_FALSE(fs::exists("/tmp/never.json"));
}

TEST(ProfileCommandTest, TraceWithoutCudaWritesNothing) {
  const fs::path out =
      fs::temp_directory_path() / ("moeplan_trace_cmd_" + std::to_string(::getpid()) + ".json");
  const auto result = RunMoeplan("trace --out " + out.string() + " -- /bin/true");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(StartsWith(result.err, "moeplan: error: trace: ")) << result.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace moeplan::profiler
