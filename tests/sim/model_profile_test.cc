//===- tests/sim/model_profile_test.cc - Layer kinds and the pipeline split ===//
#include "sim/model_profile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "laws/accounting.h"
#include "laws/presets.h"

namespace moeplan::sim {
namespace {

std::vector<int64_t> Sizes(int64_t layers, int64_t stages, int64_t first = 0, int64_t last = 0) {
  std::vector<int64_t> sizes;
  int64_t next = 0;
  for (int64_t s = 0; s < stages; ++s) {
    const StageSpan span = StageLayers(layers, stages, s, first, last);
    EXPECT_EQ(span.begin, next) << "stage " << s;  // contiguous
    next = span.end;
    sizes.push_back(span.size());
  }
  EXPECT_EQ(next, layers);
  return sizes;
}

TEST(ModelProfileTest, SplitGivesExtraLayersToTheMiddleStages) {
  EXPECT_EQ(Sizes(8, 4), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(Sizes(10, 4), (std::vector<int64_t>{2, 3, 3, 2}));
  EXPECT_EQ(Sizes(11, 4), (std::vector<int64_t>{3, 3, 3, 2}));  // 3 extra: stages 1, 2, then 0
  EXPECT_EQ(Sizes(5, 2), (std::vector<int64_t>{3, 2}));
  // 61 = 16 x 3 + 13: stages 1-13 get a fourth layer.
  std::vector<int64_t> expected(16, 4);
  expected[0] = expected[14] = expected[15] = 3;
  EXPECT_EQ(Sizes(61, 16), expected);
}

TEST(ModelProfileTest, SplitReservesLayerUnitsForTheEnds) {
  // 61 layers + 4 units for the LM head and MTP: 65 = 16 x 4 + 1, the extra unit to stage 1,
  // the last stage's 4 units all taken by its reserve.
  std::vector<int64_t> expected(16, 4);
  expected[1] = 5;
  expected[15] = 0;
  EXPECT_EQ(Sizes(61, 16, 0, 4), expected);
  // One reserve unit at each end of 8 layers on 2 stages: 10 units, 5 each.
  EXPECT_EQ(Sizes(8, 2, 1, 1), (std::vector<int64_t>{4, 4}));
  // Reserves are capped at L / (S - 1): no stage goes below zero layers.
  EXPECT_EQ(Sizes(4, 4, 0, 100), (std::vector<int64_t>{1, 2, 1, 0}));
}

TEST(ModelProfileTest, UpToTwoStagesMoreThanLayersHoldTheEmbeddingAndTheLoss) {
  // Llama 3.1 405B in Megatron-Bridge: 126 layers on pp = 16 x vpp = 8 = 128 stages. 128 units
  // (126 layers, the embedding, the loss), one per stage: stage 0 = [0, 0) with the embedding,
  // stage s = [s - 1, s), stage 127 = [126, 126) with the head and loss. The cost-based
  // reserves are ignored: each end is one unit.
  for (int64_t reserve : {0, 3}) {
    for (int64_t s = 0; s < 128; ++s) {
      const StageSpan span = StageLayers(126, 128, s, reserve, reserve);
      EXPECT_EQ(span.begin, s == 0 ? 0 : s - 1) << "stage " << s;
      EXPECT_EQ(span.end, std::min<int64_t>(s, 126)) << "stage " << s;
    }
  }
  // 4 layers on 6 stages: the same one unit per stage.
  EXPECT_EQ(Sizes(4, 6), (std::vector<int64_t>{0, 1, 1, 1, 1, 0}));
  EXPECT_EQ(Sizes(4, 6, 5, 5), (std::vector<int64_t>{0, 1, 1, 1, 1, 0}));
  // 4 layers on 5 stages: 6 units = 5 x 1 + 1, the extra unit to stage 1.
  EXPECT_EQ(Sizes(4, 5), (std::vector<int64_t>{0, 2, 1, 1, 0}));
  // One layer on 3 stages and on 2 (the extra unit goes to stage 0 when there is no middle).
  EXPECT_EQ(Sizes(1, 3), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(Sizes(1, 2), (std::vector<int64_t>{1, 0}));
  // At stages <= layers nothing changes: the reserves still count by cost.
  EXPECT_EQ(Sizes(4, 4), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(Sizes(4, 4, 0, 100), (std::vector<int64_t>{1, 2, 1, 0}));
}

TEST(ModelProfileTest, KindsCountsAndFlops) {
  const laws::MoeArch arch = laws::FindPreset("deepseek-v3")->arch;
  const ModelProfile profile = *BuildProfile(arch);
  ASSERT_EQ(profile.num_kinds, 2);  // dense and MoE; the MTP layer is MoE
  EXPECT_FALSE(profile.kinds[0].is_moe);
  EXPECT_EQ(profile.CountKind(0, 0, 61), 3);
  EXPECT_EQ(profile.CountKind(1, 0, 61), 58);
  EXPECT_EQ(profile.CountKind(1, 2, 10), 7);
  EXPECT_EQ(profile.mtp_kind, (std::vector<int>{1}));
  laws::CountingOptions causal = laws::CountingOptions::ModelCard();
  causal.include_mtp = true;
  causal.attention = laws::AttentionCounting::kCausal;
  EXPECT_DOUBLE_EQ(profile.model_flops_per_token[0],
                   laws::CountTriad(arch, causal).flops_per_token);
  EXPECT_LT(profile.model_flops_per_token[0], profile.model_flops_per_token[1]);
  EXPECT_EQ(BuildProfile(arch, 8192)->arch.seq_len, 8192);
}

}  // namespace
}  // namespace moeplan::sim
