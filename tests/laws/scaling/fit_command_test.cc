//===- tests/laws/scaling/fit_command_test.cc - `moeplan fit` end to end ---===//
/// The CLI contract of `moeplan fit`: a converged fit prints the coefficient table and writes a
/// law file that the strict reader accepts; bad input gives one "moeplan: error:" line naming
/// row and column and exit status 2; a fit that did not converge writes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "laws/scaling/law_json.h"
#include "tests/cli/cli_runner.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

class FitCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("moeplan_fit_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs of L = 1.8 + 400/N^0.34 + 1800/D^0.37 (no noise) on a 6 x 6 grid; C = 6 N D.
  fs::path WriteRuns() {
    const fs::path path = dir_ / "runs.csv";
    std::ofstream out(path);
    out << "params,tokens,flops,loss\n";
    for (int i = 0; i < 6; ++i) {
      for (int j = 0; j < 6; ++j) {
        const double n = 5e7 * std::pow(4.0, i), d = 1e9 * std::pow(3.0, j);
        out << n << "," << d << "," << 6 * n * d << ","
            << 1.8 + 400 / std::pow(n, 0.34) + 1800 / std::pow(d, 0.37) << "\n";
      }
    }
    return path;
  }

  fs::path dir_;
};

TEST_F(FitCliTest, WritesALawFileAndPrintsTheTable) {
  const fs::path runs = WriteRuns(), law = dir_ / "law.json";
  const CliResult r = RunMoeplan("fit " + runs.string() +
                                 " --law chinchilla --n params --d tokens --loss loss --c flops"
                                 " --bootstrap 50 --max-starts 200 --optimum-at 1e22 --out " +
                                 law.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("status:    converged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alpha"), std::string::npos);
  EXPECT_NE(r.out.find("std error"), std::string::npos);
  EXPECT_NE(r.out.find("N_opt"), std::string::npos);
  Result<scaling::LawFile> file = scaling::ReadLawFile(law);
  ASSERT_TRUE(file.ok()) << file.error().message;
  const scaling::Law& fitted = file->laws.at(0);
  ASSERT_EQ(fitted.coefficients.size(), 5u);
  EXPECT_NEAR(fitted.coefficients[2].value, 1.8, 1e-3);   // E
  EXPECT_NEAR(fitted.coefficients[3].value, 0.34, 1e-3);  // alpha
  EXPECT_NEAR(fitted.coefficients[4].value, 0.37, 1e-3);  // beta
  EXPECT_TRUE(fitted.coefficients[0].std_error.has_value());
  ASSERT_TRUE(fitted.fit.has_value());
  EXPECT_EQ(fitted.fit->num_points, 36);
  EXPECT_TRUE(fitted.fit->converged);
  EXPECT_FALSE(fitted.fitted_range.empty());
}

TEST_F(FitCliTest, BadCellNamesRowAndColumn) {
  const fs::path runs = dir_ / "bad.csv";
  std::ofstream(runs) << "params,tokens,loss\n1e8,1e9,3.1\n2e8,oops,3.0\n";
  const CliResult r =
      RunMoeplan("fit " + runs.string() + " --n params --d tokens --loss loss --out " +
                 (dir_ / "law.json").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "moeplan: error: " + runs.string() +
                       ": row 2 (line 3), column 'tokens': expected a positive number, got "
                       "'oops'\n");
  EXPECT_FALSE(fs::exists(dir_ / "law.json"));
}

TEST_F(FitCliTest, MissingColumnListsTheColumns) {
  const fs::path runs = WriteRuns();
  const CliResult r = RunMoeplan("fit " + runs.string() + " --n N --d tokens --loss loss");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("column 'N' (variable N) not found; the columns are: params, tokens, "
                       "flops, loss"),
            std::string::npos)
      << r.err;
}

TEST_F(FitCliTest, NonConvergedFitWritesNothing) {
  const fs::path runs = WriteRuns(), law = dir_ / "law.json";
  const CliResult r = RunMoeplan("fit " + runs.string() +
                                 " --n params --d tokens --loss loss --max-iterations 1"
                                 " --max-starts 3 --out " +
                                 law.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("NOT CONVERGED"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("the fit did not converge"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing written"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(law));
}

TEST_F(FitCliTest, PowerSumLawFileDefinesTheForm) {
  const fs::path runs = WriteRuns(), spec = dir_ / "spec.json", law = dir_ / "law.json";
  // A law file whose form is a user-defined power_sum (same shape as Chinchilla, own names).
  std::ofstream(spec) << R"({"format": "moeplan-law", "version": 1, "name": "spec",
    "laws": [{"target": {"symbol": "L", "meaning": "loss"},
      "form": {"type": "power_sum", "variables": ["P", "T"], "constant": "L0",
               "terms": [{"coefficient": "a", "exponents": {"P": "p"}},
                         {"coefficient": "b", "exponents": {"T": "t"}}]},
      "variables": {"P": {"meaning": "parameters"}, "T": {"meaning": "tokens"}},
      "coefficients": {"a": {"value": 1}, "b": {"value": 1}, "L0": {"value": 1},
                       "p": {"value": 0.5}, "t": {"value": 0.5}}}]})";
  const CliResult r = RunMoeplan("fit " + runs.string() + " --law " + spec.string() +
                                 " --var P=params --var T=tokens --loss loss --bootstrap 0"
                                 " --max-starts 200 --json --out " +
                                 law.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_TRUE(report.at("converged").get<bool>());
  Result<scaling::LawFile> file = scaling::ReadLawFile(law);
  ASSERT_TRUE(file.ok()) << file.error().message;
  // Parameter order of a power_sum: term coefficients, constant, exponents.
  EXPECT_NEAR(file->laws[0].coefficients[2].value, 1.8, 1e-3);   // L0
  EXPECT_NEAR(file->laws[0].coefficients[3].value, 0.34, 1e-3);  // p
}

}  // namespace
}  // namespace moeplan::testing
