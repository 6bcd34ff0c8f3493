//===- tests/sim/pipeline_schedule_test.cc - Pipeline op orders -----------===//
/// Expected orders are written out by hand from the schedules' definitions (see the comments),
/// plus properties every schedule must have on a grid of shapes.
#include "sim/pipeline_schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moeplan::sim {
namespace {

std::vector<std::string> Names(std::span<const ScheduleOp> ops) {
  std::vector<std::string> names;
  for (const ScheduleOp& op : ops) names.push_back(ToString(op));
  return names;
}

PipelineOrder Build(PipelineSchedule schedule, int p, int v, int m) {
  Result<PipelineOrder> order = BuildSchedule({schedule, p, v, m});
  EXPECT_TRUE(order.ok()) << order.error().message;
  return *order;
}

TEST(PipelineScheduleTest, NamesRoundTrip) {
  for (PipelineSchedule s :
       {PipelineSchedule::kGpipe, PipelineSchedule::kOneFOneB, PipelineSchedule::kInterleaved}) {
    Result<PipelineSchedule> parsed = ParsePipelineSchedule(ToString(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(*ParsePipelineSchedule("1F1B"), PipelineSchedule::kOneFOneB);
  Result<PipelineSchedule> bad = ParsePipelineSchedule("zb-h1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "unknown pipeline schedule 'zb-h1' (expected gpipe, 1f1b or interleaved)");
}

// 1F1B, p = 2, m = 3. Rank 0: p - 0 - 1 = 1 warm-up forward (F0), then pairs (F1, B0), (F2, B1),
// then cool-down B2. Rank 1: no warm-up, pairs (F0, B0), (F1, B1), (F2, B2).
TEST(PipelineScheduleTest, OneFOneBTwoRanksThreeMicrobatches) {
  const PipelineOrder order = Build(PipelineSchedule::kOneFOneB, 2, 1, 3);
  EXPECT_EQ(Names(order.RankOps(0)),
            (std::vector<std::string>{"F mb0 c0", "F mb1 c0", "B mb0 c0", "F mb2 c0", "B mb1 c0",
                                      "B mb2 c0"}));
  EXPECT_EQ(Names(order.RankOps(1)),
            (std::vector<std::string>{"F mb0 c0", "B mb0 c0", "F mb1 c0", "B mb1 c0", "F mb2 c0",
                                      "B mb2 c0"}));
}

// 1F1B with fewer micro-batches than stages: warm-up is capped at m. p = 4, m = 2: rank 0 and 1
// run both forwards first, rank 2 one, rank 3 none.
TEST(PipelineScheduleTest, OneFOneBWarmupCappedAtMicrobatches) {
  const PipelineShape shape{PipelineSchedule::kOneFOneB, 4, 1, 2};
  EXPECT_EQ(NumWarmupForwards(shape, 0), 2);
  EXPECT_EQ(NumWarmupForwards(shape, 1), 2);
  EXPECT_EQ(NumWarmupForwards(shape, 2), 1);
  EXPECT_EQ(NumWarmupForwards(shape, 3), 0);
  const PipelineOrder order = Build(PipelineSchedule::kOneFOneB, 4, 1, 2);
  EXPECT_EQ(Names(order.RankOps(0)),
            (std::vector<std::string>{"F mb0 c0", "F mb1 c0", "B mb0 c0", "B mb1 c0"}));
  EXPECT_EQ(Names(order.RankOps(2)),
            (std::vector<std::string>{"F mb0 c0", "F mb1 c0", "B mb0 c0", "B mb1 c0"}));
  EXPECT_EQ(Names(order.RankOps(3)),
            (std::vector<std::string>{"F mb0 c0", "B mb0 c0", "F mb1 c0", "B mb1 c0"}));
}

// Megatron-LM's warm-up count: (p - r - 1) * 2 + (v - 1) * p, capped at m v.
// p = 4, v = 2, m = 8: ranks 0..3 get 6 + 4, 4 + 4, 2 + 4, 0 + 4.
TEST(PipelineScheduleTest, InterleavedWarmupCounts) {
  const PipelineShape shape{PipelineSchedule::kInterleaved, 4, 2, 8};
  EXPECT_EQ(NumWarmupForwards(shape, 0), 10);
  EXPECT_EQ(NumWarmupForwards(shape, 1), 8);
  EXPECT_EQ(NumWarmupForwards(shape, 2), 6);
  EXPECT_EQ(NumWarmupForwards(shape, 3), 4);
  // m = p = 4, v = 2: rank 0 would get 10 > m v = 8, so all of its forwards come first.
  EXPECT_EQ(NumWarmupForwards({PipelineSchedule::kInterleaved, 4, 2, 4}, 0), 8);
}

// Interleaved, p = 2, v = 2, m = 4 (groups of p = 2 micro-batches per chunk).
// Forward k: group k / 4, chunk (k % 4) / 2, micro-batch 2 (k / 4) + k % 2:
//   k = 0..7 -> (mb0 c0) (mb1 c0) (mb0 c1) (mb1 c1) (mb2 c0) (mb3 c0) (mb2 c1) (mb3 c1).
// Backward k: same micro-batch, chunk 1 - (k % 4) / 2:
//   k = 0..7 -> (mb0 c1) (mb1 c1) (mb0 c0) (mb1 c0) (mb2 c1) (mb3 c1) (mb2 c0) (mb3 c0).
// Rank 0 warm-up: 1 * 2 + 1 * 2 = 4; rank 1: 0 + 2 = 2. Then pairs (F W+k, B k), then the rest.
TEST(PipelineScheduleTest, InterleavedTwoRanksTwoChunksFourMicrobatches) {
  const PipelineOrder order = Build(PipelineSchedule::kInterleaved, 2, 2, 4);
  EXPECT_EQ(Names(order.RankOps(0)),
            (std::vector<std::string>{"F mb0 c0", "F mb1 c0", "F mb0 c1", "F mb1 c1",  // warm-up
                                      "F mb2 c0", "B mb0 c1", "F mb3 c0", "B mb1 c1",  // 1F1B
                                      "F mb2 c1", "B mb0 c0", "F mb3 c1", "B mb1 c0",  //
                                      "B mb2 c1", "B mb3 c1", "B mb2 c0", "B mb3 c0"}));
  EXPECT_EQ(Names(order.RankOps(1)),
            (std::vector<std::string>{"F mb0 c0", "F mb1 c0",                          // warm-up
                                      "F mb0 c1", "B mb0 c1", "F mb1 c1", "B mb1 c1",  // 1F1B
                                      "F mb2 c0", "B mb0 c0", "F mb3 c0", "B mb1 c0",  //
                                      "F mb2 c1", "B mb2 c1", "F mb3 c1", "B mb3 c1",  //
                                      "B mb2 c0", "B mb3 c0"}));
}

// GPipe with two chunks: breadth-first, forwards chunk 0 then chunk 1, backwards chunk 1 then 0.
TEST(PipelineScheduleTest, GpipeAllForwardsThenAllBackwards) {
  const PipelineOrder order = Build(PipelineSchedule::kGpipe, 2, 2, 2);
  for (int rank = 0; rank < 2; ++rank) {
    EXPECT_EQ(Names(order.RankOps(rank)),
              (std::vector<std::string>{"F mb0 c0", "F mb1 c0", "F mb0 c1", "F mb1 c1", "B mb0 c1",
                                        "B mb1 c1", "B mb0 c0", "B mb1 c0"}));
  }
}

TEST(PipelineScheduleTest, InvalidShapesGiveClearErrors) {
  auto message = [](PipelineShape shape) {
    Status s = shape.Validate();
    EXPECT_FALSE(s.ok());
    return s.message();
  };
  EXPECT_EQ(message({PipelineSchedule::kOneFOneB, 0, 1, 4}),
            "pipeline: num_ranks: expected an integer in 1..65536, got 0");
  EXPECT_EQ(message({PipelineSchedule::kOneFOneB, 2, 1, -3}),
            "pipeline: num_microbatches: expected an integer in 1..65536, got -3");
  EXPECT_EQ(message({PipelineSchedule::kGpipe, 2, 0, 4}),
            "pipeline: num_chunks: expected an integer in 1..65536, got 0");
  EXPECT_EQ(message({PipelineSchedule::kOneFOneB, 4, 2, 8}),
            "pipeline: 1f1b schedule needs num_chunks = 1, got 2 (use the interleaved schedule for "
            "virtual stages)");
  EXPECT_EQ(message({PipelineSchedule::kInterleaved, 4, 2, 6}),
            "pipeline: interleaved schedule needs num_microbatches to be a multiple of num_ranks "
            "(as Megatron-LM does), got m = 6, p = 4");
  EXPECT_EQ(message({PipelineSchedule::kInterleaved, 4, 1, 8}),
            "pipeline: interleaved schedule needs num_chunks >= 2, got 1 (use 1f1b for one chunk "
            "per rank)");
  // 2 x 65536 x 64 x 65536 = 2^39 ops.
  EXPECT_EQ(
      message({PipelineSchedule::kGpipe, 65536, 64, 65536}),
      "pipeline: too many ops: num_ranks 65536 x num_chunks 64 x num_microbatches 65536 x 2 = "
      "549755813888 exceeds 268435456");
  EXPECT_FALSE(BuildSchedule({PipelineSchedule::kInterleaved, 4, 2, 6}).ok());
}

// Properties of every schedule: each rank runs each (micro-batch, chunk) forward once and
// backward once, the forward first; within a chunk micro-batches go in ascending order.
class ScheduleProperties : public ::testing::TestWithParam<PipelineShape> {};

TEST_P(ScheduleProperties, EveryOpOnceForwardFirstInOrder) {
  const PipelineShape shape = GetParam();
  const int p = shape.num_ranks;
  const int v = shape.num_chunks;
  const int m = shape.num_microbatches;
  const PipelineOrder order = Build(shape.schedule, p, v, m);
  ASSERT_EQ(static_cast<int64_t>(order.ops.size()), int64_t{2} * p * v * m);
  for (int rank = 0; rank < p; ++rank) {
    std::vector<int> position_f(static_cast<size_t>(m * v), -1);
    std::vector<int> position_b(static_cast<size_t>(m * v), -1);
    std::vector<int> next_f(static_cast<size_t>(v), 0);
    std::vector<int> next_b(static_cast<size_t>(v), 0);
    int index = 0;
    for (const ScheduleOp& op : order.RankOps(rank)) {
      ASSERT_GE(op.microbatch, 0);
      ASSERT_LT(op.microbatch, m);
      ASSERT_GE(op.chunk, 0);
      ASSERT_LT(op.chunk, v);
      const size_t key = static_cast<size_t>(op.microbatch * v + op.chunk);
      auto& position = op.kind == OpKind::kForward ? position_f : position_b;
      auto& next = op.kind == OpKind::kForward ? next_f : next_b;
      EXPECT_EQ(position[key], -1) << "repeated " << ToString(op) << " on rank " << rank;
      position[key] = index++;
      EXPECT_EQ(op.microbatch, next[static_cast<size_t>(op.chunk)]++) << "rank " << rank;
    }
    for (size_t key = 0; key < position_f.size(); ++key) {
      ASSERT_GE(position_f[key], 0);
      EXPECT_LT(position_f[key], position_b[key]);
    }
  }
}

/// Every valid shape with p in {1,2,3,4,8}, v in {1..4}, m in {1,2,3,4,8,12,16}.
std::vector<PipelineShape> ValidShapes() {
  std::vector<PipelineShape> shapes;
  for (PipelineSchedule schedule :
       {PipelineSchedule::kGpipe, PipelineSchedule::kOneFOneB, PipelineSchedule::kInterleaved}) {
    for (int p : {1, 2, 3, 4, 8}) {
      for (int v : {1, 2, 3, 4}) {
        for (int m : {1, 2, 3, 4, 8, 12, 16}) {
          const PipelineShape shape{schedule, p, v, m};
          if (shape.Validate().ok()) shapes.push_back(shape);
        }
      }
    }
  }
  return shapes;
}

std::string ShapeName(const ::testing::TestParamInfo<PipelineShape>& info) {
  const PipelineShape& s = info.param;
  const char* name = s.schedule == PipelineSchedule::kOneFOneB ? "onefoneb" : ToString(s.schedule);
  return std::string(name) + "_p" + std::to_string(s.num_ranks) + "_v" +
         std::to_string(s.num_chunks) + "_m" + std::to_string(s.num_microbatches);
}

INSTANTIATE_TEST_SUITE_P(Grid, ScheduleProperties, ::testing::ValuesIn(ValidShapes()), ShapeName);

}  // namespace
}  // namespace moeplan::sim
