//===- tests/cli/design_command_test.cc - `moeplan design` end to end -----===//
/// Runs the real binary: the manifest files it writes, the Hugging Face configs read back by
/// moeplan's importer to the manifest's triad, and one-line errors on bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "laws/accounting.h"
#include "laws/hf_import.h"
#include "tests/cli/cli_test_fixture.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

using moeplan::testing::CliScratchTest;

class DesignCliTest : public CliScratchTest {};

TEST_F(DesignCliTest, WritesManifestCsvJsonAndHfConfigsThatAgree) {
  const fs::path csv = dir_ / "runs.csv", manifest = dir_ / "runs.json", hf = dir_ / "hf";
  const CliResult r = RunMoeplan("design --compute 1e19,3e19 --csv " + csv.string() +
                                 " --manifest " + manifest.string() + " --hf-dir " + hf.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("c1e19-p1-001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("allocation sources"), std::string::npos);

  const nlohmann::json doc = nlohmann::json::parse(ReadWholeFile(manifest));
  EXPECT_EQ(doc["format"], "moeplan-runs");
  const nlohmann::json& runs = doc["runs"];
  ASSERT_FALSE(runs.empty());

  std::istringstream in(ReadWholeFile(csv));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("run_id,phase,compute,hidden_size,", 0), 0u) << line;
  size_t rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, runs.size());

  for (const nlohmann::json& run : runs) {
    const std::string id = run["run_id"];
    const double c = run["compute"], m = run["flops_per_token"], d = run["tokens"];
    EXPECT_NEAR(m * d / c, 1.0, 1e-12) << id;
    // The config reads back, through moeplan's importer, to the manifest's triad.
    Result<laws::ImportedModel> model = laws::ImportHfConfigFile(hf / id / "config.json");
    ASSERT_TRUE(model.ok()) << model.error().message;
    const laws::Triad t = laws::CountTriad(model->arch);
    EXPECT_EQ(t.total_params, run["total_params"].get<int64_t>()) << id;
    EXPECT_EQ(t.active_params, run["active_params"].get<int64_t>()) << id;
    EXPECT_DOUBLE_EQ(t.flops_per_token, m) << id;
  }
}

TEST_F(DesignCliTest, JsonGoesToStdout) {
  const CliResult r = RunMoeplan("design --compute 1e19 --phases 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["version"], 1);
  for (const nlohmann::json& run : doc["runs"]) EXPECT_EQ(run["phase"], 2);
}

TEST_F(DesignCliTest, RangesOfBudgetsAndTemplates) {
  const CliResult r = RunMoeplan(
      "design --compute 1e19:1e20:3 --phases 1 --m-points 3 --template deepseek-v3 "
      "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["budgets"].size(), 3u);
  for (const nlohmann::json& run : doc["runs"]) {
    EXPECT_EQ(run["arch"]["attention"]["type"], "mla");
  }
}

TEST_F(DesignCliTest, BadInputGivesOneLineErrors) {
  ExpectOneLineError(RunMoeplan("design --compute=-1e19"), "not a positive number of FLOPs");
  ExpectOneLineError(RunMoeplan("design --compute 1e19,abc"), "'abc' is not a positive number");
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --shape depth"),
                     "expected 'granularity' or 'layers'");
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --tolerance 1.5"), "tolerance");
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --laws no-such-law"), "no-such-law");
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --top-k 8-4"), "--top-k '8-4'");
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --phases 3"), "--phases '3'");
  // Nothing was written on failure.
  const fs::path csv = dir_ / "runs.csv";
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --m-span 0.5 --csv " + csv.string()),
                     "M grid");
  EXPECT_FALSE(fs::exists(csv));
}

TEST_F(DesignCliTest, UnwritableHfConfigsFailBeforeAnythingIsWritten) {
  // QK-norm with shared experts has no supported Hugging Face family.
  const fs::path csv = dir_ / "runs.csv";
  ExpectOneLineError(RunMoeplan("design --compute 1e19 --phases 2 --shared-experts 1 --csv " +
                                csv.string() + " --hf-dir " + (dir_ / "hf").string()),
                     "cannot write");
  EXPECT_FALSE(fs::exists(csv));
}

}  // namespace
}  // namespace moeplan::testing
