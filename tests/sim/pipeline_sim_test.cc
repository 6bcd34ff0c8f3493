//===- tests/sim/pipeline_sim_test.cc - Event-driven pipeline simulator ---===//
/// Expected values are closed forms (Narayanan et al. 2021, Sec. 2.2) or timelines worked out by
/// hand in the comments, never numbers printed by the simulator. Times are chosen as small
/// integers or binary fractions so that the simulator's sums are exact in double precision.
#include "sim/pipeline_sim.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace moeplan::sim {
namespace {

constexpr double kTol = 1e-12;

/// A pipeline where every chunk costs forward / v and backward / v (a whole rank: forward,
/// backward), with no communication.
PipelineInput Uniform(PipelineSchedule schedule, int p, int v, int m, double forward,
                      double backward) {
  PipelineInput input;
  input.shape = {schedule, p, v, m};
  StageCost cost;
  cost.forward = forward / v;
  cost.backward_input = backward / v;
  input.stage_costs = {cost};
  return input;
}

PipelineResult Simulate(const PipelineInput& input) {
  Result<PipelineResult> result = SimulatePipeline(input);
  EXPECT_TRUE(result.ok()) << result.error().message;
  if (!result.ok()) return {};
  // Every rank's breakdown splits the step exactly.
  for (size_t rank = 0; rank < result->ranks.size(); ++rank) {
    EXPECT_NEAR(result->ranks[rank].Total(), result->step_time, 1e-9 * result->step_time)
        << "rank " << rank;
  }
  return *result;
}

std::string ErrorOf(const PipelineInput& input) {
  Result<PipelineResult> result = SimulatePipeline(input);
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().message;
}

// ---------------------------------------------------------------------------------------------
// Uniform pipelines, zero communication.

class UniformOneFOneB : public ::testing::TestWithParam<std::tuple<int, int, double, double>> {};

// 1F1B: step = (m + p - 1)(t_f + t_b); every rank computes m (t_f + t_b), so the bubble is
// (p - 1)(t_f + t_b) and the bubble fraction relative to the ideal m (t_f + t_b) is (p - 1) / m.
TEST_P(UniformOneFOneB, StepTimeAndBubbleMatchClosedForm) {
  const auto [p, m, tf, tb] = GetParam();
  const PipelineResult r = Simulate(Uniform(PipelineSchedule::kOneFOneB, p, 1, m, tf, tb));
  EXPECT_NEAR(r.step_time, (m + p - 1) * (tf + tb), kTol);
  EXPECT_NEAR(r.critical.compute, m * (tf + tb), kTol);
  EXPECT_NEAR(r.critical.bubble, (p - 1) * (tf + tb), kTol);
  EXPECT_NEAR(r.bubble_fraction, static_cast<double>(p - 1) / m, kTol);
  EXPECT_EQ(r.critical.ExposedCommunication(), 0.0);
  // GPipe has the same makespan on a uniform pipeline: the forward wave takes (m + p - 1) t_f,
  // the backward wave (m + p - 1) t_b.
  const PipelineResult g = Simulate(Uniform(PipelineSchedule::kGpipe, p, 1, m, tf, tb));
  EXPECT_NEAR(g.step_time, (m + p - 1) * (tf + tb), kTol);
}

INSTANTIATE_TEST_SUITE_P(Grid, UniformOneFOneB,
                         ::testing::Combine(::testing::Values(1, 2, 4, 8),
                                            ::testing::Values(1, 3, 8, 64),
                                            ::testing::Values(1.0, 0.25),
                                            ::testing::Values(2.0, 0.75)));

class UniformInterleaved : public ::testing::TestWithParam<std::tuple<int, int, int, double>> {};

// Interleaved 1F1B with v chunks of t_f / v and t_b / v: the fill and drain shrink by v, so
// step = (m + (p - 1) / v)(t_f + t_b) = (m v + p - 1)(t_f + t_b) / v, the bubble is
// (p - 1)(t_f + t_b) / v and the bubble fraction (p - 1) / (v m) (Narayanan et al. 2021, Sec. 2.2,
// "bubble time fraction" of the interleaved schedule).
TEST_P(UniformInterleaved, StepTimeAndBubbleMatchClosedForm) {
  const auto [p, v, groups, tb] = GetParam();
  const int m = groups * p;
  const double tf = 1.0;
  const PipelineResult r = Simulate(Uniform(PipelineSchedule::kInterleaved, p, v, m, tf, tb));
  const double expected = (m * v + p - 1) * (tf + tb) / v;
  EXPECT_NEAR(r.step_time, expected, 1e-12 * expected);
  EXPECT_NEAR(r.critical.compute, m * (tf + tb), 1e-12 * expected);
  EXPECT_NEAR(r.bubble_fraction, static_cast<double>(p - 1) / (v * m), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Grid, UniformInterleaved,
                         ::testing::Combine(::testing::Values(1, 2, 4, 8), ::testing::Values(2, 4),
                                            ::testing::Values(1, 2, 8),
                                            ::testing::Values(2.0, 0.5)));

// ---------------------------------------------------------------------------------------------
// A hand-worked timeline with p2p delays.
//
// 1F1B, p = 2, m = 3, t_f = 1, t_b = 2, p2p = 1 (either direction). Orders (see the schedule
// test): rank 0 F0 F1 B0 F2 B1 B2, rank 1 F0 B0 F1 B1 F2 B2. Sends wait for their stream.
//   r0 F0 [0,1]  -> act0 [1,2]           r1 F0 [2,3] (waits for act0)
//   r0 F1 [1,2]  -> act1 [2,3]           r1 B0 [3,5]  -> grad0 [5,6]
//                                        r1 F1 [5,6] (act1 arrived at 3)
//   r0 B0 [6,8] (waits for grad0)        r1 B1 [6,8]  -> grad1 [8,9]
//   r0 F2 [8,9]  -> act2 [9,10]
//   r0 B1 [9,11] (grad1 arrived at 9)    r1 F2 [10,11] (waits for act2)
//                                        r1 B2 [11,13] -> grad2 [13,14]
//   r0 B2 [14,16]
// Step = 16. Rank 0 idles [2,6] (grad0 in flight [5,6]: 1 p2p, 3 bubble) and [11,14] (grad2 in
// flight [13,14]: 1 p2p, 2 bubble): compute 9, p2p 2, bubble 5. Rank 1 idles [0,2] (act0 in flight
// [1,2]: 1 p2p, 1 bubble), [8,10] (act2 [9,10]: 1 p2p, 1 bubble) and [13,16] (3 bubble): compute 9,
// p2p 2, bubble 5. Rank 0 finishes last.
TEST(PipelineSimTest, HandWorkedTwoStagesThreeMicrobatchesWithP2p) {
  PipelineInput input = Uniform(PipelineSchedule::kOneFOneB, 2, 1, 3, 1.0, 2.0);
  input.p2p_time = {1.0};
  input.collect_timeline = true;
  const PipelineResult r = Simulate(input);
  EXPECT_EQ(r.step_time, 16.0);
  EXPECT_EQ(r.critical_rank, 0);
  for (int rank = 0; rank < 2; ++rank) {
    const RankBreakdown& b = r.ranks[static_cast<size_t>(rank)];
    EXPECT_EQ(b.compute, 9.0) << rank;
    EXPECT_EQ(b.exposed_p2p, 2.0) << rank;
    EXPECT_EQ(b.bubble, 5.0) << rank;
  }
  EXPECT_EQ(r.ranks[0].compute_end, 16.0);
  EXPECT_EQ(r.ranks[1].compute_end, 13.0);
  EXPECT_DOUBLE_EQ(r.bubble_fraction, 5.0 / 9.0);

  using S = Stream;
  using K = EventKind;
  const std::vector<TimelineEvent> expected = {
      {0, S::kCompute, K::kForward, 0, 0, 0, 1},
      {0, S::kCompute, K::kForward, 1, 0, 1, 2},
      {0, S::kCompute, K::kBackward, 0, 0, 6, 8},
      {0, S::kCompute, K::kForward, 2, 0, 8, 9},
      {0, S::kCompute, K::kBackward, 1, 0, 9, 11},
      {0, S::kCompute, K::kBackward, 2, 0, 14, 16},
      {0, S::kSendNext, K::kSendActivation, 0, 0, 1, 2},
      {0, S::kSendNext, K::kSendActivation, 1, 0, 2, 3},
      {0, S::kSendNext, K::kSendActivation, 2, 0, 9, 10},
      {1, S::kCompute, K::kForward, 0, 0, 2, 3},
      {1, S::kCompute, K::kBackward, 0, 0, 3, 5},
      {1, S::kCompute, K::kForward, 1, 0, 5, 6},
      {1, S::kCompute, K::kBackward, 1, 0, 6, 8},
      {1, S::kCompute, K::kForward, 2, 0, 10, 11},
      {1, S::kCompute, K::kBackward, 2, 0, 11, 13},
      {1, S::kSendPrev, K::kSendGradient, 0, 0, 5, 6},
      {1, S::kSendPrev, K::kSendGradient, 1, 0, 8, 9},
      {1, S::kSendPrev, K::kSendGradient, 2, 0, 13, 14},
  };
  ASSERT_EQ(r.timeline.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const TimelineEvent& got = r.timeline[i];
    const TimelineEvent& want = expected[i];
    SCOPED_TRACE("event " + std::to_string(i));
    EXPECT_EQ(got.rank, want.rank);
    EXPECT_EQ(got.stream, want.stream);
    EXPECT_EQ(got.kind, want.kind);
    EXPECT_EQ(got.microbatch, want.microbatch);
    EXPECT_EQ(got.chunk, want.chunk);
    EXPECT_EQ(got.start, want.start);
    EXPECT_EQ(got.end, want.end);
  }
}

// Per-link p2p times: the same pipeline with link 0 at 0.5 s (every transfer crosses link 0):
// r0 F0 [0,1], act0 [1,1.5], r1 F0 [1.5,2.5], B0 [2.5,4.5], grad0 [4.5,5], r1 F1 [4.5,5.5]
// (act1 [2,2.5]), B1 [5.5,7.5], grad1 [7.5,8]; r0 B0 [5,7], F2 [7,8], act2 [8,8.5], B1 [8,10];
// r1 F2 [8.5,9.5], B2 [9.5,11.5], grad2 [11.5,12]; r0 B2 [12,14]. Step 14.
TEST(PipelineSimTest, PerLinkP2pTime) {
  PipelineInput input = Uniform(PipelineSchedule::kOneFOneB, 2, 1, 3, 1.0, 2.0);
  input.p2p_time = {0.5, 7.0};  // link 1 (rank 1 -> rank 0 wrap) is unused without chunks
  EXPECT_EQ(Simulate(input).step_time, 14.0);
}

// A backward split into input-gradient and weight-gradient parts sends the gradient upstream
// after the first part. 1F1B, p = 2, m = 1, t_f = 1, backward 1 + 1, no p2p cost:
//   r0 F0 [0,1]; r1 F0 [1,2]; r1 B0 [2,3] W0 [3,4] (gradient ready at 3); r0 B0 [3,4] W0 [4,5].
// Step 5; unsplit (backward 2) it is r1 B0 [2,4], r0 B0 [4,6]: step 6.
TEST(PipelineSimTest, SplitBackwardSendsGradientEarly) {
  PipelineInput input = Uniform(PipelineSchedule::kOneFOneB, 2, 1, 1, 1.0, 2.0);
  EXPECT_EQ(Simulate(input).step_time, 6.0);
  input.stage_costs[0].backward_input = 1.0;
  input.stage_costs[0].backward_weight = 1.0;
  input.collect_timeline = true;
  const PipelineResult r = Simulate(input);
  EXPECT_EQ(r.step_time, 5.0);
  EXPECT_EQ(r.critical.compute, 3.0);
  int weight_grads = 0;
  for (const TimelineEvent& e : r.timeline) {
    if (e.kind == EventKind::kWeightGrad) {
      ++weight_grads;
      EXPECT_EQ(e.end - e.start, 1.0);
    }
  }
  EXPECT_EQ(weight_grads, 2);
}

// ---------------------------------------------------------------------------------------------
// Data-parallel collectives.
//
// Interleaved, p = 2, v = 2, m = 2, each chunk forward 1 and backward 2 (schedule: rank 0
// F(0,c0) F(1,c0) F(0,c1) F(1,c1) B(0,c1) B(1,c1) B(0,c0) B(1,c0), all warm-up; rank 1 F(0,c0)
// F(1,c0) then (F(0,c1), B(0,c1)), (F(1,c1), B(1,c1)), then B(0,c0) B(1,c0)). Without
// communication (stage s = chunk * 2 + rank):
//   r0: F(0,s0) [0,1] F(1,s0) [1,2] F(0,s2) [2,3] F(1,s2) [3,4] B(0,s2) [6,8] B(1,s2) [9,11]
//       B(0,s0) [11,13] B(1,s0) [13,15]
//   r1: F(0,s1) [1,2] F(1,s1) [2,3] F(0,s3) [3,4] B(0,s3) [4,6] F(1,s3) [6,7] B(1,s3) [7,9]
//       B(0,s1) [9,11] B(1,s1) [11,13]
// Step 15 = (m v + p - 1)(t_f + t_b) / v = 5 x 6 / 2 with t_f = 2, t_b = 4 per rank, as the
// closed form says.
PipelineInput InterleavedTwoByTwo(double reduce_scatter, bool overlap) {
  PipelineInput input;
  input.shape = {PipelineSchedule::kInterleaved, 2, 2, 2};
  StageCost cost;
  cost.forward = 1.0;
  cost.backward_input = 2.0;
  cost.grad_reduce_scatter = reduce_scatter;
  input.stage_costs = {cost};
  input.overlap_grad_reduce = overlap;
  return input;
}

// Reduce-scatter of 3 s per chunk. With overlap, rank 0's chunk 1 is complete at 11 and its
// reduce-scatter [11,14] hides behind B(·,s0) up to 15; chunk 0's runs [15,18]; rank 1: [9,12],
// [13,16]. Step 18 = 15 + 3: one reduce-scatter exposed. Without overlap rank 0 runs both after
// 15: [15,18], [18,21]; step 21 = 15 + 2 x 3.
TEST(PipelineSimTest, GradReduceScatterOverlappedVersusExposed) {
  const PipelineResult overlapped = Simulate(InterleavedTwoByTwo(3.0, true));
  EXPECT_EQ(overlapped.step_time, 18.0);
  EXPECT_EQ(overlapped.critical_rank, 0);
  EXPECT_EQ(overlapped.critical.exposed_grad_reduce, 3.0);
  EXPECT_EQ(overlapped.critical.compute_end, 15.0);

  const PipelineResult exposed = Simulate(InterleavedTwoByTwo(3.0, false));
  EXPECT_EQ(exposed.step_time, 21.0);
  EXPECT_EQ(exposed.critical.exposed_grad_reduce, 6.0);
  EXPECT_EQ(exposed.critical.bubble, 3.0);  // rank 0 idles [4,6] and [8,9]

  // 5 s per chunk no longer fits in the 4 s of compute after chunk 1 completes on rank 0:
  // [11,16], then chunk 0 [16,21]; exposed 6 = 2 x 5 - 4.
  const PipelineResult partly = Simulate(InterleavedTwoByTwo(5.0, true));
  EXPECT_EQ(partly.step_time, 21.0);
  EXPECT_EQ(partly.critical.exposed_grad_reduce, 6.0);
  EXPECT_EQ(Simulate(InterleavedTwoByTwo(5.0, false)).step_time, 25.0);
}

// Buckets: p = 1, m = 2, forward 1, backward 2, reduce-scatter 2: ops F0 [0,1] B0 [1,3] F1 [3,4]
// B1 [4,6]. One bucket: [6,8], step 8. Two buckets of 1 s, ready at 5 and 6 (halfway through and
// at the end of B1): [5,6], [6,7]; step 7.
TEST(PipelineSimTest, GradReduceScatterBuckets) {
  PipelineInput input = Uniform(PipelineSchedule::kOneFOneB, 1, 1, 2, 1.0, 2.0);
  input.stage_costs[0].grad_reduce_scatter = 2.0;
  EXPECT_EQ(Simulate(input).step_time, 8.0);
  input.grad_reduce_buckets = 2;
  const PipelineResult r = Simulate(input);
  EXPECT_EQ(r.step_time, 7.0);
  EXPECT_EQ(r.critical.exposed_grad_reduce, 1.0);
}

// Parameter all-gather of 1 s per chunk on the 2 x 2 interleaved pipeline above. Without
// overlap each rank waits for both (2 s) and everything shifts by 2: step 17, 2 s exposed. With
// overlap chunk 0's forwards wait only for its own all-gather [0,1]; chunk 1's finishes at 2,
// before its first forward (3 on rank 0, 4 on rank 1, after the shift by 1): step 16, 1 s exposed.
TEST(PipelineSimTest, ParamAllGatherOverlappedVersusExposed) {
  PipelineInput input = InterleavedTwoByTwo(0.0, true);
  input.stage_costs[0].param_all_gather = 1.0;
  input.overlap_param_gather = false;
  const PipelineResult exposed = Simulate(input);
  EXPECT_EQ(exposed.step_time, 17.0);
  EXPECT_EQ(exposed.critical.exposed_param_gather, 2.0);
  input.overlap_param_gather = true;
  const PipelineResult overlapped = Simulate(input);
  EXPECT_EQ(overlapped.step_time, 16.0);
  EXPECT_EQ(overlapped.critical.exposed_param_gather, 1.0);
}

// The optimizer step runs after everything else: uniform 1F1B p = 2, m = 3, t_f = 1, t_b = 2
// (step 12) plus 0.5 s.
TEST(PipelineSimTest, OptimizerStepAtTheEnd) {
  PipelineInput input = Uniform(PipelineSchedule::kOneFOneB, 2, 1, 3, 1.0, 2.0);
  input.optimizer_time = 0.5;
  const PipelineResult r = Simulate(input);
  EXPECT_EQ(r.step_time, 12.5);
  EXPECT_EQ(r.critical.optimizer, 0.5);
}

// ---------------------------------------------------------------------------------------------
// Non-uniform stages.

PipelineInput OneSlowStage(int p, int m, int slow) {
  PipelineInput input;
  input.shape = {PipelineSchedule::kOneFOneB, p, 1, m};
  input.stage_costs.assign(static_cast<size_t>(p), StageCost{1.0, 2.0});
  input.stage_costs[static_cast<size_t>(slow)] = StageCost{2.0, 4.0};
  return input;
}

// The last stage twice as slow (forward 2, backward 4; others 1, 2), 1F1B, p = 4, m = 8. The
// first activation reaches it at (p - 1) t_f = 3; from then on it alternates F and B without
// waiting (its inputs come from faster stages), for m (2 + 4) = 48; the last gradient then
// crosses p - 1 = 3 fast backwards, 6. Step = 3 + 48 + 6 = 57: the slowest stage sets the pace.
TEST(PipelineSimTest, SlowLastStageDominates) {
  const PipelineResult r = Simulate(OneSlowStage(4, 8, 3));
  EXPECT_EQ(r.step_time, 57.0);
  EXPECT_EQ(r.ranks[3].compute, 48.0);
  EXPECT_EQ(r.ranks[0].compute, 24.0);
}

// The first stage slow instead: rank 0 runs F0..F2 (warm-up), F3 [6,8]; the gradient of micro-
// batch 0 returns at 2 + 3 x 1 + 3 x 2 = 11, so B0 [11,15]; from then on rank 0 is never idle
// (F4 [15,17] B1 [17,21] ... F7 [33,35] B4 [35,39] B5 B6 B7 -> 51): step = 48 + 3 = 51.
TEST(PipelineSimTest, SlowFirstStageDominates) {
  const PipelineResult r = Simulate(OneSlowStage(4, 8, 0));
  EXPECT_EQ(r.step_time, 51.0);
  EXPECT_EQ(r.critical_rank, 0);
  EXPECT_EQ(r.critical.bubble, 3.0);
}

// Wherever the slow stage sits, m (t_f' + t_b') <= step <= m (t_f' + t_b') + (p - 1)(t_f + t_b).
TEST(PipelineSimTest, SlowestStageBoundsTheStep) {
  for (int slow = 0; slow < 4; ++slow) {
    for (int m : {4, 8, 32}) {
      const double step = Simulate(OneSlowStage(4, m, slow)).step_time;
      EXPECT_GE(step, m * 6.0) << slow << " " << m;
      EXPECT_LE(step, m * 6.0 + 3 * 3.0) << slow << " " << m;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Errors, reuse, timeline switch.

TEST(PipelineSimTest, InvalidInputsGiveClearErrors) {
  PipelineInput input = Uniform(PipelineSchedule::kOneFOneB, 2, 1, 4, 1.0, 2.0);
  input.shape.num_ranks = 0;
  EXPECT_EQ(ErrorOf(input), "pipeline: num_ranks: expected an integer in 1..65536, got 0");

  input = Uniform(PipelineSchedule::kInterleaved, 4, 2, 6, 1.0, 2.0);
  EXPECT_EQ(ErrorOf(input),
            "pipeline: interleaved schedule needs num_microbatches to be a multiple of num_ranks "
            "(as Megatron-LM does), got m = 6, p = 4");

  input = Uniform(PipelineSchedule::kInterleaved, 2, 2, 4, 1.0, 2.0);
  input.stage_costs.assign(4, input.stage_costs[0]);
  input.stage_costs[3].forward = -1;
  EXPECT_EQ(ErrorOf(input),
            "pipeline: stage_costs[3] (rank 1, chunk 1): forward: expected a finite time >= 0 s, "
            "got -1");
  input.stage_costs[3].forward = 1;
  input.stage_costs[2].grad_reduce_scatter = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ErrorOf(input),
            "pipeline: stage_costs[2] (rank 0, chunk 1): grad_reduce_scatter: expected a finite "
            "time >= 0 s, got nan");
  input.stage_costs.resize(3);
  EXPECT_EQ(ErrorOf(input),
            "pipeline: stage_costs: expected 1 or 4 entries (num_ranks 2 x num_chunks 2), got 3");

  input = Uniform(PipelineSchedule::kOneFOneB, 2, 1, 4, 1.0, 2.0);
  input.p2p_time = {1, 2, 3};
  EXPECT_EQ(ErrorOf(input), "pipeline: p2p_time: expected 0, 1 or 2 entries (one per link), got 3");
  input.p2p_time = {-0.5};
  EXPECT_EQ(ErrorOf(input), "pipeline: p2p_time[0]: link: expected a finite time >= 0 s, got -0.5");
  input.p2p_time.clear();
  input.grad_reduce_buckets = 0;
  EXPECT_EQ(ErrorOf(input),
            "pipeline: grad_reduce_buckets: expected an integer in 1..65536, got 0");
  input.grad_reduce_buckets = 1;
  input.optimizer_time = -2;
  EXPECT_EQ(ErrorOf(input),
            "pipeline: optimizer_time: step: expected a finite time >= 0 s, got -2");
  input.stage_costs.clear();
  input.optimizer_time = 0;
  EXPECT_EQ(ErrorOf(input),
            "pipeline: stage_costs: expected 1 or 2 entries (num_ranks 2 x num_chunks 1), got 0");
}

// Every valid shape of a grid simulates (no deadlock), with uneven stages and p2p costs, and
// the step is at least each rank's busy compute and at least one micro-batch's critical path:
// the forwards and backwards of all S = p v stages in sequence plus 2 (S - 1) transfers.
TEST(PipelineSimTest, EveryShapeSimulatesWithinBounds) {
  PipelineSimulator simulator;
  PipelineResult r;
  for (PipelineSchedule schedule :
       {PipelineSchedule::kGpipe, PipelineSchedule::kOneFOneB, PipelineSchedule::kInterleaved}) {
    for (int p : {1, 2, 3, 4, 8}) {
      for (int v : {1, 2, 3, 4}) {
        for (int m : {1, 2, 3, 4, 8, 12, 16}) {
          PipelineInput input;
          input.shape = {schedule, p, v, m};
          if (!input.shape.Validate().ok()) continue;
          double path = 0;
          for (int s = 0; s < p * v; ++s) {
            const double f = 0.25 * (1 + s % 3);
            const double b = 0.5 * (1 + s % 2);
            input.stage_costs.push_back({f, b, 0.0, 0.0, 0.0});
            path += f + b;
          }
          input.p2p_time = {0.125};
          if (p > 1) path += 2 * (p * v - 1) * 0.125;
          SCOPED_TRACE(std::string(ToString(schedule)) + " p=" + std::to_string(p) +
                       " v=" + std::to_string(v) + " m=" + std::to_string(m));
          ASSERT_TRUE(simulator.Run(input, &r).ok());
          EXPECT_GE(r.step_time, path - 1e-12);
          for (const RankBreakdown& b : r.ranks) {
            EXPECT_GE(r.step_time, b.compute - 1e-12);
            EXPECT_NEAR(b.Total(), r.step_time, 1e-9 * r.step_time);
          }
        }
      }
    }
  }
}

// A reused simulator gives the same results as a fresh one, across changing shapes.
TEST(PipelineSimTest, ReusedSimulatorMatchesFreshOne) {
  PipelineSimulator simulator;
  PipelineResult reused;
  const std::vector<PipelineInput> inputs = {
      Uniform(PipelineSchedule::kInterleaved, 8, 4, 64, 1.0, 2.0),
      Uniform(PipelineSchedule::kOneFOneB, 2, 1, 3, 1.0, 2.0),
      OneSlowStage(4, 8, 1),
      InterleavedTwoByTwo(3.0, true),
      Uniform(PipelineSchedule::kInterleaved, 8, 4, 64, 1.0, 2.0),
  };
  for (const PipelineInput& input : inputs) {
    ASSERT_TRUE(simulator.Run(input, &reused).ok());
    const PipelineResult fresh = Simulate(input);
    EXPECT_EQ(reused.step_time, fresh.step_time);
    EXPECT_EQ(reused.critical_rank, fresh.critical_rank);
    EXPECT_EQ(reused.critical.bubble, fresh.critical.bubble);
    EXPECT_EQ(reused.ranks.size(), static_cast<size_t>(input.shape.num_ranks));
  }
}

// The timeline is empty unless asked for; with it, each rank has one compute event per op.
TEST(PipelineSimTest, TimelineOnlyWhenAsked) {
  PipelineInput input = Uniform(PipelineSchedule::kInterleaved, 4, 2, 8, 1.0, 2.0);
  EXPECT_TRUE(Simulate(input).timeline.empty());
  input.collect_timeline = true;
  const PipelineResult r = Simulate(input);
  std::vector<int> per_rank(4, 0);
  for (const TimelineEvent& e : r.timeline) {
    ASSERT_EQ(e.stream, Stream::kCompute);  // no communication costs: no send events
    EXPECT_LE(e.end, r.step_time);
    ++per_rank[static_cast<size_t>(e.rank)];
  }
  for (int count : per_rank) EXPECT_EQ(count, 2 * 8 * 2);
}

}  // namespace
}  // namespace moeplan::sim
