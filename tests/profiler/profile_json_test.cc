//===- tests/profiler/profile_json_test.cc - moeplan-profile files --------===//
/// A profile survives a write/read round trip exactly (shape order included), is written
/// atomically, and every malformed file gives one line naming the file and the JSON path.
#include "profiler/core/profile_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "profiler/core/atomic_output.h"

namespace moeplan::profiler {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

SampleStats Stats(double median) {
  SampleStats stats;
  stats.count = 20;
  stats.rejected = 1;
  stats.median = median;
  stats.mean = median * 1.01;
  stats.min = median * 0.98;
  stats.max = median * 1.05;
  stats.q1 = median * 0.99;
  stats.q3 = median * 1.01;
  stats.iqr = stats.q3 - stats.q1;
  stats.mad = median * 0.005;
  stats.stddev = median * 0.01;
  return stats;
}

Profile Example() {
  Profile profile;
  profile.tool = "moeplan 0.1.0";
  profile.created_utc = "2026-03-01T12:00:00Z";
  profile.device.name = "Test GPU";
  profile.device.compute_major = 9;
  profile.device.compute_minor = 0;
  profile.device.sm_count = 132;
  profile.device.memory_bytes = int64_t{80} << 30;
  profile.device.l2_bytes = 50 << 20;
  profile.device.driver_version = "580.00";
  profile.device.clock_source = "nvml";
  profile.settings.mode = "quick";
  profile.settings.ops = {"gemm", "moe_layer"};
  profile.settings.warmup = 3;
  profile.settings.repetitions = 10;
  profile.settings.max_attempts = 3;
  profile.settings.max_relative_spread = 0.05;
  profile.settings.outlier_threshold = 3.5;
  profile.settings.l2_flush_bytes = 100 << 20;
  Measurement m;
  m.bench_case.op = OpKind::kGroupedGemm;
  m.bench_case.pass = Pass::kBackwardWeight;
  m.bench_case.implementation = "cublas_grouped";
  m.bench_case.shape = {{"experts", 32}, {"tokens_per_expert", 64}, {"in", 7168}, {"out", 4096}};
  m.bench_case.params = {{"distribution", "skewed"}};
  m.flops = 1.2e11;
  m.bytes = 3.4e9;
  m.time_s = Stats(1e-3);
  m.span_s = Stats(1.1e-3);
  m.achieved_flops_per_s = 1.2e14;
  m.achieved_bytes_per_s = 3.4e12;
  m.attempts = 2;
  m.stable = false;
  m.state_before = DeviceState{1980000000, 2619000000, 350.5, 45, 0};
  m.kernels.push_back({"sm90_gemm", {132, 1, 1}, {384, 1, 1}, 1.0, Stats(1e-3)});
  m.parts.push_back({"router forward bf16 moeplan tokens=8", Stats(2e-5)});
  profile.measurements.push_back(m);
  profile.skipped.push_back({"attention", "not benchmarked natively yet"});
  profile.notes.push_back("a note");
  return profile;
}

Json ExampleJson() {
  return ProfileToJson(Example());
}

std::string ErrorOf(const Json& json) {
  Result<Profile> profile = ProfileFromJson(json, "p.json");
  EXPECT_FALSE(profile.ok());
  return profile.ok() ? "" : profile.error().message;
}

TEST(ProfileJsonTest, RoundTripsExactly) {
  const Json written = ExampleJson();
  EXPECT_EQ(written["format"], "moeplan-profile");
  EXPECT_EQ(written["version"], 1);
  EXPECT_EQ(written["device"]["compute_capability"], "9.0");
  Result<Profile> read = ProfileFromJson(written, "p.json");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(ProfileToJson(*read), written);
  EXPECT_EQ(read->measurements[0].bench_case, Example().measurements[0].bench_case);
  EXPECT_EQ(read->measurements[0].bench_case.shape[0].first, "experts");  // order kept
}

TEST(ProfileJsonTest, WritesAtomicallyAndReadsBack) {
  const fs::path dir =
      fs::temp_directory_path() / ("moeplan_profile_json_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path path = dir / "profile.json";
  ASSERT_TRUE(WriteProfileFile(path, Example()).ok());
  EXPECT_FALSE(fs::exists(StagingPath(path)));
  Result<Profile> read = ReadProfileFile(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->measurements.size(), 1u);
  // A directory that does not exist: an error and no stray staging file.
  Status failed = WriteProfileFile(dir / "missing" / "p.json", Example());
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.message(), (dir / "missing" / "p.json").string() + ": cannot open for writing");
  fs::remove_all(dir);
}

TEST(ProfileJsonTest, ReadErrorsNameFileAndLine) {
  Result<Profile> missing = ReadProfileFile("/nonexistent/p.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "/nonexistent/p.json: cannot open file for reading");
  Result<Json> bad = ParseJson("{\n  \"format\": }", "p.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("p.json: invalid JSON at line 2, column", 0), 0u)
      << bad.error().message;
}

TEST(ProfileJsonTest, BadFieldsNameTheJsonPath) {
  Json json = ExampleJson();
  json["format"] = "moeplan-arch";
  EXPECT_EQ(ErrorOf(json),
            "p.json: field 'format': expected \"moeplan-profile\", got \"moeplan-arch\"");

  json = ExampleJson();
  json["version"] = 2;
  EXPECT_EQ(ErrorOf(json),
            "p.json: field 'version': unsupported version 2 (this moeplan reads version 1)");

  json = ExampleJson();
  json["measurements"][0]["op"] = "gemmm";
  EXPECT_EQ(ErrorOf(json).rfind("p.json: field 'measurements[0].op': expected one of gemm, ", 0),
            0u);

  json = ExampleJson();
  json["measurements"][0]["time_s"]["median"] = 0;
  EXPECT_EQ(ErrorOf(json),
            "p.json: field 'measurements[0].time_s.median': expected a number in 1e-12..1000000.0, "
            "got 0");

  json = ExampleJson();
  json["measurements"][0]["time_s"]["max"] = 1e-6;
  EXPECT_EQ(ErrorOf(json).rfind("p.json: field 'measurements[0].time_s.median': expected min <= "
                                "median <= max",
                                0),
            0u);

  json = ExampleJson();
  json["measurements"][0]["shape"]["in"] = "7168";
  EXPECT_EQ(ErrorOf(json),
            "p.json: field 'measurements[0].shape.in': expected an integer in "
            "0..9223372036854775807, got \"7168\"");

  json = ExampleJson();
  json["measurements"][0]["kernels"][0]["grid"] = Json::array({1, 2});
  EXPECT_EQ(
      ErrorOf(json),
      "p.json: field 'measurements[0].kernels[0].grid': expected 3 integers, got array [1,2]");

  json = ExampleJson();
  json["device"]["compute_capability"] = "sm90";
  EXPECT_EQ(ErrorOf(json),
            "p.json: field 'device.compute_capability': expected \"<major>.<minor>\" "
            "such as \"9.0\", got \"sm90\"");

  json = ExampleJson();
  json["measurements"][0]["speed"] = 1;
  EXPECT_EQ(ErrorOf(json), "p.json: field 'measurements[0].speed': unknown field");

  json = ExampleJson();
  json.erase("device");
  EXPECT_EQ(ErrorOf(json), "p.json: field 'device': missing");

  EXPECT_EQ(ErrorOf(Json::array()),
            "p.json: expected a JSON object at the top level, got array []");
}

}  // namespace
}  // namespace moeplan::profiler
