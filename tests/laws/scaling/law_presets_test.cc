//===- tests/laws/scaling/law_presets_test.cc - Published laws, worked numbers -===//
/// Each preset against its paper's own numbers, computed by hand (calculator) from the
/// published formulas: DeepSeek LLM 2024 (arXiv:2401.02954) Eqs. 1 and 4, Ling/Tian et al.
/// 2025, Wan et al. 2026 (with the units moeplan reads), Hoffmann et al. 2022, Epoch 2024, and
/// Ludziejewski et al. 2025 (arXiv:2502.05172): its Ê (Eq. 4) by hand, its per-E reduction
/// (App. B, Table 4), its compute-optimal configurations (Sec. 4.1, Table 1) and its rule of
/// thumb (Sec. 4.5), all quoted from the paper's text.
#include "laws/scaling/law_presets.h"

#include <gtest/gtest.h>

#include <cmath>

#include "laws/scaling/chinchilla_optimum.h"
#include "laws/scaling/law_json.h"
#include "laws/scaling/power_law_fit.h"
#include "laws/scaling/routed_forms.h"

namespace moeplan::scaling {
namespace {

BoundLaw Bound(const std::string& preset, const std::string& target) {
  const LawFile* file = FindLawPreset(preset);
  EXPECT_NE(file, nullptr) << preset;
  const Law* law = FindLaw(*file, target);
  EXPECT_NE(law, nullptr) << preset << " " << target;
  Result<BoundLaw> bound = BoundLaw::Bind(*law);
  EXPECT_TRUE(bound.ok()) << (bound ? "" : bound.error().message);
  return std::move(bound).value();
}

void ExpectRelNear(double actual, double expected, double rel) {
  EXPECT_NEAR(actual, expected, std::fabs(expected) * rel);
}

TEST(LawPresetsTest, DeepseekAtOneE20) {
  // M_opt = 0.1715 x (1e20)^0.5243 = 0.1715 x 10^10.486 = 0.1715 x 3.06196e10 = 5.25127e9
  // FLOPs/token; D_opt = 5.8316 x 10^9.514 = 5.8316 x 3.26588e9 = 1.90453e10 tokens.
  ExpectRelNear(Bound("deepseek-llm-2024", "M_opt").Predict({1e20}), 5.25127e9, 1e-4);
  ExpectRelNear(Bound("deepseek-llm-2024", "D_opt").Predict({1e20}), 1.90453e10, 1e-4);
  // eta_opt = 0.3118 x 10^-2.5 = 9.85998e-4; B_opt = 0.2920 x 10^6.542 = 1.01714e6 tokens.
  ExpectRelNear(Bound("deepseek-llm-2024", "eta_opt").Predict({1e20}), 9.85998e-4, 1e-4);
  ExpectRelNear(Bound("deepseek-llm-2024", "B_opt").Predict({1e20}), 1.01714e6, 1e-4);
}

TEST(LawPresetsTest, DeepseekAllocationMultipliesToTheBudget) {
  // C = M D: 0.1715 x 5.8316 = 1.000119 and 0.5243 + 0.4757 = 1.
  const double c = 3e20;
  const double product = Bound("deepseek-llm-2024", "M_opt").Predict({c}) *
                         Bound("deepseek-llm-2024", "D_opt").Predict({c});
  ExpectRelNear(product, 1.000119 * c, 1e-6);
  const PowerLawFit m{0.1715, 0.5243, 0, 0, 1, 0}, d{5.8316, 0.4757, 0, 0, 1, 0};
  const ExponentSumCheck check = CheckExponentSum(m, d);
  EXPECT_TRUE(check.ok);
  EXPECT_NEAR(check.exponent_sum, 1.0, 1e-12);
}

TEST(LawPresetsTest, LingMIsForwardOnly) {
  const LawFile* ling = FindLawPreset("ling2025");
  ASSERT_NE(ling, nullptr);
  const Law* m_opt = FindLaw(*ling, "M_opt");
  ASSERT_NE(m_opt, nullptr);
  ASSERT_TRUE(m_opt->target.flop_pass.has_value());
  EXPECT_EQ(*m_opt->target.flop_pass, laws::FlopPass::kForward);
  EXPECT_NE(ling->provenance.notes.find("FORWARD-ONLY"), std::string::npos);
  // M_opt = 0.1915 x (1e20)^0.5095 = 0.1915 x 10^10.19 = 0.1915 x 1.54882e10 = 2.96599e9;
  // D_opt = 5.2232 x 10^9.81 = 5.2232 x 6.45654e9 = 3.37238e10; k_M k_D = 1.000243.
  ExpectRelNear(Bound("ling2025", "M_opt").Predict({1e20}), 2.96599e9, 1e-4);
  ExpectRelNear(Bound("ling2025", "D_opt").Predict({1e20}), 3.37238e10, 1e-4);
}

TEST(LawPresetsTest, WanInItsUnitsAgreesWithDeepseek) {
  // C = 1e20 FLOPs is 100 units of 1e18: M_opt = 0.0437 x 100^0.5437 = 0.534418 units of
  // 1e10 -> 5.34418e9 FLOPs/token; D_opt = 22.89 x 100^0.4563 = 187.174 units of 1e8 ->
  // 1.87174e10 tokens.
  ExpectRelNear(Bound("wan2026", "M_opt").Predict({1e20}), 5.34418e9, 1e-4);
  ExpectRelNear(Bound("wan2026", "D_opt").Predict({1e20}), 1.87174e10, 1e-4);
  // Over 1e18..1e22 the two independent fits stay within about 11% of each other.
  for (double c : {1e18, 1e19, 1e20, 1e21, 1e22}) {
    const double m_ratio =
        Bound("wan2026", "M_opt").Predict({c}) / Bound("deepseek-llm-2024", "M_opt").Predict({c});
    const double d_ratio =
        Bound("wan2026", "D_opt").Predict({c}) / Bound("deepseek-llm-2024", "D_opt").Predict({c});
    EXPECT_NEAR(m_ratio, 1.0, 0.12) << c;
    EXPECT_NEAR(d_ratio, 1.0, 0.12) << c;
  }
  const LawFile* wan = FindLawPreset("wan2026");
  EXPECT_NE(wan->provenance.notes.find("does not state the units"), std::string::npos);
}

TEST(LawPresetsTest, ChinchillaPresetsCarryTheirCoefficients) {
  Result<ChinchillaCoefficients> hoffmann = ChinchillaOf(FindLawPreset("hoffmann2022")->laws[0]);
  ASSERT_TRUE(hoffmann.ok()) << hoffmann.error().message;
  EXPECT_EQ(hoffmann->A, 406.4);
  EXPECT_EQ(hoffmann->B, 410.7);
  EXPECT_EQ(hoffmann->E, 1.69);
  EXPECT_EQ(hoffmann->alpha, 0.34);
  EXPECT_EQ(hoffmann->beta, 0.28);
  const Law& epoch = FindLawPreset("epoch2024")->laws[0];
  const double std_errors[] = {124.5, 1293.3, 0.0257, 0.0154, 0.0206};
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(epoch.coefficients[i].std_error.has_value());
    EXPECT_EQ(*epoch.coefficients[i].std_error, std_errors[i]);
  }
  // Epoch's law at Chinchilla (N = 70e9, D = 1.4e12):
  // 1.8169 + 482.01 / 70e9^0.3478 + 2085.43 / 1.4e12^0.3658 = 1.8169 + 0.08149 + 0.07519
  //   = 1.97358.
  ExpectRelNear(Bound("epoch2024", "L").Predict({70e9, 1.4e12}), 1.97358, 1e-4);
}

TEST(LawPresetsTest, EveryPresetNamesItsSourceAndConventions) {
  for (const LawFile& preset : LawPresets()) {
    EXPECT_FALSE(preset.provenance.source.empty()) << preset.name;
    EXPECT_NE(preset.provenance.source.find("arXiv:"), std::string::npos) << preset.name;
    for (const Law& law : preset.laws) {
      EXPECT_FALSE(law.target.meaning.empty());
      for (const LawQuantity& v : law.variables) EXPECT_FALSE(v.meaning.empty());
      EXPECT_TRUE(BoundLaw::Bind(law).ok()) << preset.name << " " << law.target.symbol;
    }
  }
}

TEST(LawPresetsTest, LoadLawNamesThePresets) {
  EXPECT_TRUE(LoadLaw("epoch2024").ok());
  Result<LawFile> missing = LoadLaw("chinchilla-2099");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "'chinchilla-2099' is neither a law preset (hoffmann2022, epoch2024, "
            "deepseek-llm-2024, ling2025, wan2026, ludziejewski2025) nor an existing file");
}

// --- Ludziejewski et al. 2025, "Joint MoE Scaling Laws" (arXiv:2502.05172) ---------------

TEST(LawPresetsTest, Ludziejewski2025ExpertTransformByHand) {
  // Eq. 4: 1/Ê = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max, with Table 3's E_start =
  // 2.0732 and E_max = 290.4521. 1/E_start = 0.4823461, 1/E_max = 0.0034429,
  // K = (0.4823461 - 0.0034429)^-1 = 2.0881046. At E = 8: u = 7 + K = 9.0881046,
  // 1/Ê = 0.1100340 + 0.0034429 = 0.1134769, Ê = 8.81237. At E = 1: u = K and
  // 1/Ê = 1/K + 1/E_max = 1/E_start, so a dense model has Ê = E_start = 2.0732.
  const Law& law = FindLawPreset("ludziejewski2025")->laws[0];
  ASSERT_EQ(law.coefficients[9].name, "E_start");
  ASSERT_EQ(law.coefficients[10].name, "E_max");
  const double e_start = law.coefficients[9].value, e_max = law.coefficients[10].value;
  EXPECT_EQ(e_start, 2.0732);
  EXPECT_EQ(e_max, 290.4521);
  EXPECT_NEAR(SaturatedExperts(8, e_start, e_max), 8.81237, 1e-5);
  EXPECT_NEAR(SaturatedExperts(1, e_start, e_max), 2.0732, 1e-12);
}

TEST(LawPresetsTest, Ludziejewski2025LossByHand) {
  // Eq. 6 at N_act = 1e9, D = 2e10, E = 8 (Ê = 8.81237, ln Ê = 2.176156):
  //   a Ê^delta = 35.91 x exp(-0.2285 x 2.176156) = 35.91 x 0.608199 = 21.8405,
  //   N exponent -0.1889 + 0.0098 x 2.176156 = -0.167574, 1e9^-0.167574 = 0.0310339,
  //   b Ê^omega = 35.98 x exp(0.5529 x 2.176156) = 35.98 x 3.330748 = 119.8403,
  //   D exponent -0.1775 - 0.0259 x 2.176156 = -0.233862, 2e10^-0.233862 = 0.00389920,
  //   L = 21.8405 x 0.0310339 + 119.8403 x 0.00389920 + 1.3637
  //     = 0.677796 + 0.467282 + 1.3637 = 2.50878.
  EXPECT_NEAR(Bound("ludziejewski2025", "L").Predict({1e9, 2e10, 8}), 2.50878, 2e-5);
}

TEST(LawPresetsTest, Ludziejewski2025ReducesToTheirTable4) {
  // App. B, Table 4: the joint law at fixed E as L = m N^mu + n D^nu + c.
  struct Row {
    double experts, m, mu, n, nu;
  };
  const Row table4[] = {
      {1, 30.3640, -0.1817, 53.9838, -0.1965},   {2, 27.7982, -0.1780, 66.8401, -0.2065},
      {4, 24.8462, -0.1731, 87.7022, -0.2192},   {8, 21.8330, -0.1676, 119.9126, -0.2338},
      {16, 19.0159, -0.1617, 167.5073, -0.2494}, {32, 16.5424, -0.1557, 234.6726, -0.2652}};
  const BoundLaw law = Bound("ludziejewski2025", "L");
  for (const Row& row : table4) {
    Result<ChinchillaCoefficients> c = JointMoeAtExperts(law.values(), row.experts);
    ASSERT_TRUE(c.ok()) << c.error().message;
    // Exponents: printed to 4 decimals from unrounded coefficients; Table 3's rounding moves
    // them by at most 1.3e-4 (E = 16: -0.16164 and -0.24953 against -0.1617 and -0.2494).
    EXPECT_NEAR(-c->alpha, row.mu, 2e-4) << row.experts;
    EXPECT_NEAR(-c->beta, row.nu, 2e-4) << row.experts;
    // Scales: Table 3 gives m(1) = 35.91 x 2.0732^-0.2285 = 30.3993 (Table 4: 30.3640) and
    // n(1) = 35.98 x 2.0732^0.5529 = 53.8434 (Table 4: 53.9838): within 0.3% at every E.
    ExpectRelNear(c->A, row.m, 3e-3);
    ExpectRelNear(c->B, row.n, 3e-3);
    EXPECT_EQ(c->E, 1.3637);
  }
}

TEST(LawPresetsTest, Ludziejewski2025ComputeOptimaMatchTheirTable1) {
  // Sec. 4.1, Table 1 ("Example compute-optimal training configurations for MoE models"),
  // F = 6 N_act D: budget, E, N_act_opt, D_opt as printed (2-3 significant digits).
  struct Row {
    double budget, experts, params, tokens;
  };
  const Row table1[] = {
      {1e20, 1, 1.7e9, 9.7e9},    {1e20, 2, 1.5e9, 11.4e9},    {1e20, 4, 1.2e9, 13.9e9},
      {1e20, 8, 990e6, 17e9},     {1e20, 16, 810e6, 20.7e9},   {1e20, 32, 669e6, 24.9e9},
      {1e21, 1, 5.7e9, 29.3e9},   {1e21, 2, 5e9, 33e9},        {1e21, 4, 4.4e9, 38e9},
      {1e21, 8, 3.8e9, 44.3e9},   {1e21, 16, 3.3e9, 51.2e9},   {1e21, 32, 2.85e9, 58.4e9},
      {1e22, 1, 18.8e9, 88.6e9},  {1e22, 2, 17.4e9, 96e9},     {1e22, 4, 15.8e9, 105.4e9},
      {1e22, 8, 14.4e9, 115.8e9}, {1e22, 16, 13.2e9, 126.5e9}, {1e22, 32, 12.2e9, 136.9e9}};
  const BoundLaw law = Bound("ludziejewski2025", "L");
  for (const Row& row : table1) {
    Result<ChinchillaCoefficients> c = JointMoeAtExperts(law.values(), row.experts);
    ASSERT_TRUE(c.ok()) << c.error().message;
    const ChinchillaAllocation opt = ChinchillaOptimum(*c, row.budget);
    // Table 3's rounded coefficients reproduce every entry within 2.1% (largest: 1e20, E = 2,
    // N_act 1.469e9 printed as 1.5B), the paper's unrounded ones exactly.
    EXPECT_NEAR(opt.params / row.params, 1.0, 0.025) << row.budget << " E=" << row.experts;
    EXPECT_NEAR(opt.tokens / row.tokens, 1.0, 0.025) << row.budget << " E=" << row.experts;
  }
}

TEST(LawPresetsTest, Ludziejewski2025RuleOfThumb) {
  // Sec. 4.5: "a compute-optimal 1.1B model trained for 8B tokens will have worse loss than
  // either a 2-expert, 1.1B total parameters MoE model trained on 16B tokens or a 4-expert,
  // 1.1B total parameters MoE model trained on 32B tokens". The three models of App. E,
  // counted with App. A.1 (vocabulary 50,257; N_act = 2 d V + 13 n_blocks d^2):
  //   dense, d 1664, 26 blocks: 167.3M + 935.9M = 1.1032e9 active (and total);
  //   E = 2, d 1408, 22 blocks: 141.5M + 567.0M = 7.085e8 active, 1.101e9 total;
  //   E = 4, d 1152, 18 blocks: 115.8M + 310.5M = 4.263e8 active, 1.071e9 total.
  const auto active = [](double d, double blocks) { return 2 * d * 50257 + 13 * blocks * d * d; };
  const double dense = active(1664, 26), moe2 = active(1408, 22), moe4 = active(1152, 18);
  // Sec. 4.4: these MoEs "use 36% and 61% less FLOPs per token": true of N_act with the
  // embeddings (1 - 0.642 and 1 - 0.386); without them it would be 39% and 67%.
  EXPECT_NEAR(1 - moe2 / dense, 0.36, 0.005);
  EXPECT_NEAR(1 - moe4 / dense, 0.61, 0.005);
  const BoundLaw law = Bound("ludziejewski2025", "L");
  const double l_dense = law.Predict({dense, 8e9, 1});
  const double l_moe2 = law.Predict({moe2, 16e9, 2});
  const double l_moe4 = law.Predict({moe4, 32e9, 4});
  // By hand from Eq. 6: 2.6659, 2.6262 and 2.5972.
  EXPECT_NEAR(l_dense, 2.6659, 1e-3);
  EXPECT_NEAR(l_moe2, 2.6262, 1e-3);
  EXPECT_NEAR(l_moe4, 2.5972, 1e-3);
  EXPECT_GT(l_dense, l_moe2);
  EXPECT_GT(l_moe2, l_moe4);
}

TEST(LawPresetsTest, Ludziejewski2025StatesItsConventions) {
  const LawFile* file = FindLawPreset("ludziejewski2025");
  ASSERT_NE(file, nullptr);
  EXPECT_NE(file->provenance.source.find("arXiv:2502.05172"), std::string::npos);
  EXPECT_NE(file->provenance.notes.find("WITH embedding and unembedding"), std::string::npos);
  const Law& law = file->laws[0];
  EXPECT_EQ(law.form.type, FormType::kJointMoe);
  EXPECT_NE(law.variables[0].meaning.find("embedding and unembedding included"), std::string::npos);
  for (const Coefficient& c : law.coefficients) EXPECT_FALSE(c.std_error.has_value()) << c.name;
  // Fitted on E in {1, 2, 4, 8, 16, 32} (App. E).
  ASSERT_EQ(law.fitted_range.size(), 3u);
  EXPECT_EQ(law.fitted_range[2].symbol, "E");
  EXPECT_EQ(law.fitted_range[2].max, 32);
}

TEST(LawPresetsTest, Ludziejewski2025SurvivesTheLawFile) {
  // Written and read back through the law-file format: same coefficients, same predictions.
  const LawFile* preset = FindLawPreset("ludziejewski2025");
  ASSERT_NE(preset, nullptr);
  const nlohmann::json text = LawFileToJson(*preset);
  Result<LawFile> parsed = LawFileFromJson(nlohmann::json::parse(text.dump(2)), "<text>");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(LawFileToJson(*parsed), text);
  Result<BoundLaw> law = BoundLaw::Bind(parsed->laws[0]);
  ASSERT_TRUE(law.ok()) << law.error().message;
  EXPECT_EQ(law->Predict({1e9, 2e10, 8}), Bound("ludziejewski2025", "L").Predict({1e9, 2e10, 8}));
}

TEST(LawPresetsTest, JointMoeAtExpertsRejectsAnIncreasingLaw) {
  Eigen::VectorXd v = Bound("ludziejewski2025", "L").values();
  v[1] = 0.1;  // alpha > 0: the law grows with N_act
  Result<ChinchillaCoefficients> c = JointMoeAtExperts(v, 8);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "joint_moe at E = 8: chinchilla coefficient 'alpha': expected a positive number, got "
            "-0.12132633265541057");
  v = Bound("ludziejewski2025", "L").values();
  v[9] = 500;  // E_start > E_max: Ê undefined
  EXPECT_EQ(JointMoeAtExperts(v, 8).error().message,
            "joint_moe: Ê is undefined at E = 8 (E_start 500, E_max 290.4521)");
}

}  // namespace
}  // namespace moeplan::scaling
