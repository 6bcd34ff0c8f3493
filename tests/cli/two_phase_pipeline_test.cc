//===- tests/cli/two_phase_pipeline_test.cc - design -> losses -> fit-phases ===//
/// The whole two-phase loop of Wan et al. (arXiv:2603.21862) through the real binary:
/// `moeplan design` writes the runs manifest, this test gives every run the loss of a known
/// synthetic law whose optima are power laws of C, `moeplan fit-phases` fits the results, and
/// the recovered laws must be the synthetic ones; `moeplan recommend --laws` then realises the
/// fitted M_opt. The synthetic loss is exactly quadratic in the logs of the run's own (exact)
/// M, N_a/M, N/N_a (phase 1) and d, expert width (phase 2):
///
///   L = 2 (C/1e19)^-0.05 + 0.08 ln^2(M/M*) + 0.3 ln^2((N_a/M)/r*) + 0.02 ln^2((N/N_a)/q*)
///   L = 2 (C/1e19)^-0.05 + 0.05 ln^2(d/d*) + 0.03 ln^2(w/w*)
///   M* = 0.8 x 0.0437e10 (C/1e18)^0.56, i.e. k = 0.8 x 4.37e8 x 1e18^-0.56 = 0.029078 (C in
///        FLOPs), e = 0.56, so D* = C / M* has k = 1 / 0.029078 = 34.39 and e = 0.44;
///   r* = 0.113 (C/1e20)^0.066, q* = 7 (C/1e20)^0.05, d* = 1400 (C/1e20)^0.25,
///   w* = 400 (C/1e20)^0.1.
/// Every optimum lies inside the design's grids at 1e19, 1e20 and 1e21 (M from M_opt/3 to
/// 3 M_opt around wan2026's M_opt, which is 0.8-0.9 x M* here; N_a/M within x1.15 of the default
/// rule's 0.096-0.130; N/N_a 4-16; d from d_opt/2 to 2 d_opt).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "laws/scaling/law.h"
#include "laws/scaling/law_json.h"
#include "laws/support/atomic_file.h"
#include "tests/cli/cli_runner.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

constexpr double kMk = 0.8 * 0.0437e10;  // M* at C = 1e18
constexpr double kMe = 0.56;

double SyntheticLoss(const std::map<std::string, double>& run) {
  const double c = run.at("compute");
  const double base = 2.0 * std::pow(c / 1e19, -0.05);
  const auto sq = [](double x) { return x * x; };
  if (run.at("phase") == 1) {
    const double m = run.at("flops_per_token"), na = run.at("active_params");
    const double n = run.at("total_params");
    const double m_star = kMk * std::pow(c / 1e18, kMe);
    const double r_star = 0.113 * std::pow(c / 1e20, 0.066);
    const double q_star = 7.0 * std::pow(c / 1e20, 0.05);
    return base + 0.08 * sq(std::log(m / m_star)) + 0.3 * sq(std::log(na / m / r_star)) +
           0.02 * sq(std::log(n / na / q_star));
  }
  const double d_star = 1400 * std::pow(c / 1e20, 0.25);
  const double w_star = 400 * std::pow(c / 1e20, 0.1);
  return base + 0.05 * sq(std::log(run.at("hidden_size") / d_star)) +
         0.03 * sq(std::log(run.at("expert_width") / w_star));
}

// Appends a `loss` column to the manifest CSV.
std::string WithLosses(const std::string& manifest) {
  std::istringstream in(manifest);
  std::string header;
  std::getline(in, header);
  std::vector<std::string> columns;
  std::stringstream hs(header);
  for (std::string c; std::getline(hs, c, ',');) columns.push_back(c);
  std::string out = header + ",loss\n";
  for (std::string line; std::getline(in, line);) {
    std::map<std::string, double> run;
    std::stringstream row(line);
    size_t i = 0;
    for (std::string cell; std::getline(row, cell, ','); ++i) {
      if (columns[i] != "run_id") run[columns[i]] = std::stod(cell);
    }
    char loss[64];
    std::snprintf(loss, sizeof loss, "%.17g", SyntheticLoss(run));
    out += line + "," + loss + "\n";
  }
  return out;
}

// X = unit_X k (C / unit_C)^e  ->  (k, e) with C in FLOPs and X in SI.
std::pair<double, double> SiPowerLaw(const scaling::LawFile& file, const std::string& symbol) {
  const scaling::Law* law = scaling::FindLaw(file, symbol);
  EXPECT_NE(law, nullptr) << symbol;
  if (law == nullptr) return {0, 0};
  double k = 0, e = 0;
  for (const scaling::Coefficient& c : law->coefficients) (c.name == "k" ? k : e) = c.value;
  return {law->target.unit * k * std::pow(law->variables.at(0).unit, -e), e};
}

TEST(TwoPhasePipelineTest, FitPhasesRecoversTheSyntheticOptima) {
  const fs::path dir =
      fs::temp_directory_path() / ("moeplan_pipeline_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path runs = dir / "runs.csv", results = dir / "results.csv", laws = dir / "laws.json";

  const CliResult design = RunMoeplan("design --compute 1e19,1e20,1e21 --csv " + runs.string());
  ASSERT_EQ(design.exit_code, 0) << design.err;
  ASSERT_TRUE(WriteFileAtomically(results, WithLosses(ReadWholeFile(runs))).ok());

  const CliResult fit = RunMoeplan("fit-phases " + results.string() + " --out " + laws.string() +
                                   " --bootstrap 0 --shape-variable expert_width");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  Result<scaling::LawFile> file = scaling::ReadLawFile(laws);
  ASSERT_TRUE(file.ok()) << file.error().message;

  const double k_m = kMk * std::pow(1e18, -kMe);  // 0.029078
  const auto [fitted_k_m, fitted_e_m] = SiPowerLaw(*file, "M_opt");
  EXPECT_NEAR(fitted_e_m, kMe, 0.002);
  EXPECT_NEAR(fitted_k_m / k_m, 1.0, 0.02);
  const auto [fitted_k_d, fitted_e_d] = SiPowerLaw(*file, "D_opt");
  EXPECT_NEAR(fitted_e_d, 1 - kMe, 0.002);
  EXPECT_NEAR(fitted_k_d * k_m, 1.0, 0.02);
  EXPECT_NEAR(SiPowerLaw(*file, "Na_over_M_opt").second, 0.066, 0.005);
  EXPECT_NEAR(SiPowerLaw(*file, "N_over_Na_opt").second, 0.05, 0.01);
  EXPECT_NEAR(SiPowerLaw(*file, "d_opt").second, 0.25, 0.01);

  // The fitted laws drive recommend: its M is the fitted M_opt at 3e20 within tolerance.
  const CliResult rec = RunMoeplan("recommend --compute 3e20 --json --laws " + laws.string());
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  const nlohmann::json doc = nlohmann::json::parse(rec.out);
  const double m_fit = fitted_k_m * std::pow(3e20, fitted_e_m);
  EXPECT_NEAR(doc["allocation"]["M_opt"]["value"].get<double>() / m_fit, 1.0, 1e-9);
  EXPECT_EQ(doc["allocation"]["M_opt"]["source"], laws.string());
  EXPECT_LE(std::fabs(doc["triad"]["flops_per_token"].get<double>() / m_fit - 1), 0.03);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace moeplan::testing
