//===- tests/sim/layout_check_test.cc - Layout validity and its messages ---===//
/// Each bad layout gets exactly one message naming the numbers (LLVM style: checked verbatim).
#include "sim/layout_check.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "hwmodel/fleet_source.h"
#include "laws/presets.h"

namespace moeplan::sim {
namespace {

laws::MoeArch Preset(const char* name) {
  return laws::FindPreset(name)->arch;
}

hw::Fleet Fleet(const char* spec) {
  Result<hw::Fleet> fleet = hw::LoadFleet(spec);
  EXPECT_TRUE(fleet.ok()) << fleet.error().message;
  return *fleet;
}

struct BadLayout {
  const char* model;
  const char* fleet;
  const char* layout;
  LayoutIssue issue;
  const char* message;
};

class BadLayoutTest : public ::testing::TestWithParam<BadLayout> {};

TEST_P(BadLayoutTest, HasItsExactMessage) {
  const BadLayout& c = GetParam();
  Layout layout = *ParseLayout(c.layout);
  std::string message;
  EXPECT_EQ(DiagnoseLayout(layout, Preset(c.model), Fleet(c.fleet), &message), c.issue);
  EXPECT_EQ(message, c.message);
  // Without a message buffer the same family is found.
  Layout again = *ParseLayout(c.layout);
  EXPECT_EQ(DiagnoseLayout(again, Preset(c.model), Fleet(c.fleet)), c.issue);
  EXPECT_EQ(ResolveLayout(*ParseLayout(c.layout), Preset(c.model), Fleet(c.fleet)).error().message,
            c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Messages, BadLayoutTest,
    ::testing::Values(
        BadLayout{"mixtral-8x7b", "64xH100", "tp=3", LayoutIssue::kTensorSplit,
                  "layout: tp=3 does not divide the 32 attention heads"},
        BadLayout{"mixtral-8x7b", "64xH100", "tp=16", LayoutIssue::kTensorSplit,
                  "layout: tp=16 does not divide the 8 key/value heads"},
        BadLayout{"deepseek-v3", "64xH100", "tp=1,etp=3", LayoutIssue::kTensorSplit,
                  "layout: etp=3 does not divide the expert FFN width 2048"},
        BadLayout{"mixtral-8x7b", "64xH100", "ep=3", LayoutIssue::kExperts,
                  "layout: ep=3 does not divide the 8 routed experts"},
        BadLayout{"llama-3-8b", "64xH100", "ep=2", LayoutIssue::kExperts,
                  "layout: ep=2 needs routed experts, but llama-3-8b is dense"},
        BadLayout{"mixtral-8x7b", "64xH100", "tp=2,sp=off", LayoutIssue::kFramework,
                  "layout: tp=2 on an MoE model needs sequence parallelism (sp=on), as "
                  "Megatron-Core requires"},
        BadLayout{"mixtral-8x7b", "64xH100", "cp=3", LayoutIssue::kSequence,
                  "layout: the 4096-token sequence is not divisible into 2 x cp = 6 chunks "
                  "(load-balanced context parallelism)"},
        BadLayout{"mixtral-8x7b", "1024xH100", "tp=8,pp=16,dp=16", LayoutIssue::kFleet,
                  "layout: needs 2048 GPUs (tp=8 x cp=1 x dp=16 x pp=16) but the fleet has 1024"},
        BadLayout{"mixtral-8x7b", "64xH100", "tp=8,pp=16", LayoutIssue::kFleet,
                  "layout: tp x pp x cp = 8 x 16 x 1 = 128 GPUs exceed the fleet's 64"},
        BadLayout{"llama-3-8b", "48xH100", "tp=1,pp=32", LayoutIssue::kFleet,
                  "layout: the fleet's 48 GPUs are not divisible by tp x pp x cp = 32 (dp must be "
                  "whole)"},
        BadLayout{"mixtral-8x7b", "64xH100", "tp=1,pp=8,ep=8,etp=2", LayoutIssue::kExpertGrid,
                  "layout: etp x ep = 16 does not divide tp x cp x dp = 8 (MoE parallel folding "
                  "needs etp x ep x edp = tp x cp x dp)"},
        BadLayout{"mixtral-8x7b", "64xH100", "vpp=2", LayoutIssue::kPipeline,
                  "layout: vpp=2 needs pp > 1 (virtual stages interleave the layers of a pipeline "
                  "rank)"},
        BadLayout{"mixtral-8x7b", "64xH100", "pp=16,vpp=4", LayoutIssue::kPipeline,
                  "layout: pp x vpp = 16 x 4 = 64 virtual stages exceed the limit of 34: the 32 "
                  "decoder layers + 2 (every stage needs a decoder layer, except that the "
                  "embedding and the loss can fill one stage each)"},
        // L + 3 = 64 stages for DeepSeek-V3's 61 layers: one too many.
        BadLayout{"deepseek-v3", "1024xH100", "pp=16,vpp=4,ep=64,etp=1,gbs=1024",
                  LayoutIssue::kPipeline,
                  "layout: pp x vpp = 16 x 4 = 64 virtual stages exceed the limit of 63: the 61 "
                  "decoder layers + 2 (every stage needs a decoder layer, except that the "
                  "embedding and the loss can fill one stage each)"},
        BadLayout{"mixtral-8x7b", "64xH100", "pp=4,ep=8,gbs=100", LayoutIssue::kBatch,
                  "layout: gbs=100 is not divisible by mbs x dp = 1 x 16"},
        BadLayout{"mixtral-8x7b", "64xH100", "pp=4,vpp=2,ep=8,gbs=96", LayoutIssue::kPipeline,
                  "layout: the interleaved schedule needs the 6 micro-batches (gbs / (mbs x dp)) "
                  "to be a multiple of pp=4, as Megatron-LM does"},
        BadLayout{"mixtral-8x7b", "64xA100", "precision=fp8", LayoutIssue::kPrecision,
                  "layout: precision fp8 is not supported by NVIDIA A100 SXM4 80GB"}));

TEST(LayoutCheckTest, ResolvesDerivedFieldsLikeMegatron) {
  Result<Layout> l =
      ResolveLayout(*ParseLayout("tp=2,pp=4,ep=8,mbs=2"), Preset("mixtral-8x7b"), Fleet("64xH100"));
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->etp, 2);   // expert TP defaults to tp
  EXPECT_EQ(l->dp, 8);    // 64 / (2 x 4 x 1)
  EXPECT_EQ(l->gbs, 16);  // mbs x dp
  EXPECT_EQ(l->Microbatches(), 1);
  EXPECT_EQ(l->World(), 64);
  EXPECT_EQ(l->Edp(), 1);  // 2 x 1 x 8 / (2 x 8)
}

TEST(LayoutCheckTest, FoldsExpertsAcrossTensorAndDataParallelRanks) {
  // ep = 64 spans tp = 2 and dp = 32 of the attention side (MoE parallel folding).
  Result<Layout> l = ResolveLayout(*ParseLayout("tp=2,pp=16,ep=64,etp=1,gbs=1024"),
                                   Preset("deepseek-v3"), Fleet("1024xH100"));
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->dp, 32);
  EXPECT_EQ(l->Edp(), 1);
}

TEST(LayoutCheckTest, AllowsLayersThatDoNotDivideEvenly) {
  // 61 layers over 16 stages: the split rule of sim/model_profile.h.
  EXPECT_TRUE(ResolveLayout(*ParseLayout("pp=16,ep=64,etp=1,gbs=1024"), Preset("deepseek-v3"),
                            Fleet("1024xH100"))
                  .ok());
}

TEST(LayoutCheckTest, AllowsTheEmbeddingAndTheLossAStageEach) {
  // Mixtral's 32 layers on up to L + 2 = 34 virtual stages (Megatron-LM's
  // --account-for-embedding/loss-in-pipeline-split): 2 x 17 interleaved, 33 and 34 in 1F1B.
  const laws::MoeArch mixtral = Preset("mixtral-8x7b");
  Result<Layout> interleaved =
      ResolveLayout(*ParseLayout("pp=2,vpp=17,ep=8,gbs=64"), mixtral, Fleet("64xH100"));
  ASSERT_TRUE(interleaved.ok()) << interleaved.error().message;
  EXPECT_EQ(interleaved->VirtualStages(), 34);
  hw::Fleet gpus = Fleet("64xH100");
  for (int64_t pp : {33, 34}) {
    gpus.num_gpus = pp;  // one GPU per stage (fleet specs come in whole 8-GPU nodes)
    Result<Layout> one_f_one_b =
        ResolveLayout(*ParseLayout(fmt::format("pp={}", pp)), mixtral, gpus);
    EXPECT_TRUE(one_f_one_b.ok()) << one_f_one_b.error().message;
  }
}

}  // namespace
}  // namespace moeplan::sim
