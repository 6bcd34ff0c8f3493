//===- tests/sim/chrome_trace_test.cc - Timeline as a Chrome trace --------===//
/// The trace must parse as JSON, carry one complete ("X") event per timeline event with
/// microsecond times, and be written atomically.
#include "sim/chrome_trace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "sim/pipeline_sim.h"

namespace moeplan::sim {
namespace {

/// 1F1B, p = 2, m = 3, forward 1 ms, backward 2 ms, p2p 0.5 ms: 12 compute ops, 3 activation
/// and 3 gradient sends.
PipelineResult SmallRun() {
  PipelineInput input;
  input.shape = {PipelineSchedule::kOneFOneB, 2, 1, 3};
  StageCost cost;
  cost.forward = 1e-3;
  cost.backward_input = 2e-3;
  input.stage_costs = {cost};
  input.p2p_time = {0.5e-3};
  input.collect_timeline = true;
  Result<PipelineResult> result = SimulatePipeline(input);
  EXPECT_TRUE(result.ok());
  return *result;
}

TEST(ChromeTraceTest, OneCompleteEventPerOpInMicroseconds) {
  const PipelineResult run = SmallRun();
  const nlohmann::json trace = nlohmann::json::parse(ChromeTraceJson(run.timeline));
  ASSERT_TRUE(trace.contains("traceEvents"));
  int forwards = 0;
  int backwards = 0;
  int sends = 0;
  int complete = 0;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] == "M") continue;
    ASSERT_EQ(e["ph"], "X");
    ++complete;
    const std::string cat = e["cat"];
    if (cat == "forward") {
      ++forwards;
      EXPECT_NEAR(e["dur"].get<double>(), 1000.0, 1e-9);  // 1 ms
      EXPECT_EQ(e["tid"], 0);
    } else if (cat == "backward") {
      ++backwards;
      EXPECT_NEAR(e["dur"].get<double>(), 2000.0, 1e-9);
    } else {
      ++sends;
      EXPECT_NEAR(e["dur"].get<double>(), 500.0, 1e-9);
      EXPECT_EQ(e["tid"], cat == "send_activation" ? 1 : 2);
    }
    EXPECT_GE(e["ts"].get<double>(), 0.0);
    EXPECT_LE(e["ts"].get<double>() + e["dur"].get<double>(), run.step_time * 1e6 + 1e-6);
  }
  EXPECT_EQ(forwards, 6);  // 2 ranks x 3 micro-batches
  EXPECT_EQ(backwards, 6);
  EXPECT_EQ(sends, 6);
  EXPECT_EQ(complete, static_cast<int>(run.timeline.size()));
}

// Rank 1's first forward waits for activation 0 (F0 on rank 0 [0,1] ms, send [1,1.5] ms): it
// starts at 1500 us, on pid 1, tid 0, named "F mb0 c0".
TEST(ChromeTraceTest, NamesPidsAndTimestamps) {
  const nlohmann::json trace = nlohmann::json::parse(ChromeTraceJson(SmallRun().timeline));
  bool found = false;
  bool named_rank = false;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name" && e["pid"] == 1) {
      named_rank = e["args"]["name"] == "rank 1";
    }
    if (e["ph"] == "X" && e["pid"] == 1 && e["name"] == "F mb0 c0") {
      found = true;
      EXPECT_NEAR(e["ts"].get<double>(), 1500.0, 1e-9);
      EXPECT_EQ(e["args"]["microbatch"], 0);
      EXPECT_EQ(e["args"]["chunk"], 0);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(named_rank);
}

TEST(ChromeTraceTest, EventNames) {
  TimelineEvent e{0, Stream::kCompute, EventKind::kForward, 3, 1, 0, 1};
  EXPECT_EQ(TraceEventName(e), "F mb3 c1");
  e.kind = EventKind::kWeightGrad;
  EXPECT_EQ(TraceEventName(e), "W mb3 c1");
  e.kind = EventKind::kSendGradient;
  EXPECT_EQ(TraceEventName(e), "send grad mb3 c1");
  e.kind = EventKind::kGradReduceScatter;
  EXPECT_EQ(TraceEventName(e), "reduce-scatter c1");
  e.kind = EventKind::kOptimizer;
  EXPECT_EQ(TraceEventName(e), "optimizer");
}

TEST(ChromeTraceTest, WritesFileAtomically) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "moeplan_chrome_trace_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / "trace.json";
  const PipelineResult run = SmallRun();
  ASSERT_TRUE(WriteChromeTrace(path, run.timeline).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), ChromeTraceJson(run.timeline));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "trace.json") << "left a temporary behind";
  }
  std::filesystem::remove_all(dir);

  const Status missing_dir = WriteChromeTrace(dir / "no" / "such" / "trace.json", run.timeline);
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.message().find("cannot open for writing"), std::string::npos);
}

}  // namespace
}  // namespace moeplan::sim
