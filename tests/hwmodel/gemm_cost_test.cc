//===- tests/hwmodel/gemm_cost_test.cc - GEMM and grouped-GEMM time --------===//
/// Expected values are derived by hand below from the roofline, tile and wave formulas written
/// in each comment, on the round-number toy device (tests/hwmodel/toy_hardware.h: 1e15 BF16
/// FLOP/s, 100 SMs, 2e12 B/s, 128x128 tiles, efficiency 0.5, launch 1 us) or on the H100 SXM
/// spec sheet (989.4 TFLOP/s dense BF16, 132 SMs, 3.35 TB/s).
#include "hwmodel/gemm_cost.h"

#include <gtest/gtest.h>

#include <vector>

#include "hwmodel/presets.h"
#include "tests/hwmodel/toy_hardware.h"

namespace moeplan::hw {
namespace {

using testing::ToyHardware;

// One toy SM on one 128x128xK tile: 2*128*128*K FLOPs at 1e15/100*0.5 = 5e12 FLOP/s.
double ToyTileSeconds(double k) {
  return 2.0 * 128 * 128 * k / 5e12;
}

// H100 with the efficiencies spelled out here, so the hand numbers do not move with defaults.
Hardware H100Explicit() {
  Hardware h = FindHardwarePreset("h100")->hardware;
  h.efficiency.launch_overhead = 2e-6;
  h.efficiency.gemm = {128, 128, 0.8, 0.8, 64.0, 0.85};
  return h;
}

TEST(GemmCostTest, LargeSquareIsComputeBoundAtFlopsOverPeakTimesEfficiency) {
  // M=N=K=12800: 100 x 100 tiles = 10000 tiles = exactly 100 waves on 100 SMs, so there is no
  // quantisation loss: compute = 2*12800^3 / (1e15*0.5) = 8.388608 ms. Memory: 3 * 12800^2 * 2 B
  // = 983 MB / 2e12 = 0.49 ms.
  const GemmCost cost = EstimateGemm({12800, 12800, 12800, Precision::kBf16}, ToyHardware());
  EXPECT_EQ(cost.tiles, 10000);
  EXPECT_EQ(cost.waves, 100);
  EXPECT_DOUBLE_EQ(cost.flops, 2.0 * 12800.0 * 12800.0 * 12800.0);
  EXPECT_NEAR(cost.compute_time, 8.388608e-3, 1e-12);
  EXPECT_NEAR(cost.memory_time, 3.0 * 12800 * 12800 * 2 / 2e12, 1e-12);
  EXPECT_TRUE(cost.compute_bound());
  EXPECT_NEAR(cost.time, 1e-6 + 8.388608e-3, 1e-12);
}

TEST(GemmCostTest, H100SquareGemmIncludesWaveQuantisationByHand) {
  // 8192^3 BF16: 64 x 64 = 4096 tiles on 132 SMs = ceil(31.03) = 32 waves, i.e. 32*132/4096 =
  // 1.03125 of the ideal. K ramp: 8192 / (8192 + 64). Ideal:
  //   2 * 8192^3 / (989.4e12 * 0.8 * 8192/8256) = 1.3999666 ms; x 1.03125 = 1.4437156 ms.
  const Hardware h = H100Explicit();
  const GemmCost cost = EstimateGemm({8192, 8192, 8192, Precision::kBf16}, h);
  EXPECT_EQ(cost.tiles, 4096);
  EXPECT_EQ(cost.waves, 32);
  const double ideal = 2.0 * 8192.0 * 8192.0 * 8192.0 / (989.4e12 * 0.8 * 8192.0 / 8256.0);
  EXPECT_NEAR(ideal, 1.3999666e-3, 1e-9);
  EXPECT_NEAR(cost.compute_time / ideal, 1.03125, 1e-12);
  EXPECT_NEAR(cost.time, 2e-6 + 1.4437156e-3, 1e-9);
  // Memory roofline: 3 * 8192^2 * 2 B / (3.35e12 * 0.85) = 0.1414 ms.
  EXPECT_NEAR(cost.memory_time, 1.4140586e-4, 1e-10);
}

TEST(GemmCostTest, SkinnyGemmIsMemoryBound) {
  // M=16, N=K=16384: A 16*16384, B 16384^2, C 16*16384, all BF16:
  //   (262,144 + 268,435,456) * 2 + 262,144 * 2 = 537,919,488 B / 2e12 = 268.959744 us.
  // Compute: 1 x 128 tiles = 2 waves on 100 SMs = 2 * 2*128*128*16384 / 5e12 = 214.7 us.
  const GemmCost cost = EstimateGemm({16, 16384, 16384, Precision::kBf16}, ToyHardware());
  EXPECT_DOUBLE_EQ(cost.bytes, 537919488.0);
  EXPECT_EQ(cost.waves, 2);
  EXPECT_NEAR(cost.compute_time, 2 * ToyTileSeconds(16384), 1e-15);
  EXPECT_FALSE(cost.compute_bound());
  EXPECT_NEAR(cost.time, 1e-6 + 268.959744e-6, 1e-12);
}

TEST(GemmCostTest, WaveQuantisation133TilesOn132SmsTakesTwoWaves) {
  const Hardware h = H100Explicit();  // 132 SMs (Hopper whitepaper)
  const GemmCost full = EstimateGemm({132 * 128, 128, 4096, Precision::kBf16}, h);
  const GemmCost one_more = EstimateGemm({133 * 128, 128, 4096, Precision::kBf16}, h);
  EXPECT_EQ(full.tiles, 132);
  EXPECT_EQ(full.waves, 1);
  EXPECT_EQ(one_more.tiles, 133);
  EXPECT_EQ(one_more.waves, 2);
  EXPECT_DOUBLE_EQ(one_more.compute_time, 2.0 * full.compute_time);
  // One row past 132 tiles pads to a 133rd tile (tile quantisation feeding wave quantisation).
  EXPECT_EQ(EstimateGemm({132 * 128 + 1, 128, 4096, Precision::kBf16}, h).waves, 2);
}

TEST(GemmCostTest, TileQuantisationPadsMAndN) {
  const Hardware toy = ToyHardware();
  EXPECT_EQ(EstimateGemm({128, 128, 64, Precision::kBf16}, toy).tiles, 1);
  EXPECT_EQ(EstimateGemm({129, 128, 64, Precision::kBf16}, toy).tiles, 2);
  EXPECT_EQ(EstimateGemm({129, 129, 64, Precision::kBf16}, toy).tiles, 4);
  EXPECT_EQ(EstimateGemm({1, 1, 64, Precision::kBf16}, toy).tiles, 1);
}

TEST(GemmCostTest, SmallKRampScalesTileTimeByKPlusKHalf) {
  // Tile time = 2*128*128*K / (rate * K/(K + k_half)) is proportional to K + k_half.
  Hardware h = ToyHardware();
  h.efficiency.gemm.k_half = 64;
  const double small = EstimateGemm({1280, 1280, 64, Precision::kBf16}, h).compute_time;
  const double large = EstimateGemm({1280, 1280, 4096, Precision::kBf16}, h).compute_time;
  EXPECT_NEAR(small / large, (64.0 + 64.0) / (4096.0 + 64.0), 1e-12);
  // At K = k_half the efficiency is halved: twice the time of the ramp-free model.
  h.efficiency.gemm.k_half = 0;
  EXPECT_NEAR(small / EstimateGemm({1280, 1280, 64, Precision::kBf16}, h).compute_time, 2.0, 1e-12);
}

TEST(GemmCostTest, PrecisionSetsPeakAndBytes) {
  const Hardware toy = ToyHardware();
  const GemmShape bf16{12800, 12800, 12800, Precision::kBf16};
  const GemmShape fp8{12800, 12800, 12800, Precision::kFp8};
  const GemmShape tf32{12800, 12800, 12800, Precision::kTf32};
  const double base = EstimateGemm(bf16, toy).compute_time;
  EXPECT_NEAR(EstimateGemm(fp8, toy).compute_time, base / 2, 1e-12);   // 2e15 vs 1e15
  EXPECT_NEAR(EstimateGemm(tf32, toy).compute_time, base * 2, 1e-12);  // 0.5e15
  // FP8 reads 1-byte operands and writes BF16: 2 * 12800^2 * 1 + 12800^2 * 2.
  EXPECT_DOUBLE_EQ(EstimateGemm(fp8, toy).bytes, 4.0 * 12800.0 * 12800.0);
  EXPECT_DOUBLE_EQ(EstimateGemm(tf32, toy).bytes, 12.0 * 12800.0 * 12800.0);
}

TEST(GemmCostTest, EmptyGemmCostsNothing) {
  const Hardware toy = ToyHardware();
  EXPECT_EQ(GemmTime({0, 4096, 4096, Precision::kBf16}, toy), 0.0);
  EXPECT_EQ(GemmTime({4096, 0, 4096, Precision::kBf16}, toy), 0.0);
  EXPECT_EQ(GemmTime({4096, 4096, -1, Precision::kBf16}, toy), 0.0);
}

TEST(GemmCostTest, TimeNeverDecreasesWhenAnyDimensionGrows) {
  const Hardware h = H100Explicit();
  const std::vector<int64_t> sizes = {1, 17, 128, 129, 1000, 4096, 7168, 16384};
  for (int64_t m : sizes) {
    for (int64_t n : sizes) {
      for (int64_t k : sizes) {
        const double t = GemmTime({m, n, k, Precision::kBf16}, h);
        EXPECT_LE(t, GemmTime({m + 64, n, k, Precision::kBf16}, h)) << m << " " << n << " " << k;
        EXPECT_LE(t, GemmTime({m, n + 64, k, Precision::kBf16}, h)) << m << " " << n << " " << k;
        EXPECT_LE(t, GemmTime({m, n, k + 64, Precision::kBf16}, h)) << m << " " << n << " " << k;
      }
    }
  }
}

TEST(GroupedGemmTest, BalancedExpertsMatchOneDenseGemmOfTheSameRows) {
  // 8 experts x 256 tokens, N=2048 (16 tile columns), K=4096: 8 * 2 * 16 = 256 tiles, like a
  // dense 2048 x 2048 GEMM (16 * 16); both 3 waves on 100 SMs at the same efficiency.
  const Hardware toy = ToyHardware();
  const std::vector<int64_t> balanced(8, 256);
  const GemmCost grouped = EstimateGroupedGemm(balanced, 2048, 4096, Precision::kBf16, toy);
  const GemmCost dense = EstimateGemm({2048, 2048, 4096, Precision::kBf16}, toy);
  EXPECT_EQ(grouped.tiles, 256);
  EXPECT_EQ(grouped.waves, 3);
  EXPECT_DOUBLE_EQ(grouped.compute_time, dense.compute_time);
  EXPECT_DOUBLE_EQ(grouped.compute_time, 3 * ToyTileSeconds(4096));
  EXPECT_DOUBLE_EQ(grouped.flops, dense.flops);
  // Bytes: tokens 2048*4096 + 8 weights 4096*2048, BF16, + output 2048*2048 BF16.
  EXPECT_DOUBLE_EQ(grouped.bytes, (2048.0 * 4096 + 8.0 * 4096 * 2048) * 2 + 2048.0 * 2048 * 2);
}

TEST(GroupedGemmTest, SkewedCountsPadMoreTilesAndTakeLonger) {
  // Same 2048 tokens, skewed: 1920 -> 15 tile rows, 32 -> 1, six experts of 16 -> 1 each:
  // 22 tile rows x 16 = 352 tiles = 4 waves (vs 3 balanced).
  const Hardware toy = ToyHardware();
  const std::vector<int64_t> balanced(8, 256);
  const std::vector<int64_t> skewed = {1920, 32, 16, 16, 16, 16, 16, 16};
  const GemmCost b = EstimateGroupedGemm(balanced, 2048, 4096, Precision::kBf16, toy);
  const GemmCost s = EstimateGroupedGemm(skewed, 2048, 4096, Precision::kBf16, toy);
  EXPECT_EQ(s.tiles, 352);
  EXPECT_EQ(s.waves, 4);
  EXPECT_DOUBLE_EQ(s.flops, b.flops);
  EXPECT_NEAR(s.compute_time / b.compute_time, 4.0 / 3.0, 1e-12);
  EXPECT_GT(s.time, b.time);
}

TEST(GroupedGemmTest, EachExpertPadsItsOwnRows) {
  // 8 experts with one token each: 8 tile rows x 16 = 128 tiles = 2 waves; one dense GEMM of
  // 8 rows: 1 x 16 = 16 tiles = 1 wave.
  const Hardware toy = ToyHardware();
  const std::vector<int64_t> singles(8, 1);
  EXPECT_EQ(EstimateGroupedGemm(singles, 2048, 4096, Precision::kBf16, toy).waves, 2);
  EXPECT_EQ(EstimateGemm({8, 2048, 4096, Precision::kBf16}, toy).waves, 1);
}

TEST(GroupedGemmTest, ExpertsWithoutTokensReadNoWeights) {
  const Hardware toy = ToyHardware();
  const std::vector<int64_t> one_active = {256, 0, 0, -3};
  const GemmCost cost = EstimateGroupedGemm(one_active, 2048, 4096, Precision::kBf16, toy);
  EXPECT_DOUBLE_EQ(cost.bytes, (256.0 * 4096 + 4096.0 * 2048) * 2 + 256.0 * 2048 * 2);
  EXPECT_EQ(cost.tiles, 2 * 16);
  const std::vector<int64_t> none = {0, 0, 0};
  EXPECT_EQ(GroupedGemmTime(none, 2048, 4096, Precision::kBf16, toy), 0.0);
  EXPECT_EQ(GroupedGemmTime({}, 2048, 4096, Precision::kBf16, toy), 0.0);
}

TEST(GroupedGemmTest, UsesItsOwnEfficiency) {
  Hardware toy = ToyHardware();
  const std::vector<int64_t> counts(4, 1024);
  const double at_half =
      EstimateGroupedGemm(counts, 4096, 4096, Precision::kBf16, toy).compute_time;
  toy.efficiency.gemm.grouped_compute_efficiency = 0.25;
  EXPECT_NEAR(EstimateGroupedGemm(counts, 4096, 4096, Precision::kBf16, toy).compute_time,
              2.0 * at_half, 1e-15);
}

}  // namespace
}  // namespace moeplan::hw
