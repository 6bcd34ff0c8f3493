//===- laws/scaling/phase_fit.cc - Fitting Wan et al.'s two-phase experiments ===//
#include "laws/scaling/phase_fit.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "laws/scaling/internal/random.h"

namespace moeplan::scaling {
namespace {

using Eigen::Index;

// The variables of one budget's runs as the optimum and band fits read them.
struct Variables {
  std::vector<std::string> symbols;
  Eigen::MatrixXd x;
  Eigen::VectorXd loss;
};

// Phase 1: (M or D, N_a/M, N/N_a); with `band`, all four of M, D, N_a/M, N/N_a.
enum class PhaseOneView { kFlops, kTokens, kBand };

Variables PhaseOneVariables(const PhaseResults& results, const std::vector<size_t>& runs,
                            PhaseOneView view) {
  Variables v;
  v.symbols = view == PhaseOneView::kFlops    ? std::vector<std::string>{"M", "Na/M", "N/Na"}
              : view == PhaseOneView::kTokens ? std::vector<std::string>{"D", "Na/M", "N/Na"}
                                              : std::vector<std::string>{"M", "D", "Na/M", "N/Na"};
  const auto n = static_cast<Index>(runs.size());
  v.x.resize(n, static_cast<Index>(v.symbols.size()));
  v.loss.resize(n);
  for (Index i = 0; i < n; ++i) {
    const PhaseRun& r = results.runs[runs[static_cast<size_t>(i)]];
    const double na_over_m = r.active_params / r.flops_per_token;
    const double n_over_na = r.total_params / r.active_params;
    if (view == PhaseOneView::kBand) {
      v.x.row(i) << r.flops_per_token, r.tokens, na_over_m, n_over_na;
    } else {
      v.x.row(i) << (view == PhaseOneView::kFlops ? r.flops_per_token : r.tokens), na_over_m,
          n_over_na;
    }
    v.loss[i] = r.loss;
  }
  return v;
}

double ShapeValue(const PhaseRun& run, ShapeVariable shape) {
  return shape == ShapeVariable::kNumLayers ? run.num_layers : run.expert_width;
}

Variables PhaseTwoVariables(const PhaseResults& results, const std::vector<size_t>& runs,
                            ShapeVariable shape) {
  Variables v;
  v.symbols = {"d", ShapeSymbol(shape)};
  const auto n = static_cast<Index>(runs.size());
  v.x.resize(n, 2);
  v.loss.resize(n);
  for (Index i = 0; i < n; ++i) {
    const PhaseRun& r = results.runs[runs[static_cast<size_t>(i)]];
    v.x.row(i) << r.hidden_size, ShapeValue(r, shape);
    v.loss[i] = r.loss;
  }
  return v;
}

std::string BudgetLabel(const PhaseResults& results, int phase, const Budget& budget) {
  return fmt::format("{}: phase {}, budget C = {:.4g} ({} run{})", results.source, phase,
                     budget.compute, budget.runs.size(), budget.runs.size() == 1 ? "" : "s");
}

Result<BudgetOptimum> FitOptimum(const Variables& v, const Eigen::VectorXd& weights,
                                 const OptimumOptions& options) {
  return FitBudgetOptimum(OptimumProblem{v.symbols, v.x, v.loss, weights}, options);
}

// One budget: optimum (and phase 1's D optimum) and the band.
Result<BudgetFit> FitBudget(const PhaseResults& results, int phase, const Budget& budget,
                            ShapeVariable shape, const PhaseFitOptions& options) {
  BudgetFit fit;
  fit.compute = budget.compute;
  fit.runs = budget.runs;
  const std::string label = BudgetLabel(results, phase, budget);
  const Variables main = phase == 1 ? PhaseOneVariables(results, budget.runs, PhaseOneView::kFlops)
                                    : PhaseTwoVariables(results, budget.runs, shape);
  Result<BudgetOptimum> optimum = FitOptimum(main, {}, options.optimum);
  if (!optimum) return Error{fmt::format("{}: {}", label, optimum.error().message)};
  fit.optimum = *optimum;
  if (phase == 1) {
    Result<BudgetOptimum> tokens = FitOptimum(
        PhaseOneVariables(results, budget.runs, PhaseOneView::kTokens), {}, options.optimum);
    if (!tokens) return Error{fmt::format("{}: {}", label, tokens.error().message)};
    fit.tokens_optimum = *tokens;
  }
  const Variables band_vars =
      phase == 1 ? PhaseOneVariables(results, budget.runs, PhaseOneView::kBand) : main;
  Result<NearOptimalBand> band =
      FindNearOptimalBand(band_vars.symbols, band_vars.x, band_vars.loss, options.optimum.epsilon);
  if (!band) return Error{fmt::format("{}: {}", label, band.error().message)};
  fit.band = *band;
  fit.best_run = budget.runs[band->best_index];
  return fit;
}

// The law targets of a phase and where each budget's optimum of them is.
struct Target {
  std::string symbol, variable;
  bool tokens;    // read from tokens_optimum (phase 1's D)
  size_t column;  // index into the optimum's variables
};

std::vector<Target> PhaseTargets(int phase, ShapeVariable shape) {
  if (phase == 1) {
    return {{"M_opt", "M", false, 0},
            {"D_opt", "D", true, 0},
            {"Na_over_M_opt", "Na/M", false, 1},
            {"N_over_Na_opt", "N/Na", false, 2}};
  }
  return {{"d_opt", "d", false, 0},
          {std::string(ShapeSymbol(shape)) + "_opt", ShapeSymbol(shape), false, 1}};
}

double TargetOptimum(const Target& t, const BudgetOptimum& optimum,
                     const std::optional<BudgetOptimum>& tokens) {
  return (t.tokens ? *tokens : optimum).variables[t.column].optimum;
}

Result<std::vector<AllocationFit>> FitLaws(const std::vector<BudgetFit>& budgets,
                                           const std::vector<Target>& targets,
                                           const std::string& label) {
  std::vector<AllocationFit> laws;
  for (const Target& t : targets) {
    AllocationFit law;
    law.target = t.symbol;
    law.variable = t.variable;
    for (const BudgetFit& b : budgets) {
      law.compute.push_back(b.compute);
      law.optimum.push_back(TargetOptimum(t, b.optimum, b.tokens_optimum));
    }
    Result<PowerLawFit> fit = FitPowerLaw(law.compute, law.optimum);
    if (!fit) return Error{fmt::format("{}: {}: {}", label, t.symbol, fit.error().message)};
    law.ols = *fit;
    laws.push_back(std::move(law));
  }
  return laws;
}

// Refits every budget of a phase on resampled runs and the power laws on the new optima;
// nullopt when some budget has no optimum in this replicate.
std::optional<std::vector<std::pair<double, double>>> Replicate(
    const PhaseResults& results, int phase, ShapeVariable shape,
    const std::vector<BudgetFit>& budgets, const std::vector<Target>& targets,
    const PhaseFitOptions& options, uint64_t stream) {
  internal::SplitMix64 rng(stream);
  std::vector<BudgetOptimum> optima;
  std::vector<std::optional<BudgetOptimum>> tokens;
  for (const BudgetFit& b : budgets) {
    const auto n = static_cast<Index>(b.runs.size());
    Eigen::VectorXd weights = Eigen::VectorXd::Zero(n);
    for (Index i = 0; i < n; ++i) {
      weights[static_cast<Index>(rng.Below(static_cast<uint64_t>(n)))] += 1.0;
    }
    OptimumOptions same = options.optimum;
    same.method = b.optimum.method;  // the point estimate's method, never a switch
    const Variables main = phase == 1 ? PhaseOneVariables(results, b.runs, PhaseOneView::kFlops)
                                      : PhaseTwoVariables(results, b.runs, shape);
    Result<BudgetOptimum> optimum = FitOptimum(main, weights, same);
    if (!optimum) return std::nullopt;
    optima.push_back(*optimum);
    tokens.emplace_back();
    if (phase == 1) {
      same.method = b.tokens_optimum->method;
      Result<BudgetOptimum> t =
          FitOptimum(PhaseOneVariables(results, b.runs, PhaseOneView::kTokens), weights, same);
      if (!t) return std::nullopt;
      tokens.back() = *t;
    }
  }
  std::vector<std::pair<double, double>> coefficients;
  for (const Target& t : targets) {
    std::vector<double> compute, x;
    for (size_t i = 0; i < budgets.size(); ++i) {
      compute.push_back(budgets[i].compute);
      x.push_back(TargetOptimum(t, optima[i], tokens[i]));
    }
    Result<PowerLawFit> fit = FitPowerLaw(compute, x);
    if (!fit) return std::nullopt;
    coefficients.emplace_back(fit->k, fit->e);
  }
  return coefficients;
}

// Fills the bootstrap intervals of `laws`; returns the number of failed replicates.
size_t BootstrapLaws(const PhaseResults& results, int phase, ShapeVariable shape,
                     const std::vector<BudgetFit>& budgets, const std::vector<Target>& targets,
                     const PhaseFitOptions& options, std::vector<AllocationFit>& laws) {
  const auto replicates = static_cast<size_t>(options.bootstrap_replicates);
  if (replicates == 0) return 0;
  std::vector<std::optional<std::vector<std::pair<double, double>>>> draws(replicates);
  const uint64_t phase_seed = internal::StreamSeed(options.seed, static_cast<uint64_t>(phase));
  tbb::parallel_for(size_t{0}, replicates, [&](size_t r) {
    draws[r] = Replicate(results, phase, shape, budgets, targets, options,
                         internal::StreamSeed(phase_seed, r));
  });
  size_t failed = 0;
  std::vector<std::vector<double>> k(laws.size()), e(laws.size());
  for (const auto& draw : draws) {
    if (!draw) {
      ++failed;
      continue;
    }
    for (size_t l = 0; l < laws.size(); ++l) {
      k[l].push_back((*draw)[l].first);
      e[l].push_back((*draw)[l].second);
    }
  }
  if (replicates - failed < 2) return failed;
  for (size_t l = 0; l < laws.size(); ++l) {
    laws[l].k_bootstrap = Summarize(k[l], laws[l].ols.k, options.ci_level);
    laws[l].e_bootstrap = Summarize(e[l], laws[l].ols.e, options.ci_level);
  }
  return failed;
}

Result<WidthTrends> FitTrends(const std::vector<BudgetFit>& budgets) {
  WidthTrends trends;
  std::vector<double> compute, count;
  for (const BudgetFit& b : budgets) {
    compute.push_back(b.compute);
    count.push_back(static_cast<double>(b.band.runs.size()));
  }
  Result<TrendFit> count_fit = FitLogLinearTrend(compute, count);
  if (!count_fit) return count_fit.error();
  trends.count = *count_fit;
  const BudgetFit& first = budgets.front();
  for (size_t j = 0; j < first.band.spans.size(); ++j) {
    std::vector<double> width;
    for (const BudgetFit& b : budgets) width.push_back(b.band.spans[j].log_width);
    Result<TrendFit> fit = FitLogLinearTrend(compute, width);
    if (!fit) return fit.error();
    trends.band_width.emplace_back(first.band.spans[j].symbol, *fit);
  }
  // The fitted intervals; phase 1 lists D (from the tokens fit) after M, as the band does.
  auto fitted = [](const BudgetFit& b) {
    std::vector<VariableOptimum> vars = b.optimum.variables;
    if (b.tokens_optimum) vars.insert(vars.begin() + 1, b.tokens_optimum->variables.front());
    return vars;
  };
  const std::vector<VariableOptimum> first_vars = fitted(first);
  for (size_t j = 0; j < first_vars.size(); ++j) {
    std::vector<double> width;
    for (const BudgetFit& b : budgets) {
      const VariableOptimum& v = fitted(b)[j];
      width.push_back(std::log(v.high / v.low));
    }
    Result<TrendFit> fit = FitLogLinearTrend(compute, width);
    if (!fit) return fit.error();
    trends.fitted_width.emplace_back(first_vars[j].symbol, *fit);
  }
  return trends;
}

Result<std::vector<BudgetFit>> FitBudgets(const PhaseResults& results, int phase,
                                          ShapeVariable shape, const PhaseFitOptions& options) {
  const std::vector<Budget> budgets = GroupBudgets(results, phase, options.budget_tolerance);
  if (budgets.empty()) return Error{fmt::format("{}: no phase {} runs", results.source, phase)};
  if (budgets.size() < 2) {
    return Error{fmt::format(
        "{}: phase {} has runs at 1 budget (C = {:.4g}); power laws of C need at least 2",
        results.source, phase, budgets.front().compute)};
  }
  std::vector<BudgetFit> fits;
  for (const Budget& b : budgets) {
    Result<BudgetFit> fit = FitBudget(results, phase, b, shape, options);
    if (!fit) return fit.error();
    fits.push_back(std::move(*fit));
  }
  return fits;
}

Result<PhaseOneFit> FitPhaseOne(const PhaseResults& results, const PhaseFitOptions& options) {
  PhaseOneFit out;
  Result<std::vector<BudgetFit>> budgets =
      FitBudgets(results, 1, ShapeVariable::kNumLayers, options);
  if (!budgets) return budgets.error();
  out.budgets = std::move(*budgets);
  const std::vector<Target> targets = PhaseTargets(1, ShapeVariable::kNumLayers);
  Result<std::vector<AllocationFit>> laws =
      FitLaws(out.budgets, targets, results.source + ": phase 1");
  if (!laws) return laws.error();
  out.laws = std::move(*laws);
  out.exponent_sum = CheckExponentSum(out.laws[0].ols, out.laws[1].ols);
  out.bootstrap_failed =
      BootstrapLaws(results, 1, ShapeVariable::kNumLayers, out.budgets, targets, options, out.laws);
  Result<WidthTrends> trends = FitTrends(out.budgets);
  if (!trends) return Error{fmt::format("{}: phase 1: {}", results.source, trends.error().message)};
  out.trends = std::move(*trends);
  return out;
}

// Whether the shape variable forms a full grid with d at every budget.
bool CrossedWithD(const PhaseResults& results, const std::vector<Budget>& budgets,
                  ShapeVariable shape, double tolerance) {
  for (const Budget& b : budgets) {
    std::vector<double> d, s;
    for (size_t i : b.runs) {
      d.push_back(results.runs[i].hidden_size);
      s.push_back(ShapeValue(results.runs[i], shape));
    }
    const std::vector<size_t> dl = GridLevels(d, tolerance), sl = GridLevels(s, tolerance);
    std::set<std::pair<size_t, size_t>> cells;
    for (size_t i = 0; i < dl.size(); ++i) cells.emplace(dl[i], sl[i]);
    const size_t nd = *std::max_element(dl.begin(), dl.end()) + 1;
    const size_t ns = *std::max_element(sl.begin(), sl.end()) + 1;
    if (ns < 2 || cells.size() != nd * ns) return false;
  }
  return true;
}

bool Varies(const PhaseResults& results, const std::vector<Budget>& budgets, ShapeVariable shape,
            double tolerance) {
  for (const Budget& b : budgets) {
    std::vector<double> s;
    for (size_t i : b.runs) s.push_back(ShapeValue(results.runs[i], shape));
    const std::vector<size_t> levels = GridLevels(s, tolerance);
    if (*std::max_element(levels.begin(), levels.end()) > 0) return true;
  }
  return false;
}

Result<std::pair<ShapeVariable, std::string>> ChooseShape(const PhaseResults& results,
                                                          const PhaseFitOptions& options) {
  const std::vector<Budget> budgets = GroupBudgets(results, 2, options.budget_tolerance);
  const double tol = options.optimum.level_tolerance;
  if (options.shape != ShapeVariable::kAuto) {
    const bool present = options.shape == ShapeVariable::kNumLayers ? results.has_num_layers
                                                                    : results.has_expert_width;
    if (!present) {
      return Error{fmt::format("{}: column '{}' (the phase 2 shape variable) not found",
                               results.source, ShapeSymbol(options.shape))};
    }
    return std::pair{options.shape, std::string("chosen by the user")};
  }
  std::vector<ShapeVariable> varying;
  for (auto [shape, present] : {std::pair{ShapeVariable::kNumLayers, results.has_num_layers},
                                std::pair{ShapeVariable::kExpertWidth, results.has_expert_width}}) {
    if (present && Varies(results, budgets, shape, tol)) varying.push_back(shape);
  }
  if (varying.empty()) {
    return Error{fmt::format(
        "{}: phase 2: neither num_layers nor expert_width varies within a budget; phase 2 needs "
        "a grid over d and one of them",
        results.source)};
  }
  if (varying.size() == 1) {
    return std::pair{varying[0], fmt::format("the only one of num_layers and expert_width that "
                                             "varies")};
  }
  std::vector<ShapeVariable> crossed;
  for (ShapeVariable shape : varying) {
    if (CrossedWithD(results, budgets, shape, tol)) crossed.push_back(shape);
  }
  if (crossed.size() == 1) {
    return std::pair{crossed[0], std::string("both vary; only this one forms a grid with d, "
                                             "the other follows from the triad")};
  }
  return Error{fmt::format(
      "{}: phase 2: num_layers and expert_width both vary and {} of them forms a grid with "
      "hidden_size; pass --shape-variable num_layers or expert_width",
      results.source, crossed.empty() ? "neither" : "each")};
}

Result<PhaseTwoFit> FitPhaseTwo(const PhaseResults& results, const PhaseFitOptions& options) {
  PhaseTwoFit out;
  Result<std::pair<ShapeVariable, std::string>> shape = ChooseShape(results, options);
  if (!shape) return shape.error();
  out.shape = shape->first;
  out.shape_reason = shape->second;
  Result<std::vector<BudgetFit>> budgets = FitBudgets(results, 2, out.shape, options);
  if (!budgets) return budgets.error();
  out.budgets = std::move(*budgets);
  const std::vector<Target> targets = PhaseTargets(2, out.shape);
  Result<std::vector<AllocationFit>> laws =
      FitLaws(out.budgets, targets, results.source + ": phase 2");
  if (!laws) return laws.error();
  out.laws = std::move(*laws);
  out.bootstrap_failed =
      BootstrapLaws(results, 2, out.shape, out.budgets, targets, options, out.laws);
  Result<WidthTrends> trends = FitTrends(out.budgets);
  if (!trends) return Error{fmt::format("{}: phase 2: {}", results.source, trends.error().message)};
  out.trends = std::move(*trends);
  for (const BudgetFit& b : out.budgets) {
    std::vector<double> d, s, loss;
    for (size_t i : b.runs) {
      d.push_back(results.runs[i].hidden_size);
      s.push_back(ShapeValue(results.runs[i], out.shape));
      loss.push_back(results.runs[i].loss);
    }
    out.rank.push_back(
        TestRankPreservation(b.compute, d, s, loss, options.optimum.level_tolerance));
  }
  out.rank_summary = SummarizeRanks(out.rank);
  return out;
}

}  // namespace

const char* ToString(ShapeVariable shape) {
  switch (shape) {
    case ShapeVariable::kAuto:
      return "auto";
    case ShapeVariable::kNumLayers:
      return "num_layers";
    case ShapeVariable::kExpertWidth:
      return "expert_width";
  }
  return "?";
}

const char* ShapeSymbol(ShapeVariable shape) {
  return shape == ShapeVariable::kExpertWidth ? "expert_width" : "num_layers";
}

Result<ShapeVariable> ParseShapeVariable(std::string_view text) {
  for (ShapeVariable s :
       {ShapeVariable::kAuto, ShapeVariable::kNumLayers, ShapeVariable::kExpertWidth}) {
    if (text == ToString(s)) return s;
  }
  return Error{
      fmt::format("unknown shape variable '{}' (expected auto, num_layers or expert_width)", text)};
}

Status PhaseFitOptions::Validate() const {
  if (Status s = optimum.Validate(); !s.ok()) return s;
  if (!(budget_tolerance >= 0) || !std::isfinite(budget_tolerance)) {
    return Error{fmt::format("budget tolerance must be >= 0, got {}", budget_tolerance)};
  }
  if (bootstrap_replicates < 0 || bootstrap_replicates == 1) {
    return Error{
        fmt::format("bootstrap replicates must be 0 or >= 2, got {}", bootstrap_replicates)};
  }
  if (!(ci_level > 0 && ci_level < 1)) {
    return Error{fmt::format("ci level must be in (0, 1), got {}", ci_level)};
  }
  return Status::Ok();
}

Result<PhaseFit> FitPhases(const PhaseResults& results, const PhaseFitOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  PhaseFit fit;
  fit.source = results.source;
  fit.options = options;
  if (results.CountPhase(1) == 0 && results.CountPhase(2) == 0) {
    return Error{fmt::format("{}: no phase 1 or phase 2 runs", results.source)};
  }
  if (results.CountPhase(1) > 0) {
    Result<PhaseOneFit> one = FitPhaseOne(results, options);
    if (!one) return one.error();
    fit.phase1 = std::move(*one);
  }
  if (results.CountPhase(2) > 0) {
    Result<PhaseTwoFit> two = FitPhaseTwo(results, options);
    if (!two) return two.error();
    fit.phase2 = std::move(*two);
  }
  return fit;
}

}  // namespace moeplan::scaling
