//===- tests/cli/recommend_command_test.cc - `moeplan recommend` end to end ===//
/// Runs the real binary. Expected values: wan2026's M_opt at 1e20 evaluated by hand; the
/// printed triad re-counted from the printed (and written) architecture.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "laws/accounting.h"
#include "laws/arch_json.h"
#include "laws/hf_import.h"
#include "tests/cli/cli_test_fixture.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

using moeplan::testing::CliScratchTest;

class RecommendCliTest : public CliScratchTest {};

TEST_F(RecommendCliTest, OneE20WithDefaultLawsHitsWan2026MOpt) {
  // wan2026: M_opt = 0.0437 x (1e20 / 1e18)^0.5437 x 1e10 = 0.0437 x 12.230 x 1e10 = 5.345e9
  // FLOPs per token (100^0.5437 = 10^1.0874 = 12.230).
  const double m_opt = 0.0437 * std::pow(100.0, 0.5437) * 1e10;
  const fs::path arch_file = dir_ / "arch.json", hf = dir_ / "config.json";
  const CliResult r = RunMoeplan("recommend --compute 1e20 --json --out " + arch_file.string() +
                                 " --hf-config " + hf.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "moeplan-recommendation");
  const double m = doc["triad"]["flops_per_token"];
  EXPECT_LE(std::fabs(m / m_opt - 1), 0.03) << m;
  EXPECT_NEAR(doc["allocation"]["M_opt"]["value"].get<double>() / m_opt, 1.0, 1e-12);
  EXPECT_NEAR(doc["tokens"].get<double>() * m / 1e20, 1.0, 1e-12);
  EXPECT_NEAR(doc["learning_rate"].get<double>(), 0.3118 * std::pow(10.0, -2.5), 1e-12);

  // The printed triad is the exact accounting of the printed architecture ...
  Result<laws::MoeArch> printed = laws::ArchFromJson(doc["arch"], "stdout");
  ASSERT_TRUE(printed.ok()) << printed.error().message;
  const laws::Triad t = laws::CountTriad(*printed);
  EXPECT_EQ(t.total_params, doc["triad"]["total_params"].get<int64_t>());
  EXPECT_EQ(t.active_params, doc["triad"]["active_params"].get<int64_t>());
  EXPECT_DOUBLE_EQ(t.flops_per_token, m);
  // ... and of the written files.
  const nlohmann::json written = nlohmann::json::parse(ReadWholeFile(arch_file));
  EXPECT_EQ(written, doc["arch"]);
  Result<laws::ImportedModel> imported = laws::ImportHfConfigFile(hf);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(laws::CountTriad(imported->arch).total_params, t.total_params);
  EXPECT_EQ(laws::CountTriad(imported->arch).active_params, t.active_params);
}

TEST_F(RecommendCliTest, TableNamesSourcesAndTheLossBand) {
  const CliResult r = RunMoeplan("recommend --compute 1e21 --loss-law epoch2024");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* fragment :
       {"wan2026", "deepseek-llm-2024", "moeplan default rule", "moeplan-phase-defaults",
        "triad (exact accounting", "loss (epoch2024)", "delta method"}) {
    EXPECT_NE(r.out.find(fragment), std::string::npos) << fragment << "\n" << r.out;
  }
}

TEST_F(RecommendCliTest, BadInputGivesOneLineErrors) {
  ExpectOneLineError(RunMoeplan("recommend --compute 0"), "expected a positive number of FLOPs");
  ExpectOneLineError(RunMoeplan("recommend --compute=-1e20"), "positive number of FLOPs");
  ExpectOneLineError(RunMoeplan("recommend --compute 1e20 --laws no-such-law"), "no-such-law");
  ExpectOneLineError(RunMoeplan("recommend --compute 1e20 --loss-law deepseek-llm-2024"),
                     "expected a law of target 'L'");
  ExpectOneLineError(RunMoeplan("recommend --compute 1e20 --tolerance -0.1"), "tolerance");
  ExpectOneLineError(RunMoeplan("recommend --compute 1e20 --loss-law epoch2024 --loss-params x"),
                     "expected 'active' or 'total'");
  const fs::path out = dir_ / "arch.json";
  ExpectOneLineError(RunMoeplan("recommend --compute 1e20 --na-over-m 0.2 --out " + out.string()),
                     "below 1/6");
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace moeplan::testing
