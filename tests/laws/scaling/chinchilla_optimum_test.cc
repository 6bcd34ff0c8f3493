//===- tests/laws/scaling/chinchilla_optimum_test.cc - Closed-form allocation -===//
/// Expected values are the closed form of Hoffmann et al. 2022 (Eq. 4) evaluated by hand
/// (calculator, 6 digits) for the published coefficients, plus properties of an optimum.
#include "laws/scaling/chinchilla_optimum.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moeplan::scaling {
namespace {

const ChinchillaCoefficients kHoffmann{406.4, 410.7, 1.69, 0.34, 0.28};
const ChinchillaCoefficients kEpoch{482.01, 2085.43, 1.8169, 0.3478, 0.3658};
// Gopher's budget, on which Chinchilla was trained (Hoffmann et al. 2022, Sec. 4).
constexpr double kChinchillaCompute = 5.76e23;

TEST(ChinchillaOptimumTest, HoffmannExponentsAndScale) {
  // a = beta / (alpha + beta) = 0.28 / 0.62 = 0.451613; b = 0.34 / 0.62 = 0.548387.
  EXPECT_NEAR(ChinchillaParamsExponent(kHoffmann), 0.451613, 1e-6);
  EXPECT_NEAR(ChinchillaTokensExponent(kHoffmann), 0.548387, 1e-6);
  // G = (0.34 x 406.4 / (0.28 x 410.7))^(1/0.62) = 1.201572^1.612903 = 1.344711.
  EXPECT_NEAR(ChinchillaScale(kHoffmann), 1.344711, 1e-5);
}

TEST(ChinchillaOptimumTest, HoffmannAllocationAtChinchillasBudget) {
  // C/6 = 9.6e22; N_opt = 1.344711 x 9.6e22^0.451613 = 3.21899e10;
  // D_opt = 9.6e22^0.548387 / 1.344711 = 2.98231e12 (the parametric fit's well-known
  // preference for smaller models than Chinchilla's 70B).
  const ChinchillaAllocation a = ChinchillaOptimum(kHoffmann, kChinchillaCompute);
  EXPECT_NEAR(a.params, 3.21899e10, 3.21899e10 * 1e-4);
  EXPECT_NEAR(a.tokens, 2.98231e12, 2.98231e12 * 1e-4);
  EXPECT_NEAR(a.tokens_per_param, 92.647, 0.01);
  // L = 1.69 + 406.4 / N^0.34 + 410.7 / D^0.28 = 1.93075.
  EXPECT_NEAR(a.loss, 1.93075, 1e-4);
}

TEST(ChinchillaOptimumTest, EpochAllocationIsAboutTwentyTokensPerParameter) {
  // G = (0.3478 x 482.01 / (0.3658 x 2085.43))^(1/0.7136) = 0.119630; a = 0.512612;
  // N_opt = 0.119630 x 9.6e22^0.512612 = 7.22487e10, D_opt = 1.32874e12 (18.4 tokens per
  // parameter, close to Chinchilla's own 70B / 1.4T).
  const ChinchillaAllocation a = ChinchillaOptimum(kEpoch, kChinchillaCompute);
  EXPECT_NEAR(a.params, 7.22487e10, 7.22487e10 * 1e-4);
  EXPECT_NEAR(a.tokens, 1.32874e12, 1.32874e12 * 1e-4);
  EXPECT_NEAR(a.tokens_per_param, 18.39, 0.01);
}

class OptimumPropertyTest : public ::testing::TestWithParam<double> {};

TEST_P(OptimumPropertyTest, IsTheMinimumAlongTheBudget) {
  const double compute = GetParam();
  for (const ChinchillaCoefficients& c : {kHoffmann, kEpoch}) {
    const ChinchillaAllocation a = ChinchillaOptimum(c, compute);
    EXPECT_NEAR(6 * a.params * a.tokens, compute, compute * 1e-12);
    for (double factor : {0.9, 0.99, 1.01, 1.1}) {
      const double n = a.params * factor;
      EXPECT_GT(ChinchillaLoss(c, n, compute / (6 * n)), a.loss);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Budgets, OptimumPropertyTest,
                         ::testing::Values(1e18, 1e20, 5.76e23, 1e26));

TEST(ChinchillaOptimumTest, ValidateNamesTheBadCoefficient) {
  ChinchillaCoefficients c = kHoffmann;
  c.beta = -0.1;
  Status status = c.Validate();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "chinchilla coefficient 'beta': expected a positive number, got -0.1");
}

}  // namespace
}  // namespace moeplan::scaling
