//===- calibration/kernel_fit.cc - Fit kernel efficiencies to a profile ---===//
#include "calibration/kernel_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace moeplan::calibration {
namespace {

constexpr const char* kCopyEfficiency = "copy_efficiency";
constexpr const char* kLaunchOverhead = "efficiency.launch_overhead";

// A class and the field it alone determines (nullptr: the copy efficiency nuisance).
struct ClassParam {
  OpClass op_class;
  const char* param;
};

struct StageSpec {
  const char* name;
  std::vector<ClassParam> classes;
  std::vector<const char*> shared;
};

const std::vector<StageSpec>& Stages() {
  static const std::vector<StageSpec> stages = {
      {"gemm",
       {{OpClass::kGemm, "efficiency.gemm.compute_efficiency"},
        {OpClass::kGroupedGemm, "efficiency.gemm.grouped_compute_efficiency"}},
       {"efficiency.gemm.k_half", "efficiency.gemm.memory_efficiency"}},
      {"attention",
       {{OpClass::kAttentionForward, "efficiency.attention.forward_efficiency"},
        {OpClass::kAttentionBackward, "efficiency.attention.backward_efficiency"}},
       {"efficiency.attention.seq_half", "efficiency.attention.memory_efficiency"}},
      {"memory",
       {{OpClass::kElementwise, "efficiency.memory.elementwise"},
        {OpClass::kNorm, "efficiency.memory.norm"},
        {OpClass::kRouter, "efficiency.memory.router"},
        {OpClass::kPermute, "efficiency.memory.permute"},
        {OpClass::kOptimizer, "efficiency.memory.optimizer"},
        {OpClass::kCopy, nullptr}},
       {"efficiency.memory.half_bandwidth_bytes"}},
  };
  return stages;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Stage 1: the launch gap from measurements with several kernels.
Status FitLaunch(std::span<const KernelPoint> points, const KernelFitOptions& options,
                 std::string_view source, KernelFit& fit) {
  std::vector<double> gaps;
  for (const KernelPoint& point : points) {
    const double kernels = std::round(point.kernels);
    if (kernels < 2.0 || !(point.span_time > 0.0)) continue;
    gaps.push_back(std::max(0.0, point.span_time - point.busy_time) / (kernels - 1.0));
  }
  const double base = fit.hardware.efficiency.launch_overhead;
  const int n = static_cast<int>(gaps.size());
  if (n == 0) {
    fit.notes.push_back(fmt::format(
        "{} kept at base ({:.3g} s): no measurement ran several kernels", kLaunchOverhead, base));
    return Status::Ok();
  }
  if (n < options.min_points_per_class) {
    if (!options.strict) return Status::Ok();
    return Error{fmt::format(
        "{}: too few measurements with several kernels to fit {}: got {}, need at least {}", source,
        kLaunchOverhead, n, options.min_points_per_class)};
  }
  const double median = Median(gaps);
  std::vector<double> deviations;
  for (const double gap : gaps) deviations.push_back(std::abs(gap - median));
  FittedParam param;
  param.path = kLaunchOverhead;
  param.stage = "launch";
  param.base_value = base;
  param.value = median;
  param.std_error = 1.4826 * Median(deviations) * 1.2533 / std::sqrt(static_cast<double>(n));
  param.points = n;
  fit.hardware.efficiency.launch_overhead = median;
  fit.params.push_back(param);
  fit.stages.push_back({"launch", n, 0, "median of the inter-kernel gaps", 0.0});
  return Status::Ok();
}

// Collects the points of one stage and the parameters they can determine.
struct StagePlan {
  std::vector<const KernelPoint*> points;
  std::vector<const HardwareParam*> params;
  std::vector<int> points_per_param;
  bool copy = false;
  int copy_points = 0;
};

Result<StagePlan> PlanStage(const StageSpec& spec, std::span<const KernelPoint> points,
                            const KernelFitOptions& options, std::string_view source,
                            KernelFit& fit) {
  StagePlan plan;
  for (const ClassParam& entry : spec.classes) {
    std::vector<const KernelPoint*> selected;
    for (const KernelPoint& point : points) {
      if (point.lowered.op_class == entry.op_class && (point.stable || options.use_unstable)) {
        selected.push_back(&point);
      }
    }
    const int n = static_cast<int>(selected.size());
    const char* field = entry.param != nullptr ? entry.param : kCopyEfficiency;
    if (n == 0) {
      if (entry.param != nullptr) {
        fit.notes.push_back(fmt::format("{} kept at base ({:.4g}): no {} measurements", field,
                                        ValueOf(*FindHardwareParam(field), fit.hardware),
                                        ToString(entry.op_class)));
      }
      continue;
    }
    if (n < options.min_points_per_class) {
      if (!options.strict) continue;
      return Error{fmt::format("{}: too few {} measurements to fit {}: got {}, need at least {}",
                               source, ToString(entry.op_class), field, n,
                               options.min_points_per_class)};
    }
    plan.points.insert(plan.points.end(), selected.begin(), selected.end());
    if (entry.param == nullptr) {
      plan.copy = true;
      plan.copy_points = n;
    } else {
      plan.params.push_back(FindHardwareParam(entry.param));
      plan.points_per_param.push_back(n);
    }
  }
  if (plan.points.empty()) return plan;
  // Shared parameters need no minimum of their own: every class above brought enough points
  // for its parameter, and the solver's prior holds (and flags) what the data leave open.
  for (const char* shared : spec.shared) {
    plan.params.push_back(FindHardwareParam(shared));
    plan.points_per_param.push_back(static_cast<int>(plan.points.size()));
  }
  return plan;
}

Status RunKernelStage(const StageSpec& spec, std::span<const KernelPoint> points,
                      const KernelFitOptions& options, std::string_view source, KernelFit& fit) {
  Result<StagePlan> plan = PlanStage(spec, points, options, source, fit);
  if (!plan) return plan.error();
  if (plan->points.empty()) return Status::Ok();
  const double launch = fit.hardware.efficiency.launch_overhead;
  StageInput input;
  input.name = spec.name;
  input.params = plan->params;
  input.points_per_param = plan->points_per_param;
  for (const KernelPoint* point : plan->points) input.measured.push_back(point->StreamTime(launch));
  if (plan->copy) {
    input.extras.push_back({kCopyEfficiency, 0.01, 1.0, false, fit.copy_efficiency});
    input.points_per_param.push_back(plan->copy_points);
  }
  const double copy_start = fit.copy_efficiency;
  const std::vector<const KernelPoint*>& selected = plan->points;
  input.predict = [&selected, copy_start](size_t index, const hw::Hardware& hardware,
                                          std::span<const double> extras) {
    return PredictTime(selected[index]->lowered, hardware, extras.empty() ? copy_start : extras[0]);
  };
  Result<StageOutput> output = RunStage(input, fit.hardware, options.solver);
  if (!output) return Error{fmt::format("{}: {}", source, output.error().message)};
  if (plan->copy) fit.copy_efficiency = output->extra_values[0];
  fit.params.insert(fit.params.end(), output->params.begin(), output->params.end());
  fit.stages.push_back(output->summary);
  return Status::Ok();
}

}  // namespace

double KernelPoint::KernelCount() const {
  return kernels > 0.0 ? kernels : static_cast<double>(lowered.primitives.size());
}

double KernelPoint::StreamTime(double launch_overhead) const {
  return busy_time + KernelCount() * launch_overhead;
}

const char* StageOf(OpClass op_class) {
  for (const StageSpec& spec : Stages()) {
    for (const ClassParam& entry : spec.classes) {
      if (entry.op_class == op_class) return spec.name;
    }
  }
  return "";
}

Result<KernelFit> FitKernels(std::span<const KernelPoint> points, const hw::Hardware& base,
                             const KernelFitOptions& options, std::string_view source) {
  if (Status s = options.solver.Validate(); !s.ok()) return s.error();
  KernelFit fit;
  fit.hardware = base;
  if (Status s = FitLaunch(points, options, source, fit); !s.ok()) return s.error();
  for (const StageSpec& spec : Stages()) {
    if (Status s = RunKernelStage(spec, points, options, source, fit); !s.ok()) return s.error();
  }
  return fit;
}

double PredictPoint(const KernelPoint& point, const KernelFit& fit) {
  return PredictTime(point.lowered, fit.hardware, fit.copy_efficiency);
}

}  // namespace moeplan::calibration
