//===- cli/fit_command.cc - `moeplan fit`: fit a scaling law to runs ------===//
/// \file
/// `moeplan fit RUNS.csv --law FORM|PRESET|LAW.json --loss COL [--n COL] [--d COL] [--c COL]
///               [--var SYM=COL]... [--drop-highest-loss K] [--huber-delta X] [--bootstrap B]
///               [--seed S] [--fix NAME=VALUE]... [--free NAME]... [--lobo]
///               [--optimum-at C]... [--json] [--out LAW.json]`
/// Fits the law form robustly (Huber loss of log residuals, L-BFGS from a start grid; see
/// laws/scaling/fit.h), bootstraps every coefficient, optionally runs leave-one-budget-out
/// cross-validation, prints a report table and writes a moeplan-law file atomically. A fit
/// that did not converge says so and writes nothing. A law file given to --law supplies the
/// form (e.g. a user-defined power_sum), the variables' meanings and units; its coefficients
/// are ignored. Without --d, a form with N and D takes D = C / (6 N) from --c.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/text_table.h"
#include "laws/scaling/bootstrap.h"
#include "laws/scaling/chinchilla_optimum.h"
#include "laws/scaling/cross_validation.h"
#include "laws/scaling/fit.h"
#include "laws/scaling/law_json.h"
#include "laws/scaling/law_presets.h"

namespace moeplan::cli {
namespace {

namespace sc = moeplan::scaling;

struct FitArgs {
  std::string runs;
  std::string law = "chinchilla";
  std::string n_column, d_column, c_column, loss_column;
  std::vector<std::string> variables;  // SYM=COL
  std::vector<std::string> fixed;      // NAME=VALUE
  std::vector<std::string> freed;
  size_t drop_highest = 0;
  double huber_delta = 1e-3;
  int bootstrap = 1000;
  uint64_t seed = 20240417;
  double ci_level = 0.95;
  size_t max_starts = 20000;
  int max_iterations = 1000;
  double flops_per_param_token = 6.0;
  bool lobo = false;
  double budget_tolerance = 0.05;
  std::vector<double> optimum_at;
  std::string out;
  std::string name;
  bool json = false;
};

// Everything the report and the law file need.
struct FitOutcome {
  sc::Law law;
  sc::RunData data;
  sc::FitResult fit;
  std::optional<sc::BootstrapResult> bootstrap;
  std::vector<sc::BudgetFold> folds;
  std::vector<std::pair<double, sc::ChinchillaAllocation>> optima;
  std::vector<std::array<sc::Interval, 3>> optima_intervals;  // N, D, L per budget
};

Result<std::pair<std::string, std::string>> SplitAssignment(const std::string& text,
                                                            const char* option) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return Error{fmt::format("{} '{}': expected NAME=VALUE", option, text)};
  }
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

// The law to fit: a form name, or the first law of a preset or file (form, meanings, units).
Result<sc::Law> TemplateLaw(const std::string& law_arg) {
  if (Result<sc::FormType> type = sc::ParseFormType(law_arg); type.ok()) {
    sc::Law law;
    law.form.type = *type;
    Result<std::unique_ptr<const sc::LawForm>> form = sc::MakeForm(law.form);
    if (!form) return form.error();
    law.target = {"L", "observed final loss", 1.0, {}};
    law.variables = sc::DefaultVariables(**form);
    return law;
  }
  Result<sc::LawFile> file = sc::LoadLaw(law_arg);
  if (!file) {
    return Error{fmt::format("--law '{}': not a law form ({}) and {}", law_arg,
                             "chinchilla, fine_grained, clark_routed, joint_moe, power_law, "
                             "power_sum in a law file",
                             file.error().message)};
  }
  return file->laws.front();
}

Result<sc::ColumnMapping> Mapping(const FitArgs& args, const sc::LawForm& form) {
  sc::ColumnMapping mapping;
  mapping.target = args.loss_column;
  mapping.compute = args.c_column;
  mapping.flops_per_param_token = args.flops_per_param_token;
  if (!args.n_column.empty()) mapping.variables.emplace_back("N", args.n_column);
  if (!args.d_column.empty()) mapping.variables.emplace_back("D", args.d_column);
  for (const std::string& text : args.variables) {
    Result<std::pair<std::string, std::string>> pair = SplitAssignment(text, "--var");
    if (!pair) return pair.error();
    mapping.variables.push_back(*pair);
  }
  const bool c_mapped = std::any_of(mapping.variables.begin(), mapping.variables.end(),
                                    [](const auto& m) { return m.first == "C"; });
  if (form.VariableIndex("C") && !c_mapped && !args.c_column.empty()) {
    mapping.variables.emplace_back("C", args.c_column);
  }
  return mapping;
}

Result<sc::FitOptions> Options(const FitArgs& args, const sc::Law& law) {
  sc::FitOptions options;
  options.huber_delta = args.huber_delta;
  options.max_starts = args.max_starts;
  options.minimize.max_iterations = args.max_iterations;
  options.polish.max_iterations = std::min(options.polish.max_iterations, args.max_iterations);
  options.freed = args.freed;
  for (const std::string& text : args.fixed) {
    Result<std::pair<std::string, std::string>> pair = SplitAssignment(text, "--fix");
    if (!pair) return pair.error();
    char* end = nullptr;
    const double value = std::strtod(pair->second.c_str(), &end);
    if (end == pair->second.c_str() || *end != '\0') {
      return Error{fmt::format("--fix '{}': '{}' is not a number", text, pair->second)};
    }
    options.fixed.emplace_back(pair->first, value);
  }
  for (const sc::LawQuantity& v : law.variables) options.variable_units.push_back(v.unit);
  options.target_unit = law.target.unit;
  return options;
}

std::vector<sc::FittedRange> Ranges(const sc::RunData& data) {
  std::vector<sc::FittedRange> ranges;
  for (size_t v = 0; v < data.symbols.size(); ++v) {
    const auto column = data.x.col(static_cast<Eigen::Index>(v));
    ranges.push_back({data.symbols[v], column.minCoeff(), column.maxCoeff()});
  }
  if (data.compute.size() > 0) {
    ranges.push_back({"C", data.compute.minCoeff(), data.compute.maxCoeff()});
  }
  return ranges;
}

void FillCoefficients(const sc::LawForm& form, FitOutcome& outcome) {
  outcome.law.coefficients = sc::CoefficientsFromValues(form, outcome.fit.values);
  for (size_t p = 0; p < form.num_parameters(); ++p) {
    sc::Coefficient& c = outcome.law.coefficients[p];
    if (outcome.fit.fixed[p]) {
      c.note = "held fixed";
    } else if (outcome.bootstrap) {
      const sc::Interval& interval = outcome.bootstrap->coefficients[p];
      c.std_error = interval.std_error;
      c.ci_low = interval.low;
      c.ci_high = interval.high;
    }
  }
}

void AddOptima(const FitArgs& args, FitOutcome& outcome) {
  if (outcome.law.form.type != sc::FormType::kChinchilla) return;
  auto coefficients = [](const Eigen::VectorXd& v) {
    return sc::ChinchillaCoefficients{v[0], v[1], v[2], v[3], v[4]};
  };
  for (double compute : args.optimum_at) {
    outcome.optima.emplace_back(compute,
                                sc::ChinchillaOptimum(coefficients(outcome.fit.values), compute,
                                                      args.flops_per_param_token));
    if (!outcome.bootstrap) continue;
    std::array<sc::Interval, 3> intervals;
    for (int q = 0; q < 3; ++q) {
      intervals[static_cast<size_t>(q)] = sc::PredictionInterval(
          *outcome.bootstrap, outcome.fit.values, [&](const Eigen::VectorXd& v) {
            const sc::ChinchillaAllocation a =
                sc::ChinchillaOptimum(coefficients(v), compute, args.flops_per_param_token);
            return q == 0 ? a.params : q == 1 ? a.tokens : a.loss;
          });
    }
    outcome.optima_intervals.push_back(intervals);
  }
}

std::string Num(double value) {
  return fmt::format("{:.6g}", value);
}

std::string RenderText(const FitArgs& args, const sc::LawForm& form, const FitOutcome& o) {
  const sc::FitResult& fit = o.fit;
  std::string out = fmt::format("law:       {}  ({})\n", ToString(form.type()), form.formula());
  out += fmt::format("data:      {}; {} points\n", o.data.description, o.data.size());
  out += fmt::format(
      "fit:       Huber delta {:g} on log residuals, L-BFGS from {} starts ({} "
      "converged), best start {}\n",
      args.huber_delta, fit.num_starts, fit.num_converged_starts, fit.best_start);
  out += fmt::format("status:    {} ({}); objective {:.6g}, rms log residual {:.4g}\n",
                     fit.converged ? "converged" : "NOT CONVERGED", fit.stop_reason, fit.objective,
                     fit.rms_log_residual);
  if (o.bootstrap) {
    out += fmt::format(
        "bootstrap: {} replicates ({} failed), seed {}, {:g}% percentile "
        "intervals\n",
        o.bootstrap->values.rows(), o.bootstrap->num_failed, args.seed, 100 * args.ci_level);
  }
  const std::string level = fmt::format("{:g}%", 100 * args.ci_level);
  TextTable table(
      {"coefficient", "value", "std error", level + " low", level + " high", "meaning"},
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  for (size_t p = 0; p < form.num_parameters(); ++p) {
    const sc::Coefficient& c = o.law.coefficients[p];
    table.AddRow({c.name, Num(c.value), c.std_error ? Num(*c.std_error) : "-",
                  c.ci_low ? Num(*c.ci_low) : "-", c.ci_high ? Num(*c.ci_high) : "-",
                  fit.fixed[p] ? form.parameters()[p].meaning + " (held fixed)"
                               : form.parameters()[p].meaning});
  }
  out += "\n" + table.Render();
  if (!o.optima.empty()) {
    TextTable optima({"C (FLOPs)", "N_opt", "D_opt", "L_opt", "D/N"},
                     {Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
    for (size_t i = 0; i < o.optima.size(); ++i) {
      const auto& [compute, a] = o.optima[i];
      auto cell = [&](double value, int q) {
        if (o.optima_intervals.empty()) return Num(value);
        const sc::Interval& iv = o.optima_intervals[i][static_cast<size_t>(q)];
        return fmt::format("{:.4g} [{:.4g}, {:.4g}]", value, iv.low, iv.high);
      };
      optima.AddRow({fmt::format("{:.3g}", compute), cell(a.params, 0), cell(a.tokens, 1),
                     cell(a.loss, 2), fmt::format("{:.1f}", a.tokens_per_param)});
    }
    out +=
        fmt::format("\ncompute-optimal allocation, C = {:g} N D{}:\n", args.flops_per_param_token,
                    o.optima_intervals.empty() ? "" : " (bootstrap intervals)");
    out += optima.Render();
  }
  if (!o.folds.empty()) {
    TextTable folds({"held-out C min", "C max", "runs", "rms log error", "mean |rel err|",
                     "max |rel err|", "refit"},
                    {Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kLeft});
    for (const sc::BudgetFold& f : o.folds) {
      folds.AddRow({fmt::format("{:.3g}", f.compute_min), fmt::format("{:.3g}", f.compute_max),
                    std::to_string(f.num_points), fmt::format("{:.4g}", f.rms_log_error),
                    fmt::format("{:.3g}%", 100 * f.mean_abs_rel_error),
                    fmt::format("{:.3g}%", 100 * f.max_abs_rel_error),
                    f.converged ? "converged" : "NOT CONVERGED"});
    }
    out += "\nleave-one-budget-out (the last row is the extrapolation to the largest budget):\n";
    out += folds.Render();
  }
  return out;
}

nlohmann::json RenderJson(const sc::LawFile& file, const FitOutcome& o) {
  nlohmann::json folds = nlohmann::json::array();
  for (const sc::BudgetFold& f : o.folds) {
    folds.push_back({{"compute_min", f.compute_min},
                     {"compute_max", f.compute_max},
                     {"num_points", f.num_points},
                     {"converged", f.converged},
                     {"rms_log_error", f.rms_log_error},
                     {"mean_abs_rel_error", f.mean_abs_rel_error},
                     {"max_abs_rel_error", f.max_abs_rel_error}});
  }
  return {{"law_file", sc::LawFileToJson(file)},
          {"converged", o.fit.converged},
          {"stop_reason", o.fit.stop_reason},
          {"rms_log_residual", o.fit.rms_log_residual},
          {"leave_one_budget_out", folds}};
}

sc::LawFile MakeLawFile(const FitArgs& args, const FitOutcome& o) {
  sc::LawFile file;
  file.name = !args.name.empty()  ? args.name
              : !args.out.empty() ? std::filesystem::path(args.out).stem().string()
                                  : "fitted-law";
  file.description = fmt::format("{} law fitted by moeplan fit", ToString(o.law.form.type));
  file.provenance.source = o.data.description;
  file.provenance.method = fmt::format(
      "Huber loss (delta {:g}) of log residuals, L-BFGS from {} starts, {} bootstrap "
      "replicates (seed {})",
      args.huber_delta, o.fit.num_starts, o.bootstrap ? o.bootstrap->values.rows() : 0, args.seed);
  file.laws.push_back(o.law);
  return file;
}

int RunFit(const FitArgs& args) {
  Result<sc::Law> law = TemplateLaw(args.law);
  if (!law) return Fail(law.error());
  Result<std::unique_ptr<const sc::LawForm>> form = sc::MakeForm(law->form);
  if (!form) return Fail(form.error());
  Result<sc::ColumnMapping> mapping = Mapping(args, **form);
  if (!mapping) return Fail(mapping.error());
  Result<sc::CsvTable> table = sc::ReadCsvFile(args.runs);
  if (!table) return Fail(table.error());
  Result<sc::RunData> data = sc::ExtractRuns(*table, **form, *mapping);
  if (!data) return Fail(data.error());
  Result<sc::FitOptions> options = Options(args, *law);
  if (!options) return Fail(options.error());

  FitOutcome outcome;
  outcome.law = *law;
  outcome.data = sc::DropHighestTargets(*data, args.drop_highest);
  Result<sc::FitProblem> problem = sc::FitProblem::Make(**form, outcome.data, *options);
  if (!problem) return Fail(problem.error());
  outcome.fit = problem->Fit();
  if (!outcome.fit.converged) {
    FillCoefficients(**form, outcome);
    std::cout << RenderText(args, **form, outcome);
    return Fail(
        fmt::format("the fit did not converge ({}); nothing written", outcome.fit.stop_reason));
  }
  if (args.bootstrap > 0) {
    sc::BootstrapOptions boot{args.bootstrap, args.seed, args.ci_level, false};
    Result<sc::BootstrapResult> result = sc::Bootstrap(*problem, outcome.fit, boot);
    if (!result) return Fail(result.error());
    outcome.bootstrap = std::move(*result);
  }
  if (args.lobo) {
    Result<std::vector<sc::BudgetFold>> folds =
        sc::LeaveOneBudgetOut(*problem, outcome.fit, {args.budget_tolerance, false});
    if (!folds) return Fail(folds.error());
    outcome.folds = std::move(*folds);
  }
  FillCoefficients(**form, outcome);
  AddOptima(args, outcome);
  outcome.law.fitted_range = Ranges(outcome.data);
  outcome.law.fit =
      sc::FitSummary{"huber-lbfgs-multistart",
                     outcome.data.description,
                     static_cast<int64_t>(outcome.data.size()),
                     args.huber_delta,
                     outcome.fit.objective,
                     outcome.fit.converged,
                     static_cast<int64_t>(outcome.fit.num_starts),
                     outcome.bootstrap ? static_cast<int64_t>(outcome.bootstrap->values.rows()) : 0,
                     outcome.bootstrap ? args.ci_level : 0.0,
                     args.seed};
  const sc::LawFile file = MakeLawFile(args, outcome);
  if (!args.out.empty()) {
    if (Status s = sc::WriteLawFile(args.out, file); !s.ok()) return Fail(s.error());
  }
  if (args.json) return WriteOutput("-", RenderJson(file, outcome).dump(2) + "\n");
  std::string text = RenderText(args, **form, outcome);
  if (!args.out.empty()) text += fmt::format("\nwrote {}\n", args.out);
  return WriteOutput("-", text);
}

}  // namespace

void RegisterFitCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fit", "Fit a scaling law to training runs (robust Huber + L-BFGS, bootstrap intervals)");
  cmd->add_option("runs", args->runs, "CSV of training runs, one per row, with a header")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--law", args->law,
                  "Law form (chinchilla, fine_grained, clark_routed, joint_moe, power_law), a "
                  "law preset or a moeplan-law file whose first law gives the form")
      ->capture_default_str();
  cmd->add_option("--loss", args->loss_column, "Column of the observed loss (the target)")
      ->required();
  cmd->add_option("--n", args->n_column, "Column of the variable N (parameters)");
  cmd->add_option("--d", args->d_column, "Column of the variable D (training tokens)");
  cmd->add_option("--c", args->c_column,
                  "Column of the training compute C in FLOPs (budgets; D = C/(k N) without --d)");
  cmd->add_option("--var", args->variables,
                  "Other variables of the form: SYMBOL=COLUMN (e.g. E=experts)");
  cmd->add_option("--drop-highest-loss", args->drop_highest,
                  "Drop the K runs with the highest loss (Epoch drops 5)")
      ->capture_default_str();
  cmd->add_option("--huber-delta", args->huber_delta, "Huber threshold on log residuals")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--bootstrap", args->bootstrap, "Bootstrap replicates (0: none)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--ci-level", args->ci_level, "Confidence level of the intervals")
      ->check(CLI::Range(0.5, 0.9999))
      ->capture_default_str();
  cmd->add_option("--fix", args->fixed, "Hold a coefficient fixed: NAME=VALUE");
  cmd->add_option("--free", args->freed, "Fit a coefficient the form holds fixed by default");
  cmd->add_option("--max-starts", args->max_starts, "Upper bound on the start grid")
      ->check(CLI::Range(size_t{1}, size_t{10000000}))
      ->capture_default_str();
  cmd->add_option("--max-iterations", args->max_iterations,
                  "L-BFGS iterations per start (and at most this many IRLS polish steps)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--flops-per-param-token", args->flops_per_param_token,
                  "k in C = k N D (6: forward + backward)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--lobo", args->lobo, "Leave-one-budget-out extrapolation errors (needs --c)");
  cmd->add_option("--budget-tolerance", args->budget_tolerance,
                  "Relative spread of C within one budget")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--optimum-at", args->optimum_at,
                  "Chinchilla only: print N_opt, D_opt, L_opt at these budgets C (FLOPs)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", args->out, "Write the fitted law file here (atomically)");
  cmd->add_option("--name", args->name, "Name of the law in the file (default: --out's stem)");
  cmd->add_flag("--json", args->json, "Machine-readable report");
  cmd->callback([args, &run] { run = [args] { return RunFit(*args); }; });
}

}  // namespace moeplan::cli
