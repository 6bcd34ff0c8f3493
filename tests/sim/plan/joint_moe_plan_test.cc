//===- tests/sim/plan/joint_moe_plan_test.cc - Plans under the joint MoE law ---===//
/// \file
/// The planner with the joint MoE law of Ludziejewski et al. 2025 (arXiv:2502.05172, the
/// default law of `moeplan plan`). At a fixed expert count the law is a Chinchilla law
/// (their Eq. 5, Table 4), so a FLOPs-only plan over models that differ only in depth must land
/// on that law's closed-form compute-optimal N_act and D (Hoffmann et al. 2022, Eq. 4),
/// computed here from the paper's coefficients, and on the paper's own Table 1.
#include <gtest/gtest.h>

#include <cmath>

#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"
#include "sim/plan/planner.h"

namespace moeplan::plan {
namespace {

void Set(SweepSpace& s, ArchDim d, std::vector<int64_t> v) {
  s.arch[static_cast<size_t>(d)] = std::move(v);
}

// The paper's models at E = 8: top-1 Switch MoE in every block, experts of width 3 d (their
// dense FFN, granularity 1), no shared experts, MHA with head dim 64; d = 2048 and the depth
// L = 40..100 free, so N_act ~ L x 13 d^2 moves in steps of ~1.4% around the optimum. A small
// vocabulary (1024) and sequence (128) keep moeplan's M within ~1% of the paper's 6 N_act:
// attention adds 12 S d per layer (3.1e6 against 6 x 5.45e7) and M omits the embedding.
SweepSpace DepthSpace() {
  SweepSpace s = *BuiltinSpace("default");
  std::vector<int64_t> layers;
  for (int64_t l = 40; l <= 100; ++l) layers.push_back(l);
  Set(s, ArchDim::kHiddenSize, {2048});
  Set(s, ArchDim::kNumLayers, layers);
  Set(s, ArchDim::kNumExperts, {8});
  Set(s, ArchDim::kTopK, {1});
  Set(s, ArchDim::kExpertWidth, {3 * 2048});
  Set(s, ArchDim::kSharedExperts, {0});
  Set(s, ArchDim::kFirstDenseLayers, {0});
  Set(s, ArchDim::kNumHeads, {0});
  Set(s, ArchDim::kNumKvHeads, {0});
  Set(s, ArchDim::kHeadDim, {64});
  Set(s, ArchDim::kVocabSize, {1024});
  Set(s, ArchDim::kSeqLen, {128});
  return s;
}

TEST(JointMoePlanTest, FixedExpertCountPlanIsTheClosedFormOptimum) {
  PlanRequest r;
  r.fleet = *hw::LoadFleet("8xH100");
  r.law = *scaling::FindLawPreset("ludziejewski2025");
  r.hyper_law = *scaling::FindLawPreset("deepseek-llm-2024");
  r.space = DepthSpace();
  r.objective = Objective::kLossAtCompute;
  r.compute = 1e21;
  r.fixed_mfu = 0.4;
  r.threads = 2;
  auto plan = Plan(r);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->best.effective_experts, 8.0);

  // The law at E = 8 (Table 3 coefficients, Eq. 4 and Eq. 6):
  //   Ê = 8.81237, ln Ê = 2.176156; A = a Ê^delta = 21.8405, alpha' = 0.1889 - 0.0098 ln Ê =
  //   0.167574; B = b Ê^omega = 119.8403, beta' = 0.1775 + 0.0259 ln Ê = 0.233862.
  // Closed form with C = 6 N_act D: G = (alpha' A / (beta' B))^(1/(alpha'+beta')) = 0.0062784,
  //   N_opt = G (C/6)^(beta'/(alpha'+beta')) = 0.0062784 x (1.6667e20)^0.582563 = 3.79e9,
  //   D_opt = G^-1 (C/6)^(alpha'/(alpha'+beta')) = C / (6 N_opt) = 4.40e10.
  const double e_start = 2.0732, e_max = 290.4521, e = 8;
  const double e_hat = 1 / (1 / (e - 1 + 1 / (1 / e_start - 1 / e_max)) + 1 / e_max);
  const double h = std::log(e_hat);
  const double A = 35.91 * std::pow(e_hat, -0.2285), alpha = 0.1889 - 0.0098 * h;
  const double B = 35.98 * std::pow(e_hat, 0.5529), beta = 0.1775 + 0.0259 * h;
  const double g = std::pow(alpha * A / (beta * B), 1 / (alpha + beta));
  const double n_opt = g * std::pow(r.compute / 6, beta / (alpha + beta));
  const double d_opt = std::pow(r.compute / 6, alpha / (alpha + beta)) / g;
  EXPECT_NEAR(n_opt, 3.79e9, 0.01e9);
  EXPECT_NEAR(d_opt, 4.40e10, 0.01e10);

  // The plan: N_act and D within 1.5%: the grid's half step (0.7%) plus the shift of M
  // against 6 N_act (~1% more FLOPs moves N_opt by ~0.6%, and D = C / M the other way).
  const double n = static_cast<double>(plan->best.active_params);
  EXPECT_NEAR(n / n_opt, 1.0, 0.015) << n;
  EXPECT_NEAR(plan->best.tokens / d_opt, 1.0, 0.015) << plan->best.tokens;
  // The optimum is interior to the grid: the test discriminates.
  const int64_t layers = plan->best.values[static_cast<size_t>(ArchDim::kNumLayers)];
  EXPECT_GT(layers, 40);
  EXPECT_LT(layers, 100);

  // Ludziejewski et al. 2025, Sec. 4.1, Table 1 at 1e21 FLOPs and E = 8: N_act 3.8e9,
  // D 44.3e9 (printed from unrounded coefficients; Table 3's rounding moves them by <= 2.1%).
  EXPECT_NEAR(n / 3.8e9, 1.0, 0.025);
  EXPECT_NEAR(plan->best.tokens / 44.3e9, 1.0, 0.025);

  // The preset publishes no standard errors: no interval; at 1e21 FLOPs
  // N_act (3.8e9) is beyond the fitted 2.7e9, while D (4.4e10) and E (8) are inside.
  EXPECT_FALSE(plan->has_interval);
  EXPECT_EQ(plan->interval_note, "no interval: the law has no standard errors");
  ASSERT_EQ(plan->extrapolation.size(), 1u);
  EXPECT_EQ(plan->extrapolation[0].variable, "N");
  EXPECT_EQ(plan->extrapolation[0].value, n);
  EXPECT_EQ(plan->extrapolation[0].max, 2.7e9);
}

TEST(JointMoePlanTest, MoreExpertsWinAtEqualActiveShape) {
  // At fixed N_act and D the joint law prefers E = 8 to E = 1 (Table 4: lower loss at every
  // N_act, D of the range), so with the depth fixed a free expert count picks the sparser model.
  PlanRequest r;
  r.fleet = *hw::LoadFleet("8xH100");
  r.law = *scaling::FindLawPreset("ludziejewski2025");
  r.hyper_law = *scaling::FindLawPreset("deepseek-llm-2024");
  r.space = DepthSpace();
  Set(r.space, ArchDim::kNumLayers, {24});
  Set(r.space, ArchDim::kNumExperts, {1, 2, 4, 8});
  r.objective = Objective::kLossAtCompute;
  r.compute = 1e20;
  r.fixed_mfu = 0.4;
  r.threads = 2;
  auto plan = Plan(r);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->best.values[static_cast<size_t>(ArchDim::kNumExperts)], 8);
  EXPECT_EQ(plan->best.effective_experts, 8.0);
}

}  // namespace
}  // namespace moeplan::plan
