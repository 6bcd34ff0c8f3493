//===- calibration/end_to_end_fit.cc - Fit to measured training runs ------===//
#include "calibration/end_to_end_fit.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace moeplan::calibration {
namespace {

// One fitted parameter: its solver name (the hardware field it sets, or what it scales), its
// physical bounds and scale, where it lives in EndToEndParams, how Apply writes it into the
// hardware's efficiencies, where EndToEndParams::ToJson writes it, and the interval its start
// value is clamped into (the solver starts strictly inside the bounds). Efficiencies stay
// physical (<= 1); host times and k_half span decades (log scale).
struct ParamSpec {
  const char* name;
  double lower;
  double upper;
  bool log_scale;
  double EndToEndParams::*member;
  void (*apply)(double value, GpuGeneration generation, hw::EfficiencyParams& efficiency);
  const char* json_key;
  const char* json_subkey;  // nullptr: a top-level value of ToJson
  double start_min;
  double start_max;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

void SetGemm(double value, GpuGeneration generation, GpuGeneration fitted,
             hw::EfficiencyParams& e) {
  if (generation == fitted) e.gemm.compute_efficiency = value;
}

// The solver's parameter order; Bounds, FromValues, Apply and ToJson all read this table.
// Apply runs it in order: the grouped ratio follows the GEMM entries it multiplies.
constexpr std::array<ParamSpec, 12> kParams = {{
    {"efficiency.gemm.compute_efficiency (Ampere)", 0.3, 1.0, false, &EndToEndParams::gemm_ampere,
     [](double v, GpuGeneration g, hw::EfficiencyParams& e) {
       SetGemm(v, g, GpuGeneration::kAmpere, e);
     },
     "gemm_compute_efficiency", "ampere", -kInf, kInf},
    {"efficiency.gemm.compute_efficiency (Hopper)", 0.3, 1.0, false, &EndToEndParams::gemm_hopper,
     [](double v, GpuGeneration g, hw::EfficiencyParams& e) {
       SetGemm(v, g, GpuGeneration::kHopper, e);
     },
     "gemm_compute_efficiency", "hopper", -kInf, kInf},
    {"efficiency.gemm.compute_efficiency (Blackwell)", 0.3, 1.0, false,
     &EndToEndParams::gemm_blackwell,
     [](double v, GpuGeneration g, hw::EfficiencyParams& e) {
       SetGemm(v, g, GpuGeneration::kBlackwell, e);
     },
     "gemm_compute_efficiency", "blackwell", -kInf, kInf},
    {"efficiency.gemm.compute_efficiency (Blackwell Ultra)", 0.3, 1.0, false,
     &EndToEndParams::gemm_blackwell_ultra,
     [](double v, GpuGeneration g, hw::EfficiencyParams& e) {
       SetGemm(v, g, GpuGeneration::kBlackwellUltra, e);
     },
     "gemm_compute_efficiency", "blackwell_ultra", -kInf, kInf},
    {"grouped / dense GEMM efficiency", 0.3, 1.0, false, &EndToEndParams::grouped_ratio,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) {
       e.gemm.grouped_compute_efficiency = e.gemm.compute_efficiency * v;
     },
     "grouped_over_dense_gemm_efficiency", nullptr, -kInf, kInf},
    {"efficiency.gemm.fp8_efficiency_scale", 0.3, 1.0, false, &EndToEndParams::fp8_scale,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) { e.gemm.fp8_efficiency_scale = v; },
     "fp8_efficiency_scale", nullptr, -kInf, 0.99},
    {"efficiency.gemm.k_half", 1.0, 512.0, true, &EndToEndParams::gemm_k_half,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) { e.gemm.k_half = v; }, "gemm_k_half",
     nullptr, -kInf, kInf},
    {"efficiency.host.per_kernel", 1e-7, 2e-4, true, &EndToEndParams::host_per_kernel,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) { e.host.per_kernel = v; },
     "host_per_kernel_s", nullptr, -kInf, kInf},
    {"efficiency.host.per_step", 1e-5, 1.0, true, &EndToEndParams::host_per_step,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) { e.host.per_step = v; },
     "host_per_step_s", nullptr, 1e-3, kInf},
    {"efficiency.collective.scale_up.max_efficiency", 0.2, 1.0, false,
     &EndToEndParams::scale_up_efficiency,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) {
       e.collective.scale_up.max_efficiency = v;
     },
     "scale_up_max_efficiency", nullptr, -kInf, kInf},
    {"efficiency.collective.scale_out.max_efficiency", 0.2, 1.0, false,
     &EndToEndParams::scale_out_efficiency,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) {
       e.collective.scale_out.max_efficiency = v;
     },
     "scale_out_max_efficiency", nullptr, -kInf, 0.99},
    {"efficiency.collective.ep_overlap_cost", 0.0, 1.0, false, &EndToEndParams::ep_overlap_cost,
     [](double v, GpuGeneration, hw::EfficiencyParams& e) { e.collective.ep_overlap_cost = v; },
     "ep_overlap_cost", nullptr, 0.01, 0.99},
}};

std::vector<BoundedParam> Bounds(const EndToEndParams& start) {
  std::vector<BoundedParam> bounds;
  for (const ParamSpec& spec : kParams) {
    bounds.push_back({spec.name, spec.lower, spec.upper, spec.log_scale,
                      std::clamp(start.*spec.member, spec.start_min, spec.start_max)});
  }
  return bounds;
}

EndToEndParams FromValues(std::span<const double> values) {
  EndToEndParams p;
  for (size_t param_idx = 0; param_idx < kParams.size(); ++param_idx) {
    p.*kParams[param_idx].member = values[param_idx];
  }
  return p;
}

bool IsVtrain(const sim::ValidationCase& c) {
  return c.source == "vtrain";
}

// log(predicted / measured) of every case under `params`, in parallel (each slot written by
// one task: deterministic whatever the thread count). Cases the simulator rejects get NaN.
std::vector<double> LogErrors(const std::vector<const sim::ValidationCase*>& cases,
                              const EndToEndParams& params) {
  std::vector<double> out(cases.size());
  tbb::parallel_for(size_t{0}, cases.size(), [&](size_t i) {
    const sim::ValidationCase& c = *cases[i];
    Result<double> predicted = sim::PredictCase(c, params.Apply(c.request.fleet.hardware));
    out[i] = predicted && *predicted > 0.0 ? std::log(*predicted / c.measured)
                                           : std::numeric_limits<double>::quiet_NaN();
  });
  return out;
}

FitErrors ErrorsOf(const std::vector<double>& log_errors,
                   const std::vector<const sim::ValidationCase*>& cases, auto select) {
  std::vector<double> abs;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (select(*cases[i]) && std::isfinite(log_errors[i])) {
      abs.push_back(std::abs(std::exp(log_errors[i]) - 1.0));
    }
  }
  FitErrors e;
  e.cases = static_cast<int64_t>(abs.size());
  if (abs.empty()) return e;
  double sum = 0.0;
  for (double a : abs) sum += a;
  e.mean_abs = sum / static_cast<double>(abs.size());
  e.median_abs = sim::Median(abs);
  return e;
}

struct Groups {
  FitErrors published, dense, moe, vtrain;
};

Groups GroupErrors(const std::vector<double>& log_errors,
                   const std::vector<const sim::ValidationCase*>& cases) {
  Groups g;
  g.published = ErrorsOf(log_errors, cases, [](auto& c) { return !IsVtrain(c); });
  g.dense = ErrorsOf(log_errors, cases, [](auto& c) { return !IsVtrain(c) && !c.moe; });
  g.moe = ErrorsOf(log_errors, cases, [](auto& c) { return !IsVtrain(c) && c.moe; });
  g.vtrain = ErrorsOf(log_errors, cases, [](auto& c) { return IsVtrain(c); });
  return g;
}

// One robust fit on `cases`.
Result<std::pair<EndToEndParams, SolverSummary>> FitOnce(
    const std::vector<const sim::ValidationCase*>& cases, const EndToEndFitOptions& options) {
  int64_t published = 0, vtrain = 0;
  for (const sim::ValidationCase* c : cases) (IsVtrain(*c) ? vtrain : published)++;
  // Residuals are scaled by sqrt(weight): the squared (Huber-quadratic) part then carries the
  // weight exactly.
  const double vtrain_weight = vtrain > 0 && published > 0
                                   ? options.vtrain_total_weight * static_cast<double>(published) /
                                         static_cast<double>(vtrain)
                                   : 1.0;
  const double vtrain_scale = std::sqrt(vtrain_weight);
  const std::vector<BoundedParam> bounds = Bounds(EndToEndParams{});
  auto residuals = [&](std::span<const double> values, std::span<double> out) {
    const std::vector<double> errors = LogErrors(cases, FromValues(values));
    for (size_t i = 0; i < cases.size(); ++i) {
      // A rejected case costs a fixed, large residual rather than stopping the fit.
      const double e = std::isfinite(errors[i]) ? errors[i] : 5.0;
      out[i] = IsVtrain(*cases[i]) ? vtrain_scale * e : e;
    }
  };
  Result<SolverSummary> summary =
      SolveRobust(bounds, static_cast<int>(cases.size()), residuals, options.solver);
  if (!summary) return summary.error();
  return std::pair{FromValues(summary->values), std::move(*summary)};
}

}  // namespace

GpuGeneration GenerationOf(const hw::Hardware& hardware) {
  const std::string& n = hardware.name;
  if (n.starts_with("a100") || n.starts_with("a800")) return GpuGeneration::kAmpere;
  if (n.starts_with("h100") || n.starts_with("h200") || n.starts_with("h800")) {
    return GpuGeneration::kHopper;
  }
  if (n.starts_with("b200") || n.starts_with("gb200")) return GpuGeneration::kBlackwell;
  if (n.starts_with("b300") || n.starts_with("gb300")) return GpuGeneration::kBlackwellUltra;
  return GpuGeneration::kOther;
}

hw::Hardware EndToEndParams::Apply(const hw::Hardware& base) const {
  hw::Hardware h = base;
  const GpuGeneration generation = GenerationOf(base);
  for (const ParamSpec& spec : kParams) spec.apply(this->*spec.member, generation, h.efficiency);
  return h;
}

nlohmann::ordered_json EndToEndParams::ToJson() const {
  nlohmann::ordered_json j;
  for (const ParamSpec& spec : kParams) {
    if (spec.json_subkey == nullptr) {
      j[spec.json_key] = this->*spec.member;
    } else {
      j[spec.json_key][spec.json_subkey] = this->*spec.member;
    }
  }
  return j;
}

nlohmann::ordered_json EndToEndFit::ToJson() const {
  auto errors = [](const FitErrors& e) {
    return nlohmann::ordered_json{
        {"cases", e.cases}, {"median_abs_error", e.median_abs}, {"mean_abs_error", e.mean_abs}};
  };
  nlohmann::ordered_json j;
  j["params"] = params.ToJson();
  j["converged"] = summary.converged;
  j["stop_reason"] = summary.stop_reason;
  j["iterations"] = summary.iterations;
  j["in_sample"] = {{"published", errors(published)},
                    {"published_dense", errors(dense)},
                    {"published_moe", errors(moe)},
                    {"vtrain", errors(vtrain)}};
  j["cross_validation"] = {{"folds", folds},
                           {"split", "by model: all runs of a model held out together"},
                           {"published", errors(cv_published)},
                           {"published_dense", errors(cv_dense)},
                           {"published_moe", errors(cv_moe)},
                           {"vtrain", errors(cv_vtrain)}};
  // JSON has no NaN: a rejected case or one without a held-out prediction is null.
  auto fraction = [](double x) {
    return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const CaseError& c : case_errors) {
    list.push_back({{"id", c.id},
                    {"source", c.source},
                    {"model", c.model},
                    {"moe", c.moe},
                    {"in_sample_error", fraction(c.in_sample)},
                    {"held_out_error", fraction(c.held_out)}});
  }
  j["cases"] = std::move(list);
  return j;
}

hw::CalibrationRecord EndToEndFit::Record(std::string source) const {
  hw::CalibrationRecord record;
  record.tool = std::string(kEndToEndFitTool);
  record.base = "presets";
  record.source = std::move(source);
  record.measurements_used = cases_total;
  record.measurements_total = cases_total;
  record.folds = folds;
  const std::pair<const char*, const FitErrors*> groups[] = {{"published", &cv_published},
                                                             {"published_dense", &cv_dense},
                                                             {"published_moe", &cv_moe},
                                                             {"vtrain", &cv_vtrain}};
  for (const auto& [group, errors] : groups) {
    if (errors->cases == 0) continue;
    record.errors.push_back(
        {group, errors->cases, 100.0 * errors->mean_abs, std::nullopt, 100.0 * errors->median_abs});
  }
  return record;
}

Result<EndToEndFit> FitEndToEnd(const std::vector<sim::ValidationCase>& cases,
                                const EndToEndFitOptions& options) {
  if (cases.empty()) return Error{"end-to-end fit: no measured runs to fit"};
  std::vector<const sim::ValidationCase*> all;
  for (const sim::ValidationCase& c : cases) all.push_back(&c);
  auto fitted = FitOnce(all, options);
  if (!fitted) return fitted.error();
  if (!fitted->second.converged) {
    return Error{"end-to-end fit did not converge: " + fitted->second.stop_reason};
  }
  EndToEndFit fit;
  fit.cases_total = static_cast<int64_t>(cases.size());
  fit.params = fitted->first;
  fit.summary = std::move(fitted->second);
  const std::vector<double> in_sample_log = LogErrors(all, fit.params);
  const Groups in_sample = GroupErrors(in_sample_log, all);
  fit.published = in_sample.published;
  fit.dense = in_sample.dense;
  fit.moe = in_sample.moe;
  fit.vtrain = in_sample.vtrain;
  for (size_t i = 0; i < all.size(); ++i) {
    if (IsVtrain(*all[i])) continue;
    fit.case_errors.push_back(
        {all[i]->id, all[i]->source, all[i]->model, all[i]->moe, std::expm1(in_sample_log[i])});
  }

  if (options.folds >= 2) {
    fit.folds = options.folds;
    std::set<std::string> models;
    for (const sim::ValidationCase& c : cases) models.insert(c.model);
    std::map<std::string, int> fold_of;
    int next = 0;
    for (const std::string& model : models) fold_of[model] = next++ % options.folds;
    std::vector<double> held_out(all.size(), std::numeric_limits<double>::quiet_NaN());
    for (int fold = 0; fold < options.folds; ++fold) {
      std::vector<const sim::ValidationCase*> train, test;
      std::vector<size_t> test_index;
      for (size_t i = 0; i < all.size(); ++i) {
        if (fold_of[all[i]->model] == fold) {
          test.push_back(all[i]);
          test_index.push_back(i);
        } else {
          train.push_back(all[i]);
        }
      }
      if (test.empty() || train.empty()) continue;
      auto fold_fit = FitOnce(train, options);
      if (!fold_fit) return fold_fit.error();
      const std::vector<double> errors = LogErrors(test, fold_fit->first);
      for (size_t k = 0; k < test.size(); ++k) held_out[test_index[k]] = errors[k];
    }
    const Groups cv = GroupErrors(held_out, all);
    size_t published = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (!IsVtrain(*all[i])) fit.case_errors[published++].held_out = std::expm1(held_out[i]);
    }
    fit.cv_published = cv.published;
    fit.cv_dense = cv.dense;
    fit.cv_moe = cv.moe;
    fit.cv_vtrain = cv.vtrain;
  }
  return fit;
}

}  // namespace moeplan::calibration
