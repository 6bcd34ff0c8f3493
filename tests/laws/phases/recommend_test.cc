//===- tests/laws/phases/recommend_test.cc - A budget to an architecture ---===//
/// Expected values are the published laws evaluated by hand (wan2026 M_opt, deepseek-llm-2024
/// eta_opt and B_opt), the Chinchilla formula of epoch2024 written out, and the exact accounting
/// re-run on the recommended architecture.
#include "laws/phases/recommend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "laws/scaling/law_json.h"
#include "laws/scaling/law_presets.h"

namespace moeplan::phases {
namespace {

TEST(RecommendTest, DefaultLawsAtOneE20) {
  // wan2026: M_opt = 0.0437 (C / 1e18)^0.5437 x 1e10 FLOPs/token. At C = 1e20:
  //   100^0.5437 = 10^1.0874 = 12.230, so M_opt = 0.0437 x 12.230 x 1e10 = 5.345e9.
  // deepseek-llm-2024: eta = 0.3118 x 1e20^-0.125 = 9.860e-4; B = 0.2920 x 1e20^0.3271 =
  // 1.0171e6 tokens.
  const double m_opt = 0.0437 * std::pow(100.0, 0.5437) * 1e10;
  ASSERT_NEAR(m_opt, 5.345e9, 0.001e9);
  RecommendOptions o;
  o.compute = 1e20;
  Result<Recommendation> r = Recommend(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const laws::Triad t = laws::CountTriad(r->chosen.arch);
  EXPECT_EQ(t.total_params, r->chosen.triad.total_params);
  EXPECT_EQ(t.active_params, r->chosen.triad.active_params);
  EXPECT_DOUBLE_EQ(t.flops_per_token, r->chosen.triad.flops_per_token);
  EXPECT_LE(std::fabs(t.flops_per_token / m_opt - 1), o.arch.tolerance);
  EXPECT_NEAR(r->tokens * t.flops_per_token / 1e20, 1.0, 1e-12);
  EXPECT_NEAR(r->learning_rate, 0.3118 * std::pow(10.0, -2.5), 1e-12);
  EXPECT_NEAR(r->batch_tokens / (0.2920 * std::pow(1e20, 0.3271)), 1.0, 1e-12);
  // The realised ratios are the default laws' within tolerance (N_a/M, N/N_a as asked).
  EXPECT_LE(std::fabs(static_cast<double>(t.active_params) / r->target_na - 1), o.arch.tolerance);
  EXPECT_LE(std::fabs(static_cast<double>(t.total_params) / r->target_n - 1), o.arch.tolerance);
  EXPECT_EQ(r->allocation.m_opt.source, "wan2026");
  EXPECT_EQ(r->allocation.learning_rate.source, "deepseek-llm-2024");
  EXPECT_FALSE(r->loss.has_value());
}

TEST(RecommendTest, OverridesAreRealised) {
  RecommendOptions o;
  o.compute = 3e20;
  o.allocation.na_over_m = 0.12;
  o.allocation.n_over_na = 12;
  o.allocation.hidden_size = 2048;
  Result<Recommendation> r = Recommend(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const laws::Triad& t = r->chosen.triad;
  const double na_over_m = static_cast<double>(t.active_params) / t.flops_per_token;
  EXPECT_NEAR(na_over_m / 0.12, 1.0, 2.1 * o.arch.tolerance);
  EXPECT_EQ(r->chosen.arch.hidden_size, 2048);
  EXPECT_EQ(r->allocation.na_over_m.source, "--na-over-m");
}

TEST(RecommendTest, PredictsTheLossWithABandFromStandardErrors) {
  // epoch2024: L = 1.8169 + 482.01 / N^0.3478 + 2085.43 / D^0.3658, N = active parameters with
  // embedding and LM head, D = tokens; its coefficients carry standard errors.
  RecommendOptions o;
  o.compute = 1e20;
  o.loss_law = "epoch2024";
  Result<Recommendation> r = Recommend(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->loss.has_value());
  const laws::Triad card = laws::CountTriad(r->chosen.arch, laws::CountingOptions::ModelCard());
  const double n = static_cast<double>(card.active_params);
  const double expected =
      1.8169 + 482.01 / std::pow(n, 0.3478) + 2085.43 / std::pow(r->tokens, 0.3658);
  EXPECT_NEAR(r->loss->value, expected, 1e-9);
  ASSERT_TRUE(r->loss->low && r->loss->high);
  EXPECT_LT(*r->loss->low, r->loss->value);
  EXPECT_GT(*r->loss->high, r->loss->value);
  // Symmetric: delta method.
  EXPECT_NEAR(r->loss->value - *r->loss->low, *r->loss->high - r->loss->value, 1e-12);
}

TEST(RecommendTest, NoBandWithoutStandardErrors) {
  RecommendOptions o;
  o.compute = 1e20;
  o.loss_law = "hoffmann2022";
  o.loss_params = LossParams::kTotal;
  Result<Recommendation> r = Recommend(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->loss.has_value());
  EXPECT_FALSE(r->loss->low.has_value());
  EXPECT_NE(r->loss->note.find("no band"), std::string::npos);
}

TEST(RecommendTest, DepthLawChoosesAmongRealisingCandidates) {
  // A law file with M_opt and num_layers_opt only; the rest comes from the defaults.
  scaling::LawFile file = *scaling::FindLawPreset("wan2026");
  scaling::Law layers = file.laws.front();
  layers.target = {"num_layers_opt", "depth", 1.0, {}};
  layers.coefficients = {{"k", 24.0, {}, {}, {}, ""}, {"e", 0.0, {}, {}, {}, ""}};
  file.laws.push_back(layers);
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("moeplan_recommend_laws_" + std::to_string(::getpid()) + ".json");
  ASSERT_TRUE(scaling::WriteLawFile(path, file).ok());
  RecommendOptions o;
  o.compute = 1e20;
  o.allocation.laws = path.string();
  Result<Recommendation> r = Recommend(o);
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->allocation.num_layers.has_value());
  EXPECT_NEAR(r->allocation.num_layers->value, 24.0, 1e-9);
  // The unconstrained best at this d, for comparison: the depth law moves towards 24 or stays.
  RecommendOptions plain;
  plain.compute = 1e20;
  Result<Recommendation> p = Recommend(plain);
  ASSERT_TRUE(p.ok());
  EXPECT_LE(std::fabs(std::log(static_cast<double>(r->chosen.arch.num_layers) / 24.0)),
            std::fabs(std::log(static_cast<double>(p->chosen.arch.num_layers) / 24.0)) + 1e-12);
}

TEST(RecommendTest, BadInputIsAnError) {
  RecommendOptions o;
  o.compute = 0;
  EXPECT_NE(Recommend(o).error().message.find("expected a positive number of FLOPs"),
            std::string::npos);
  o.compute = -1e20;
  EXPECT_FALSE(Recommend(o).ok());
  o.compute = 1e20;
  o.allocation.laws = "no-such-law";
  EXPECT_NE(Recommend(o).error().message.find("neither a law preset"), std::string::npos);
  o.allocation.laws.clear();
  o.loss_law = "deepseek-llm-2024";  // allocation laws only, no "L"
  EXPECT_NE(Recommend(o).error().message.find("expected a law of target 'L'"), std::string::npos);
  o.loss_law.clear();
  o.arch.tolerance = -0.1;
  EXPECT_NE(Recommend(o).error().message.find("tolerance"), std::string::npos);
  o.arch.tolerance = 0.03;
  o.allocation.na_over_m = 0.2;
  EXPECT_NE(Recommend(o).error().message.find("below 1/6"), std::string::npos);
}

TEST(RecommendTest, ForwardOnlyLawsAreConverted) {
  // ling2025 counts M and C forward only: M_opt(C) = 3 x 0.1915 (C / 3)^0.5095.
  RecommendOptions o;
  o.compute = 1e20;
  o.allocation.laws = "ling2025";
  Result<Recommendation> r = Recommend(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NEAR(r->allocation.m_opt.value / (3 * 0.1915 * std::pow(1e20 / 3, 0.5095)), 1.0, 1e-12);
}

}  // namespace
}  // namespace moeplan::phases
