//===- tests/sim/sweep/joint_moe_loss_test.cc - The joint MoE law in the evaluator ---===//
/// \file
/// The evaluator with the joint MoE law of Ludziejewski et al. 2025 (arXiv:2502.05172): the
/// effective expert count E_eff of hand-countable architectures, the loss of a candidate
/// against Eq. 6 written out here, and that a warm evaluation allocates nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"
#include "sim/sweep/evaluator.h"
#include "tests/allocation_counter.h"

namespace moeplan::plan {
namespace {

void Set(SweepSpace& s, ArchDim d, std::vector<int64_t> v) {
  s.arch[static_cast<size_t>(d)] = std::move(v);
}

// MHA (kv heads = heads = d / 64), d = 1024, L = 4, V = 1000, S = 128, SwiGLU, untied.
SweepSpace SmallSpace(int64_t experts, int64_t top_k, int64_t width, int64_t shared,
                      int64_t first_dense) {
  SweepSpace s = *BuiltinSpace("default");
  Set(s, ArchDim::kHiddenSize, {1024});
  Set(s, ArchDim::kNumLayers, {4});
  Set(s, ArchDim::kNumExperts, {experts});
  Set(s, ArchDim::kTopK, {top_k});
  Set(s, ArchDim::kExpertWidth, {width});
  Set(s, ArchDim::kSharedExperts, {shared});
  Set(s, ArchDim::kFirstDenseLayers, {first_dense});
  Set(s, ArchDim::kNumHeads, {0});
  Set(s, ArchDim::kNumKvHeads, {0});
  Set(s, ArchDim::kHeadDim, {64});
  Set(s, ArchDim::kDenseFfnWidth, {0});
  Set(s, ArchDim::kVocabSize, {1000});
  Set(s, ArchDim::kSeqLen, {128});
  return s;
}

struct Fixture {
  hw::Fleet fleet = *hw::LoadFleet("8xH100");
  LossModel loss = *MakeLossModel(*scaling::FindLawPreset("ludziejewski2025"));
  EvalOptions options;
  Fixture() {
    options.objective = Objective::kLossAtCompute;
    options.compute = 1e20;
    options.fixed_mfu = 0.5;
  }
  CandidateResult Evaluate(const SweepSpace& space) const {
    Evaluator evaluator(space, fleet, loss, options);
    CandidateResult out;
    evaluator.Evaluate(0, std::numeric_limits<double>::infinity(), out);
    return out;
  }
};

TEST(JointMoeLossTest, PresetMakesAJointModel) {
  const Fixture f;
  EXPECT_EQ(f.loss.kind, LossModel::Kind::kJointMoe);
  EXPECT_EQ(f.loss.joint[0], 35.91);      // a, Table 3
  EXPECT_EQ(f.loss.joint[10], 290.4521);  // E_max
}

TEST(JointMoeLossTest, EffectiveExpertsOfHandCountableArchitectures) {
  const Fixture f;
  // Dense: no routed or shared experts, every FFN parameter active: exactly 1.
  SweepSpace dense = SmallSpace(0, 0, 0, 0, 0);
  CandidateResult r = f.Evaluate(dense);
  ASSERT_EQ(r.reject, Reject::kNone);
  EXPECT_EQ(r.effective_experts, 1.0);
  // Top-1, granularity 1 (expert width 3d = 3072), 8 experts in every layer, no shared
  // experts: per layer 8 x 3 d w total, 1 x 3 d w active: exactly 8.
  r = f.Evaluate(SmallSpace(8, 1, 3072, 0, 0));
  ASSERT_EQ(r.reject, Reject::kNone);
  EXPECT_EQ(r.effective_experts, 8.0);
  // Fine-grained with a shared expert and a leading dense layer: N_e = 64, K = 6, expert
  // width 512, 1 shared expert of width 512, first dense layer with the default SwiGLU width
  // f = 128 ceil(8 x 1024 / 3 / 128) = 2816. Every FFN of width w has 3 d w parameters, so in
  // units of 3 d:  total  = 3 MoE layers x (64 + 1) x 512 + 2816 = 99,840 + 2,816 = 102,656
  //                active = 3 MoE layers x (6 + 1) x 512 + 2816 = 10,752 + 2,816 = 13,568
  // E_eff = 102,656 / 13,568 = (2^8 x 401) / (2^8 x 53) = 401 / 53 = 7.566038.
  r = f.Evaluate(SmallSpace(64, 6, 512, 1, 1));
  ASSERT_EQ(r.reject, Reject::kNone);
  EXPECT_DOUBLE_EQ(r.effective_experts, 401.0 / 53.0);
  // Fine-grained top-8 of 256 without shared experts: 256 / 8 = 32.
  r = f.Evaluate(SmallSpace(256, 8, 512, 0, 0));
  EXPECT_EQ(r.effective_experts, 32.0);
}

TEST(JointMoeLossTest, CandidateLossIsEquationSixByHand) {
  const Fixture f;
  const CandidateResult r = f.Evaluate(SmallSpace(8, 1, 3072, 0, 0));
  ASSERT_EQ(r.reject, Reject::kNone);
  // Hand count, d = 1024, w = 3072, L = 4, V = 1000, S = 128, 16 heads of 64, 8 experts:
  //   per layer active: attention 4 d^2 = 4,194,304; norms 2 d = 2,048; router d N_e plus
  //   N_e balancing biases = 8,200; one expert 3 d w = 9,437,184; sum 13,641,736.
  //   N_act = 4 x 13,641,736 + embedding V d + LM head V d + final norm d
  //         = 54,566,944 + 1,024,000 + 1,024,000 + 1,024 = 56,615,968.
  //   M = 4 x (6 x (4 d^2 + d N_e + 3 d w) + 12 S d) = 4 x (81,838,080 + 1,572,864)
  //     = 333,643,776 FLOPs/token (non-embedding, fwd+bwd, attention full).
  const double n_act = 56615968, m = 333643776;
  EXPECT_EQ(r.active_params, 56615968);
  EXPECT_EQ(r.flops_per_token, m);
  const double tokens = 1e20 / m;
  EXPECT_NEAR(r.tokens, tokens, 1e-12 * tokens);
  // Eq. 6 with Table 3's coefficients at E = 8:
  //   1/Ê = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max   (Eq. 4)
  //   L = c + a Ê^delta N^(alpha + gamma ln Ê) + b Ê^omega D^(beta + zeta ln Ê)
  const double a = 35.91, alpha = -0.1889, gamma = 0.0098, delta = -0.2285;
  const double b = 35.98, beta = -0.1775, zeta = -0.0259, omega = 0.5529, c = 1.3637;
  const double e_start = 2.0732, e_max = 290.4521, e = 8;
  const double e_hat = 1 / (1 / (e - 1 + 1 / (1 / e_start - 1 / e_max)) + 1 / e_max);
  EXPECT_NEAR(e_hat, 8.81237, 1e-5);  // tests/laws/scaling/law_presets_test.cc, by hand
  const double h = std::log(e_hat);
  const double loss = c + a * std::pow(e_hat, delta) * std::pow(n_act, alpha + gamma * h) +
                      b * std::pow(e_hat, omega) * std::pow(tokens, beta + zeta * h);
  EXPECT_NEAR(r.loss, loss, 1e-12 * loss);
  EXPECT_EQ(r.objective, r.loss);
}

TEST(JointMoeLossTest, TotalParamsConventionIsRejected) {
  Result<LossModel> m =
      MakeLossModel(*scaling::FindLawPreset("ludziejewski2025"), LawParams::kTotal);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("expected --law-params active, got total"), std::string::npos)
      << m.error().message;
}

TEST(JointMoeLossTest, LawUndefinedAtTheExpertCountIsRejected) {
  // alpha + gamma ln Ê >= 0 from Ê = e^2 on: the law no longer decreases in N at E = 32.
  Fixture f;
  f.loss.joint[2] = 0.1889 / 2;
  CandidateResult r = f.Evaluate(SmallSpace(256, 8, 512, 0, 0));
  EXPECT_EQ(r.reject, Reject::kLawDomain);
  r = f.Evaluate(SmallSpace(0, 0, 0, 0, 0));  // Ê = E_start = 2.07 < e^2: still defined
  EXPECT_EQ(r.reject, Reject::kNone);
}

TEST(JointMoeLossTest, WarmEvaluationDoesNotAllocate) {
  const Fixture f;
  SweepSpace space = SmallSpace(8, 1, 3072, 0, 0);
  Set(space, ArchDim::kNumExperts, {8, 16, 32, 64});
  Set(space, ArchDim::kTopK, {1, 2, 4});
  Evaluator evaluator(space, f.fleet, f.loss, f.options);
  CandidateResult out;
  evaluator.Evaluate(0, std::numeric_limits<double>::infinity(), out);  // warm-up
  const int64_t before = moeplan::testing::AllocationCount();
  double sink = 0;
  for (int64_t i = 0; i < space.NumArchCandidates(); ++i) {
    evaluator.Evaluate(i, std::numeric_limits<double>::infinity(), out);
    sink += out.loss;
  }
  EXPECT_EQ(moeplan::testing::AllocationCount() - before, 0);
  EXPECT_GT(sink, 0.0);
}

}  // namespace
}  // namespace moeplan::plan
