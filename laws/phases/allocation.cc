//===- laws/phases/allocation.cc - Compute-optimal allocation of a budget -===//
#include "laws/phases/allocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "laws/scaling/law_presets.h"

namespace moeplan::phases {
namespace {

using laws::FlopPass;

scaling::Law ConstantLaw(std::string symbol, std::string meaning, double k, double e, double c_unit,
                         std::string note) {
  scaling::Law law;
  law.form = scaling::FormSpec{scaling::FormType::kPowerLaw, {}, {}, {}};
  law.target = {std::move(symbol), std::move(meaning), 1.0, {}};
  law.variables = {{"C",
                    c_unit == 1.0 ? "training compute C = M D, FLOPs (forward+backward)"
                                  : "training compute C = M D, in units of 1e18 FLOPs",
                    c_unit, FlopPass::kForwardBackward}};
  law.coefficients = {{"k", k, {}, {}, {}, "moeplan default, not published"},
                      {"e", e, {}, {}, {}, "moeplan default, not published"}};
  law.note = std::move(note);
  return law;
}

scaling::LawFile MakePhaseDefaults() {
  scaling::LawFile file;
  file.name = "moeplan-phase-defaults";
  file.description = "moeplan's default N/N_a law for the two-phase design (NOT a published value)";
  file.provenance.source = "moeplan defaults (docs/phases.md)";
  file.provenance.method =
      "chosen, not fitted: the ratio and hidden-size laws of Wan et al. 2026 (arXiv:2603.21862) "
      "were not available to moeplan (only the paper's abstract and its M_opt and D_opt "
      "coefficients); run the phases and `moeplan fit-phases` to replace them";
  file.provenance.notes =
      "N_over_Na_opt = 8: between Mixtral-8x7B (3.7), Qwen3-30B-A3B (11.0) and DeepSeek-V3 "
      "(18.7) under moeplan's convention (non-embedding); with K = 8 it gives about 64 routed "
      "experts, as OLMoE";
  file.laws.push_back(ConstantLaw("N_over_Na_opt", "total over active parameters, N / N_a", 8.0,
                                  0.0, 1.0, "constant"));
  return file;
}

constexpr const char* kAllocationSymbols[] = {
    "M_opt", "D_opt",          "Na_over_M_opt",    "N_over_Na_opt",
    "d_opt", "num_layers_opt", "expert_width_opt", "eta_opt",
    "B_opt"};

bool Known(const std::string& symbol) {
  return std::find(std::begin(kAllocationSymbols), std::end(kAllocationSymbols), symbol) !=
         std::end(kAllocationSymbols);
}

}  // namespace

const scaling::LawFile& PhaseDefaults() {
  static const scaling::LawFile defaults = MakePhaseDefaults();
  return defaults;
}

ShapeRule DefaultShape(double m, const AllocationOptions& o) {
  const double s = static_cast<double>(o.seq_len);
  const auto attention = [&](double d) -> std::pair<double, double> {
    if (o.attention) return o.attention(d);
    return {4 * d * d, 24 * d * d + 12 * d * s};
  };
  // alpha M = d (A_m(d) + 6 phi d^2) grows with d: bisect on log d.
  const auto lhs = [&](double d) { return d * (attention(d).second + 6 * o.ffn_ratio * d * d); };
  const double goal = o.aspect_ratio * m;
  double lo = 1.0, hi = 1e7;
  for (int i = 0; i < 100; ++i) {
    const double mid = std::sqrt(lo * hi);
    (lhs(mid) < goal ? lo : hi) = mid;
  }
  const double d = std::sqrt(lo * hi);
  return {d, d * (attention(d).first + o.ffn_ratio * d * d) / goal};
}

Status AllocationOptions::Validate() const {
  for (const auto& [name, value] :
       {std::pair{"aspect ratio", aspect_ratio}, std::pair{"FFN ratio", ffn_ratio}}) {
    if (!std::isfinite(value) || value <= 0) {
      return Error{fmt::format("allocation: {}: expected a positive number, got {}", name, value)};
    }
  }
  if (seq_len <= 0) {
    return Error{fmt::format("allocation: sequence length: expected > 0, got {}", seq_len)};
  }
  for (const auto& [name, value] :
       {std::pair{"--na-over-m", na_over_m}, std::pair{"--n-over-na", n_over_na},
        std::pair{"--hidden-size", hidden_size}}) {
    if (value && (!std::isfinite(*value) || *value <= 0)) {
      return Error{fmt::format("{}: expected a positive number, got {}", name, *value)};
    }
  }
  if (na_over_m && *na_over_m >= 1.0 / 6.0) {
    return Error{fmt::format(
        "--na-over-m: expected a value below 1/6 (M = 6 N_a plus the attention products), got {}",
        *na_over_m)};
  }
  if (n_over_na && *n_over_na < 1.0) {
    return Error{fmt::format(
        "--n-over-na: expected a value >= 1 (total parameters include the active ones), got {}",
        *n_over_na)};
  }
  return Status::Ok();
}

std::string AllocationModel::RuleName() const {
  return fmt::format("moeplan default rule (d/L = {:g}, active FFN {:g} d^2 per layer)",
                     options_.aspect_ratio, options_.ffn_ratio);
}

Result<AllocationModel> AllocationModel::Make(const AllocationOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  AllocationModel model;
  model.options_ = options;
  // (file, its origin, the symbols taken from it) in priority order.
  struct Layer {
    scaling::LawFile file;
    std::string origin;
    std::vector<std::string> symbols;  // empty: every known symbol
  };
  std::vector<Layer> layers;
  if (!options.laws.empty()) {
    Result<scaling::LawFile> file = scaling::LoadLaw(options.laws);
    if (!file) return Error{fmt::format("--laws: {}", file.error().message)};
    layers.push_back({*file, options.laws, {}});
  }
  for (const auto& [spec, symbols] :
       {std::pair{options.default_allocation, std::vector<std::string>{"M_opt", "D_opt"}},
        std::pair{options.hyper_laws, std::vector<std::string>{"eta_opt", "B_opt"}}}) {
    Result<scaling::LawFile> file = scaling::LoadLaw(spec);
    if (!file) return file.error();
    layers.push_back({*file, spec, symbols});
  }
  layers.push_back({PhaseDefaults(), PhaseDefaults().name, {"N_over_Na_opt"}});

  for (const Layer& layer : layers) {
    for (const scaling::Law& law : layer.file.laws) {
      const std::string& symbol = law.target.symbol;
      if (!Known(symbol)) continue;
      if (!layer.symbols.empty() &&
          std::find(layer.symbols.begin(), layer.symbols.end(), symbol) == layer.symbols.end()) {
        continue;
      }
      if (law.form.type != scaling::FormType::kPowerLaw) {
        return Error{fmt::format("{}: law '{}': expected a power law X = k C^e, got form '{}'",
                                 layer.origin, symbol, scaling::ToString(law.form.type))};
      }
      Result<scaling::BoundLaw> bound = scaling::BoundLaw::Bind(law);
      if (!bound)
        return Error{fmt::format("{}: law '{}': {}", layer.origin, symbol, bound.error().message)};
      Source source{symbol, layer.origin, *bound, 1.0, 1.0};
      if (!law.variables.empty() && law.variables[0].flop_pass == FlopPass::kForward) {
        source.c_factor = 1.0 / 3.0;
      }
      if (symbol == "M_opt" && law.target.flop_pass == FlopPass::kForward) source.x_factor = 3.0;
      model.sources_.push_back(std::move(source));
    }
  }
  return model;
}

const AllocationModel::Source* AllocationModel::Find(const std::string& symbol) const {
  for (const Source& source : sources_) {
    if (source.symbol == symbol) return &source;
  }
  return nullptr;
}

Result<Allocated> AllocationModel::Predict(const std::string& symbol, double compute) const {
  const Source* source = Find(symbol);
  if (source == nullptr) return Error{fmt::format("no law gives {}", symbol)};
  const double value = source->x_factor * source->law.Predict({source->c_factor * compute});
  if (!std::isfinite(value) || value <= 0) {
    return Error{fmt::format("{}: law '{}' predicts {} at C = {:.4g}, expected a positive number",
                             source->origin, symbol, value, compute)};
  }
  return Allocated{value, source->origin};
}

Result<Allocation> AllocationModel::At(double compute) const {
  if (!std::isfinite(compute) || compute <= 0) {
    return Error{
        fmt::format("compute budget: expected a positive number of FLOPs, got {}", compute)};
  }
  Allocation a;
  a.compute = compute;
  const auto take = [&](const char* symbol, Allocated& into) -> Status {
    Result<Allocated> value = Predict(symbol, compute);
    if (!value) return value.error();
    into = *value;
    return Status::Ok();
  };
  for (const auto& [symbol, into] :
       {std::pair{"M_opt", &a.m_opt}, std::pair{"D_opt", &a.d_opt},
        std::pair{"N_over_Na_opt", &a.n_over_na}, std::pair{"eta_opt", &a.learning_rate},
        std::pair{"B_opt", &a.batch_tokens}}) {
    if (Status s = take(symbol, *into); !s.ok()) return s.error();
  }
  const ShapeRule rule = DefaultShape(a.m_opt.value, options_);
  a.na_over_m = {rule.na_over_m, RuleName()};
  a.hidden_size = {rule.hidden_size, RuleName()};
  if (Find("Na_over_M_opt") != nullptr) {
    if (Status s = take("Na_over_M_opt", a.na_over_m); !s.ok()) return s.error();
  }
  if (Find("d_opt") != nullptr) {
    if (Status s = take("d_opt", a.hidden_size); !s.ok()) return s.error();
  }
  if (Find("num_layers_opt") != nullptr) {
    a.num_layers.emplace();
    if (Status s = take("num_layers_opt", *a.num_layers); !s.ok()) return s.error();
  }
  if (Find("expert_width_opt") != nullptr) {
    a.expert_width.emplace();
    if (Status s = take("expert_width_opt", *a.expert_width); !s.ok()) return s.error();
  }
  if (options_.na_over_m) a.na_over_m = {*options_.na_over_m, "--na-over-m"};
  if (options_.n_over_na) a.n_over_na = {*options_.n_over_na, "--n-over-na"};
  if (options_.hidden_size) a.hidden_size = {*options_.hidden_size, "--hidden-size"};
  return a;
}

std::vector<std::string> AllocationModel::Describe() const {
  std::vector<std::string> lines;
  for (const char* symbol : kAllocationSymbols) {
    const Source* source = Find(symbol);
    if (source == nullptr) continue;
    const scaling::Law& law = source->law.law();
    const double unit = law.variables.empty() ? 1.0 : law.variables[0].unit;
    const std::string c = unit == 1.0 ? "C" : fmt::format("(C/{:g})", unit);
    lines.push_back(fmt::format(
        "{} = {:.6g} {}^{:.6g}{}: {}", symbol, source->law.values()[0], c, source->law.values()[1],
        law.target.unit != 1.0 ? fmt::format(" x {:g}", law.target.unit) : "", source->origin));
  }
  if (Find("Na_over_M_opt") == nullptr) lines.push_back("Na_over_M_opt: " + RuleName());
  if (Find("d_opt") == nullptr) lines.push_back("d_opt: " + RuleName());
  if (options_.na_over_m)
    lines.push_back(fmt::format("Na_over_M_opt = {:g}: --na-over-m", *options_.na_over_m));
  if (options_.n_over_na)
    lines.push_back(fmt::format("N_over_Na_opt = {:g}: --n-over-na", *options_.n_over_na));
  if (options_.hidden_size)
    lines.push_back(fmt::format("d_opt = {:g}: --hidden-size", *options_.hidden_size));
  return lines;
}

}  // namespace moeplan::phases
