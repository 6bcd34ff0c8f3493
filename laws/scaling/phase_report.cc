//===- laws/scaling/phase_report.cc - Law file and report of a phase fit --===//
#include "laws/scaling/phase_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "laws/scaling/law_json.h"

namespace moeplan::scaling {
namespace {

using json = nlohmann::json;
using laws::FlopPass;

// A number, or null when it is not finite (the report never holds NaN).
json Num(double value) {
  return std::isfinite(value) ? json(value) : json(nullptr);
}

json Num(const std::optional<double>& value) {
  return value ? Num(*value) : json(nullptr);
}

LawQuantity ComputeQuantity() {
  return {"C",
          "training compute C = M D, FLOPs (M: non-embedding forward+backward FLOPs per token, "
          "attention included)",
          1.0, FlopPass::kForwardBackward};
}

LawQuantity TargetQuantity(const std::string& target) {
  const std::string phase2 = " (phase 2, at the phase-1 optimum triad)";
  if (target == "M_opt") {
    return {target,
            "compute-optimal M: non-embedding forward+backward FLOPs per token, attention "
            "included",
            1.0, FlopPass::kForwardBackward};
  }
  if (target == "D_opt") return {target, "compute-optimal training tokens D = C / M", 1.0, {}};
  if (target == "Na_over_M_opt") {
    return {target,
            "compute-optimal N_a / M: non-embedding active parameters per forward+backward FLOP "
            "per token",
            1.0,
            {}};
  }
  if (target == "N_over_Na_opt") {
    return {target, "compute-optimal N / N_a: non-embedding total over active parameters", 1.0, {}};
  }
  if (target == "d_opt") return {target, "compute-optimal hidden size d" + phase2, 1.0, {}};
  if (target == "num_layers_opt") {
    return {target, "compute-optimal number of decoder layers" + phase2, 1.0, {}};
  }
  return {target, "compute-optimal routed-expert intermediate size" + phase2, 1.0, {}};
}

// Sum of squared residuals of ln X_opt about the fitted line.
double LogSse(const AllocationFit& law) {
  double sse = 0;
  for (size_t i = 0; i < law.compute.size(); ++i) {
    const double r = std::log(law.optimum[i]) - std::log(law.ols.Predict(law.compute[i]));
    sse += r * r;
  }
  return sse;
}

Coefficient MakeCoefficient(const char* name, double value, std::optional<double> ols_se,
                            const std::optional<Interval>& boot, double ci_level) {
  Coefficient c;
  c.name = name;
  c.value = value;
  const std::string ols_text = ols_se ? fmt::format("{:.4g}", *ols_se) : "n/a (2 budgets)";
  if (boot) {
    c.std_error = ols_se ? std::max(boot->std_error, *ols_se) : boot->std_error;
    c.ci_low = boot->low;
    c.ci_high = boot->high;
    c.note = fmt::format(
        "std_error: the larger of the bootstrap ({:.4g}) and OLS ({}) standard errors; ci: {:g}% "
        "bootstrap percentile interval (runs resampled within budgets)",
        boot->std_error, ols_text, 100 * ci_level);
  } else {
    c.std_error = ols_se;
    c.note = fmt::format("std_error: OLS ({}); no bootstrap", ols_text);
  }
  return c;
}

Law MakeLaw(const AllocationFit& law, int phase, size_t num_runs, size_t failed,
            const PhaseFit& fit, const std::string& method) {
  Law out;
  out.form = FormSpec{FormType::kPowerLaw, {}, {}, {}};
  out.target = TargetQuantity(law.target);
  out.variables = {ComputeQuantity()};
  const bool has_ols_se = law.ols.num_points > 2;
  const double ci = fit.options.ci_level;
  out.coefficients = {
      MakeCoefficient(
          "k", law.ols.k,
          has_ols_se ? std::optional(law.ols.k * law.ols.log_k_std_error) : std::nullopt,
          law.k_bootstrap, ci),
      MakeCoefficient("e", law.ols.e,
                      has_ols_se ? std::optional(law.ols.e_std_error) : std::nullopt,
                      law.e_bootstrap, ci)};
  const auto [c_min, c_max] = std::minmax_element(law.compute.begin(), law.compute.end());
  const auto [x_min, x_max] = std::minmax_element(law.optimum.begin(), law.optimum.end());
  out.fitted_range = {{"C", *c_min, *c_max}, {law.target, *x_min, *x_max}};
  const bool boot = law.e_bootstrap.has_value();
  out.fit = FitSummary{
      method,
      fmt::format("{}: phase {}, {} runs at {} budgets; per-budget optima of {}", fit.source, phase,
                  num_runs, law.compute.size(), law.variable),
      static_cast<int64_t>(law.compute.size()),
      0.0,
      LogSse(law),
      true,
      0,
      boot ? static_cast<int64_t>(fit.options.bootstrap_replicates) - static_cast<int64_t>(failed)
           : 0,
      boot ? ci : 0.0,
      fit.options.seed};
  out.note = fmt::format("{} = k C^e; R^2 = {:.4f} in log space over {} budgets", law.target,
                         law.ols.r_squared, law.compute.size());
  if (boot && failed > 0) {
    out.note += fmt::format(
        "; {} of {} bootstrap replicates had a budget without a minimum and were left out, so "
        "the intervals are conditional on the others",
        failed, fit.options.bootstrap_replicates);
  }
  return out;
}

size_t CountRuns(const std::vector<BudgetFit>& budgets) {
  size_t n = 0;
  for (const BudgetFit& b : budgets) n += b.runs.size();
  return n;
}

std::string MethodText(const std::vector<BudgetFit>& budgets) {
  std::string methods;
  for (const BudgetFit& b : budgets) {
    const std::string m = ToString(b.optimum.method);
    if (methods.find(m) == std::string::npos) methods += (methods.empty() ? "" : "+") + m;
  }
  return fmt::format("per-budget optimum ({} in ln x), OLS of ln X_opt on ln C", methods);
}

json IntervalJson(const std::optional<Interval>& interval) {
  if (!interval) return nullptr;
  return {{"estimate", Num(interval->estimate)},
          {"std_error", Num(interval->std_error)},
          {"low", Num(interval->low)},
          {"high", Num(interval->high)}};
}

json LawJson(const AllocationFit& law) {
  json points = json::array();
  for (size_t i = 0; i < law.compute.size(); ++i) {
    points.push_back({{"compute", Num(law.compute[i])}, {"optimum", Num(law.optimum[i])}});
  }
  return {
      {"target", law.target},
      {"variable", law.variable},
      {"k", Num(law.ols.k)},
      {"e", Num(law.ols.e)},
      {"ols",
       {{"log_k_std_error", law.ols.num_points > 2 ? Num(law.ols.log_k_std_error) : nullptr},
        {"e_std_error", law.ols.num_points > 2 ? Num(law.ols.e_std_error) : nullptr},
        {"r_squared", Num(law.ols.r_squared)},
        {"num_points", law.ols.num_points}}},
      {"bootstrap", {{"k", IntervalJson(law.k_bootstrap)}, {"e", IntervalJson(law.e_bootstrap)}}},
      {"points", points}};
}

json OptimumJson(const BudgetOptimum& optimum) {
  json variables = json::array();
  for (const VariableOptimum& v : optimum.variables) {
    variables.push_back({{"symbol", v.symbol},
                         {"optimum", Num(v.optimum)},
                         {"low", Num(v.low)},
                         {"high", Num(v.high)},
                         {"sampled_min", Num(v.sampled_min)},
                         {"sampled_max", Num(v.sampled_max)},
                         {"inside", v.inside},
                         {"num_levels", v.num_levels}});
  }
  return {{"method", ToString(optimum.method)},
          {"num_points", optimum.num_points},
          {"loss_opt", Num(optimum.loss_opt)},
          {"rms_residual", Num(optimum.rms_residual)},
          {"variables", variables}};
}

json BandJson(const NearOptimalBand& band, const BudgetFit& budget, const PhaseResults& results) {
  json runs = json::array(), spans = json::array();
  for (size_t r : band.runs) runs.push_back(results.runs[budget.runs[r]].run_id);
  for (const BandSpan& s : band.spans) {
    spans.push_back({{"symbol", s.symbol},
                     {"min", Num(s.min)},
                     {"max", Num(s.max)},
                     {"log_width", Num(s.log_width)}});
  }
  return {{"epsilon", Num(band.epsilon)},
          {"best_loss", Num(band.best_loss)},
          {"threshold", Num(band.threshold)},
          {"count", band.runs.size()},
          {"runs", runs},
          {"spans", spans}};
}

json BudgetJson(const BudgetFit& b, const PhaseResults& results) {
  const PhaseRun& best = results.runs[b.best_run];
  json out = {{"compute", Num(b.compute)},
              {"num_runs", b.runs.size()},
              {"best_run", {{"run_id", best.run_id}, {"row", best.row}, {"loss", Num(best.loss)}}},
              {"optimum", OptimumJson(b.optimum)},
              {"band", BandJson(b.band, b, results)}};
  if (b.tokens_optimum) out["tokens_optimum"] = OptimumJson(*b.tokens_optimum);
  return out;
}

json TrendJson(const TrendFit& t) {
  return {{"num_points", t.num_points},
          {"intercept", Num(t.intercept)},
          {"slope", Num(t.slope)},
          {"slope_per_decade", Num(t.slope * std::log(10.0))},
          {"slope_std_error", Num(t.slope_std_error)},
          {"slope_p_value", Num(t.slope_p_value)},
          {"r_squared", Num(t.r_squared)}};
}

json TrendsJson(const WidthTrends& trends) {
  json band = json::object(), fitted = json::object();
  for (const auto& [symbol, t] : trends.band_width) band[symbol] = TrendJson(t);
  for (const auto& [symbol, t] : trends.fitted_width) fitted[symbol] = TrendJson(t);
  return {{"count", TrendJson(trends.count)}, {"band_width", band}, {"fitted_width", fitted}};
}

json TestJson(const std::optional<CorrelationTest>& test, bool with_exact) {
  if (!test) return nullptr;
  json out = {{"coefficient", Num(test->coefficient)}, {"p_value", Num(test->p_value)}};
  if (with_exact) out["exact"] = test->exact;
  return out;
}

json RankJson(const PhaseTwoFit& two) {
  json budgets = json::array();
  for (const RankBudget& b : two.rank) {
    json pairs = json::array();
    for (const RankPair& p : b.pairs) {
      pairs.push_back({{"d_a", Num(p.d_a)},
                       {"d_b", Num(p.d_b)},
                       {"matching", p.matching},
                       {"n", p.correlation.n},
                       {"shape_a", p.shape_a},
                       {"shape_b", p.shape_b},
                       {"loss_a", p.loss_a},
                       {"loss_b", p.loss_b},
                       {"pearson", TestJson(p.correlation.pearson, false)},
                       {"spearman", TestJson(p.correlation.spearman, false)},
                       {"kendall_tau_b", TestJson(p.correlation.kendall, true)},
                       {"same_best", p.same_best}});
    }
    budgets.push_back({{"compute", Num(b.compute)}, {"pairs", pairs}, {"skipped", b.skipped}});
  }
  const RankSummary& s = two.rank_summary;
  return {{"budgets", budgets},
          {"summary",
           {{"num_pairs", s.num_pairs},
            {"mean_pearson", Num(s.mean_pearson)},
            {"mean_spearman", Num(s.mean_spearman)},
            {"mean_kendall_tau_b", Num(s.mean_kendall)},
            {"min_spearman", Num(s.min_spearman)},
            {"kendall_significant", s.kendall_significant},
            {"same_best", s.same_best}}}};
}

json PhaseJson(const std::vector<BudgetFit>& budgets, const std::vector<AllocationFit>& laws,
               const WidthTrends& trends, size_t failed, const PhaseFitOptions& options,
               const PhaseResults& results) {
  json b = json::array(), l = json::array();
  for (const BudgetFit& budget : budgets) b.push_back(BudgetJson(budget, results));
  for (const AllocationFit& law : laws) l.push_back(LawJson(law));
  return {{"budgets", b},
          {"laws", l},
          {"trends", TrendsJson(trends)},
          {"bootstrap", {{"replicates", options.bootstrap_replicates}, {"failed", failed}}}};
}

}  // namespace

LawFile MakePhaseLawFile(const PhaseFit& fit, const PhaseResults& results, std::string name) {
  LawFile file;
  file.name = std::move(name);
  file.description =
      "Compute-optimal MoE allocation fitted by moeplan fit-phases (two-phase framework of Wan "
      "et al. 2026, arXiv:2603.21862)";
  file.provenance.source = fmt::format("{} ({} runs)", results.source, results.runs.size());
  file.provenance.method = fmt::format(
      "per-budget optima of the shape variables from the losses in ln x (quadratic surface or "
      "slices), power laws of C by OLS in log-log, {} bootstrap replicates over runs within "
      "budgets (seed {}), epsilon {:g}",
      fit.options.bootstrap_replicates, fit.options.seed, fit.options.optimum.epsilon);
  file.provenance.notes =
      "M, N_a and N are non-embedding; M counts forward+backward matmul FLOPs per token with "
      "attention, as the runs manifest of moeplan design. Power laws are valid within their "
      "fitted_range of C; beyond it they extrapolate";
  if (fit.phase1) {
    const size_t runs = CountRuns(fit.phase1->budgets);
    const std::string method = MethodText(fit.phase1->budgets);
    for (const AllocationFit& law : fit.phase1->laws) {
      file.laws.push_back(MakeLaw(law, 1, runs, fit.phase1->bootstrap_failed, fit, method));
    }
  }
  if (fit.phase2) {
    const size_t runs = CountRuns(fit.phase2->budgets);
    const std::string method = MethodText(fit.phase2->budgets);
    for (const AllocationFit& law : fit.phase2->laws) {
      file.laws.push_back(MakeLaw(law, 2, runs, fit.phase2->bootstrap_failed, fit, method));
    }
  }
  return file;
}

json PhaseFitReportJson(const PhaseFit& fit, const PhaseResults& results, const LawFile& laws) {
  const PhaseFitOptions& o = fit.options;
  json report = {{"format", kPhaseReportFormat},
                 {"version", kPhaseReportVersion},
                 {"source", fit.source},
                 {"num_runs", results.runs.size()},
                 {"options",
                  {{"method", ToString(o.optimum.method)},
                   {"epsilon", o.optimum.epsilon},
                   {"level_tolerance", o.optimum.level_tolerance},
                   {"budget_tolerance", o.budget_tolerance},
                   {"shape_variable", ToString(o.shape)},
                   {"bootstrap_replicates", o.bootstrap_replicates},
                   {"seed", o.seed},
                   {"ci_level", o.ci_level}}}};
  report["phase1"] = nullptr;
  report["phase2"] = nullptr;
  if (const auto& one = fit.phase1) {
    json p = PhaseJson(one->budgets, one->laws, one->trends, one->bootstrap_failed, o, results);
    p["exponent_sum_check"] = {{"exponent_sum", Num(one->exponent_sum.exponent_sum)},
                               {"coefficient_product", Num(one->exponent_sum.coefficient_product)},
                               {"ok", one->exponent_sum.ok}};
    report["phase1"] = p;
  }
  if (const auto& two = fit.phase2) {
    json p = PhaseJson(two->budgets, two->laws, two->trends, two->bootstrap_failed, o, results);
    p["shape_variable"] = ShapeSymbol(two->shape);
    p["shape_reason"] = two->shape_reason;
    p["rank_preservation"] = RankJson(*two);
    report["phase2"] = p;
  }
  report["law_file"] = LawFileToJson(laws);
  return report;
}

}  // namespace moeplan::scaling
