//===- tests/laws/scaling/fit_test.cc - Synthetic round trips of every form -===//
/// Data generated from a known law with multiplicative log-normal noise are fitted back: the
/// true coefficients must lie within 3 bootstrap standard errors of the estimates (a 3-sigma
/// check) for every form. Also: results are bitwise identical at 1 and 2 threads, fixed
/// coefficients stay fixed, and leave-one-budget-out finds small errors on a correct law.
#include "laws/scaling/fit.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>

#include "laws/scaling/bootstrap.h"
#include "laws/scaling/cross_validation.h"
#include "laws/scaling/internal/random.h"
#include "laws/scaling/power_sum_form.h"

namespace moeplan::scaling {
namespace {

// Standard normal deviates by Box-Muller from the portable generator.
class Noise {
 public:
  explicit Noise(uint64_t seed) : rng_(seed) {}
  double Normal() {
    const double u1 = 1.0 - rng_.Uniform(), u2 = rng_.Uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
  }

 private:
  internal::SplitMix64 rng_;
};

// All combinations of per-variable grids, target = law x exp(sigma z).
RunData Synthesize(const LawForm& form, const Eigen::VectorXd& truth,
                   const std::vector<std::vector<double>>& grids, double sigma, uint64_t seed) {
  size_t total = 1;
  for (const auto& g : grids) total *= g.size();
  RunData data;
  data.source = "synthetic";
  for (const QuantitySpec& v : form.variables()) data.symbols.push_back(v.symbol);
  data.x.resize(static_cast<Eigen::Index>(total), static_cast<Eigen::Index>(grids.size()));
  data.y.resize(static_cast<Eigen::Index>(total));
  Noise noise(seed);
  for (size_t i = 0; i < total; ++i) {
    size_t code = i;
    std::vector<double> point(grids.size());
    for (size_t v = grids.size(); v-- > 0;) {
      point[v] = grids[v][code % grids[v].size()];
      code /= grids[v].size();
    }
    for (size_t v = 0; v < grids.size(); ++v) {
      data.x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(v)) = point[v];
    }
    data.y[static_cast<Eigen::Index>(i)] =
        form.Predict(truth, point) * std::exp(sigma * noise.Normal());
    data.rows.push_back(static_cast<int64_t>(i) + 1);
  }
  return data;
}

std::vector<double> LogGrid(double lo, double hi, int n) {
  std::vector<double> grid;
  for (int i = 0; i < n; ++i) grid.push_back(lo * std::pow(hi / lo, i / (n - 1.0)));
  return grid;
}

struct RoundTrip {
  const char* name;
  FormSpec spec;
  std::vector<double> truth;
  std::vector<std::vector<double>> grids;
  double sigma;
  std::vector<std::pair<std::string, double>> fixed;
};

FormSpec Named(FormType type) {
  return FormSpec{type, {}, {}, {}};
}

std::vector<RoundTrip> RoundTrips() {
  return {
      {"chinchilla",
       Named(FormType::kChinchilla),
       {400, 1800, 1.8, 0.34, 0.37},
       {LogGrid(5e7, 2e10, 8), LogGrid(1e9, 5e11, 8)},
       0.003,
       {}},
      // a, g, b, c, alpha, gamma, beta (Krajewski et al.'s magnitudes).
      {"fine_grained",
       Named(FormType::kFineGrained),
       {18.1, 2.1, 30.8, 0.47, 0.115, 0.58, 0.147},
       {LogGrid(1e8, 1e10, 5), LogGrid(2e9, 2e11, 5), {1, 2, 4, 8, 16}},
       0.002,
       {}},
      // a, b, c, d with Ê's constants held at their true values.
      {"clark_routed",
       Named(FormType::kClarkRouted),
       {-0.082, -0.108, 0.009, 1.104, 1.85, 314},
       {LogGrid(1e7, 1e9, 6), {1, 2, 4, 8, 16, 32, 64, 128, 256, 512}},
       0.002,
       {{"E_start", 1.85}, {"E_max", 314}}},
      // a, alpha, gamma, delta, b, beta, zeta, omega, c, E_start (held at 1), E_max (held).
      {"joint_moe",
       Named(FormType::kJointMoe),
       {35.91, -0.1889, -0.0098, 0.2285, 35.98, -0.1775, 0.0259, -0.5529, 1.3637, 1.0, 400},
       {LogGrid(1e8, 3e9, 5), LogGrid(2e9, 1e11, 5), {1, 4, 16, 64}},
       0.002,
       {{"E_max", 400}}},
      {"power_law",
       Named(FormType::kPowerLaw),
       {0.1715, 0.5243},
       {LogGrid(1e17, 3e20, 12)},
       0.02,
       {}},
      {"power_sum",
       FormSpec{FormType::kPowerSum,
                {{"Na", ""}, {"D", ""}, {"R", ""}},
                "E",
                {{"A", {{"Na", "alpha"}}}, {"B", {{"D", "beta"}}}, {"S", {{"R", "rho"}}}}},
       // A, B, S, E, alpha, beta, rho.
       {300, 1500, 0.3, 1.7, 0.4, 0.32, 0.5},
       {LogGrid(1e8, 1e10, 5), LogGrid(1e9, 1e11, 5), {1, 4, 16, 64}},
       0.002,
       {}},
  };
}

class RoundTripTest : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(RoundTripTest, RecoversTheTruthWithinThreeStandardErrors) {
  const RoundTrip& c = GetParam();
  const auto form = std::move(MakeForm(c.spec).value());
  const Eigen::VectorXd truth =
      Eigen::Map<const Eigen::VectorXd>(c.truth.data(), static_cast<Eigen::Index>(c.truth.size()));
  const RunData data = Synthesize(*form, truth, c.grids, c.sigma, 7);
  FitOptions options;
  options.fixed = c.fixed;
  options.max_starts = 500;
  Result<FitProblem> problem = FitProblem::Make(*form, data, options);
  ASSERT_TRUE(problem.ok()) << problem.error().message;
  const FitResult fit = problem->Fit();
  ASSERT_TRUE(fit.converged) << fit.stop_reason;
  BootstrapOptions boot;
  boot.replicates = 100;
  Result<BootstrapResult> spread = Bootstrap(*problem, fit, boot);
  ASSERT_TRUE(spread.ok()) << spread.error().message;
  EXPECT_LE(spread->num_failed, 5u);
  for (size_t p = 0; p < form->num_parameters(); ++p) {
    const std::string& name = form->parameters()[p].name;
    if (fit.fixed[p]) {
      EXPECT_EQ(fit.values[static_cast<Eigen::Index>(p)], truth[static_cast<Eigen::Index>(p)]);
      continue;
    }
    const Interval& interval = spread->coefficients[p];
    EXPECT_GT(interval.std_error, 0) << name;
    EXPECT_LE(std::fabs(interval.estimate - truth[static_cast<Eigen::Index>(p)]),
              3 * interval.std_error)
        << c.name << " " << name << ": estimate " << interval.estimate << ", truth "
        << truth[static_cast<Eigen::Index>(p)] << ", std error " << interval.std_error;
  }
  // The residuals are the noise: rms close to sigma.
  EXPECT_NEAR(fit.rms_log_residual, c.sigma, 0.35 * c.sigma);
}

INSTANTIATE_TEST_SUITE_P(AllForms, RoundTripTest, ::testing::ValuesIn(RoundTrips()),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

class ChinchillaSyntheticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    truth_.resize(5);
    truth_ << 400, 1800, 1.8, 0.34, 0.37;
    data_ = Synthesize(*form_, truth_, {LogGrid(5e7, 2e10, 8), LogGrid(1e9, 5e11, 8)}, 0.003, 11);
    // Budgets: C = 6 N D of each run, rounded to its decade so that runs share budgets.
    data_.compute.resize(data_.y.size());
    for (Eigen::Index i = 0; i < data_.y.size(); ++i) {
      data_.compute[i] = std::pow(10.0, std::round(std::log10(6 * data_.x(i, 0) * data_.x(i, 1))));
    }
    options_.max_starts = 300;
  }
  std::unique_ptr<PowerSumForm> form_ = MakeChinchillaForm();
  Eigen::VectorXd truth_;
  RunData data_;
  FitOptions options_;
};

TEST_F(ChinchillaSyntheticTest, SameResultWhateverTheThreadCount) {
  auto run = [&](int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              static_cast<size_t>(threads));
    Result<FitProblem> problem = FitProblem::Make(*form_, data_, options_);
    const FitResult fit = problem->Fit();
    BootstrapOptions boot;
    boot.replicates = 40;
    Result<BootstrapResult> spread = Bootstrap(*problem, fit, boot);
    return std::pair{fit, std::move(spread).value()};
  };
  const auto [fit1, boot1] = run(1);
  const auto [fit2, boot2] = run(2);
  EXPECT_EQ(fit1.best_start, fit2.best_start);
  for (Eigen::Index p = 0; p < 5; ++p) EXPECT_EQ(fit1.values[p], fit2.values[p]);
  ASSERT_EQ(boot1.values.rows(), boot2.values.rows());
  EXPECT_TRUE((boot1.values.array() == boot2.values.array()).all());
}

TEST_F(ChinchillaSyntheticTest, PredictionIntervalCoversTheTrueLoss) {
  Result<FitProblem> problem = FitProblem::Make(*form_, data_, options_);
  const FitResult fit = problem->Fit();
  BootstrapOptions boot;
  boot.replicates = 100;
  Result<BootstrapResult> spread = Bootstrap(*problem, fit, boot);
  ASSERT_TRUE(spread.ok()) << spread.error().message;
  // Extrapolation to N = 7e10, D = 1.4e12, beyond the data (N <= 2e10, D <= 5e11).
  const std::vector<double> point{7e10, 1.4e12};
  const Interval loss = PredictionInterval(
      *spread, fit.values, [&](const Eigen::VectorXd& v) { return form_->Predict(v, point); });
  const double truth = form_->Predict(truth_, point);
  EXPECT_GT(loss.std_error, 0);
  EXPECT_LE(std::fabs(loss.estimate - truth), 3 * loss.std_error);
  EXPECT_LT(loss.low, loss.estimate);
  EXPECT_GT(loss.high, loss.estimate);
}

TEST(BootstrapSummaryTest, PercentileIntervalAndStandardErrorByHand) {
  // Samples 1..5: mean 3, sample variance 10/4 = 2.5, std error 1.581139; the 50% interval
  // is the 25th and 75th percentiles, at positions 0.25 x 4 = 1 and 3: [2, 4].
  const Interval i = Summarize({5, 3, 1, 4, 2}, 3.0, 0.5);
  EXPECT_NEAR(i.std_error, 1.581139, 1e-6);
  EXPECT_DOUBLE_EQ(i.low, 2);
  EXPECT_DOUBLE_EQ(i.high, 4);
  // 90%: positions 0.05 x 4 = 0.2 -> 1.2 and 0.95 x 4 = 3.8 -> 4.8 (linear interpolation).
  const Interval j = Summarize({5, 3, 1, 4, 2}, 3.0, 0.9);
  EXPECT_DOUBLE_EQ(j.low, 1.2);
  EXPECT_DOUBLE_EQ(j.high, 4.8);
}

TEST_F(ChinchillaSyntheticTest, FixedCoefficientsStayFixed) {
  options_.fixed = {{"E", 1.8}, {"beta", 0.37}};
  Result<FitProblem> problem = FitProblem::Make(*form_, data_, options_);
  ASSERT_TRUE(problem.ok()) << problem.error().message;
  EXPECT_EQ(problem->num_free(), 3u);
  const FitResult fit = problem->Fit();
  EXPECT_TRUE(fit.converged);
  EXPECT_EQ(fit.values[2], 1.8);
  EXPECT_EQ(fit.values[4], 0.37);
  EXPECT_NEAR(fit.values[3], 0.34, 0.01);
}

TEST_F(ChinchillaSyntheticTest, LeaveOneBudgetOutOfACorrectLawIsSmall) {
  Result<FitProblem> problem = FitProblem::Make(*form_, data_, options_);
  const FitResult fit = problem->Fit();
  Result<std::vector<BudgetFold>> folds = LeaveOneBudgetOut(*problem, fit, {});
  ASSERT_TRUE(folds.ok()) << folds.error().message;
  ASSERT_GE(folds->size(), 3u);
  for (size_t i = 1; i < folds->size(); ++i) {
    EXPECT_GT((*folds)[i].compute_min, (*folds)[i - 1].compute_max);
  }
  for (const BudgetFold& fold : *folds) {
    EXPECT_TRUE(fold.converged);
    // Noise is 0.3% per run; a correct law extrapolates to within a few times that.
    EXPECT_LT(fold.mean_abs_rel_error, 0.02) << fold.compute_min;
  }
}

TEST_F(ChinchillaSyntheticTest, OptionErrorsNameTheOption) {
  options_.fixed = {{"gamma", 1.0}};
  EXPECT_EQ(FitProblem::Make(*form_, data_, options_).error().message,
            "fixed: 'gamma' is not a coefficient of law form chinchilla (coefficients: A, B, E, "
            "alpha, beta)");
  options_.fixed = {{"A", -1.0}};
  EXPECT_EQ(FitProblem::Make(*form_, data_, options_).error().message,
            "fixed: coefficient 'A' must be a positive number, got -1");
  options_.fixed.clear();
  options_.huber_delta = 0;
  EXPECT_EQ(FitProblem::Make(*form_, data_, options_).error().message,
            "huber_delta must be positive, got 0");
}

TEST_F(ChinchillaSyntheticTest, IterationLimitIsReportedAsNotConverged) {
  options_.minimize.max_iterations = 1;
  options_.polish.max_iterations = 0;
  options_.max_starts = 5;
  Result<FitProblem> problem = FitProblem::Make(*form_, data_, options_);
  const FitResult fit = problem->Fit();
  EXPECT_FALSE(fit.converged);
  EXPECT_FALSE(fit.stop_reason.empty());
}

}  // namespace
}  // namespace moeplan::scaling
