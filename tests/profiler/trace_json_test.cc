//===- tests/profiler/trace_json_test.cc - moeplan-trace files ------------===//
/// Every record kind survives a round trip; bad traces name the file and the JSON path.
#include "profiler/core/trace_json.h"

#include <gtest/gtest.h>

#include "tests/profiler/activity_builder.h"

namespace moeplan::profiler {
namespace {

using Json = nlohmann::ordered_json;

ActivityTrace Example() {
  testing::TraceBuilder builder;
  builder.Range("copy none bf16 cuda_memcpy bytes=64");
  builder.Range("part", 1);
  builder.Kernel("k\xff", 10, 20);  // not UTF-8: written with a replacement character
  builder.CloseRange(1);
  builder.Memcpy(64, 30, 40);
  builder.CloseRange();
  builder.Marker(5, "nvtx", 0, 100);
  ActivityTrace& trace = builder.trace();
  trace.memsets.push_back({128, 9, 0, 7, 50, 60});
  trace.syncs.push_back({"stream", 10, 7, 60, 70});
  trace.overheads.push_back({"cupti_buffer_flush", 80, 90});
  trace.devices.push_back({0, "GPU", 9, 0, 132, 80, 3350000000000, 1980000000, 50 << 20});
  trace.dropped_records = 3;
  return trace;
}

TEST(TraceJsonTest, RoundTripsEveryRecordKind) {
  TraceMeta meta{"test", "2026-03-01T12:00:00Z", {"python3", "x.py"}, 130001};
  const Json written = TraceToJson(Example(), meta);
  const Json reparsed = Json::parse(written.dump(-1, ' ', false, Json::error_handler_t::replace));
  Result<TraceFile> read = TraceFromJson(reparsed, "t.json");
  ASSERT_TRUE(read.ok()) << read.error().message;
  const ActivityTrace& trace = read->trace;
  EXPECT_EQ(read->meta.command, meta.command);
  EXPECT_EQ(read->meta.cupti_version, 130001);
  EXPECT_EQ(trace.kernels.size(), 1u);
  EXPECT_EQ(trace.kernels[0].name, "k\xEF\xBF\xBD");
  EXPECT_EQ(trace.kernels[0].grid[0], 132);
  EXPECT_EQ(trace.memcpys.size(), 1u);
  EXPECT_EQ(trace.memcpys[0].kind, MemcpyKind::kDeviceToDevice);
  EXPECT_EQ(trace.memsets.size(), 1u);
  EXPECT_EQ(trace.syncs[0].type, "stream");
  EXPECT_EQ(trace.overheads[0].kind, "cupti_buffer_flush");
  EXPECT_EQ(trace.apis.size(), 2u);
  EXPECT_EQ(trace.external_correlations.size(), 3u);  // kernel at levels 0 and 1, copy at 0
  EXPECT_EQ(trace.range_labels.size(), 2u);
  EXPECT_EQ(trace.markers[0].name, "nvtx");
  EXPECT_EQ(trace.devices[0].memory_bandwidth_bytes_per_s, 3350000000000u);
  EXPECT_EQ(trace.dropped_records, 3u);
  EXPECT_EQ(TraceToJson(trace, read->meta), reparsed);
}

TEST(TraceJsonTest, BadTracesNameThePath) {
  Json json = TraceToJson(Example(), {});
  json["kernels"][0]["start_ns"] = -1;
  Result<TraceFile> read = TraceFromJson(json, "t.json");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message,
            "t.json: field 'kernels[0].start_ns': expected an integer in "
            "0..9223372036854775807, got -1");
  json = TraceToJson(Example(), {});
  json["format"] = "moeplan-profile";
  read = TraceFromJson(json, "t.json");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message,
            "t.json: field 'format': expected \"moeplan-trace\", got \"moeplan-profile\"");
}

TEST(TraceJsonTest, UtcNowIsIso8601) {
  const std::string now = UtcNow();
  ASSERT_EQ(now.size(), 20u);
  EXPECT_EQ(now[4], '-');
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now.back(), 'Z');
}

}  // namespace
}  // namespace moeplan::profiler
