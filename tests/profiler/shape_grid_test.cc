//===- tests/profiler/shape_grid_test.cc - Grids, labels and op costs -----===//
/// The grids are valid, deterministic and sized for their time budgets; labels parse back;
/// FLOP and byte counts follow the documented conventions; synthetic routing is exact.
#include "profiler/core/shape_grid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "profiler/core/bench_case.h"
#include "profiler/core/op_cost.h"

namespace moeplan::profiler {
namespace {

std::vector<BenchCase> Grid(GridSize size, bool fp8, std::vector<OpKind> ops = {}) {
  GridOptions options;
  options.size = size;
  options.ops = std::move(ops);
  options.caps.fp8 = fp8;
  return MakeGrid(options);
}

TEST(ShapeGridTest, GridsAreValidUniqueAndParseBack) {
  for (GridSize size : {GridSize::kQuick, GridSize::kFull}) {
    const std::vector<BenchCase> grid = Grid(size, /*fp8=*/true);
    std::set<std::string> labels;
    for (const BenchCase& c : grid) {
      EXPECT_TRUE(labels.insert(c.Label()).second) << "duplicate " << c.Label();
      Result<BenchCase> parsed = ParseBenchCaseLabel(c.Label());
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      EXPECT_EQ(*parsed, c);
      for (const auto& [name, value] : c.shape) EXPECT_GT(value, 0) << c.Label();
      const OpCost cost = CostOf(c);
      EXPECT_GT(cost.bytes, 0) << c.Label();
      EXPECT_GE(cost.flops, 0) << c.Label();
      if (c.op == OpKind::kMoeLayer || c.op == OpKind::kPermute) {
        // Routed rows split evenly enough for the grouped GEMMs' tokens_per_expert.
        EXPECT_EQ(c.Dim("tokens") * c.Dim("top_k") % c.Dim("experts"), 0) << c.Label();
      }
    }
    EXPECT_EQ(Grid(size, true), grid);  // deterministic
  }
}

TEST(ShapeGridTest, SizesFitTheirTimeBudgets) {
  const size_t quick = Grid(GridSize::kQuick, true).size();
  const size_t full = Grid(GridSize::kFull, true).size();
  EXPECT_GE(quick, 30u);
  EXPECT_LE(quick, 120u);
  EXPECT_GT(full, 3 * quick);
  EXPECT_LE(full, 1200u);
}

TEST(ShapeGridTest, CapabilitiesAndOpSelectionFilterCases) {
  const std::vector<BenchCase> no_fp8 = Grid(GridSize::kQuick, false, {OpKind::kGemm});
  EXPECT_TRUE(std::none_of(no_fp8.begin(), no_fp8.end(),
                           [](const BenchCase& c) { return c.precision == Precision::kFp8; }));
  EXPECT_LT(no_fp8.size(), Grid(GridSize::kQuick, true, {OpKind::kGemm}).size());
  EXPECT_TRUE(Grid(GridSize::kFull, true, {OpKind::kAttention}).empty());  // no fused attention
  GridOptions with_attention;
  with_attention.ops = {OpKind::kAttention};
  with_attention.caps.attention = true;
  EXPECT_FALSE(MakeGrid(with_attention).empty());
  for (const BenchCase& c : Grid(GridSize::kQuick, true, {OpKind::kCopy, OpKind::kAdam})) {
    EXPECT_TRUE(c.op == OpKind::kCopy || c.op == OpKind::kAdam);
  }
}

TEST(ShapeGridTest, MoeLayersBringTheirPartsAlong) {
  const std::vector<BenchCase> grid = Grid(GridSize::kQuick, false, {OpKind::kMoeLayer});
  for (const BenchCase& c : grid) {
    if (c.op != OpKind::kMoeLayer) continue;
    for (const BenchCase& part : MoeLayerParts(c)) {
      EXPECT_NE(std::find(grid.begin(), grid.end(), part), grid.end()) << part.Label();
    }
  }
}

TEST(ShapeGridTest, ParsesOpLists) {
  Result<std::vector<OpKind>> ops = ParseOpList("gemm,router,gemm");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(*ops, (std::vector<OpKind>{OpKind::kGemm, OpKind::kRouter}));
  EXPECT_TRUE(ParseOpList("all")->empty());
  Result<std::vector<OpKind>> bad = ParseOpList("gemm,gem");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "--ops: unknown op 'gem' (known: " + OpKindList() + ")");
}

TEST(BenchCaseTest, LabelErrorsSayWhatIsWrong) {
  EXPECT_EQ(ParseBenchCaseLabel("gemm fwd bf16 x").error().message,
            "range 'gemm fwd bf16 x': unknown pass 'fwd'");
  EXPECT_EQ(ParseBenchCaseLabel("aten::mm").error().message,
            "range 'aten::mm': expected '<op> <pass> <precision> <implementation> key=value...'");
  EXPECT_EQ(ParseBenchCaseLabel("copy none bf16 x bytes").error().message,
            "range 'copy none bf16 x bytes': expected key=value, got 'bytes'");
}

TEST(OpCostTest, GemmFollowsTheLinearLayerConventions) {
  BenchCase gemm;
  gemm.op = OpKind::kGemm;
  gemm.shape = {{"tokens", 4096}, {"in", 4096}, {"out", 4096}};
  const OpCost forward = CostOf(gemm);
  EXPECT_DOUBLE_EQ(forward.flops, 2.0 * 4096 * 4096 * 4096);
  EXPECT_DOUBLE_EQ(forward.bytes, 3.0 * 4096 * 4096 * 2);
  gemm.precision = Precision::kFp8;
  EXPECT_DOUBLE_EQ(CostOf(gemm).bytes, 2.0 * 4096 * 4096 + 4096.0 * 4096 * 2);
  const GemmDims wgrad = LinearLayerGemm(Pass::kBackwardWeight, 10, 20, 30);
  EXPECT_EQ(wgrad.m, 30);
  EXPECT_EQ(wgrad.n, 20);
  EXPECT_EQ(wgrad.k, 10);
  const GemmDims dgrad = LinearLayerGemm(Pass::kBackwardData, 10, 20, 30);
  EXPECT_EQ(dgrad.n, 20);
  EXPECT_EQ(dgrad.k, 30);
}

TEST(OpCostTest, AttentionCopyAndLayer) {
  BenchCase attention;
  attention.op = OpKind::kAttention;
  attention.shape = {{"batch", 1}, {"heads", 1}, {"seq", 1024}, {"head_dim", 128}};
  const double full = CostOf(attention).flops;
  EXPECT_DOUBLE_EQ(full, 4.0 * 1024 * 1024 * 128);
  attention.params = {{"mask", "causal"}};
  EXPECT_DOUBLE_EQ(CostOf(attention).flops, full / 2);
  attention.pass = Pass::kBackward;
  EXPECT_DOUBLE_EQ(CostOf(attention).flops, 2.5 * full / 2);

  BenchCase copy;
  copy.op = OpKind::kCopy;
  copy.shape = {{"bytes", 1000}};
  EXPECT_DOUBLE_EQ(CostOf(copy).bytes, 2000);

  BenchCase layer;
  layer.op = OpKind::kMoeLayer;
  layer.shape = {{"tokens", 64}, {"hidden", 128}, {"width", 64}, {"experts", 8}, {"top_k", 2}};
  layer.params = {{"score", "softmax"}, {"distribution", "balanced"}};
  for (Pass pass : {Pass::kForward, Pass::kBackward}) {
    layer.pass = pass;
    double flops = 0;
    for (const BenchCase& part : MoeLayerParts(layer)) flops += CostOf(part).flops;
    EXPECT_DOUBLE_EQ(CostOf(layer).flops, flops);
  }
  // Forward grouped GEMM FLOPs: 2 * routed rows * (d * 2f + f * d).
  layer.pass = Pass::kForward;
  double grouped = 0;
  for (const BenchCase& part : MoeLayerParts(layer)) {
    if (part.op == OpKind::kGroupedGemm) grouped += CostOf(part).flops;
  }
  EXPECT_DOUBLE_EQ(grouped, 2.0 * 128 * (128 * 128 + 64 * 128));
}

TEST(OpCostTest, ExpertCountsSumExactlyAndSkewDecreases) {
  for (int64_t total : {0, 1, 7, 1000, 65536}) {
    for (const char* distribution : {"balanced", "skewed"}) {
      const std::vector<int64_t> counts = ExpertTokenCounts(total, 32, distribution);
      ASSERT_EQ(counts.size(), 32u);
      EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), int64_t{0}), total);
    }
  }
  const std::vector<int64_t> balanced = ExpertTokenCounts(1001, 8, "balanced");
  EXPECT_EQ(*std::max_element(balanced.begin(), balanced.end()) -
                *std::min_element(balanced.begin(), balanced.end()),
            1);
  const std::vector<int64_t> skewed = ExpertTokenCounts(65536, 32, "skewed");
  EXPECT_TRUE(std::is_sorted(skewed.rbegin(), skewed.rend()));
  EXPECT_GT(skewed.front(), 7 * 65536 / 32);  // Zipf(1) over 32 experts: about 24% to the first
}

TEST(OpCostTest, SyntheticRoutingHonoursCounts) {
  const std::vector<int64_t> counts = {5, 0, 3, 8};
  const std::vector<int32_t> routing = SyntheticRouting(counts);
  ASSERT_EQ(routing.size(), 16u);
  std::map<int32_t, int64_t> seen;
  for (int32_t expert : routing) ++seen[expert];
  EXPECT_EQ(seen[0], 5);
  EXPECT_EQ(seen.count(1), 0u);
  EXPECT_EQ(seen[2], 3);
  EXPECT_EQ(seen[3], 8);
  EXPECT_EQ(SyntheticRouting(counts), routing);                  // deterministic
  EXPECT_FALSE(std::is_sorted(routing.begin(), routing.end()));  // shuffled
}

}  // namespace
}  // namespace moeplan::profiler
