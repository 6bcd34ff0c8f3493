//===- cli/fit_phases_command.cc - `moeplan fit-phases`: fit two-phase results ===//
/// \file
/// `moeplan fit-phases RESULTS.csv [--out LAWS.json] [--report REPORT.json] [--json]
///                     [--epsilon 0.0025] [--method auto|surface|slices]
///                     [--shape-variable auto|num_layers|expert_width] [--bootstrap 1000]
///                     [--seed S] [--ci-level 0.95] [--budget-tolerance 0.05]
///                     [--level-tolerance 0.03] [--name NAME]`
/// Reads the results of Wan et al.'s two-phase experiments (the runs manifest of `moeplan
/// design` plus a loss column), fits per-budget optima and their power laws of C, tests the
/// rank-preserving property of d, reports the near-optimal bands and their trend with C
/// (laws/scaling/phase_fit.h), prints the tables, and writes the law file and the JSON report
/// atomically. Bad input gives one error naming the file, row and column, and writes nothing.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/text_table.h"
#include "laws/scaling/law_json.h"
#include "laws/scaling/phase_fit.h"
#include "laws/scaling/phase_report.h"

namespace moeplan::cli {
namespace {

namespace sc = moeplan::scaling;

struct FitPhasesArgs {
  std::string results;
  std::string out, report, name;
  bool json = false;
  double epsilon = 0.0025;
  std::string method = "auto";
  std::string shape = "auto";
  int bootstrap = 1000;
  uint64_t seed = 20260323;
  double ci_level = 0.95;
  double budget_tolerance = 0.05;
  double level_tolerance = 0.03;
};

std::string G(double value, int digits = 4) {
  return std::isfinite(value) ? fmt::format("{:.{}g}", value, digits) : "-";
}

std::string P(const std::optional<double>& p) {
  return p ? fmt::format("{:.3g}", *p) : "-";
}

// "1.2e+09 [9.8e+08, 1.5e+09]" with a '*' when the optimum lies outside the sampled range.
std::string OptimumCell(const sc::VariableOptimum& v) {
  return fmt::format("{}{} [{}, {}]", G(v.optimum), v.inside ? "" : "*", G(v.low, 3), G(v.high, 3));
}

std::vector<sc::VariableOptimum> ReportedVariables(const sc::BudgetFit& b) {
  std::vector<sc::VariableOptimum> vars = b.optimum.variables;
  if (b.tokens_optimum) vars.insert(vars.begin() + 1, b.tokens_optimum->variables.front());
  return vars;
}

std::string BudgetTable(const std::vector<sc::BudgetFit>& budgets,
                        const sc::PhaseResults& results) {
  std::vector<std::string> header = {"C (FLOPs)", "runs", "method"};
  for (const sc::VariableOptimum& v : ReportedVariables(budgets.front())) {
    header.push_back(v.symbol + "_opt [within eps]");
  }
  for (const char* h : {"L_opt", "rms", "best run", "best loss"}) header.push_back(h);
  std::vector<Align> align(header.size(), Align::kRight);
  align[2] = align[header.size() - 2] = Align::kLeft;
  TextTable table(header, align);
  bool outside = false;
  for (const sc::BudgetFit& b : budgets) {
    std::vector<std::string> row = {G(b.compute, 3), std::to_string(b.runs.size()),
                                    ToString(b.optimum.method)};
    for (const sc::VariableOptimum& v : ReportedVariables(b)) {
      row.push_back(OptimumCell(v));
      outside = outside || !v.inside;
    }
    const sc::PhaseRun& best = results.runs[b.best_run];
    for (std::string cell :
         {G(b.optimum.loss_opt, 5), G(b.optimum.rms_residual, 2), best.run_id, G(best.loss, 5)}) {
      row.push_back(std::move(cell));
    }
    table.AddRow(std::move(row));
  }
  std::string out = table.Render("  ");
  if (outside) out += "  * optimum outside the sampled range (extrapolated)\n";
  return out;
}

std::string LawTable(const std::vector<sc::AllocationFit>& laws, double ci_level) {
  const std::string level = fmt::format("{:g}%", 100 * ci_level);
  TextTable table({"target", "k", "e", "e s.e. (OLS)", "e s.e. (boot)", "e " + level + " CI",
                   "k " + level + " CI", "R^2"},
                  {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                   Align::kRight, Align::kRight, Align::kRight});
  for (const sc::AllocationFit& law : laws) {
    const bool ols = law.ols.num_points > 2;
    auto ci = [](const std::optional<sc::Interval>& iv) {
      return iv ? fmt::format("[{}, {}]", G(iv->low), G(iv->high)) : std::string("-");
    };
    table.AddRow({law.target, G(law.ols.k), fmt::format("{:.4f}", law.ols.e),
                  ols ? G(law.ols.e_std_error, 3) : "-",
                  law.e_bootstrap ? G(law.e_bootstrap->std_error, 3) : "-", ci(law.e_bootstrap),
                  ci(law.k_bootstrap), fmt::format("{:.4f}", law.ols.r_squared)});
  }
  return table.Render("  ");
}

std::string TrendText(const char* what, const sc::TrendFit& t) {
  return fmt::format("{} {:+.3g} per decade of C (p {})", what, t.slope * std::log(10.0),
                     P(t.slope_p_value));
}

std::string BandTable(const std::vector<sc::BudgetFit>& budgets, const sc::WidthTrends& trends,
                      double epsilon) {
  std::vector<std::string> header = {"C (FLOPs)", "runs in band", "threshold"};
  for (const sc::BandSpan& s : budgets.front().band.spans) header.push_back("ln-width " + s.symbol);
  for (const auto& [symbol, t] : trends.fitted_width) header.push_back("fitted " + symbol);
  TextTable table(header, std::vector<Align>(header.size(), Align::kRight));
  for (const sc::BudgetFit& b : budgets) {
    std::vector<std::string> row = {G(b.compute, 3), std::to_string(b.band.runs.size()),
                                    G(b.band.threshold, 5)};
    for (const sc::BandSpan& s : b.band.spans) row.push_back(fmt::format("{:.3f}", s.log_width));
    for (const sc::VariableOptimum& v : ReportedVariables(b)) {
      row.push_back(fmt::format("{:.3f}", std::log(v.high / v.low)));
    }
    table.AddRow(std::move(row));
  }
  std::string out = fmt::format(
      "  runs within {:g}% of the best loss; ln-width = ln(max/min) over them; fitted = "
      "ln(high/low) "
      "of the fitted interval\n",
      100 * epsilon);
  out += table.Render("  ");
  out += "  trend with C: " + TrendText("runs in band", trends.count) + "\n";
  for (const auto& [symbol, t] : trends.band_width) {
    out += "                " + TrendText(("ln-width " + symbol).c_str(), t) + "\n";
  }
  for (const auto& [symbol, t] : trends.fitted_width) {
    out += "                " + TrendText(("fitted " + symbol).c_str(), t) + "\n";
  }
  return out;
}

std::string Mean(const std::optional<double>& value) {
  return value ? fmt::format("{:+.3f}", *value) : "-";
}

// One row per budget (every pair with its p-values is in the JSON report).
std::string RankText(const sc::PhaseTwoFit& two) {
  TextTable table({"C (FLOPs)", "pairs", "mean Pearson", "mean Spearman", "min Spearman",
                   "mean Kendall tau-b", "tau > 0, p < 0.05", "same best"},
                  std::vector<Align>(8, Align::kRight));
  std::string skipped;
  for (const sc::RankBudget& b : two.rank) {
    const sc::RankSummary s = sc::SummarizeRanks({b});
    table.AddRow({G(b.compute, 3), std::to_string(s.num_pairs), Mean(s.mean_pearson),
                  Mean(s.mean_spearman), Mean(s.min_spearman), Mean(s.mean_kendall),
                  std::to_string(s.kendall_significant), std::to_string(s.same_best)});
    for (const std::string& why : b.skipped) {
      skipped += fmt::format("  skipped at C = {}: {}\n", G(b.compute, 3), why);
    }
  }
  const sc::RankSummary& s = two.rank_summary;
  std::string out = table.Render("  ") + skipped;
  out += fmt::format(
      "  all {} pairs: mean Pearson {}, mean Spearman {} (min {}), mean Kendall tau-b {}; tau > 0 "
      "with p < 0.05 in {}; the best {} is the same at both d in {}\n",
      s.num_pairs, Mean(s.mean_pearson), Mean(s.mean_spearman), Mean(s.min_spearman),
      Mean(s.mean_kendall), s.kendall_significant, ShapeSymbol(two.shape), s.same_best);
  return out;
}

// A warning when many replicates were left out: the intervals then describe the rest only.
std::string FailureWarning(size_t failed, int replicates) {
  if (replicates <= 0 || static_cast<double>(failed) <= 0.05 * replicates) return "";
  return fmt::format(
      "  warning: {} of {} bootstrap replicates had a budget without a minimum and were left "
      "out; the intervals describe the others only (optimistic): the grids may not bracket the "
      "optima, or the noise may hide them\n",
      failed, replicates);
}

size_t CountRuns(const std::vector<sc::BudgetFit>& budgets) {
  size_t n = 0;
  for (const sc::BudgetFit& b : budgets) n += b.runs.size();
  return n;
}

std::string RenderText(const sc::PhaseFit& fit, const sc::PhaseResults& results) {
  const sc::PhaseFitOptions& o = fit.options;
  std::string out = fmt::format("results:   {}: {} runs\n", fit.source, results.runs.size());
  out += fmt::format(
      "optima:    per budget from the losses in ln x (method {}: quadratic surface when the runs "
      "determine it, else slices); intervals and bands at epsilon {:g}%\n",
      ToString(o.optimum.method), 100 * o.optimum.epsilon);
  if (o.bootstrap_replicates > 0) {
    out += fmt::format(
        "bootstrap: {} replicates, runs resampled within budgets, seed {}, {:g}% percentile "
        "intervals\n",
        o.bootstrap_replicates, o.seed, 100 * o.ci_level);
  }
  if (const auto& one = fit.phase1) {
    out += fmt::format(
        "\nphase 1: {} runs at {} budgets (M: non-embedding fwd+bwd FLOPs/token; D: tokens; "
        "Na/M, N/Na: non-embedding ratios)\n",
        CountRuns(one->budgets), one->budgets.size());
    out += BudgetTable(one->budgets, results);
    out += fmt::format(
        "\nphase 1 allocation laws X_opt = k C^e (C in FLOPs; {} of {} bootstrap "
        "replicates failed)\n",
        one->bootstrap_failed, o.bootstrap_replicates);
    out += LawTable(one->laws, o.ci_level);
    out += FailureWarning(one->bootstrap_failed, o.bootstrap_replicates);
    out += fmt::format(
        "  check C = M D: e(M_opt) + e(D_opt) = {:.4f}, k(M_opt) k(D_opt) = {:.4f}: {}\n",
        one->exponent_sum.exponent_sum, one->exponent_sum.coefficient_product,
        one->exponent_sum.ok ? "consistent" : "INCONSISTENT (check the tokens column)");
    out +=
        "\nphase 1 near-optimal band\n" + BandTable(one->budgets, one->trends, o.optimum.epsilon);
  }
  if (const auto& two = fit.phase2) {
    out += fmt::format("\nphase 2: {} runs at {} budgets; shape variable {} ({})\n",
                       CountRuns(two->budgets), two->budgets.size(), ShapeSymbol(two->shape),
                       two->shape_reason);
    out += BudgetTable(two->budgets, results);
    out += fmt::format("\nphase 2 laws X_opt = k C^e ({} of {} bootstrap replicates failed)\n",
                       two->bootstrap_failed, o.bootstrap_replicates);
    out += LawTable(two->laws, o.ci_level);
    out += FailureWarning(two->bootstrap_failed, o.bootstrap_replicates);
    out +=
        "\nphase 2 near-optimal band\n" + BandTable(two->budgets, two->trends, o.optimum.epsilon);
    out += fmt::format(
        "\nrank preservation of d: for each pair of d, correlation of the losses of the same {} "
        "configurations (two-sided p; every pair in the JSON report)\n",
        ShapeSymbol(two->shape));
    out += RankText(*two);
  }
  return out;
}

Result<sc::PhaseFitOptions> Options(const FitPhasesArgs& args) {
  sc::PhaseFitOptions options;
  Result<sc::OptimumMethod> method = sc::ParseOptimumMethod(args.method);
  if (!method) return Error{"--method: " + method.error().message};
  Result<sc::ShapeVariable> shape = sc::ParseShapeVariable(args.shape);
  if (!shape) return Error{"--shape-variable: " + shape.error().message};
  options.optimum.method = *method;
  options.optimum.epsilon = args.epsilon;
  options.optimum.level_tolerance = args.level_tolerance;
  options.budget_tolerance = args.budget_tolerance;
  options.shape = *shape;
  options.bootstrap_replicates = args.bootstrap;
  options.seed = args.seed;
  options.ci_level = args.ci_level;
  if (Status s = options.Validate(); !s.ok()) return s.error();
  return options;
}

int RunFitPhases(const FitPhasesArgs& args) {
  Result<sc::PhaseFitOptions> options = Options(args);
  if (!options) return Fail(options.error());
  Result<sc::PhaseResults> results = sc::ReadPhaseResultsFile(args.results);
  if (!results) return Fail(results.error());
  Result<sc::PhaseFit> fit = sc::FitPhases(*results, *options);
  if (!fit) return Fail(fit.error());
  const std::string name = !args.name.empty()  ? args.name
                           : !args.out.empty() ? std::filesystem::path(args.out).stem().string()
                                               : "fit-phases";
  const sc::LawFile laws = sc::MakePhaseLawFile(*fit, *results, name);
  const std::string report = sc::PhaseFitReportJson(*fit, *results, laws).dump(2) + "\n";
  if (!args.out.empty()) {
    if (Status s = sc::WriteLawFile(args.out, laws); !s.ok()) return Fail(s.error());
  }
  if (!args.report.empty()) {
    if (int rc = WriteOutput(args.report, report); rc != 0) return rc;
  }
  if (args.json) return WriteOutput("-", report);
  std::string text = RenderText(*fit, *results);
  for (const std::string& path : {args.out, args.report}) {
    if (!path.empty()) text += fmt::format("\nwrote {}", path);
  }
  if (!args.out.empty() || !args.report.empty()) text += "\n";
  return WriteOutput("-", text);
}

}  // namespace

void RegisterFitPhasesCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<FitPhasesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fit-phases",
      "Fit two-phase MoE experiments (Wan et al. 2026): optimal M, D, N_a/M, N/N_a, d and depth "
      "or expert width as power laws of C; rank tests of d; near-optimal bands");
  cmd->add_option("results", args->results,
                  "Results CSV: the runs manifest of moeplan design plus a 'loss' column")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out, "Write the law file here (atomically)");
  cmd->add_option("--report", args->report, "Write the JSON report here (atomically)");
  cmd->add_flag("--json", args->json, "Print the JSON report instead of the tables");
  cmd->add_option("--epsilon", args->epsilon,
                  "Relative loss tolerance of the near-optimal band and intervals (0.25%)")
      ->capture_default_str();
  cmd->add_option("--method", args->method,
                  "Per-budget optimum: auto, surface (quadratic in ln x) or slices (parabolas "
                  "through the best run)")
      ->capture_default_str();
  cmd->add_option("--shape-variable", args->shape,
                  "Phase 2's second shape variable: auto, num_layers or expert_width")
      ->capture_default_str();
  cmd->add_option("--bootstrap", args->bootstrap,
                  "Bootstrap replicates over runs within budgets (0: OLS errors only)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--ci-level", args->ci_level, "Level of the bootstrap intervals")
      ->check(CLI::Range(0.5, 0.9999))
      ->capture_default_str();
  cmd->add_option("--budget-tolerance", args->budget_tolerance,
                  "Relative spread of C within one budget")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--level-tolerance", args->level_tolerance,
                  "Values within this relative distance are one grid level")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--name", args->name, "Name of the law file (default: --out's stem)");
  cmd->callback([args, &run] { run = [args] { return RunFitPhases(*args); }; });
}

}  // namespace moeplan::cli
