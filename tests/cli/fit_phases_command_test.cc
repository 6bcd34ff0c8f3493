//===- tests/cli/fit_phases_command_test.cc - `moeplan fit-phases` end to end ===//
/// The CLI contract of `moeplan fit-phases`: on synthetic results from a known law
/// (tests/laws/scaling/phase_synthetic.h: M* = 0.1715 C^0.5243, d* = 0.16 C^0.2, ...) it prints
/// the tables, writes a law file the strict reader accepts with the laws recovered, and a JSON
/// report; bad input gives one "moeplan: error:" line naming the file, row and column, exit
/// status 2, and writes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "laws/scaling/law_json.h"
#include "tests/cli/cli_test_fixture.h"
#include "tests/laws/scaling/phase_synthetic.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

using moeplan::testing::CliScratchTest;

class FitPhasesCliTest : public CliScratchTest {};

TEST_F(FitPhasesCliTest, WritesLawsAndReport) {
  const fs::path results = Write("results.csv", ToResultsCsv(MakeSyntheticResults(SyntheticLaw{})));
  const fs::path laws = dir_ / "laws.json", report = dir_ / "report.json";
  const CliResult r = RunMoeplan("fit-phases " + results.string() + " --out " + laws.string() +
                                 " --report " + report.string() + " --bootstrap 50");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text : {"phase 1 allocation laws", "M_opt", "N_over_Na_opt", "check C = M D",
                           "phase 1 near-optimal band", "shape variable num_layers",
                           "rank preservation of d", "50 pairs", "wrote "}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  Result<scaling::LawFile> file = scaling::ReadLawFile(laws);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->name, "laws");
  ASSERT_EQ(file->laws.size(), 6u);
  const scaling::Law* m_opt = scaling::FindLaw(*file, "M_opt");
  ASSERT_NE(m_opt, nullptr);
  EXPECT_NEAR(m_opt->coefficients[0].value, 0.1715, 1e-6);  // k
  EXPECT_NEAR(m_opt->coefficients[1].value, 0.5243, 1e-8);  // e
  const scaling::Law* depth = scaling::FindLaw(*file, "num_layers_opt");
  ASSERT_NE(depth, nullptr);
  EXPECT_NEAR(depth->coefficients[1].value, 0.1, 1e-8);
  ASSERT_NE(scaling::FindLaw(*file, "d_opt"), nullptr);

  const nlohmann::json json = nlohmann::json::parse(ReadWholeFile(report));
  EXPECT_EQ(json["format"], "moeplan-fit-phases-report");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["num_runs"], 5 * 45 + 5 * 25);
  EXPECT_EQ(json["phase1"]["budgets"].size(), 5u);
  EXPECT_EQ(json["phase1"]["exponent_sum_check"]["ok"], true);
  EXPECT_EQ(json["phase2"]["rank_preservation"]["summary"]["num_pairs"], 50);
  EXPECT_EQ(json["law_file"]["laws"].size(), 6u);
}

TEST_F(FitPhasesCliTest, JsonGoesToStdout) {
  const fs::path results =
      Write("results.csv", ToResultsCsv(MakeSyntheticResults(SyntheticLaw{}, true, false)));
  const CliResult r = RunMoeplan("fit-phases " + results.string() + " --json --bootstrap 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_TRUE(json["phase2"].is_null());
  EXPECT_EQ(json["phase1"]["laws"][1]["target"], "D_opt");
  EXPECT_NEAR(json["phase1"]["laws"][1]["e"].get<double>(), 1 - 0.5243, 1e-8);
  EXPECT_TRUE(json["phase1"]["laws"][1]["bootstrap"]["e"].is_null());
}

TEST_F(FitPhasesCliTest, BadInputNamesRowAndColumnAndWritesNothing) {
  std::string csv = ToResultsCsv(MakeSyntheticResults(SyntheticLaw{}));
  // Row 3 is line 4; its last cell is the loss.
  size_t line_start = 0;
  for (int line = 1; line < 4; ++line) line_start = csv.find('\n', line_start) + 1;
  const size_t comma = csv.rfind(',', csv.find('\n', line_start));
  csv.replace(comma + 1, csv.find('\n', line_start) - comma - 1, "oops");
  const fs::path results = Write("bad.csv", csv), laws = dir_ / "laws.json";
  CliResult r = RunMoeplan("fit-phases " + results.string() + " --out " + laws.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "moeplan: error: " + results.string() +
                       ": row 3 (line 4), column 'loss': expected a positive number, got 'oops'\n");
  EXPECT_FALSE(fs::exists(laws));

  const fs::path no_loss = Write("no_loss.csv", "run_id,phase,compute\na,1,1e19\n");
  r = RunMoeplan("fit-phases " + no_loss.string() + " --out " + laws.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "moeplan: error: " + no_loss.string() +
                       ": column 'loss' (the final loss of each run) not found; the columns are: "
                       "run_id, phase, compute\n");

  SyntheticLaw one_budget;
  one_budget.budgets = {1e19};
  const fs::path single =
      Write("single.csv", ToResultsCsv(MakeSyntheticResults(one_budget, true, false)));
  r = RunMoeplan("fit-phases " + single.string() + " --out " + laws.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "moeplan: error: " + single.string() +
                       ": phase 1 has runs at 1 budget (C = 1e+19); power laws of C need at "
                       "least 2\n");
  EXPECT_FALSE(fs::exists(laws));

  r = RunMoeplan("fit-phases " + single.string() + " --method grid");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "moeplan: error: --method: unknown optimum method 'grid' (expected auto, surface or "
            "slices)\n");
}

}  // namespace
}  // namespace moeplan::testing
