//===- laws/phases/recommend.cc - A budget to a complete architecture -----===//
#include "laws/phases/recommend.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "laws/arch_json.h"
#include "laws/phases/design.h"
#include "laws/scaling/law_presets.h"

namespace moeplan::phases {
namespace {

// The standard normal quantile of (1 + level) / 2, by bisection on erf (level in (0, 1)).
double TwoSidedZ(double level) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::erf(mid / std::sqrt(2.0)) < level ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The hidden sizes tried, nearest first: d0, d0 + s, d0 - s, d0 + 2s, ...
std::vector<int64_t> HiddenSizesToTry(int64_t d0, int64_t step, int neighbours) {
  std::vector<int64_t> sizes = {d0};
  for (int k = 1; k <= neighbours; ++k) {
    sizes.push_back(d0 + k * step);
    if (d0 - k * step > 0) sizes.push_back(d0 - k * step);
  }
  return sizes;
}

// Among realising candidates, the one closest (in log) to the depth / width laws, if any.
const TriadCandidate& Choose(const std::vector<TriadCandidate>& candidates,
                             const Allocation& allocation) {
  if (!allocation.num_layers && !allocation.expert_width) return candidates.front();
  const TriadCandidate* best = &candidates.front();
  double best_distance = std::numeric_limits<double>::infinity();
  for (const TriadCandidate& c : candidates) {
    double distance = 0;
    if (allocation.num_layers) {
      distance += std::fabs(
          std::log(static_cast<double>(c.arch.num_layers) / allocation.num_layers->value));
    }
    if (allocation.expert_width) {
      distance += std::fabs(std::log(static_cast<double>(c.arch.moe.expert.intermediate_size) /
                                     allocation.expert_width->value));
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = &c;
    }
  }
  return *best;
}

struct LossInputs {
  double active_with_embedding = 0, total_with_embedding = 0;
  double tokens = 0, compute = 0, flops_per_token = 0, experts = 0;
};

Result<std::vector<double>> LossVariables(const scaling::Law& law, const LossInputs& in,
                                          LossParams params, const std::string& origin) {
  std::vector<double> x;
  for (const scaling::LawQuantity& v : law.variables) {
    const std::string& s = v.symbol;
    if (s == "N") {
      x.push_back(params == LossParams::kActive ? in.active_with_embedding
                                                : in.total_with_embedding);
    } else if (s == "N_a" || s == "Na") {
      x.push_back(in.active_with_embedding);
    } else if (s == "D") {
      x.push_back(in.tokens);
    } else if (s == "C") {
      x.push_back(in.compute);
    } else if (s == "M") {
      x.push_back(in.flops_per_token);
    } else if (s == "E") {
      x.push_back(in.experts);
    } else {
      return Error{fmt::format(
          "loss law '{}': variable '{}' is not one recommend can supply (N, N_a, D, C, M, E)",
          origin, s)};
    }
  }
  return x;
}

Result<LossPrediction> PredictLoss(const RecommendOptions& o, const TriadCandidate& chosen,
                                   double tokens) {
  Result<scaling::LawFile> file = scaling::LoadLaw(o.loss_law);
  if (!file) return Error{fmt::format("--loss-law: {}", file.error().message)};
  const scaling::Law* law = scaling::FindLaw(*file, "L");
  if (law == nullptr) {
    return Error{
        fmt::format("--loss-law '{}': expected a law of target 'L', found none", o.loss_law)};
  }
  Result<scaling::BoundLaw> bound = scaling::BoundLaw::Bind(*law);
  if (!bound) return Error{fmt::format("--loss-law '{}': {}", o.loss_law, bound.error().message)};
  const laws::Triad card = laws::CountTriad(chosen.arch, laws::CountingOptions::ModelCard());
  const LossInputs inputs{static_cast<double>(card.active_params),
                          static_cast<double>(card.total_params),
                          tokens,
                          o.compute,
                          chosen.triad.flops_per_token,
                          static_cast<double>(chosen.arch.moe.num_experts)};
  Result<std::vector<double>> x = LossVariables(*law, inputs, o.loss_params, o.loss_law);
  if (!x) return x.error();
  LossPrediction p;
  p.law = o.loss_law;
  p.value = bound->Predict(*x);
  if (!std::isfinite(p.value)) {
    return Error{fmt::format("--loss-law '{}': the law predicts {} here", o.loss_law, p.value)};
  }
  // Delta method: var = sum_i (dL/dtheta_i)^2 sigma_i^2, coefficients taken as independent.
  const double z = TwoSidedZ(o.ci_level);
  double variance = 0;
  bool any = false;
  for (size_t i = 0; i < law->coefficients.size(); ++i) {
    const scaling::Coefficient& c = law->coefficients[i];
    double sigma = 0;
    if (c.std_error) {
      sigma = *c.std_error;
    } else if (c.ci_low && c.ci_high) {
      sigma = (*c.ci_high - *c.ci_low) / (2.0 * z);
    }
    if (!(sigma > 0)) continue;
    any = true;
    scaling::Law shifted = *law;
    const double h = 1e-6 * std::max(std::fabs(c.value), 1e-6);
    shifted.coefficients[i].value = c.value + h;
    Result<scaling::BoundLaw> up = scaling::BoundLaw::Bind(shifted);
    if (!up) continue;
    const double gradient = (up->Predict(*x) - p.value) / h;
    variance += gradient * gradient * sigma * sigma;
  }
  if (any && std::isfinite(variance)) {
    const double half = z * std::sqrt(variance);
    p.low = p.value - half;
    p.high = p.value + half;
    p.note = fmt::format(
        "{:g}% band by the delta method on the coefficients' standard errors, taken as "
        "independent (correlations ignored)",
        100 * o.ci_level);
  } else {
    p.note = "no band: the law gives no standard errors or intervals for its coefficients";
  }
  return p;
}

}  // namespace

Result<LossParams> ParseLossParams(std::string_view text) {
  if (text == "active") return LossParams::kActive;
  if (text == "total") return LossParams::kTotal;
  return Error{fmt::format("loss-law parameters: expected 'active' or 'total', got '{}'", text)};
}

Result<Recommendation> Recommend(const RecommendOptions& o) {
  if (Status s = o.arch.Validate(); !s.ok()) return s.error();
  if (!(o.ci_level > 0 && o.ci_level < 1)) {
    return Error{fmt::format("recommend: confidence level: expected a number in (0, 1), got {}",
                             o.ci_level)};
  }
  if (o.d_neighbours < 0) {
    return Error{
        fmt::format("recommend: hidden-size neighbours: expected >= 0, got {}", o.d_neighbours)};
  }
  AllocationOptions allocation_options = o.allocation;
  allocation_options.seq_len = o.arch.seq_len;  // the default shape rule's attention
  allocation_options.attention = [&arch = o.arch](double d) { return arch.AttentionCost(d); };
  Result<AllocationModel> model = AllocationModel::Make(allocation_options);
  if (!model) return model.error();
  Result<Allocation> allocation = model->At(o.compute);
  if (!allocation) return allocation.error();
  const Allocation& a = *allocation;
  const double m = a.m_opt.value;
  const double na = a.na_over_m.value * m;
  const double n = a.n_over_na.value * na;

  Recommendation rec;
  rec.allocation = a;
  rec.target_m = m;
  rec.target_na = na;
  rec.target_n = n;
  rec.sources = model->Describe();
  rec.convention = laws::CountingOptions{}.Describe(o.arch.seq_len);
  const int64_t d0 = o.arch.RoundHidden(a.hidden_size.value);
  rec.notes.push_back(fmt::format("d_opt = {:.1f} ({}) rounded to a multiple of {}: {}",
                                  a.hidden_size.value, a.hidden_size.source, o.arch.HiddenStep(),
                                  d0));
  std::string first_reason;
  for (int64_t d : HiddenSizesToTry(d0, o.arch.HiddenStep(), o.d_neighbours)) {
    Result<TriadSolution> solution = o.arch.Solve(o.arch.Problem(d, m, na, n));
    if (!solution) return solution.error();
    if (solution->candidates.empty()) {
      if (first_reason.empty()) first_reason = solution->explanation;
      continue;
    }
    rec.chosen = Choose(solution->candidates, a);
    if (d != d0) {
      rec.notes.push_back(fmt::format("d = {} cannot realise the triad ({}); realised at d = {}",
                                      d0, first_reason, d));
    }
    break;
  }
  if (rec.chosen.arch.hidden_size == 0) {
    return Error{fmt::format(
        "C = {:.4g}: no architecture realises M = {:.4g}, N_a = {:.4g}, N = {:.4g} within "
        "{:g}% at d = {} +- {} x {}: at d = {}: {}",
        o.compute, m, na, n, 100 * o.arch.tolerance, d0, o.d_neighbours, o.arch.HiddenStep(), d0,
        first_reason)};
  }
  rec.chosen.arch.name = fmt::format("moeplan-{}", BudgetTag(o.compute).substr(1));
  rec.tokens = o.compute / rec.chosen.triad.flops_per_token;
  rec.learning_rate = a.learning_rate.value;
  rec.batch_tokens = a.batch_tokens.value;
  if (!o.loss_law.empty()) {
    Result<LossPrediction> loss = PredictLoss(o, rec.chosen, rec.tokens);
    if (!loss) return loss.error();
    rec.loss = *loss;
  }
  return rec;
}

nlohmann::ordered_json RecommendationToJson(const Recommendation& r) {
  using nlohmann::ordered_json;
  const auto value = [](const Allocated& x) {
    return ordered_json{{"value", x.value}, {"source", x.source}};
  };
  const Allocation& a = r.allocation;
  ordered_json allocation;
  allocation["M_opt"] = value(a.m_opt);
  allocation["D_opt"] = value(a.d_opt);
  allocation["Na_over_M_opt"] = value(a.na_over_m);
  allocation["N_over_Na_opt"] = value(a.n_over_na);
  allocation["d_opt"] = value(a.hidden_size);
  if (a.num_layers) allocation["num_layers_opt"] = value(*a.num_layers);
  if (a.expert_width) allocation["expert_width_opt"] = value(*a.expert_width);
  allocation["eta_opt"] = value(a.learning_rate);
  allocation["B_opt"] = value(a.batch_tokens);

  const laws::Triad& t = r.chosen.triad;
  ordered_json triad;
  triad["flops_per_token"] = t.flops_per_token;
  triad["active_params"] = t.active_params;
  triad["total_params"] = t.total_params;
  triad["targets"] = {{"flops_per_token", r.target_m},
                      {"active_params", r.target_na},
                      {"total_params", r.target_n}};
  triad["relative_errors"] = {{"flops_per_token", r.chosen.error_m},
                              {"active_params", r.chosen.error_na},
                              {"total_params", r.chosen.error_n}};

  ordered_json doc;
  doc["format"] = kRecommendationFormat;
  doc["version"] = 1;
  doc["compute"] = a.compute;
  doc["convention"] = r.convention;
  doc["allocation"] = allocation;
  doc["arch"] = laws::ArchToJson(r.chosen.arch);
  doc["triad"] = triad;
  doc["tokens"] = r.tokens;
  doc["learning_rate"] = r.learning_rate;
  doc["batch_tokens"] = r.batch_tokens;
  if (r.loss) {
    ordered_json loss{{"value", r.loss->value}, {"law", r.loss->law}, {"note", r.loss->note}};
    if (r.loss->low) loss["low"] = *r.loss->low;
    if (r.loss->high) loss["high"] = *r.loss->high;
    doc["loss"] = loss;
  }
  doc["notes"] = r.notes;
  doc["sources"] = r.sources;
  return doc;
}

}  // namespace moeplan::phases
