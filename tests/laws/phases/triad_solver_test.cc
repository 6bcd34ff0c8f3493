//===- tests/laws/phases/triad_solver_test.cc - Architectures meeting a triad ===//
/// Every candidate is re-counted here with laws::CountTriad and compared with the targets, so
/// "meets its targets" is checked with the exact accounting, independently of the solver's own
/// bookkeeping. Targets come from real models (their own triads: the solver must give the model
/// back), from a hand-derived small model, and from a grid of synthetic targets.
#include "laws/phases/triad_solver.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <string>

#include "laws/presets.h"

namespace moeplan::phases {
namespace {

// The exact triad of `arch` within `tolerance` of the problem's targets.
void ExpectMeetsTargets(const TriadProblem& p, const TriadCandidate& c) {
  const laws::Triad t = laws::CountTriad(c.arch, p.counting);
  EXPECT_EQ(t.total_params, c.triad.total_params);
  EXPECT_EQ(t.active_params, c.triad.active_params);
  EXPECT_DOUBLE_EQ(t.flops_per_token, c.triad.flops_per_token);
  EXPECT_LE(std::fabs(t.flops_per_token / p.flops_per_token.target - 1),
            p.flops_per_token.tolerance + 1e-12);
  EXPECT_LE(std::fabs(static_cast<double>(t.active_params) / p.active_params.target - 1),
            p.active_params.tolerance + 1e-12);
  EXPECT_LE(std::fabs(static_cast<double>(t.total_params) / p.total_params.target - 1),
            p.total_params.tolerance + 1e-12);
  EXPECT_TRUE(laws::Validate(c.arch, "candidate").ok());
  EXPECT_EQ(c.arch.moe.expert.intermediate_size % p.width_align, 0);
}

// A problem whose targets are `arch`'s own triad and whose fixed dimensions are arch's.
TriadProblem OwnTriad(const laws::MoeArch& arch, double tolerance) {
  const laws::Triad t = laws::CountTriad(arch);
  TriadProblem p;
  p.base = arch;
  p.flops_per_token = {t.flops_per_token, tolerance};
  p.active_params = {static_cast<double>(t.active_params), tolerance};
  p.total_params = {static_cast<double>(t.total_params), tolerance};
  return p;
}

bool SameShape(const laws::MoeArch& a, const laws::MoeArch& b) {
  return a.num_layers == b.num_layers &&
         a.moe.expert.intermediate_size == b.moe.expert.intermediate_size &&
         a.moe.num_experts == b.moe.num_experts && a.moe.top_k == b.moe.top_k &&
         a.moe.num_shared_experts == b.moe.num_shared_experts &&
         a.attention.num_heads == b.attention.num_heads;
}

class RealModelTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RealModelTest, GivesTheModelBackFromItsOwnTriad) {
  const laws::Preset* preset = laws::FindPreset(GetParam());
  ASSERT_NE(preset, nullptr);
  const TriadProblem p = OwnTriad(preset->arch, 0.01);
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_FALSE(s->candidates.empty()) << s->explanation;
  // The model itself has zero error, so it must come first (DeepSeek-V3: L 61, width 2048;
  // Qwen3-30B-A3B: L 48, width 768; Mixtral-8x7B: L 32, width 14336; all multiples of 64).
  EXPECT_TRUE(SameShape(s->candidates.front().arch, preset->arch))
      << "L " << s->candidates.front().arch.num_layers << " width "
      << s->candidates.front().arch.moe.expert.intermediate_size;
  EXPECT_EQ(s->candidates.front().worst, 0.0);
  for (const TriadCandidate& c : s->candidates) ExpectMeetsTargets(p, c);
}

TEST_P(RealModelTest, FreeExpertCountsStillMeetTheTriadSortedByWorstError) {
  const laws::Preset* preset = laws::FindPreset(GetParam());
  ASSERT_NE(preset, nullptr);
  TriadProblem p = OwnTriad(preset->arch, 0.02);
  p.num_experts = IntRange{1, 1024, 1};
  p.top_k = IntRange{1, 16, 1};
  p.shared_experts = IntRange{0, 2, 1};
  p.max_candidates = 16;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_FALSE(s->candidates.empty()) << s->explanation;
  EXPECT_EQ(s->candidates.front().worst, 0.0);
  for (size_t i = 0; i < s->candidates.size(); ++i) {
    ExpectMeetsTargets(p, s->candidates[i]);
    if (i > 0) {
      EXPECT_LE(s->candidates[i - 1].worst, s->candidates[i].worst);
    }
  }
}

TEST_P(RealModelTest, PerturbedTargetsAreMetWithinTolerance) {
  // 1.5% off the model's own triad in each direction, 2% tolerance.
  const laws::Preset* preset = laws::FindPreset(GetParam());
  ASSERT_NE(preset, nullptr);
  TriadProblem p = OwnTriad(preset->arch, 0.02);
  p.flops_per_token.target *= 1.015;
  p.active_params.target *= 0.985;
  p.total_params.target *= 1.015;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_FALSE(s->candidates.empty()) << s->explanation;
  for (const TriadCandidate& c : s->candidates) ExpectMeetsTargets(p, c);
}

std::string PresetTestName(const ::testing::TestParamInfo<const char*>& param) {
  std::string name = param.param;
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Presets, RealModelTest,
                         ::testing::Values("deepseek-v3", "qwen3-30b-a3b", "mixtral-8x7b"),
                         PresetTestName);

// MHA d = 1024 (8 heads of 128, MHA), RMSNorm, SwiGLU experts, N_e = 64, K = 8, width 512,
// S = 4096, L = 12. By hand, per layer (non-embedding, forward + backward, attention full):
//   attention 4 x 1024^2 = 4,194,304; norms 2 x 1024 = 2,048; router 1024 x 64 = 65,536;
//   one expert 3 x 1024 x 512 = 1,572,864 (64 of them: 100,663,296; 8 active: 12,582,912)
//   N per layer   = 4,194,304 + 2,048 + 65,536 + 100,663,296 = 104,925,184
//   N_a per layer = 4,194,304 + 2,048 + 65,536 + 12,582,912  = 16,844,800
//   M per layer   = 6 x (4,194,304 + 65,536 + 12,582,912) + 3 x 2 x 8 x (128 + 128) x 4096
//                 = 101,056,512 + 50,331,648 = 151,388,160
// and a final norm of 1024: N = 1,259,103,232, N_a = 202,138,624, M = 1,816,657,920.
laws::MoeArch HandModelBase() {
  laws::MoeArch a;
  a.name = "hand";
  a.vocab_size = 32000;
  a.seq_len = 4096;
  a.hidden_size = 1024;
  a.num_layers = 1;
  a.attention = {};
  a.attention.num_heads = 8;
  a.attention.num_kv_heads = 8;
  a.attention.head_dim = 128;
  a.attention.v_head_dim = 128;
  a.moe.num_experts = 64;
  a.moe.top_k = 8;
  a.moe.expert = {64, true, false};
  return a;
}

TEST(TriadSolverTest, FindsTheHandDerivedModel) {
  TriadProblem p;
  p.base = HandModelBase();
  p.flops_per_token = {1'816'657'920.0, 0.005};
  p.active_params = {202'138'624.0, 0.005};
  p.total_params = {1'259'103'232.0, 0.005};
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_FALSE(s->candidates.empty()) << s->explanation;
  const TriadCandidate& best = s->candidates.front();
  EXPECT_EQ(best.arch.num_layers, 12);
  EXPECT_EQ(best.arch.moe.expert.intermediate_size, 512);
  EXPECT_EQ(best.triad.total_params, 1'259'103'232);
  EXPECT_EQ(best.triad.active_params, 202'138'624);
  EXPECT_DOUBLE_EQ(best.triad.flops_per_token, 1'816'657'920.0);
  for (const TriadCandidate& c : s->candidates) ExpectMeetsTargets(p, c);
}

TEST(TriadSolverTest, WidthsFollowTheAlignment) {
  // Qwen3-30B-A3B's width 768 is a multiple of 128 too: found with align 128.
  TriadProblem p = OwnTriad(laws::FindPreset("qwen3-30b-a3b")->arch, 0.01);
  p.width_align = 128;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  ASSERT_FALSE(s->candidates.empty()) << s->explanation;
  EXPECT_EQ(s->candidates.front().arch.moe.expert.intermediate_size, 768);
  for (const TriadCandidate& c : s->candidates) ExpectMeetsTargets(p, c);
}

// A grid of synthetic targets at d = 1024: whatever the solver returns meets them.
class SyntheticTargetTest : public ::testing::TestWithParam<std::tuple<double, double, double>> {};

TEST_P(SyntheticTargetTest, EveryCandidateMeetsTheTargets) {
  const auto [m, na_over_m, n_over_na] = GetParam();
  TriadProblem p;
  p.base = HandModelBase();
  p.flops_per_token = {m, 0.03};
  p.active_params = {na_over_m * m, 0.03};
  p.total_params = {n_over_na * na_over_m * m, 0.03};
  p.num_experts = IntRange{1, 4096, 1};
  p.top_k = IntRange{4, 16, 1};
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_FALSE(s->candidates.empty()) << s->explanation;
  for (const TriadCandidate& c : s->candidates) ExpectMeetsTargets(p, c);
}

INSTANTIATE_TEST_SUITE_P(Grid, SyntheticTargetTest,
                         ::testing::Combine(::testing::Values(1e9, 4e9, 2e10),
                                            ::testing::Values(0.10, 0.13, 0.15),
                                            ::testing::Values(4.0, 8.0, 20.0)));

TEST(TriadSolverTest, ExplainsARatioTheExpertCountsCannotReach) {
  // N_e = 64, K = 8 and no shared experts: the experts' N/N_a share is at most 64/8 = 8, and
  // attention only dilutes it, so N/N_a = 40 is out of reach.
  TriadProblem p = OwnTriad(laws::FindPreset("qwen3-30b-a3b")->arch, 0.02);
  p.base.moe.num_experts = 64;
  p.total_params.target = 40 * p.active_params.target;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->candidates.empty());
  EXPECT_NE(s->explanation.find("N/N_a = 40 needs (N_e + s)/(K + s) >="), std::string::npos)
      << s->explanation;
  EXPECT_NE(s->explanation.find("N_e = 64, K = 8, s = 0 gives at most 8"), std::string::npos)
      << s->explanation;
  ASSERT_TRUE(s->nearest.has_value());
}

TEST(TriadSolverTest, ExplainsAnAttentionShareThatNeedsTooManyLayers) {
  // Triple M at the same N_a: M - 6 N_a, the attention share, asks for far more layers than
  // N_a can hold.
  TriadProblem p = OwnTriad(laws::FindPreset("deepseek-v3")->arch, 0.02);
  p.flops_per_token.target *= 3;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->candidates.empty());
  EXPECT_NE(s->explanation.find("M - 6 N_a"), std::string::npos) << s->explanation;
  EXPECT_NE(s->explanation.find("is the attention share"), std::string::npos) << s->explanation;
  EXPECT_NE(s->explanation.find("allows at most"), std::string::npos) << s->explanation;
}

TEST(TriadSolverTest, ExplainsAnMNotAboveSixNa) {
  TriadProblem p = OwnTriad(laws::FindPreset("deepseek-v3")->arch, 0.02);
  p.flops_per_token.target = 5.0 * p.active_params.target;  // below 6 N_a
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->candidates.empty());
  EXPECT_NE(s->explanation.find("is not above 6 N_a"), std::string::npos) << s->explanation;
}

TEST(TriadSolverTest, ExplainsTotalBelowActive) {
  TriadProblem p = OwnTriad(laws::FindPreset("qwen3-30b-a3b")->arch, 0.02);
  p.total_params.target = 0.5 * p.active_params.target;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->candidates.empty());
  EXPECT_NE(s->explanation.find("is below N_a"), std::string::npos) << s->explanation;
}

TEST(TriadSolverTest, ExplainsAnAttentionShareTooLargeForTheFewestLayers) {
  // Qwen3-30B-A3B's layer (d = 2048, 32 heads of 128, S = 4096) costs 3 x 2 x 32 x 256 x 4096
  // = 2.01e8 FLOPs of score products; M - 6 N_a = 1e8 is half a layer, but L >= 4 is asked.
  TriadProblem p = OwnTriad(laws::FindPreset("qwen3-30b-a3b")->arch, 0.01);
  p.num_layers = IntRange{4, 1024, 1};
  p.active_params.target = 1e9;
  p.flops_per_token.target = 6e9 + 1e8;
  p.total_params.target = 1e10;
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->candidates.empty());
  EXPECT_NE(s->explanation.find("is the attention share"), std::string::npos) << s->explanation;
  EXPECT_NE(s->explanation.find("but at least 4 are required"), std::string::npos)
      << s->explanation;
}

TEST(TriadSolverTest, RejectsBadProblems) {
  const TriadProblem good = OwnTriad(laws::FindPreset("qwen3-30b-a3b")->arch, 0.02);
  TriadProblem p = good;
  p.flops_per_token.target = 0;
  EXPECT_NE(SolveTriad(p).error().message.find("triad target M: expected a positive number"),
            std::string::npos);
  p = good;
  p.active_params.target = std::nan("");
  EXPECT_FALSE(SolveTriad(p).ok());
  p = good;
  p.total_params.tolerance = -0.01;
  EXPECT_NE(SolveTriad(p).error().message.find("tolerance of N: expected a relative tolerance"),
            std::string::npos);
  p = good;
  p.total_params.tolerance = 1.0;
  EXPECT_FALSE(SolveTriad(p).ok());
  p = good;
  p.top_k = IntRange{8, 4, 1};
  EXPECT_NE(SolveTriad(p).error().message.find("range of top_k"), std::string::npos);
  p = good;
  p.width_align = 0;
  EXPECT_FALSE(SolveTriad(p).ok());
  p = good;
  p.base.layer_attention.assign(static_cast<size_t>(p.base.num_layers),
                                laws::LayerAttention::kGlobal);
  EXPECT_NE(SolveTriad(p).error().message.find("per-layer attention kinds"), std::string::npos);
}

TEST(TriadSolverTest, FreeHeadsHoldAFixedDepth) {
  // DeepSeek-V3's triad at a fixed depth of 61 with the heads free: its 128 heads come back.
  TriadProblem p = OwnTriad(laws::FindPreset("deepseek-v3")->arch, 0.01);
  p.num_layers = IntRange::Fixed(61);
  p.num_heads = IntRange{8, 256, 8};
  Result<TriadSolution> s = SolveTriad(p);
  ASSERT_TRUE(s.ok());
  ASSERT_FALSE(s->candidates.empty()) << s->explanation;
  EXPECT_EQ(s->candidates.front().arch.attention.num_heads, 128);
  for (const TriadCandidate& c : s->candidates) {
    EXPECT_EQ(c.arch.num_layers, 61);
    ExpectMeetsTargets(p, c);
  }
}

TEST(TriadSolverTest, DescribesErrorsWithSigns) {
  TriadCandidate c;
  c.error_m = 0.0031;
  c.error_na = -0.012;
  c.error_n = 0.0005;
  EXPECT_EQ(DescribeErrors(c), "M +0.31%, N_a -1.20%, N +0.05%");
}

}  // namespace
}  // namespace moeplan::phases
