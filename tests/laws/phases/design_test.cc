//===- tests/laws/phases/design_test.cc - The runs of the two-phase experiment ===//
/// Checks the design's contract: D M = C for every run; every run's exact triad (re-counted
/// here) within the template's tolerance of its grid point; the grid centres and the learning
/// rate and batch size equal the published laws evaluated by hand; every grid point either a
/// run or a skipped point with a reason; the manifest's CSV and JSON agree with the runs.
#include "laws/phases/design.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "laws/arch_json.h"
#include "laws/phases/runs_manifest.h"

namespace moeplan::phases {
namespace {

DesignOptions TwoBudgets() {
  DesignOptions o;
  o.budgets = {1e19, 1e20};
  return o;
}

const DesignResult& SharedDesign() {
  static const DesignResult design = [] {
    Result<DesignResult> r = Design(TwoBudgets());
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *r;
  }();
  return design;
}

TEST(DesignTest, TokensTimesFlopsIsTheBudget) {
  const DesignResult& d = SharedDesign();
  ASSERT_FALSE(d.runs.empty());
  for (const PlannedRun& r : d.runs) {
    EXPECT_NEAR(r.tokens * r.triad.flops_per_token / r.compute, 1.0, 1e-12) << r.run_id;
  }
}

TEST(DesignTest, EveryRunMeetsItsGridPointWithTheExactAccounting) {
  const DesignResult& d = SharedDesign();
  const double tol = TwoBudgets().arch.tolerance + 1e-12;
  for (const PlannedRun& r : d.runs) {
    const laws::Triad t = laws::CountTriad(r.arch);
    EXPECT_EQ(t.total_params, r.triad.total_params) << r.run_id;
    EXPECT_EQ(t.active_params, r.triad.active_params) << r.run_id;
    EXPECT_DOUBLE_EQ(t.flops_per_token, r.triad.flops_per_token) << r.run_id;
    const double na_target = r.grid_na_over_m * r.grid_m;
    EXPECT_LE(std::fabs(t.flops_per_token / r.grid_m - 1), tol) << r.run_id;
    EXPECT_LE(std::fabs(static_cast<double>(t.active_params) / na_target - 1), tol) << r.run_id;
    EXPECT_LE(std::fabs(static_cast<double>(t.total_params) / (r.grid_n_over_na * na_target) - 1),
              tol)
        << r.run_id;
    EXPECT_EQ(r.arch.hidden_size, r.grid_hidden_size) << r.run_id;
    EXPECT_EQ(r.arch.moe.expert.intermediate_size % 64, 0) << r.run_id;
  }
}

TEST(DesignTest, GridCentresAndHyperParametersFollowThePublishedLaws) {
  // At C = 1e20, by hand:
  //   wan2026   M_opt = 0.0437 x (1e20 / 1e18)^0.5437 x 1e10 = 0.0437 x 12.230 x 1e10 = 5.345e9
  //   deepseek  eta_opt = 0.3118 x (1e20)^-0.125 = 0.3118 x 10^-2.5 = 9.860e-4
  //             B_opt   = 0.2920 x (1e20)^0.3271 = 0.2920 x 10^6.542 = 1.0171e6 tokens
  const double m_opt = 0.0437 * std::pow(100.0, 0.5437) * 1e10;
  const double eta = 0.3118 * std::pow(1e20, -0.125);
  const double batch = 0.2920 * std::pow(1e20, 0.3271);
  EXPECT_NEAR(m_opt, 5.345e9, 0.001e9);
  EXPECT_NEAR(eta, 9.860e-4, 0.001e-4);
  EXPECT_NEAR(batch, 1.0171e6, 0.0001e6);
  const DesignResult& d = SharedDesign();
  ASSERT_EQ(d.budgets.size(), 2u);
  EXPECT_NEAR(d.budgets[1].allocation.m_opt.value / m_opt, 1.0, 1e-12);
  size_t phase1 = 0;
  std::set<double> grid_m;
  for (const PlannedRun& r : d.runs) {
    if (r.compute != 1e20) continue;
    EXPECT_NEAR(r.learning_rate / eta, 1.0, 1e-12) << r.run_id;
    EXPECT_NEAR(r.batch_tokens / batch, 1.0, 1e-12) << r.run_id;
    if (r.phase == 1) {
      ++phase1;
      grid_m.insert(r.grid_m);
    }
  }
  EXPECT_GT(phase1, 0u);
  // Phase-1 M values are M_opt x 3^t, t in {-1, -0.5, 0, 0.5, 1}.
  for (double m : grid_m) {
    const double t = std::log(m / m_opt) / std::log(3.0);
    EXPECT_NEAR(t * 2, std::round(t * 2), 1e-9) << m;
    EXPECT_LE(std::fabs(t), 1.0 + 1e-12);
  }
}

TEST(DesignTest, EveryGridPointIsARunOrASkippedPointWithAReason) {
  const DesignResult& d = SharedDesign();
  for (double c : {1e19, 1e20}) {
    std::set<std::string> phase1_ids, phase2_ids;
    for (const PlannedRun& r : d.runs) {
      if (r.compute == c) (r.phase == 1 ? phase1_ids : phase2_ids).insert(r.run_id);
    }
    for (const SkippedPoint& s : d.skipped) {
      if (s.compute != c) continue;
      EXPECT_FALSE(s.reason.empty()) << s.run_id;
      (s.phase == 1 ? phase1_ids : phase2_ids).insert(s.run_id);
    }
    // Phase 1: 5 M x 3 N_a/M x 3 N/N_a = 45 points; ids c1e19-p1-001 .. -045.
    EXPECT_EQ(phase1_ids.size(), 45u) << c;
    const std::string tag = c == 1e19 ? "c1e19" : "c1e20";
    EXPECT_TRUE(phase1_ids.count(tag + "-p1-001")) << c;
    EXPECT_TRUE(phase1_ids.count(tag + "-p1-045")) << c;
    // Phase 2: up to 5 distinct d x 3 K = 15 points.
    EXPECT_GE(phase2_ids.size(), 9u) << c;
    EXPECT_LE(phase2_ids.size(), 15u) << c;
  }
}

TEST(DesignTest, PhaseTwoVariesDAndGranularityAtThePhaseOneOptimum) {
  const DesignResult& d = SharedDesign();
  const Allocation& a = d.budgets[1].allocation;
  std::set<int64_t> ds, ks;
  for (const PlannedRun& r : d.runs) {
    if (r.compute != 1e20 || r.phase != 2) continue;
    EXPECT_DOUBLE_EQ(r.grid_m, a.m_opt.value);
    EXPECT_DOUBLE_EQ(r.grid_na_over_m, a.na_over_m.value);
    EXPECT_DOUBLE_EQ(r.grid_n_over_na, a.n_over_na.value);
    EXPECT_EQ(r.grid_shape, "top_k=" + std::to_string(r.arch.moe.top_k));
    ds.insert(r.arch.hidden_size);
    ks.insert(r.arch.moe.top_k);
  }
  EXPECT_GE(ds.size(), 4u);
  EXPECT_EQ(ks, (std::set<int64_t>{4, 8, 16}));
}

TEST(DesignTest, LayersShapeGridsDepthWithFreedHeads) {
  DesignOptions o;
  o.budgets = {1e20};
  o.phase1 = false;
  o.shape = Phase2Shape::kLayers;
  Result<DesignResult> r = Design(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r->runs.empty());
  for (const PlannedRun& run : r->runs) {
    EXPECT_EQ(run.grid_shape, "num_layers=" + std::to_string(run.arch.num_layers));
  }
}

TEST(DesignTest, ManifestCsvHasTheContractColumnsAndAgreesWithTheRuns) {
  const DesignResult& d = SharedDesign();
  const std::string csv = RunsCsv(d);
  std::istringstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header,
            "run_id,phase,compute,hidden_size,num_layers,num_experts,top_k,expert_width,"
            "shared_experts,first_dense_layers,num_heads,num_kv_heads,head_dim,vocab_size,"
            "seq_len,flops_per_token,active_params,total_params,tokens,active_over_flops,"
            "total_over_active,learning_rate,batch_tokens");
  std::string line;
  size_t rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 23u) << line;
    const PlannedRun& r = d.runs[rows++];
    EXPECT_EQ(cells[0], r.run_id);
    // Reals read back exactly (17 significant digits).
    const double compute = std::stod(cells[2]), m = std::stod(cells[15]);
    const double na = std::stod(cells[16]), n = std::stod(cells[17]), tokens = std::stod(cells[18]);
    EXPECT_EQ(compute, r.compute);
    EXPECT_EQ(m, r.triad.flops_per_token);
    EXPECT_EQ(tokens, r.tokens);
    EXPECT_NEAR(m * tokens / compute, 1.0, 1e-12);
    EXPECT_EQ(std::stod(cells[19]), na / m);
    EXPECT_EQ(std::stod(cells[20]), n / na);
    EXPECT_EQ(std::stoll(cells[3]), r.arch.hidden_size);
    EXPECT_EQ(std::stoll(cells[7]), r.arch.moe.expert.intermediate_size);
  }
  EXPECT_EQ(rows, d.runs.size());
}

TEST(DesignTest, ManifestJsonCarriesEachRunsFullArchitecture) {
  const DesignResult& d = SharedDesign();
  const nlohmann::json doc = nlohmann::json::parse(RunsJson(d).dump());
  EXPECT_EQ(doc["format"], "moeplan-runs");
  EXPECT_EQ(doc["version"], 1);
  ASSERT_EQ(doc["runs"].size(), d.runs.size());
  EXPECT_EQ(doc["skipped"].size(), d.skipped.size());
  for (size_t i = 0; i < d.runs.size(); ++i) {
    const nlohmann::json& run = doc["runs"][i];
    Result<laws::MoeArch> arch = laws::ArchFromJson(run["arch"], "manifest");
    ASSERT_TRUE(arch.ok()) << arch.error().message;
    const laws::Triad t = laws::CountTriad(*arch);
    EXPECT_EQ(t.total_params, run["total_params"].get<int64_t>());
    EXPECT_EQ(t.active_params, run["active_params"].get<int64_t>());
    EXPECT_EQ(t.flops_per_token, run["flops_per_token"].get<double>());
  }
}

TEST(DesignTest, ParsesBudgetListsAndRanges) {
  Result<std::vector<double>> list = ParseBudgets("1e19,3e19,1e20");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<double>{1e19, 3e19, 1e20}));
  Result<std::vector<double>> range = ParseBudgets("1e19:1e21:3");
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 3u);
  EXPECT_DOUBLE_EQ((*range)[0], 1e19);
  EXPECT_NEAR((*range)[1], 1e20, 1e6);
  EXPECT_DOUBLE_EQ((*range)[2], 1e21);
  for (const char* bad :
       {"", "-1e19", "0", "1e19,abc", "1e19,", "1e21:1e19:3", "1e19:1e21:1", "1e19:1e21", "nan"}) {
    EXPECT_FALSE(ParseBudgets(bad).ok()) << bad;
  }
  EXPECT_NE(ParseBudgets("1e19,-3").error().message.find("'-3' is not a positive number"),
            std::string::npos);
}

TEST(DesignTest, BudgetTags) {
  EXPECT_EQ(BudgetTag(1e19), "c1e19");
  EXPECT_EQ(BudgetTag(3e19), "c3e19");
  EXPECT_EQ(BudgetTag(1.5e20), "c1.5e20");
  EXPECT_EQ(BudgetTag(9.999e20), "c1e21");
}

TEST(DesignTest, RejectsBadOptions) {
  DesignOptions o = TwoBudgets();
  o.budgets = {};
  EXPECT_FALSE(Design(o).ok());
  o = TwoBudgets();
  o.budgets = {1e19, -1};
  EXPECT_NE(Design(o).error().message.find("expected a positive number of FLOPs"),
            std::string::npos);
  o = TwoBudgets();
  o.m_axis.span = 0.5;
  EXPECT_NE(Design(o).error().message.find("M grid"), std::string::npos);
  o = TwoBudgets();
  o.arch.tolerance = 1.5;
  EXPECT_NE(Design(o).error().message.find("tolerance"), std::string::npos);
  o = TwoBudgets();
  o.allocation.laws = "no-such-law";
  EXPECT_NE(Design(o).error().message.find("no-such-law"), std::string::npos);
}

TEST(DesignTest, ImpossibleGridPointsAreSkippedWithTheSolversReason) {
  // N_a/M = 0.16 x 1.15 = 0.184 is past 1/6: M would not exceed 6 N_a.
  DesignOptions o;
  o.budgets = {1e20};
  o.phase2 = false;
  o.allocation.na_over_m = 0.16;
  Result<DesignResult> r = Design(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  bool found = false;
  for (const SkippedPoint& s : r->skipped) {
    found = found || s.reason.find("is not above 6 N_a") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace moeplan::phases
