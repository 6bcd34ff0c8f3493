//===- tests/cli/plan_default_law_test.cc - `moeplan plan` with the joint MoE law ---===//
/// \file
/// `moeplan plan` end to end with its default law, the joint MoE law of Ludziejewski et al.
/// 2025 (ludziejewski2025): on the default space the plan must be a real MoE (the dense
/// epoch2024 law made the expert count irrelevant), the 1e24-FLOP plan lies far beyond the
/// law's fitted range (N_act up to 2.7e9, D up to 8e10) and must say so, and the preset has no
/// standard errors, so no interval. `--law epoch2024` must still work, and a law file of the
/// joint_moe form (not only the preset) is accepted, with the delta-method interval when it
/// carries standard errors. FLOPs-only (--fixed-mfu) so that the whole default space takes
/// about a second.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_test_fixture.h"

namespace moeplan::testing {
namespace {

using moeplan::testing::CliScratchTest;

class PlanDefaultLawTest : public CliScratchTest {};

constexpr const char* kBudget = "plan --fleet 8xH100 --compute 1e24 --fixed-mfu 0.4 --threads 2";

TEST_F(PlanDefaultLawTest, DefaultLawPlansAnMoeAndFlagsExtrapolation) {
  const CliResult r = RunMoeplan(std::string(kBudget) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("law"), "ludziejewski2025");
  EXPECT_GT(j.at("architecture").at("num_experts").get<int>(), 1);
  EXPECT_GT(j.at("experts_effective").at("E_eff").get<double>(), 1.0);
  // No standard errors in the preset: no interval, and the JSON says so.
  EXPECT_TRUE(j.at("loss").at("low").is_null());
  EXPECT_TRUE(j.at("loss").at("high").is_null());
  EXPECT_EQ(j.at("loss").at("note"), "no interval: the law has no standard errors");
  // C = M D = 1e24 with M ~ 6 N_act: N_act D ~ 1.7e23, so N_act <= 2.7e9 would need D >= 6e13,
  // far above 8e10: at least one of N, D is outside the fitted range.
  const auto& x = j.at("extrapolation");
  EXPECT_FALSE(x.at("in_fitted_range").get<bool>());
  ASSERT_GE(x.at("outside").size(), 1u);
  for (const auto& o : x.at("outside")) {
    const std::string v = o.at("variable");
    const double value = o.at("value"), lo = o.at("fitted_min"), hi = o.at("fitted_max");
    EXPECT_TRUE(value < lo || value > hi) << v << " " << value;
    const double expected_max = v == "N" ? 2.7e9 : v == "D" ? 8e10 : 32;
    EXPECT_EQ(hi, expected_max) << v;
  }
}

TEST_F(PlanDefaultLawTest, TextNamesTheExtrapolationAndTheMissingInterval) {
  const CliResult r = RunMoeplan(kBudget);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("law ludziejewski2025"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("E_eff = "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(no interval: the law has no standard errors)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("warning: extrapolation: the plan lies outside the law's fitted range"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("outside the fitted 7.9e+07 .. 2.7e+09"), std::string::npos) << r.out;
}

TEST_F(PlanDefaultLawTest, Epoch2024StillWorks) {
  const CliResult r = RunMoeplan(std::string(kBudget) + " --law epoch2024 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("law"), "epoch2024");
  // epoch2024 has standard errors: a real interval around the prediction.
  const double loss = j.at("loss").at("predicted");
  EXPECT_LT(j.at("loss").at("low").get<double>(), loss);
  EXPECT_GT(j.at("loss").at("high").get<double>(), loss);
}

TEST_F(PlanDefaultLawTest, JointMoeLawFileWithStandardErrors) {
  // The preset's coefficients in a file of its own, with a standard error on c only. L is
  // linear in c with slope 1, so the delta-method half-width is exactly 1.96 x 0.01 = 0.0196.
  Write("joint.json", R"({"format": "moeplan-law", "version": 1, "name": "my-joint",
    "laws": [{"target": {"symbol": "L", "meaning": "loss"}, "form": {"type": "joint_moe"},
      "variables": {"N": {"meaning": "active params"}, "D": {"meaning": "tokens"},
                    "E": {"meaning": "experts"}},
      "coefficients": {"a": {"value": 35.91}, "alpha": {"value": -0.1889},
        "gamma": {"value": 0.0098}, "delta": {"value": -0.2285}, "b": {"value": 35.98},
        "beta": {"value": -0.1775}, "zeta": {"value": -0.0259}, "omega": {"value": 0.5529},
        "c": {"value": 1.3637, "std_error": 0.01}, "E_start": {"value": 2.0732},
        "E_max": {"value": 290.4521}}}]})");
  const CliResult r =
      RunMoeplan(std::string(kBudget) + " --json --law " + (dir_ / "joint.json").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("law"), "my-joint");
  EXPECT_GT(j.at("experts_effective").at("E_eff").get<double>(), 1.0);
  const double loss = j.at("loss").at("predicted");
  EXPECT_NEAR(j.at("loss").at("low").get<double>(), loss - 0.0196, 1e-6);
  EXPECT_NEAR(j.at("loss").at("high").get<double>(), loss + 0.0196, 1e-6);
  // No fitted range in this file: nothing to flag.
  EXPECT_TRUE(j.at("extrapolation").at("in_fitted_range").get<bool>());
}

TEST_F(PlanDefaultLawTest, JointMoeLawRefusesTotalParams) {
  const CliResult r = RunMoeplan(std::string(kBudget) + " --law-params total");
  ExpectOneLineError(r, "expected --law-params active, got total");
}

}  // namespace
}  // namespace moeplan::testing
