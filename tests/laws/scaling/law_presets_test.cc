//===- tests/laws/scaling/law_presets_test.cc - Published laws, worked numbers -===//
/// Each preset against its paper's own numbers, computed by hand (calculator) from the
/// published formulas: DeepSeek LLM 2024 (arXiv:2401.02954) Eqs. 1 and 4, Ling/Tian et al.
/// 2025, Wan et al. 2026 (with the units moeplan reads), Hoffmann et al. 2022 and Epoch 2024.
#include "laws/scaling/law_presets.h"

#include <gtest/gtest.h>

#include <cmath>

#include "laws/scaling/power_law_fit.h"

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
            "deepseek-llm-2024, ling2025, wan2026) nor an existing file");
}

}  // namespace
}  // namespace moeplan::scaling
