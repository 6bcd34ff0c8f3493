//===- tests/profiler/trace_runner_test.cc - `trace -- <command>` ---------===//
/// The runner's contract, exercised with shell commands standing in for a CUDA program (the
/// "injection library" is any existing file, since no CUDA driver loads it here): a complete
/// valid trace is moved into place; failures leave no file and say why.
#include "profiler/core/trace_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "profiler/core/atomic_output.h"

namespace moeplan::profiler {
namespace {

namespace fs = std::filesystem;

class TraceRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("moeplan_trace_runner_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fake_library_ = dir_ / "libfake_inject.so";
    std::ofstream(fake_library_) << "not a library";
    options_.inject_library = fake_library_;
    options_.out = dir_ / "trace.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A command that writes `json` where the injection library would.
  std::vector<std::string> Writes(const std::string& json, int status = 0) {
    return {"/bin/sh", "-c",
            "printf '%s' '" + json + "' > \"$MOEPLAN_TRACE_OUT\"; exit " + std::to_string(status)};
  }

  fs::path dir_;
  fs::path fake_library_;
  TraceRunOptions options_;
};

TEST_F(TraceRunnerTest, MovesAValidTraceIntoPlace) {
  options_.command = Writes(R"({"format": "moeplan-trace", "version": 1, "kernels": []})");
  Result<TraceFile> trace = RunTraced(options_);
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  EXPECT_TRUE(fs::exists(options_.out));
  EXPECT_FALSE(fs::exists(StagingPath(options_.out)));
}

TEST_F(TraceRunnerTest, SetsTheInjectionEnvironment) {
  options_.command = {"/bin/sh", "-c",
                      "test \"$CUDA_INJECTION64_PATH\" = \"" + fake_library_.string() +
                          "\" && printf '{\"format\":\"moeplan-trace\",\"version\":1}' > "
                          "\"$MOEPLAN_TRACE_OUT\""};
  Result<TraceFile> trace = RunTraced(options_);
  EXPECT_TRUE(trace.ok()) << trace.error().message;
}

TEST_F(TraceRunnerTest, FailuresLeaveNoFile) {
  options_.command = Writes(R"({"format": "moeplan-trace", "version": 1})", 3);
  Result<TraceFile> failed = RunTraced(options_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "trace: '/bin/sh' exited with status 3; no trace written");
  EXPECT_FALSE(fs::exists(options_.out));
  EXPECT_FALSE(fs::exists(StagingPath(options_.out)));

  options_.command = Writes(R"({"format": "moeplan-profile", "version": 1})");
  Result<TraceFile> invalid = RunTraced(options_);
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("expected \"moeplan-trace\""), std::string::npos);
  EXPECT_FALSE(fs::exists(options_.out));
  EXPECT_FALSE(fs::exists(StagingPath(options_.out)));

  options_.command = {"/bin/true"};
  Result<TraceFile> silent = RunTraced(options_);
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().message.rfind("trace: '/bin/true' wrote no trace", 0), 0u);

  options_.command = {"/bin/sh", "-c", "kill -INT $$"};
  Result<TraceFile> interrupted = RunTraced(options_);
  ASSERT_FALSE(interrupted.ok());
  EXPECT_EQ(interrupted.error().message, "trace: '/bin/sh' was interrupted; no trace written");
}

TEST_F(TraceRunnerTest, ReportsMissingPiecesClearly) {
  options_.command = {"/no/such/program"};
  Result<TraceFile> missing = RunTraced(options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "trace: cannot run '/no/such/program' (not found or not executable)");

  options_.inject_library = dir_ / "absent.so";
  Result<TraceFile> no_library = RunTraced(options_);
  ASSERT_FALSE(no_library.ok());
  EXPECT_EQ(no_library.error().message.rfind("trace: injection library '", 0), 0u);

  options_.command.clear();
  EXPECT_FALSE(RunTraced(options_).ok());
}

}  // namespace
}  // namespace moeplan::profiler
