//===- calibration/calibrate.cc - Profile + nccl-tests logs -> calibrated hardware -===//
#include "calibration/calibrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "profiler/core/op_cost.h"

namespace moeplan::calibration {
namespace {

constexpr int kMaxFolds = 50;

uint64_t SplitMix64(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string ShapeKey(const profiler::BenchCase& c) {
  std::string key = profiler::ToString(c.op);
  for (const auto& [name, value] : c.shape) key += fmt::format(" {}={}", name, value);
  return key;
}

Status CheckDevice(const profiler::Profile& profile, const hw::Hardware& base,
                   std::string_view source) {
  const int sms = profile.device.sm_count;
  if (sms > 0 && sms != base.device.num_sms) {
    return Error{fmt::format(
        "{}: profile device '{}' has {} SMs but the base '{}' has {}: choose the matching "
        "--base (or a hardware file that describes this GPU)",
        source, profile.device.name, sms, base.name, base.device.num_sms)};
  }
  return Status::Ok();
}

Status CheckPrecisions(const LoweredCase& lowered, const hw::Hardware& base,
                       std::string_view where) {
  for (const Primitive& p : lowered.primitives) {
    hw::Precision precision = hw::Precision::kBf16;
    if (p.kind == Primitive::Kind::kGemm) precision = p.gemm.precision;
    if (p.kind == Primitive::Kind::kGroupedGemm) precision = p.precision;
    if (p.kind == Primitive::Kind::kAttention) precision = p.attention.precision;
    if (!base.device.Supports(precision)) {
      return Error{fmt::format("{}.precision': the base '{}' has no {} peak", where, base.name,
                               hw::ToString(precision))};
    }
  }
  return Status::Ok();
}

Result<std::vector<KernelPoint>> MakePoints(const profiler::Profile& profile,
                                            const hw::Hardware& base, std::string_view source) {
  std::vector<KernelPoint> points;
  for (size_t index = 0; index < profile.measurements.size(); ++index) {
    const profiler::Measurement& m = profile.measurements[index];
    const std::string where = fmt::format("{}: field 'measurements[{}]", source, index);
    if (!std::isfinite(m.time_s.median) || !(m.time_s.median > 0.0)) {
      return Error{fmt::format("{}.time_s.median': expected a positive time, got {}", where,
                               m.time_s.median)};
    }
    if (!std::isfinite(m.span_s.median) || m.span_s.median < 0.0) {
      return Error{
          fmt::format("{}.span_s.median': expected a time >= 0, got {}", where, m.span_s.median)};
    }
    Result<LoweredCase> lowered = LowerCase(m.bench_case);
    if (!lowered) return Error{fmt::format("{}.shape': {}", where, lowered.error().message)};
    if (Status s = CheckPrecisions(*lowered, base, where); !s.ok()) return s.error();
    KernelPoint point;
    point.measurement_index = index;
    point.label = m.bench_case.Label();
    point.shape_key = ShapeKey(m.bench_case);
    point.lowered = std::move(lowered).value();
    point.busy_time = m.time_s.median;
    point.span_time = m.span_s.median;
    for (const profiler::KernelSummary& kernel : m.kernels) {
      point.kernels += kernel.calls_per_repetition;
    }
    point.stable = m.stable;
    points.push_back(std::move(point));
  }
  if (points.empty()) return Error{fmt::format("{}: the profile has no measurements", source)};
  return points;
}

bool IsFitted(OpClass op_class) {
  return StageOf(op_class)[0] != '\0';
}

// Held-out and in-sample predictions of every kernel point, and the layer comparisons.
void ValidateKernels(const std::vector<KernelPoint>& points, const std::vector<int>& fold_of,
                     const KernelFit& full, const std::vector<KernelFit>& folds,
                     const profiler::Profile& profile, CalibrationResult& result) {
  const double launch = full.hardware.efficiency.launch_overhead;
  std::map<std::string, size_t> by_label;
  for (size_t point_idx = 0; point_idx < points.size(); ++point_idx) {
    by_label.emplace(points[point_idx].label, point_idx);
  }
  for (size_t point_idx = 0; point_idx < points.size(); ++point_idx) {
    const KernelPoint& point = points[point_idx];
    PointValidation v;
    v.label = point.label;
    v.op_class = ToString(point.lowered.op_class);
    v.measured = point.StreamTime(launch);
    v.fitted = PredictPoint(point, full);
    v.held_out = v.fitted;
    if (IsFitted(point.lowered.op_class)) {
      v.fold = fold_of[point_idx];
      v.held_out = PredictPoint(point, folds[static_cast<size_t>(v.fold)]);
    }
    if (point.lowered.op_class == OpClass::kMoeLayer) {
      LayerValidation layer;
      layer.label = point.label;
      layer.measured = v.measured;
      layer.predicted_fitted = v.fitted;
      double held_out = 0.0;
      double measured_parts = 0.0;
      const auto parts =
          profiler::MoeLayerParts(profile.measurements[point.measurement_index].bench_case);
      layer.parts_total = static_cast<int>(parts.size());
      for (const profiler::BenchCase& part : parts) {
        const Result<LoweredCase> lowered = LowerCase(part);
        if (!lowered) continue;  // the layer itself lowered, so its parts do
        const auto found = by_label.find(part.Label());
        const KernelFit* model = &full;
        if (found != by_label.end()) {
          ++layer.parts_measured;
          measured_parts += points[found->second].StreamTime(launch);
          const int fold = fold_of[found->second];
          if (IsFitted(points[found->second].lowered.op_class)) {
            model = &folds[static_cast<size_t>(fold)];
          }
        }
        held_out += PredictTime(*lowered, model->hardware, model->copy_efficiency);
      }
      if (layer.parts_measured == layer.parts_total) layer.sum_of_measured_parts = measured_parts;
      layer.predicted_held_out = held_out;
      v.held_out = held_out;
      result.layers.push_back(layer);
    }
    result.kernel_points.push_back(std::move(v));
  }
}

Status CalibrateKernels(const CalibrationInput& input, const CalibrationOptions& options,
                        CalibrationResult& result) {
  const std::string& source = input.profile_source;
  Result<std::vector<KernelPoint>> points = MakePoints(input.profile, input.base, source);
  if (!points) return points.error();
  KernelFitOptions fit_options;
  fit_options.solver = options.solver;
  fit_options.min_points_per_class = options.min_points_per_class;
  fit_options.use_unstable = options.use_unstable;
  Result<KernelFit> full = FitKernels(*points, input.base, fit_options, source);
  if (!full) return full.error();
  std::vector<std::string> keys;
  for (const KernelPoint& point : *points) keys.push_back(point.shape_key);
  const std::vector<int> fold_of = AssignFolds(keys, options.folds, options.seed);
  // A fold fits whatever its training shapes hold: one point of a class still beats the base.
  fit_options.strict = false;
  fit_options.min_points_per_class = 1;
  std::vector<KernelFit> folds;
  for (int fold = 0; fold < options.folds; ++fold) {
    std::vector<KernelPoint> train;
    for (size_t point_idx = 0; point_idx < points->size(); ++point_idx) {
      if (fold_of[point_idx] != fold) train.push_back((*points)[point_idx]);
    }
    Result<KernelFit> fit = FitKernels(train, input.base, fit_options, source);
    if (!fit) {
      return Error{fmt::format("{} (cross-validation fold {} of {})", fit.error().message, fold + 1,
                               options.folds)};
    }
    folds.push_back(std::move(fit).value());
  }
  ValidateKernels(*points, fold_of, *full, folds, input.profile, result);
  result.kernel_classes = SummarizeByClass(result.kernel_points);
  result.calibrated = full->hardware;
  result.copy_efficiency = full->copy_efficiency;
  result.params = full->params;
  result.stages = full->stages;
  result.notes = full->notes;
  int used = 0;
  for (const KernelPoint& point : *points) {
    used += IsFitted(point.lowered.op_class) && (point.stable || options.use_unstable) ? 1 : 0;
  }
  result.provenance.measurements_used = used;
  return Status::Ok();
}

std::string CollectiveClass(const CollectivePoint& point) {
  return fmt::format("{} {} x{}", hw::ToString(point.group.placement),
                     hw::ToString(point.collective), point.group.size);
}

Status CalibrateCollectives(const CalibrationInput& input, const CalibrationOptions& options,
                            CalibrationResult& result) {
  if (input.nccl.empty()) {
    result.notes.push_back("collective parameters kept at base: no nccl-tests logs given");
    return Status::Ok();
  }
  Result<std::vector<CollectivePoint>> points =
      CollectivePoints(input.nccl, input.base, result.notes);
  if (!points) return points.error();
  CollectiveFitOptions fit_options{options.solver, true};
  Result<CollectiveFit> full = FitCollectives(*points, result.calibrated, fit_options);
  if (!full) return full.error();
  std::vector<std::string> keys;
  for (const CollectivePoint& point : *points) keys.push_back(point.fold_key);
  const std::vector<int> fold_of = AssignFolds(keys, options.folds, options.seed);
  fit_options.strict = false;
  std::vector<CollectiveFit> folds;
  for (int fold = 0; fold < options.folds; ++fold) {
    std::vector<CollectivePoint> train;
    for (size_t point_idx = 0; point_idx < points->size(); ++point_idx) {
      if (fold_of[point_idx] != fold) train.push_back((*points)[point_idx]);
    }
    Result<CollectiveFit> fit = FitCollectives(train, result.calibrated, fit_options);
    if (!fit) {
      return Error{fmt::format("{} (cross-validation fold {} of {})", fit.error().message, fold + 1,
                               options.folds)};
    }
    folds.push_back(std::move(fit).value());
  }
  for (size_t point_idx = 0; point_idx < points->size(); ++point_idx) {
    const CollectivePoint& point = (*points)[point_idx];
    PointValidation v;
    v.label = fmt::format("{}:{} {} {}", point.source, point.line, point.test_name,
                          static_cast<int64_t>(point.bytes));
    v.op_class = CollectiveClass(point);
    v.measured = point.measured;
    v.fitted = PredictCollective(point, full->hardware);
    v.fold = fold_of[point_idx];
    v.held_out = PredictCollective(point, folds[static_cast<size_t>(v.fold)].hardware);
    result.collective_points.push_back(std::move(v));
  }
  result.collective_classes = SummarizeByClass(result.collective_points);
  result.calibrated = full->hardware;
  result.params.insert(result.params.end(), full->params.begin(), full->params.end());
  result.stages.insert(result.stages.end(), full->stages.begin(), full->stages.end());
  result.notes.insert(result.notes.end(), full->notes.begin(), full->notes.end());
  std::set<std::string> sources;
  for (const NcclTest& test : input.nccl) sources.insert(test.source);
  result.provenance.nccl_sources.assign(sources.begin(), sources.end());
  result.provenance.nccl_rows = static_cast<int>(points->size());
  return Status::Ok();
}

void Describe(const CalibrationInput& input, const CalibrationOptions& options,
              CalibrationResult& result) {
  Provenance& p = result.provenance;
  const profiler::Profile& profile = input.profile;
  p.profile_source = input.profile_source;
  p.tool = profile.tool;
  p.device_name = profile.device.name;
  p.profile_created_utc = profile.created_utc;
  p.driver_version = profile.device.driver_version;
  p.measurements = static_cast<int>(profile.measurements.size());
  p.base = input.base_preset.value_or(input.base.name);
  p.folds = options.folds;
  p.seed = options.seed;
  hw::Hardware& h = result.calibrated;
  h.name = input.name.empty() ? input.base.name + "-calibrated" : input.name;
  h.description = fmt::format(
      "{}; calibrated by moeplan on {} (profile measured {})", input.base.description,
      p.device_name, p.profile_created_utc.empty() ? "at an unknown date" : p.profile_created_utc);
  std::string nccl;
  if (!p.nccl_sources.empty()) {
    nccl = fmt::format("; collectives from {} nccl-tests log(s), {} rows", p.nccl_sources.size(),
                       p.nccl_rows);
  }
  h.efficiency.source = fmt::format(
      "moeplan calibrate: profile '{}' ({}, measured {}, driver {}; {} of {} measurements "
      "fitted){}; {}-fold cross-validation in the calibration report",
      p.profile_source, p.device_name, p.profile_created_utc.empty() ? "?" : p.profile_created_utc,
      p.driver_version.empty() ? "?" : p.driver_version, p.measurements_used, p.measurements, nccl,
      p.folds);
}

void AddErrors(const std::vector<ClassValidation>& classes, hw::CalibrationRecord& record) {
  for (const ClassValidation& c : classes) {
    record.errors.push_back({c.op_class, c.points, c.mape_held_out, c.worst_held_out, {}});
  }
}

// The record the hardware file carries: the provenance and the held-out errors per class (the
// "moe_layer" class is the layer-level error: sum of held-out part predictions vs the layer).
hw::CalibrationRecord MakeRecord(const CalibrationResult& result) {
  const Provenance& p = result.provenance;
  hw::CalibrationRecord record;
  record.tool = std::string(kCalibrateTool);
  record.base = p.base;
  record.source = p.profile_source;
  record.device = p.device_name;
  record.driver = p.driver_version;
  record.measured_utc = p.profile_created_utc;
  record.measurements_used = p.measurements_used;
  record.measurements_total = p.measurements;
  record.nccl_logs = p.nccl_sources;
  record.nccl_rows = p.nccl_rows;
  record.folds = p.folds;
  AddErrors(result.kernel_classes, record);
  AddErrors(result.collective_classes, record);
  return record;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

Status CalibrationOptions::Validate() const {
  if (folds < 2 || folds > kMaxFolds) {
    return Error{fmt::format("option 'folds': expected 2..{}, got {}", kMaxFolds, folds)};
  }
  if (min_points_per_class < 1) {
    return Error{
        fmt::format("option 'min_points_per_class': expected >= 1, got {}", min_points_per_class)};
  }
  return solver.Validate();
}

std::vector<int> AssignFolds(const std::vector<std::string>& keys, int folds, uint64_t seed) {
  std::vector<std::string> unique(keys.begin(), keys.end());
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  uint64_t state = seed;
  for (size_t slot = unique.size(); slot > 1; --slot) {
    std::swap(unique[slot - 1], unique[SplitMix64(state) % slot]);
  }
  std::map<std::string, int> fold_of_key;
  for (size_t key_idx = 0; key_idx < unique.size(); ++key_idx) {
    fold_of_key[unique[key_idx]] = static_cast<int>(key_idx % static_cast<size_t>(folds));
  }
  std::vector<int> fold_of;
  for (const std::string& key : keys) fold_of.push_back(fold_of_key[key]);
  return fold_of;
}

std::vector<ClassValidation> SummarizeByClass(const std::vector<PointValidation>& points) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const PointValidation*>> groups;
  for (const PointValidation& point : points) {
    auto [slot, inserted] = groups.try_emplace(point.op_class);
    if (inserted) order.push_back(point.op_class);
    slot->second.push_back(&point);
  }
  std::vector<ClassValidation> classes;
  for (const std::string& name : order) {
    ClassValidation c;
    c.op_class = name;
    std::vector<double> signed_errors;
    double sum_held = 0.0;
    double sum_fit = 0.0;
    for (const PointValidation* point : groups[name]) {
      const double held = 100.0 * (point->held_out - point->measured) / point->measured;
      const double fit = 100.0 * (point->fitted - point->measured) / point->measured;
      sum_held += std::abs(held);
      sum_fit += std::abs(fit);
      signed_errors.push_back(held);
      if (std::abs(held) >= c.worst_held_out) {
        c.worst_held_out = std::abs(held);
        c.worst_label = point->label;
      }
    }
    c.points = static_cast<int>(groups[name].size());
    c.mape_held_out = sum_held / c.points;
    c.mape_fitted = sum_fit / c.points;
    c.median_bias_held_out = Median(signed_errors);
    classes.push_back(std::move(c));
  }
  return classes;
}

Result<CalibrationResult> Calibrate(const CalibrationInput& input,
                                    const CalibrationOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  if (Status s = input.base.Validate(); !s.ok()) return s.error();
  if (Status s = CheckDevice(input.profile, input.base, input.profile_source); !s.ok()) {
    return s.error();
  }
  CalibrationResult result;
  result.base = input.base;
  result.base_preset = input.base_preset;
  if (Status s = CalibrateKernels(input, options, result); !s.ok()) return s.error();
  if (Status s = CalibrateCollectives(input, options, result); !s.ok()) return s.error();
  Describe(input, options, result);
  result.calibrated.calibration = MakeRecord(result);
  if (Status s = result.calibrated.Validate(); !s.ok()) {
    return Error{fmt::format("calibrated hardware is invalid (a bug): {}", s.message())};
  }
  return result;
}

}  // namespace moeplan::calibration
