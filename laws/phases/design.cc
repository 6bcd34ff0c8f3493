//===- laws/phases/design.cc - The runs of the two-phase experiment -------===//
#include "laws/phases/design.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace moeplan::phases {
namespace {

// Everything one budget's grids share.
struct BudgetContext {
  const DesignOptions& options;
  const Allocation& allocation;
  DesignResult& result;
  std::string tag;  // "c1e19"
};

std::string RunId(const BudgetContext& ctx, int phase, int index) {
  return fmt::format("{}-p{}-{:03d}", ctx.tag, phase, index);
}

std::string GridText(double m, double na_over_m, double n_over_na, int64_t d,
                     const std::string& shape) {
  std::string text =
      fmt::format("M={:.4g} Na/M={:.4g} N/Na={:.4g} d={}", m, na_over_m, n_over_na, d);
  if (!shape.empty()) text += " " + shape;
  return text;
}

// Records the best architecture of `problem` as a run, or the grid point as skipped.
// `k_is_gridded`: K is the phase-2 variable, so the template's K fallback must not move it.
void Realise(const BudgetContext& ctx, int phase, int index, const TriadProblem& problem,
             double na_over_m, double n_over_na, const std::string& shape,
             bool k_is_gridded = false) {
  const double m = problem.flops_per_token.target;
  const int64_t d = problem.base.hidden_size;
  Result<TriadSolution> solution =
      k_is_gridded ? SolveTriad(problem) : ctx.options.arch.Solve(problem);
  if (!solution || solution->candidates.empty()) {
    ctx.result.skipped.push_back({RunId(ctx, phase, index), phase, ctx.allocation.compute,
                                  GridText(m, na_over_m, n_over_na, d, shape),
                                  solution ? solution->explanation : solution.error().message});
    return;
  }
  const TriadCandidate& best = solution->candidates.front();
  PlannedRun run;
  run.run_id = RunId(ctx, phase, index);
  run.phase = phase;
  run.compute = ctx.allocation.compute;
  run.arch = best.arch;
  run.arch.name = run.run_id;
  run.triad = best.triad;
  run.tokens = run.compute / best.triad.flops_per_token;
  run.learning_rate = ctx.allocation.learning_rate.value;
  run.batch_tokens = ctx.allocation.batch_tokens.value;
  run.grid_m = m;
  run.grid_na_over_m = na_over_m;
  run.grid_n_over_na = n_over_na;
  run.grid_hidden_size = d;
  run.grid_shape = shape;
  run.worst_error = best.worst;
  ctx.result.runs.push_back(std::move(run));
}

void Phase1(const BudgetContext& ctx, int64_t proxy_d) {
  const DesignOptions& o = ctx.options;
  const Allocation& a = ctx.allocation;
  // Values at or above 1/6 reach the solver, which explains why they are impossible.
  std::vector<double> ratios;
  for (double f : o.na_over_m_axis.Factors()) ratios.push_back(a.na_over_m.value * f);
  int index = 0;
  for (double m_factor : o.m_axis.Factors()) {
    const double m = a.m_opt.value * m_factor;
    for (double r : ratios) {
      for (double q_factor : o.n_over_na_axis.Factors()) {
        const double q = a.n_over_na.value * q_factor;
        const TriadProblem problem = o.arch.Problem(proxy_d, m, r * m, q * r * m);
        Realise(ctx, 1, ++index, problem, r, q, "");
      }
    }
  }
}

std::vector<int64_t> DistinctRounded(double centre, const GeometricAxis& axis, int64_t lowest) {
  std::vector<int64_t> values;
  for (double f : axis.Factors()) {
    const int64_t v = std::max(lowest, static_cast<int64_t>(std::llround(centre * f)));
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
  }
  return values;
}

void Phase2(const BudgetContext& ctx) {
  const DesignOptions& o = ctx.options;
  const Allocation& a = ctx.allocation;
  const double m = a.m_opt.value, r = a.na_over_m.value, q = a.n_over_na.value;
  std::vector<int64_t> hidden_sizes;
  for (double f : o.d_axis.Factors()) {
    const int64_t d = o.arch.RoundHidden(a.hidden_size.value * f);
    if (std::find(hidden_sizes.begin(), hidden_sizes.end(), d) == hidden_sizes.end()) {
      hidden_sizes.push_back(d);
    }
  }
  int index = 0;
  for (int64_t d : hidden_sizes) {
    const TriadProblem centre = o.arch.Problem(d, m, r * m, q * r * m);
    Result<TriadSolution> natural = o.arch.Solve(centre);
    const bool realised = natural && !natural->candidates.empty();
    const laws::MoeArch* base = realised ? &natural->candidates.front().arch : nullptr;
    const int64_t k0 = o.arch.top_k.min;  // the same K grid at every d
    const int64_t l0 = realised ? base->num_layers : 0;
    const std::vector<int64_t> values =
        o.shape == Phase2Shape::kGranularity
            ? DistinctRounded(static_cast<double>(k0), o.shape_axis, 1)
            : DistinctRounded(static_cast<double>(l0), o.shape_axis, o.arch.first_dense_layers + 1);
    for (int64_t value : values) {
      ++index;
      TriadProblem problem = centre;
      std::string shape;
      if (o.shape == Phase2Shape::kGranularity) {
        shape = fmt::format("top_k={}", value);
        problem.top_k = IntRange::Fixed(value);
        IntRange experts = *problem.num_experts;
        experts.min = std::max(experts.min, value);
        experts.max = std::max(experts.max, experts.min);
        problem.num_experts = experts;
      } else {
        shape = fmt::format("num_layers={}", value);
        if (!realised) {
          ctx.result.skipped.push_back(
              {RunId(ctx, 2, index), 2, a.compute, GridText(m, r, q, d, shape),
               "no natural depth at this d: " +
                   (natural ? natural->explanation : natural.error().message)});
          continue;
        }
        problem.num_layers = IntRange::Fixed(value);
        const int64_t group =
            o.arch.attention == laws::AttentionType::kMultiHead ? o.arch.kv_group : 1;
        problem.num_heads = IntRange{group, std::max(group, 4 * base->attention.num_heads), group};
      }
      Realise(ctx, 2, index, problem, r, q, shape, o.shape == Phase2Shape::kGranularity);
    }
  }
}

}  // namespace

std::vector<double> GeometricAxis::Factors() const {
  if (points <= 1) return {1.0};
  std::vector<double> factors;
  for (int i = 0; i < points; ++i) {
    const double t = -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(points - 1);
    factors.push_back(std::pow(span, t));
  }
  return factors;
}

const char* ToString(Phase2Shape shape) {
  return shape == Phase2Shape::kGranularity ? "granularity" : "layers";
}

Result<Phase2Shape> ParsePhase2Shape(std::string_view text) {
  if (text == "granularity") return Phase2Shape::kGranularity;
  if (text == "layers") return Phase2Shape::kLayers;
  return Error{
      fmt::format("phase-2 shape variable: expected 'granularity' or 'layers', got '{}'", text)};
}

Status DesignOptions::Validate() const {
  if (budgets.empty()) return Error{"design: expected at least one compute budget"};
  for (double c : budgets) {
    if (!std::isfinite(c) || c <= 0) {
      return Error{
          fmt::format("design: compute budget {}: expected a positive number of FLOPs", c)};
    }
  }
  for (const auto& [name, axis] : {std::pair{"M", &m_axis}, std::pair{"N_a/M", &na_over_m_axis},
                                   std::pair{"N/N_a", &n_over_na_axis}, std::pair{"d", &d_axis},
                                   std::pair{"phase-2 shape", &shape_axis}}) {
    if (axis->points < 1 || axis->points > 101 || !std::isfinite(axis->span) || axis->span < 1.0) {
      return Error{fmt::format(
          "design: {} grid: expected 1..101 points and a span >= 1, got {} points, span {}", name,
          axis->points, axis->span)};
    }
  }
  if (!phase1 && !phase2) return Error{"design: expected phase 1, phase 2 or both"};
  return arch.Validate();
}

Result<DesignResult> Design(const DesignOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  AllocationOptions allocation_options = options.allocation;
  allocation_options.seq_len = options.arch.seq_len;  // the default shape rule's attention
  allocation_options.attention = [&arch = options.arch](double d) { return arch.AttentionCost(d); };
  Result<AllocationModel> model = AllocationModel::Make(allocation_options);
  if (!model) return model.error();
  DesignResult result;
  result.sources = model->Describe();
  result.convention = result.counting.Describe(options.arch.seq_len);
  for (double compute : options.budgets) {
    Result<Allocation> allocation = model->At(compute);
    if (!allocation) return allocation.error();
    const int64_t proxy = options.arch.RoundHidden(allocation->hidden_size.value);
    result.budgets.push_back({*allocation, proxy});
    const BudgetContext ctx{options, result.budgets.back().allocation, result, BudgetTag(compute)};
    if (options.phase1) Phase1(ctx, proxy);
    if (options.phase2) Phase2(ctx);
  }
  return result;
}

Result<std::vector<double>> ParseBudgets(std::string_view text) {
  const auto number = [&](std::string_view part) -> Result<double> {
    const std::string s(part);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !std::isfinite(v) || v <= 0) {
      return Error{
          fmt::format("compute budgets '{}': '{}' is not a positive number of FLOPs", text, part)};
    }
    return v;
  };
  std::vector<double> budgets;
  if (text.find(':') != std::string_view::npos) {
    const size_t first = text.find(':'), second = text.find(':', first + 1);
    if (second == std::string_view::npos || text.find(':', second + 1) != std::string_view::npos) {
      return Error{fmt::format("compute budgets '{}': expected FROM:TO:COUNT", text)};
    }
    Result<double> from = number(text.substr(0, first));
    Result<double> to = number(text.substr(first + 1, second - first - 1));
    if (!from) return from.error();
    if (!to) return to.error();
    const std::string count_text(text.substr(second + 1));
    char* end = nullptr;
    const long count = std::strtol(count_text.c_str(), &end, 10);
    if (count_text.empty() || *end != '\0' || count < 2 || count > 1000 || !(*to > *from)) {
      return Error{fmt::format(
          "compute budgets '{}': expected FROM < TO and an integer COUNT in 2..1000", text)};
    }
    for (long i = 0; i < count; ++i) {
      const double t = static_cast<double>(i) / static_cast<double>(count - 1);
      budgets.push_back(*from * std::pow(*to / *from, t));
    }
    return budgets;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    Result<double> v = number(text.substr(start, comma - start));
    if (!v) return v.error();
    budgets.push_back(*v);
    start = comma + 1;
  }
  return budgets;
}

std::string BudgetTag(double compute) {
  int exponent = static_cast<int>(std::floor(std::log10(compute)));
  double mantissa = compute / std::pow(10.0, exponent);
  mantissa = std::round(mantissa * 100.0) / 100.0;  // 3 significant digits
  if (mantissa >= 10.0) {
    mantissa /= 10.0;
    ++exponent;
  }
  return fmt::format("c{:g}e{}", mantissa, exponent);
}

}  // namespace moeplan::phases
