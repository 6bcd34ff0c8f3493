//===- tests/laws/scaling/law_form_test.cc - Law forms and their gradients -===//
/// Every form's prediction is checked against its formula evaluated by hand here, and its
/// analytic Jacobian against central finite differences (a property, not a stored number).
#include "laws/scaling/law_form.h"

#include <gtest/gtest.h>

#include <cmath>

#include "laws/scaling/power_law_form.h"
#include "laws/scaling/power_sum_form.h"
#include "laws/scaling/routed_forms.h"

namespace moeplan::scaling {
namespace {

struct GradientCase {
  const char* name;
  FormSpec spec;
  std::vector<double> values;               // natural units, form's parameter order
  std::vector<std::vector<double>> points;  // variables, law units
};

FormSpec Named(FormType type) {
  return FormSpec{type, {}, {}, {}};
}

FormSpec CustomSum() {
  return FormSpec{FormType::kPowerSum,
                  {{"Na", ""}, {"D", ""}, {"R", ""}},
                  "E",
                  {{"A", {{"Na", "alpha"}}}, {"B", {{"D", "beta"}}}, {"S", {{"R", "rho"}}}}};
}

std::vector<GradientCase> Cases() {
  return {
      {"chinchilla",
       Named(FormType::kChinchilla),
       {406.4, 410.7, 1.69, 0.34, 0.28},
       {{1e8, 2e9}, {7e10, 1.4e12}, {3e9, 5e10}}},
      {"fine_grained",
       Named(FormType::kFineGrained),
       {18.1, 2.1, 30.8, 0.47, 0.115, 0.58, 0.147},
       {{1e8, 1e10, 1}, {1e9, 3e10, 8}, {5e9, 1e11, 32}}},
      {"clark_routed",
       Named(FormType::kClarkRouted),
       {-0.082, -0.108, 0.009, 1.104, 1.85, 314},
       {{1e7, 1}, {1.3e8, 64}, {1e9, 512}}},
      {"joint_moe",
       Named(FormType::kJointMoe),
       {35.91, -0.1889, -0.0098, 0.2285, 35.98, -0.1775, 0.0259, -0.5529, 1.3637, 1.2, 400},
       {{1e8, 1e10, 1}, {5e8, 2e10, 8}, {2e9, 1e11, 64}}},
      {"power_law", Named(FormType::kPowerLaw), {0.1715, 0.5243}, {{1e18}, {1e20}, {3e23}}},
      {"power_sum",
       CustomSum(),
       {300, 1500, 1.7, 0.4, 0.32, 0.35, 0.5},
       {{1e8, 1e10, 2}, {1e9, 1e11, 8}, {1e10, 1e12, 32}}},
  };
}

class FormGradientTest : public ::testing::TestWithParam<GradientCase> {};

TEST_P(FormGradientTest, JacobianMatchesCentralDifferences) {
  const GradientCase& c = GetParam();
  Result<std::unique_ptr<const LawForm>> form = MakeForm(c.spec);
  ASSERT_TRUE(form.ok()) << form.error().message;
  const LawForm& f = **form;
  ASSERT_EQ(f.num_parameters(), c.values.size());
  Eigen::MatrixXd x(static_cast<Eigen::Index>(c.points.size()),
                    static_cast<Eigen::Index>(c.points[0].size()));
  for (size_t i = 0; i < c.points.size(); ++i) {
    for (size_t j = 0; j < c.points[i].size(); ++j) {
      x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = c.points[i][j];
    }
  }
  const Eigen::MatrixXd features = f.Features(x);
  const Eigen::VectorXd theta = f.ToFitSpace(Eigen::Map<const Eigen::VectorXd>(
      c.values.data(), static_cast<Eigen::Index>(c.values.size())));
  Eigen::VectorXd log_pred;
  Eigen::MatrixXd jacobian;
  f.LogPredict(theta, features, log_pred, &jacobian);
  ASSERT_EQ(jacobian.cols(), theta.size());
  for (Eigen::Index p = 0; p < theta.size(); ++p) {
    const double h = 1e-6;
    Eigen::VectorXd up = theta, down = theta;
    up[p] += h;
    down[p] -= h;
    Eigen::VectorXd f_up, f_down;
    f.LogPredict(up, features, f_up, nullptr);
    f.LogPredict(down, features, f_down, nullptr);
    const Eigen::VectorXd numeric = (f_up - f_down) / (2 * h);
    for (Eigen::Index i = 0; i < numeric.size(); ++i) {
      EXPECT_NEAR(jacobian(i, p), numeric[i], 1e-6 * (1 + std::fabs(numeric[i])))
          << c.name << " parameter " << f.parameters()[static_cast<size_t>(p)].name << " point "
          << i;
    }
  }
}

TEST_P(FormGradientTest, FitSpaceRoundTrips) {
  const GradientCase& c = GetParam();
  const auto form = std::move(MakeForm(c.spec).value());
  const Eigen::VectorXd values = Eigen::Map<const Eigen::VectorXd>(
      c.values.data(), static_cast<Eigen::Index>(c.values.size()));
  const Eigen::VectorXd back = form->FromFitSpace(form->ToFitSpace(values));
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(back[i], values[i], 1e-12 * std::fabs(values[i]));
  }
}

INSTANTIATE_TEST_SUITE_P(AllForms, FormGradientTest, ::testing::ValuesIn(Cases()),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(LawFormTest, ChinchillaPredictsHoffmannsFormula) {
  const auto form = MakeChinchillaForm();
  Eigen::VectorXd v(5);
  v << 406.4, 410.7, 1.69, 0.34, 0.28;
  // Chinchilla itself, N = 70e9, D = 1.4e12:
  // 1.69 + 406.4 / 70e9^0.34 + 410.7 / 1.4e12^0.28 = 1.69 + 0.08349 + 0.16316 = 1.93665.
  const double n = 70e9, d = 1.4e12;
  const double by_hand = 1.69 + 406.4 / std::pow(n, 0.34) + 410.7 / std::pow(d, 0.28);
  EXPECT_NEAR(by_hand, 1.9366, 5e-4);
  EXPECT_NEAR(form->Predict(v, std::vector<double>{n, d}), by_hand, 1e-12);
}

TEST(LawFormTest, FineGrainedMatchesKrajewskiFormula) {
  const auto form = MakeFineGrainedForm();
  // Parameter order a, g, b, c, alpha, gamma, beta.
  Eigen::VectorXd v(7);
  v << 18.1, 2.1, 30.8, 0.47, 0.115, 0.58, 0.147;
  const double n = 1e9, d = 2e10, g = 8;
  const double by_hand =
      0.47 + (2.1 / std::pow(g, 0.58) + 18.1) / std::pow(n, 0.115) + 30.8 / std::pow(d, 0.147);
  EXPECT_NEAR(form->Predict(v, std::vector<double>{n, d, g}), by_hand, 1e-12);
}

TEST(LawFormTest, SaturatedExpertsLimits) {
  // 1/Ê = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max.
  EXPECT_NEAR(SaturatedExperts(1, 1.85, 314), 1.85, 1e-12);   // Ê(1) = E_start
  EXPECT_NEAR(SaturatedExperts(1, 1.0, 100), 1.0, 1e-12);     // dense with E_start = 1
  EXPECT_NEAR(SaturatedExperts(1e12, 1.85, 314), 314, 1e-6);  // saturates at E_max
  // E_start = 1, E_max = 100, E = 8: K = (1 - 0.01)^-1 = 1.010101; u = 8.010101;
  // 1/Ê = 0.124842 + 0.01 = 0.134842 -> Ê = 7.41610.
  EXPECT_NEAR(SaturatedExperts(8, 1.0, 100), 7.41610, 1e-4);
  EXPECT_TRUE(std::isnan(SaturatedExperts(8, 100, 10)));  // E_start >= E_max: undefined
}

TEST(LawFormTest, ClarkRoutedIsBilinearInLog10) {
  const ClarkRoutedForm form;
  Eigen::VectorXd v(6);
  v << -0.082, -0.108, 0.009, 1.104, 1.0, 1e9;  // E_max huge: Ê ~ E
  const double n = 1.3e8, e = 64;
  const double h = std::log10(SaturatedExperts(e, 1.0, 1e9));
  const double log10_l = -0.082 * std::log10(n) - 0.108 * h + 0.009 * std::log10(n) * h + 1.104;
  EXPECT_NEAR(form.Predict(v, std::vector<double>{n, e}), std::pow(10.0, log10_l), 1e-12);
}

TEST(LawFormTest, PowerLawIsKTimesCToTheE) {
  const PowerLawForm form;
  Eigen::VectorXd v(2);
  v << 0.1715, 0.5243;
  EXPECT_NEAR(form.Predict(v, std::vector<double>{1e20}), 0.1715 * std::pow(1e20, 0.5243), 1);
}

TEST(LawFormTest, PowerSumSpecErrorsNameTheProblem) {
  FormSpec spec = CustomSum();
  spec.terms[0].exponents[0].first = "X";
  Result<std::unique_ptr<const LawForm>> form = MakeForm(spec);
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.error().message, "power_sum: term 'A' uses unknown variable 'X'");

  spec = CustomSum();
  spec.terms[1].exponents[0].second = "A";
  EXPECT_EQ(MakeForm(spec).error().message,
            "power_sum: 'A' is used both as a coefficient and as an exponent");

  spec = CustomSum();
  spec.terms.pop_back();
  EXPECT_EQ(MakeForm(spec).error().message, "power_sum: variable 'R' appears in no term");
}

TEST(LawFormTest, FormNamesRoundTrip) {
  for (FormType type : {FormType::kChinchilla, FormType::kFineGrained, FormType::kClarkRouted,
                        FormType::kJointMoe, FormType::kPowerLaw, FormType::kPowerSum}) {
    Result<FormType> parsed = ParseFormType(ToString(type));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_FALSE(ParseFormType("kaplan").ok());
}

}  // namespace
}  // namespace moeplan::scaling
