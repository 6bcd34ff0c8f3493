//===- tests/calibration/lowering_test.cc - Profile cases as hwmodel primitives -===//
#include "calibration/lowering.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwmodel/attention_cost.h"
#include "hwmodel/gemm_cost.h"
#include "hwmodel/memory_cost.h"
#include "hwmodel/presets.h"
#include "profiler/core/op_cost.h"

namespace moeplan::calibration {
namespace {

using profiler::BenchCase;
using profiler::OpKind;
using profiler::Pass;
using ::testing::HasSubstr;

BenchCase Case(OpKind op, Pass pass, std::vector<std::pair<std::string, int64_t>> shape,
               std::vector<std::pair<std::string, std::string>> params = {},
               std::string implementation = "test") {
  BenchCase c;
  c.op = op;
  c.pass = pass;
  c.implementation = std::move(implementation);
  c.shape = std::move(shape);
  c.params = std::move(params);
  return c;
}

const hw::Hardware& H100() {
  return hw::FindHardwarePreset("h100")->hardware;
}

TEST(Lowering, LinearLayerPassesMapToTheirGemms) {
  const std::vector<std::pair<std::string, int64_t>> shape = {
      {"tokens", 4096}, {"in", 1024}, {"out", 3072}};
  const Result<LoweredCase> fwd = LowerCase(Case(OpKind::kGemm, Pass::kForward, shape));
  const Result<LoweredCase> dgrad = LowerCase(Case(OpKind::kGemm, Pass::kBackwardData, shape));
  const Result<LoweredCase> wgrad = LowerCase(Case(OpKind::kGemm, Pass::kBackwardWeight, shape));
  ASSERT_TRUE(fwd.ok() && dgrad.ok() && wgrad.ok());
  EXPECT_EQ(fwd->op_class, OpClass::kGemm);
  EXPECT_DOUBLE_EQ(PredictTime(*fwd, H100(), 0.9), hw::GemmTime({4096, 3072, 1024}, H100()));
  EXPECT_DOUBLE_EQ(PredictTime(*dgrad, H100(), 0.9), hw::GemmTime({4096, 1024, 3072}, H100()));
  EXPECT_DOUBLE_EQ(PredictTime(*wgrad, H100(), 0.9), hw::GemmTime({3072, 1024, 4096}, H100()));
}

TEST(Lowering, GroupedGemmPassesUseTheProfilersTokenCounts) {
  const std::vector<std::pair<std::string, int64_t>> shape = {
      {"experts", 8}, {"tokens_per_expert", 100}, {"in", 2048}, {"out", 1408}};
  const std::vector<int64_t> skewed = profiler::ExpertTokenCounts(800, 8, "skewed");
  const Result<LoweredCase> fwd =
      LowerCase(Case(OpKind::kGroupedGemm, Pass::kForward, shape, {{"distribution", "skewed"}}));
  ASSERT_TRUE(fwd.ok());
  EXPECT_EQ(fwd->op_class, OpClass::kGroupedGemm);
  EXPECT_DOUBLE_EQ(PredictTime(*fwd, H100(), 0.9),
                   hw::GroupedGemmTime(skewed, 1408, 2048, hw::Precision::kBf16, H100()));
  const Result<LoweredCase> wgrad = LowerCase(
      Case(OpKind::kGroupedGemm, Pass::kBackwardWeight, shape, {{"distribution", "balanced"}}));
  ASSERT_TRUE(wgrad.ok());
  const std::vector<int64_t> weights(8, 1408);  // dW_e[out, in], K = 100 tokens
  EXPECT_DOUBLE_EQ(PredictTime(*wgrad, H100(), 0.9),
                   hw::GroupedGemmTime(weights, 2048, 100, hw::Precision::kBf16, H100()));
  const Result<LoweredCase> loop =
      LowerCase(Case(OpKind::kGroupedGemm, Pass::kForward, shape, {}, "loop"));
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(loop->op_class, OpClass::kGroupedGemmLoop);
  EXPECT_EQ(loop->primitives.size(), 8u);
}

TEST(Lowering, AttentionAndMemoryBoundKernels) {
  const Result<LoweredCase> attention = LowerCase(
      Case(OpKind::kAttention, Pass::kBackward,
           {{"batch", 2}, {"heads", 16}, {"seq", 4096}, {"head_dim", 128}}, {{"mask", "causal"}}));
  ASSERT_TRUE(attention.ok());
  EXPECT_EQ(attention->op_class, OpClass::kAttentionBackward);
  hw::AttentionShape shape{2, 16, 16, 4096, 4096, 128, 128, true, hw::Precision::kBf16};
  EXPECT_DOUBLE_EQ(PredictTime(*attention, H100(), 0.9),
                   hw::AttentionTime(shape, hw::Pass::kBackward, H100()));
  const BenchCase norm =
      Case(OpKind::kRmsnorm, Pass::kForward, {{"tokens", 4096}, {"hidden", 7168}});
  const Result<LoweredCase> lowered = LowerCase(norm);
  ASSERT_TRUE(lowered.ok());
  EXPECT_EQ(lowered->op_class, OpClass::kNorm);
  EXPECT_DOUBLE_EQ(
      PredictTime(*lowered, H100(), 0.9),
      hw::MemoryBoundTime(hw::MemoryKernel::kNorm, profiler::CostOf(norm).bytes, H100()));
  const Result<LoweredCase> router =
      LowerCase(Case(OpKind::kRouter, Pass::kForward,
                     {{"tokens", 4096}, {"hidden", 7168}, {"experts", 256}, {"top_k", 8}}));
  ASSERT_TRUE(router.ok());
  EXPECT_EQ(router->primitives.size(), 2u);  // the GEMM and the scoring kernel
}

TEST(Lowering, MoeLayerIsTheSumOfItsParts) {
  const BenchCase layer =
      Case(OpKind::kMoeLayer, Pass::kForward,
           {{"tokens", 8192}, {"hidden", 2048}, {"width", 1408}, {"experts", 16}, {"top_k", 6}},
           {{"score", "sigmoid"}, {"distribution", "balanced"}}, "cublas_grouped");
  const Result<LoweredCase> lowered = LowerCase(layer);
  ASSERT_TRUE(lowered.ok());
  EXPECT_EQ(lowered->op_class, OpClass::kMoeLayer);
  double parts = 0.0;
  for (const BenchCase& part : profiler::MoeLayerParts(layer)) {
    parts += PredictTime(*LowerCase(part), H100(), 0.9);
  }
  EXPECT_NEAR(PredictTime(*lowered, H100(), 0.9), parts, 1e-15);
}

TEST(Lowering, MissingOrBadDimensionsAreNamed) {
  const Result<LoweredCase> missing = LowerCase(
      Case(OpKind::kGroupedGemm, Pass::kForward, {{"experts", 8}, {"in", 8}, {"out", 8}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message,
              HasSubstr("shape has no 'tokens_per_expert' (needs experts, tokens_per_expert, in, "
                        "out)"));
  const Result<LoweredCase> zero =
      LowerCase(Case(OpKind::kGemm, Pass::kForward, {{"tokens", 0}, {"in", 8}, {"out", 8}}));
  ASSERT_FALSE(zero.ok());
  EXPECT_THAT(zero.error().message, HasSubstr("shape 'tokens' must be positive, got 0"));
}

}  // namespace
}  // namespace moeplan::calibration
