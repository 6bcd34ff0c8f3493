//===- tests/profiler/measurement_test.cc - Repetitions -> measurements ---===//
/// Times, rates, kernel summaries, parts, stability and traces of foreign programs, from
/// constructed activity records.
#include "profiler/core/measurement.h"

#include <gtest/gtest.h>

#include "profiler/core/op_cost.h"
#include "tests/profiler/activity_builder.h"

namespace moeplan::profiler {
namespace {

using testing::TraceBuilder;

BenchCase SquareGemm(int64_t size) {
  Result<BenchCase> parsed =
      ParseBenchCaseLabel("gemm forward bf16 cublaslt tokens=" + std::to_string(size) +
                          " in=" + std::to_string(size) + " out=" + std::to_string(size));
  EXPECT_TRUE(parsed.ok());
  return *parsed;
}

// `durations_ns` repetitions of one kernel each, L2 flushes in between.
ActivityTrace Repetitions(const BenchCase& bench_case, const std::vector<uint64_t>& durations_ns) {
  TraceBuilder builder;
  uint64_t now = 0;
  for (uint64_t duration : durations_ns) {
    builder.Kernel("flush", now, now + 50);
    now += 100;
    builder.Range(bench_case.Label());
    builder.Kernel("sm90_xmma_gemm_bf16", now, now + duration);
    builder.CloseRange();
    now += duration + 100;
  }
  return builder.trace();
}

TEST(MeasurementTest, MedianTimeGivesAchievedRates) {
  const BenchCase gemm = SquareGemm(4096);
  const ActivityTrace trace = Repetitions(gemm, {200000, 201000, 199000, 200000, 200500});
  const Measurement m = SummarizeRepetitions(gemm, GroupByExternalRange(trace));
  EXPECT_EQ(m.time_s.count, 5);
  EXPECT_DOUBLE_EQ(m.time_s.median, 200000e-9);
  EXPECT_DOUBLE_EQ(m.flops, 2.0 * 4096 * 4096 * 4096);
  EXPECT_DOUBLE_EQ(m.achieved_flops_per_s, m.flops / 200000e-9);
  EXPECT_DOUBLE_EQ(m.achieved_bytes_per_s, m.bytes / 200000e-9);
  EXPECT_TRUE(m.stable);
  ASSERT_EQ(m.kernels.size(), 1u);
  EXPECT_EQ(m.kernels[0].name, "sm90_xmma_gemm_bf16");
  EXPECT_DOUBLE_EQ(m.kernels[0].calls_per_repetition, 1.0);
  EXPECT_EQ(m.kernels[0].grid[0], 132);
  EXPECT_EQ(m.kernels[0].duration_s.count, 5);
}

TEST(MeasurementTest, WideSpreadIsUnstableAndTheStablerAttemptWins) {
  const BenchCase gemm = SquareGemm(1024);
  const Measurement noisy = SummarizeRepetitions(
      gemm, GroupByExternalRange(Repetitions(gemm, {100, 150, 200, 250, 300, 120})));
  EXPECT_FALSE(noisy.stable);
  const Measurement calm = SummarizeRepetitions(
      gemm, GroupByExternalRange(Repetitions(gemm, {100, 101, 100, 99, 100, 100})));
  EXPECT_TRUE(calm.stable);
  EXPECT_TRUE(IsBetterAttempt(calm, noisy));
  EXPECT_FALSE(IsBetterAttempt(noisy, calm));
}

TEST(MeasurementTest, NoRepetitionsGiveAnEmptyUnstableMeasurement) {
  const Measurement m = SummarizeRepetitions(SquareGemm(8), {});
  EXPECT_EQ(m.time_s.count, 0);
  EXPECT_FALSE(m.stable);
  EXPECT_DOUBLE_EQ(m.achieved_flops_per_s, 0);
}

TEST(MeasurementTest, LayerPartsAreSummarisedInOrder) {
  BenchCase layer;
  layer.op = OpKind::kMoeLayer;
  layer.implementation = "cublas_grouped";
  layer.shape = {{"tokens", 64}, {"hidden", 64}, {"width", 32}, {"experts", 4}, {"top_k", 2}};
  layer.params = {{"score", "sigmoid"}, {"distribution", "balanced"}};
  const std::vector<BenchCase> parts = MoeLayerParts(layer);
  TraceBuilder builder;
  uint64_t now = 0;
  for (int rep_idx = 0; rep_idx < 3; ++rep_idx) {
    builder.Range(layer.Label());
    for (const BenchCase& part : parts) {
      builder.Range(part.Label(), 1);
      builder.Kernel(ToString(part.op), now, now + 1000);
      builder.CloseRange(1);
      now += 1100;  // 100 ns launch gap
    }
    builder.CloseRange();
  }
  const Measurement m = SummarizeRepetitions(layer, GroupByExternalRange(builder.trace()));
  ASSERT_EQ(m.parts.size(), parts.size());
  double sum_of_parts = 0;
  for (size_t part_idx = 0; part_idx < parts.size(); ++part_idx) {
    EXPECT_EQ(m.parts[part_idx].name, parts[part_idx].Label());
    EXPECT_EQ(m.parts[part_idx].time_s.count, 3);
    sum_of_parts += m.parts[part_idx].time_s.median;
  }
  EXPECT_DOUBLE_EQ(sum_of_parts, m.time_s.median);  // busy time excludes the gaps
  EXPECT_GT(m.span_s.median, m.time_s.median);      // span includes them
}

TEST(MeasurementTest, TraceRangesThatAreCaseLabelsBecomeMeasurements) {
  TraceBuilder builder;
  const std::string label =
      "attention forward bf16 torch_sdpa batch=2 heads=16 seq=1024 head_dim=128 mask=causal";
  for (uint32_t rep_idx = 0; rep_idx < 4; ++rep_idx) {
    const uint64_t start = 100000 * (rep_idx + 1);
    builder.Marker(rep_idx + 1, label, start, start + 50000);
    builder.Kernel("flash_fwd_kernel", start + 1000, start + 41000, 1, start + 10);
  }
  builder.Marker(99, "aten::linear", 900000, 950000);
  builder.Kernel("gemm", 910000, 920000, 1, 900010);
  DeviceRecord device;
  device.name = "NVIDIA H100 80GB HBM3";
  device.compute_major = 9;
  device.sm_count = 132;
  builder.trace().devices.push_back(device);

  const TraceMeasurements measured = MeasureTrace(builder.trace());
  ASSERT_EQ(measured.measurements.size(), 1u);
  const Measurement& m = measured.measurements[0];
  EXPECT_EQ(m.bench_case.op, OpKind::kAttention);
  EXPECT_EQ(m.bench_case.Dim("seq"), 1024);
  EXPECT_EQ(m.bench_case.Param("mask"), "causal");
  EXPECT_EQ(m.time_s.count, 4);
  EXPECT_DOUBLE_EQ(m.time_s.median, 40000e-9);
  ASSERT_EQ(measured.skipped.size(), 1u);
  EXPECT_EQ(measured.skipped[0].what, "aten::linear");

  TraceFile file;
  file.trace = builder.trace();
  file.meta.command = {"python3", "sdpa.py"};
  Result<Profile> profile = ProfileFromTrace(file, "test");
  ASSERT_TRUE(profile.ok()) << profile.error().message;
  EXPECT_EQ(profile->settings.mode, "trace");
  EXPECT_EQ(profile->device.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(profile->measurements.size(), 1u);
}

TEST(MeasurementTest, ProfileFromTraceExplainsWhatIsMissing) {
  TraceFile empty;
  Result<Profile> no_device = ProfileFromTrace(empty, "test");
  ASSERT_FALSE(no_device.ok());
  EXPECT_EQ(no_device.error().message,
            "trace has no device record: the traced program created no CUDA context");
  TraceBuilder builder;
  builder.trace().devices.push_back(DeviceRecord{});
  builder.Marker(1, "aten::mm", 0, 100);
  builder.Kernel("gemm", 10, 90, 1, 5);
  TraceFile unlabelled;
  unlabelled.trace = builder.trace();
  Result<Profile> no_case = ProfileFromTrace(unlabelled, "test");
  ASSERT_FALSE(no_case.ok());
  EXPECT_NE(no_case.error().message.find("no range labelled as a moeplan case"), std::string::npos);
}

}  // namespace
}  // namespace moeplan::profiler
