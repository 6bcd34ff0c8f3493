//===- tests/laws/scaling/rank_correlation_test.cc - Correlations and p-values ===//
/// Special functions against closed forms (I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1/2, 1/2) =
/// (2/pi) asin(sqrt x); Student t with 1 dof is Cauchy, P(|T| >= t) = 1 - (2/pi) atan t, and
/// with 2 dof P = 1 - t / sqrt(2 + t^2)) and against scipy 1.10.1 (Debian python3-scipy):
/// values printed by scipy.special.betainc, scipy.stats.t.sf, pearsonr, spearmanr and
/// kendalltau (method='exact' or 'asymptotic' as noted), copied here to 16 digits.
/// Kendall's exact p for n = 4 by hand: the number of permutations of 4 with k inversions is
/// 1, 3, 5, 6, 5, 3, 1 (k = 0..6), so P(at most 1 inversion) = 4/24.
#include "laws/scaling/rank_correlation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "laws/scaling/special_functions.h"

namespace moeplan::scaling {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(SpecialFunctionsTest, IncompleteBetaClosedForms) {
  for (double x : {0.0, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0}) {
    EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, x), x, 1e-14) << x;
    EXPECT_NEAR(RegularizedIncompleteBeta(3.5, 1, x), std::pow(x, 3.5), 1e-14) << x;
    EXPECT_NEAR(RegularizedIncompleteBeta(0.5, 0.5, x), 2 / kPi * std::asin(std::sqrt(x)), 1e-13)
        << x;
  }
}

TEST(SpecialFunctionsTest, IncompleteBetaMatchesScipy) {
  struct Case {
    double a, b, x, expected;
  };
  // scipy.special.betainc(a, b, x), scipy 1.10.1.
  const Case cases[] = {{2.5, 0.5, 0.3, 0.01892712407194565}, {10, 3, 0.7, 0.2528153478549999},
                        {3, 10, 0.2, 0.4416542515200005},     {0.5, 0.5, 0.9, 0.7951672353008662},
                        {50, 0.5, 0.98, 0.15624350786681956}, {0.5, 50, 0.001, 0.2476309800346232}};
  for (const Case& c : cases) {
    EXPECT_NEAR(RegularizedIncompleteBeta(c.a, c.b, c.x), c.expected, 1e-12 * c.expected)
        << c.a << " " << c.b << " " << c.x;
  }
}

TEST(SpecialFunctionsTest, StudentTTails) {
  for (double t : {0.0, 0.5, 2.0, 12.0}) {
    EXPECT_NEAR(StudentTTwoSidedP(t, 1), 1 - 2 / kPi * std::atan(t), 1e-14) << t;
    EXPECT_NEAR(StudentTTwoSidedP(-t, 2), 1 - t / std::sqrt(2 + t * t), 1e-14) << t;
  }
  // 2 * scipy.stats.t.sf(|t|, dof).
  EXPECT_NEAR(StudentTTwoSidedP(2.5, 5), 0.054490099342376204, 1e-14);
  EXPECT_NEAR(StudentTTwoSidedP(0.3, 10), 0.7703206075657987, 1e-14);
  EXPECT_NEAR(StudentTTwoSidedP(8.0, 3), 0.004076577587785467, 1e-15);
  EXPECT_NEAR(StudentTTwoSidedP(1.96, 1000), 0.05027318495574871, 1e-13);
  EXPECT_EQ(StudentTTwoSidedP(INFINITY, 4), 0.0);
  // Normal: P(|Z| >= 1.959963984540054) = 0.05 (the familiar quantile).
  EXPECT_NEAR(NormalTwoSidedP(1.959963984540054), 0.05, 1e-15);
}

TEST(RankCorrelationTest, AverageRanksShareTies) {
  const std::vector<double> values = {10, 20, 20, 30, 5};
  EXPECT_EQ(AverageRanks(values), (std::vector<double>{2, 3.5, 3.5, 5, 1}));
}

TEST(RankCorrelationTest, PearsonTextbookExample) {
  // x = 1..5, y = (2, 4, 5, 4, 5): sxy = 6, sxx = 10, syy = 6, r = 6 / sqrt(60) = 0.7745967.
  const std::vector<double> x = {1, 2, 3, 4, 5}, y = {2, 4, 5, 4, 5};
  const std::optional<CorrelationTest> r = Pearson(x, y);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->coefficient, 6 / std::sqrt(60.0), 1e-15);
  // scipy.stats.pearsonr: pvalue=0.12402706265755462.
  EXPECT_NEAR(*r->p_value, 0.12402706265755462, 1e-13);
}

TEST(RankCorrelationTest, SevenPairsMatchScipy) {
  const std::vector<double> x = {1.2, 2.4, 3.1, 4.8, 5.0, 6.7, 7.1};
  const std::vector<double> y = {2.0, 1.9, 3.5, 3.1, 4.4, 6.0, 5.2};
  Result<CorrelationSummary> c = Correlate(x, y);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->n, 7u);
  EXPECT_NEAR(c->pearson->coefficient, 0.9168483317443349, 1e-14);
  EXPECT_NEAR(*c->pearson->p_value, 0.003660208685756158, 1e-15);
  EXPECT_NEAR(c->spearman->coefficient, 0.8928571428571429, 1e-14);
  EXPECT_NEAR(*c->spearman->p_value, 0.006807187408935392, 1e-15);
  // 7 pairs, no ties: exact (scipy method='exact': 0.03015873015873016 = 76/2520).
  EXPECT_NEAR(c->kendall->coefficient, 0.7142857142857143, 1e-14);
  EXPECT_TRUE(c->kendall->exact);
  EXPECT_NEAR(*c->kendall->p_value, 0.03015873015873016, 1e-15);
}

TEST(RankCorrelationTest, TiesUseAverageRanksAndTieCorrectedKendall) {
  const std::vector<double> x = {1, 2, 2, 3, 4, 4, 4, 5}, y = {3, 1, 2, 2, 5, 4, 6, 6};
  Result<CorrelationSummary> c = Correlate(x, y);
  ASSERT_TRUE(c.ok()) << c.error().message;
  // scipy.stats.spearmanr and kendalltau (ties: asymptotic with tie correction).
  EXPECT_NEAR(c->spearman->coefficient, 0.7889568540593018, 1e-14);
  EXPECT_NEAR(*c->spearman->p_value, 0.019936718107142433, 1e-14);
  EXPECT_NEAR(c->kendall->coefficient, 0.6405126152203486, 1e-14);
  EXPECT_FALSE(c->kendall->exact);
  EXPECT_NEAR(*c->kendall->p_value, 0.03717256786957783, 1e-14);
}

TEST(RankCorrelationTest, KendallAboveTenPairsIsAsymptotic) {
  std::vector<double> x, y = {2, 1, 4, 3, 6, 5, 8, 7, 10, 12, 9, 11};
  for (int i = 1; i <= 12; ++i) x.push_back(i);
  const std::optional<CorrelationTest> tau = KendallTauB(x, y);
  ASSERT_TRUE(tau.has_value());
  // scipy kendalltau(method='asymptotic'): 0.7878787878787877, p 0.0003627859782809728.
  EXPECT_NEAR(tau->coefficient, 0.7878787878787877, 1e-14);
  EXPECT_FALSE(tau->exact);
  EXPECT_NEAR(*tau->p_value, 0.0003627859782809728, 1e-16);
}

TEST(RankCorrelationTest, KendallExactSmallSamples) {
  // One inversion in 4: tau = (5 - 1) / 6; p = 2 * 4/24 (see the file comment).
  std::optional<CorrelationTest> tau =
      KendallTauB(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 3, 2, 4});
  ASSERT_TRUE(tau.has_value());
  EXPECT_NEAR(tau->coefficient, 4.0 / 6.0, 1e-15);
  EXPECT_NEAR(*tau->p_value, 1.0 / 3.0, 1e-15);
  // Reversed: tau = -1, p = 2 / 4! = 1/12.
  tau = KendallTauB(std::vector<double>{1, 2, 3, 4}, std::vector<double>{4, 3, 2, 1});
  EXPECT_NEAR(tau->coefficient, -1.0, 1e-15);
  EXPECT_NEAR(*tau->p_value, 1.0 / 12.0, 1e-15);
  // n = 10 is still exact: scipy method='exact' 0.002212852733686067.
  tau = KendallTauB(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
                    std::vector<double>{3, 1, 2, 5, 4, 7, 6, 10, 8, 9});
  EXPECT_NEAR(tau->coefficient, 0.7333333333333333, 1e-14);
  EXPECT_TRUE(tau->exact);
  EXPECT_NEAR(*tau->p_value, 0.002212852733686067, 1e-15);
  // One inversion of 3 (permutations of 3 by inversions: 1, 2, 2, 1 of 6): P(at most 1) =
  // 3/6, so p = 2 * 1/2 = 1 (scipy method='exact': 1.0).
  tau = KendallTauB(std::vector<double>{1, 2, 3}, std::vector<double>{1, 3, 2});
  EXPECT_NEAR(tau->coefficient, 1.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(*tau->p_value, 1.0);
}

TEST(RankCorrelationTest, MahonianDistribution) {
  // Permutations of 4 by inversions: 1, 3, 5, 6, 5, 3, 1 of 24.
  const double counts[] = {1, 3, 5, 6, 5, 3, 1};
  double cumulative = 0;
  for (size_t k = 0; k < 7; ++k) {
    cumulative += counts[k];
    EXPECT_NEAR(KendallInversionCdf(4, k), cumulative / 24, 1e-15) << k;
  }
}

TEST(RankCorrelationTest, UndefinedCasesAreEmptyNotNan) {
  const std::vector<double> constant = {1, 1, 1}, x = {1, 2, 3};
  EXPECT_FALSE(Pearson(constant, x).has_value());
  EXPECT_FALSE(Spearman(x, constant).has_value());
  EXPECT_FALSE(KendallTauB(constant, x).has_value());
  // Two pairs: r = +-1 but no degrees of freedom for a p-value.
  const std::optional<CorrelationTest> two =
      Pearson(std::vector<double>{1, 2}, std::vector<double>{3, 5});
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->coefficient, 1.0);
  EXPECT_FALSE(two->p_value.has_value());
  // Perfect correlation of 5 pairs: p = 0 exactly, not NaN.
  const std::optional<CorrelationTest> perfect =
      Pearson(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{2, 4, 6, 8, 10});
  EXPECT_EQ(*perfect->p_value, 0.0);
  EXPECT_EQ(Correlate(x, constant).value().pearson, std::nullopt);
  EXPECT_EQ(Correlate(x, std::vector<double>{1, 2}).error().message,
            "correlation: 3 values paired with 2");
  EXPECT_EQ(Correlate(std::vector<double>{1, NAN}, std::vector<double>{1, 2}).error().message,
            "correlation: pair 2 (nan, 2) is not finite");
}

}  // namespace
}  // namespace moeplan::scaling
