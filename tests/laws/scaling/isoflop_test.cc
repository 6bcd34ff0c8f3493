//===- tests/laws/scaling/isoflop_test.cc - IsoFLOP profiles and optima -----===//
/// An exact parabola gives its vertex and band by hand; IsoFLOP profiles sampled from Epoch's
/// Chinchilla law (no noise) give optima that follow the closed form N_opt ~ C^a with
/// a = beta/(alpha+beta) = 0.3658/0.7136 = 0.512612; M_opt and D_opt of the same profiles
/// (C = M D per run) have exponents summing to 1 and coefficients multiplying to 1.
#include "laws/scaling/isoflop.h"

#include <gtest/gtest.h>

#include <cmath>

#include "laws/scaling/chinchilla_optimum.h"

namespace moeplan::scaling {
namespace {

TEST(IsoFlopTest, ExactParabolaGivesVertexAndBand) {
  // L = 2 + 0.05 (ln x - ln 1e9)^2: vertex x = 1e9, L = 2; band at epsilon = 0.25%:
  // half-width sqrt(0.0025 x 2 / 0.05) = 0.316228 -> [0.728893e9, 1.371943e9].
  std::vector<double> x, loss;
  for (double f : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0}) {
    x.push_back(1e9 * f);
    loss.push_back(2 + 0.05 * std::pow(std::log(f), 2));
  }
  Result<IsoFlopProfile> p = FitIsoFlopProfile(x, loss, 1e20, IsoFlopOptions{});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_NEAR(p->x_opt, 1e9, 1e9 * 1e-9);
  EXPECT_NEAR(p->loss_opt, 2.0, 1e-12);
  EXPECT_NEAR(p->x_low, 0.728893e9, 1e3);
  EXPECT_NEAR(p->x_high, 1.371943e9, 1e3);
  EXPECT_NEAR(p->c2, 0.05, 1e-12);
  EXPECT_TRUE(p->inside);
  EXPECT_LT(p->rms_residual, 1e-12);
}

TEST(IsoFlopTest, ErrorsSayWhy) {
  IsoFlopOptions options;
  std::vector<double> x{1e9, 2e9}, loss{2.1, 2.0};
  EXPECT_EQ(FitIsoFlopProfile(x, loss, 1e20, options).error().message,
            "isoflop: budget C = 1e+20 has 2 distinct sizes; a parabola needs 3");
  x = {1e9, 2e9, 4e9};
  loss = {2.0, 2.1, 2.0};
  EXPECT_EQ(FitIsoFlopProfile(x, loss, 1e20, options).error().message,
            "isoflop: budget C = 1e+20: the fitted parabola opens downward (no minimum; c2 = "
            "-0.208)");
}

// Runs of Epoch's law on IsoFLOP grids: 9 sizes per budget, N = N_opt(C) e^{-0.6..0.6}.
struct Profiles {
  std::vector<double> compute, params, flops_per_token, tokens, loss;
};

Profiles SampleEpochProfiles(const ChinchillaCoefficients& c) {
  Profiles runs;
  for (double budget : {1e19, 1e20, 1e21, 1e22, 1e23}) {
    const double n_opt = ChinchillaOptimum(c, budget).params;
    for (int k = -4; k <= 4; ++k) {
      const double n = n_opt * std::exp(0.15 * k);
      const double d = budget / (6 * n);
      runs.compute.push_back(budget);
      runs.params.push_back(n);
      runs.flops_per_token.push_back(6 * n);  // M = 6 N, so C = M D
      runs.tokens.push_back(d);
      runs.loss.push_back(ChinchillaLoss(c, n, d));
    }
  }
  return runs;
}

TEST(IsoFlopTest, OptimaFollowTheClosedForm) {
  const ChinchillaCoefficients epoch{482.01, 2085.43, 1.8169, 0.3478, 0.3658};
  const Profiles runs = SampleEpochProfiles(epoch);
  Result<std::vector<IsoFlopProfile>> profiles =
      FitIsoFlopProfiles(runs.compute, runs.params, runs.loss, IsoFlopOptions{});
  ASSERT_TRUE(profiles.ok()) << profiles.error().message;
  ASSERT_EQ(profiles->size(), 5u);
  for (const IsoFlopProfile& p : *profiles) {
    const ChinchillaAllocation exact = ChinchillaOptimum(epoch, p.compute);
    EXPECT_NEAR(p.x_opt, exact.params, 0.01 * exact.params) << p.compute;
    EXPECT_NEAR(p.loss_opt, exact.loss, 1e-4) << p.compute;
    EXPECT_TRUE(p.inside);
    EXPECT_LT(p.x_low, p.x_opt);
    EXPECT_GT(p.x_high, p.x_opt);
  }
  Result<PowerLawFit> law = FitOptimaPowerLaw(*profiles);
  ASSERT_TRUE(law.ok()) << law.error().message;
  EXPECT_NEAR(law->e, 0.512612, 0.002);
  EXPECT_GT(law->r_squared, 0.9999);
}

TEST(IsoFlopTest, FlopsAndTokensExponentsSumToOne) {
  const Profiles runs = SampleEpochProfiles({482.01, 2085.43, 1.8169, 0.3478, 0.3658});
  IsoFlopOptions options;
  Result<std::vector<IsoFlopProfile>> m =
      FitIsoFlopProfiles(runs.compute, runs.flops_per_token, runs.loss, options);
  Result<std::vector<IsoFlopProfile>> d =
      FitIsoFlopProfiles(runs.compute, runs.tokens, runs.loss, options);
  ASSERT_TRUE(m.ok() && d.ok());
  Result<PowerLawFit> m_opt = FitOptimaPowerLaw(*m);
  Result<PowerLawFit> d_opt = FitOptimaPowerLaw(*d);
  ASSERT_TRUE(m_opt.ok() && d_opt.ok());
  const ExponentSumCheck check = CheckExponentSum(*m_opt, *d_opt);
  EXPECT_TRUE(check.ok);
  EXPECT_NEAR(check.exponent_sum, 1.0, 1e-9);
  EXPECT_NEAR(check.coefficient_product, 1.0, 1e-6);
}

TEST(PowerLawFitTest, ExactPowerLawHasZeroErrors) {
  // x = 0.1715 C^0.5243 at four budgets.
  std::vector<double> c{1e17, 1e18, 1e19, 1e20}, x;
  for (double budget : c) x.push_back(0.1715 * std::pow(budget, 0.5243));
  Result<PowerLawFit> fit = FitPowerLaw(c, x);
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(fit->e, 0.5243, 1e-12);
  EXPECT_NEAR(fit->k, 0.1715, 1e-10);
  EXPECT_NEAR(fit->e_std_error, 0, 1e-6);
  EXPECT_EQ(FitPowerLaw(std::vector<double>{1e20}, std::vector<double>{1}).error().message,
            "power-law fit: needs at least 2 points, got 1");
}

}  // namespace
}  // namespace moeplan::scaling
