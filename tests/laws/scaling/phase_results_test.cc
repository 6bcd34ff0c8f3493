//===- tests/laws/scaling/phase_results_test.cc - Reading two-phase results ===//
/// Columns are found by name in any order; every bad cell or missing column is an error that
/// names the file, the row (and its line) and the column; budgets group runs by C.
#include "laws/scaling/phase_results.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moeplan::scaling {
namespace {

Result<PhaseResults> Read(const std::string& text) {
  Result<CsvTable> table = ParseCsv(text, "r.csv");
  if (!table) return table.error();
  return ReadPhaseResults(*table);
}

const char* kHeader =
    "loss,tokens,total_params,active_params,flops_per_token,compute,phase,run_id,note\n";

TEST(PhaseResultsTest, ReadsColumnsByName) {
  Result<PhaseResults> r = Read(std::string(kHeader) +
                                "2.5,1e10,8e9,1e9,1e9,1e19,1,c1e19-p1-000,first\n"
                                "2.4,5e9,16e9,2e9,2e9,1e19,1.0,,\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->runs.size(), 2u);
  const PhaseRun& run = r->runs[0];
  EXPECT_EQ(run.run_id, "c1e19-p1-000");
  EXPECT_EQ(run.row, 1);
  EXPECT_EQ(run.phase, 1);
  EXPECT_EQ(run.compute, 1e19);
  EXPECT_EQ(run.flops_per_token, 1e9);
  EXPECT_EQ(run.active_params, 1e9);
  EXPECT_EQ(run.total_params, 8e9);
  EXPECT_EQ(run.tokens, 1e10);
  EXPECT_EQ(run.loss, 2.5);
  EXPECT_EQ(r->runs[1].run_id, "row 2");  // empty run_id
  EXPECT_EQ(r->runs[1].phase, 1);         // "1.0" as a spreadsheet writes it
  EXPECT_FALSE(r->has_num_layers);
  EXPECT_EQ(r->CountPhase(1), 2u);
}

TEST(PhaseResultsTest, ErrorsNameFileRowAndColumn) {
  const std::string good = "2.5,1e10,8e9,1e9,1e9,1e19,1,a,\n";
  EXPECT_EQ(Read(std::string(kHeader) + good + "2.4,5e9,16e9,2e9,abc,1e19,1,b,\n").error().message,
            "r.csv: row 2 (line 3), column 'flops_per_token': expected a positive number, got "
            "'abc'");
  EXPECT_EQ(Read(std::string(kHeader) + "nan,5e9,16e9,2e9,2e9,1e19,1,b,\n").error().message,
            "r.csv: row 1 (line 2), column 'loss': expected a positive number, got 'nan'");
  EXPECT_EQ(Read(std::string(kHeader) + good + good + "2.4,-5e9,16e9,2e9,2e9,1e19,1,b,\n")
                .error()
                .message,
            "r.csv: row 3 (line 4), column 'tokens': expected a positive number, got -5e9");
  EXPECT_EQ(Read(std::string(kHeader) + "2.4,5e9,16e9,2e9,2e9,,1,b,\n").error().message,
            "r.csv: row 1 (line 2), column 'compute': expected a positive number, got an empty "
            "cell");
  EXPECT_EQ(Read(std::string(kHeader) + "2.4,5e9,16e9,2e9,2e9,1e19,3,b,\n").error().message,
            "r.csv: row 1 (line 2), column 'phase': expected 1 or 2, got '3'");
  EXPECT_EQ(Read("phase,compute,flops_per_token\n1,1e19,1e9\n").error().message,
            "r.csv: column 'loss' (the final loss of each run) not found; the columns are: "
            "phase, compute, flops_per_token");
  EXPECT_EQ(Read("phase,compute,loss,flops_per_token,active_params,total_params\n"
                 "1,1e19,2.5,1e9,1e9,8e9\n")
                .error()
                .message,
            "r.csv: column 'tokens' (phase 1: D) not found; the columns are: phase, compute, "
            "loss, flops_per_token, active_params, total_params");
  EXPECT_EQ(Read("phase,compute,loss,hidden_size\n2,1e19,2.5,1024\n").error().message,
            "r.csv: phase 2 runs need a column 'num_layers' or 'expert_width' (the second shape "
            "variable); the columns are: phase, compute, loss, hidden_size");
  EXPECT_EQ(Read(kHeader).error().message, "r.csv: no runs (only a header)");
}

TEST(PhaseResultsTest, PhaseTwoNeedsOnlyItsColumns) {
  Result<PhaseResults> r =
      Read("phase,compute,loss,hidden_size,num_layers\n2,1e19,2.5,1024,16\n2,1e19,2.4,2048,8\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->runs[1].hidden_size, 2048);
  EXPECT_EQ(r->runs[1].num_layers, 8);
  EXPECT_TRUE(r->has_num_layers);
  EXPECT_FALSE(r->has_expert_width);
  EXPECT_EQ(r->runs[0].flops_per_token, 0);
}

TEST(PhaseResultsTest, GroupsBudgetsByCompute) {
  // 1e18 and 1.02e18 share a budget (within 5%); its C is their geometric mean.
  Result<PhaseResults> r = Read(
      "phase,compute,loss,hidden_size,num_layers\n"
      "2,1e19,2.5,1024,16\n2,1e18,2.9,512,8\n2,1.02e18,2.8,768,8\n2,1e19,2.4,2048,8\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::vector<Budget> budgets = GroupBudgets(*r, 2, 0.05);
  ASSERT_EQ(budgets.size(), 2u);
  EXPECT_NEAR(budgets[0].compute, std::sqrt(1e18 * 1.02e18), 1e18 * 1e-14);
  EXPECT_EQ(budgets[0].runs, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(budgets[1].runs, (std::vector<size_t>{0, 3}));
  EXPECT_TRUE(GroupBudgets(*r, 1, 0.05).empty());
}

}  // namespace
}  // namespace moeplan::scaling
