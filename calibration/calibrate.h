//===- calibration/calibrate.h - Profile + nccl-tests logs -> calibrated hardware -*- C++ -*-===//
/// \file
/// The whole calibration: fit hwmodel's kernel parameters to a `moeplan-profile`
/// (kernel_fit.h) and its collective parameters to nccl-tests logs (collective_fit.h), starting
/// from a base hardware description; measure the accuracy on shapes the fit did not see
/// (k-fold cross-validation by shape), per op class and for whole MoE layers; and produce the
/// calibrated hardware, which `WriteCalibration` (calibration/output.h) writes as a hardware
/// file that inherits its preset ("base") and overrides only the fitted fields. The calibrated
/// hardware carries an hw::CalibrationRecord (hwmodel/hardware.h): the provenance below and
/// the held-out MAPE, worst error and point count of every kernel and collective class, the
/// "moe_layer" class being the layer-level error.
///
/// Cross-validation: measurements are grouped by op and shape (all passes, precisions and
/// token distributions of one shape share a group), groups are shuffled with `seed` and dealt
/// round-robin into `folds` folds; each fold is predicted by a fit on the other folds. A
/// moe_layer measurement is never fitted: its held-out prediction is the sum of its parts
/// (profiler::MoeLayerParts), each predicted by the fold model that did not see that part's
/// shape. nccl-tests rows are grouped by test and size in the same way.
///
/// Example:
///   CalibrationInput input{profile, "h100.json", logs, *FindHardwarePreset("h100"), "h100-sxm"};
///   Result<CalibrationResult> result = Calibrate(input, {});
///   // result->kernel_classes[i].mape_held_out, result->calibrated, ...
/// Deterministic: the same inputs and options give the same result (no clock, no threads).
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calibration/collective_fit.h"
#include "calibration/kernel_fit.h"
#include "calibration/nccl_log.h"
#include "hwmodel/hardware.h"
#include "laws/support/result.h"
#include "profiler/core/profile.h"

namespace moeplan::calibration {

/// CalibrationRecord::tool of the hardware files `Calibrate` produces.
inline constexpr std::string_view kCalibrateTool = "moeplan 0.1.0 calibrate";

struct CalibrationOptions {
  int folds = 5;                 ///< cross-validation folds (2..50)
  uint64_t seed = 1;             ///< shuffles the shape groups before dealing them into folds
  SolverOptions solver;          ///< robust LM settings (loss, loss_scale, prior, iterations)
  int min_points_per_class = 3;  ///< fewer (but some) measurements of a class: an error
  bool use_unstable = true;      ///< also fit measurements the profiler marked unstable

  [[nodiscard]] Status Validate() const;
};

struct CalibrationInput {
  profiler::Profile profile;
  std::string profile_source;  ///< file name, for errors and provenance
  std::vector<NcclTest> nccl;  ///< parsed nccl-tests logs (may be empty)
  hw::Hardware base;
  /// Preset name the output inherits ("base" in the file); nullopt when the base came from a
  /// file (the output then spells out every field).
  std::optional<std::string> base_preset;
  std::string name;  ///< name of the calibrated hardware; "" = "<base name>-calibrated"
};

/// One measurement's prediction, in and out of sample.
struct PointValidation {
  std::string label;      ///< case label, or "<log>:<line> <test> <size>" for collectives
  std::string op_class;   ///< OpClass name, or "<placement> <collective>" for collectives
  double measured = 0.0;  ///< seconds (kernels: stream time, see kernel_fit.h)
  double fitted = 0.0;    ///< prediction of the fit on all data
  double held_out = 0.0;  ///< prediction of the fit that did not see this shape
  int fold = -1;          ///< -1: never used in any fit (validation-only classes)
};

/// Errors of one op class, relative to the measurement: |predicted - measured| / measured.
struct ClassValidation {
  std::string op_class;
  int points = 0;
  double mape_held_out = 0.0;   ///< mean absolute percentage error on held-out shapes, in %
  double worst_held_out = 0.0;  ///< largest absolute held-out error, in %
  std::string worst_label;
  double median_bias_held_out = 0.0;  ///< median signed error (predicted - measured), in %
  double mape_fitted = 0.0;           ///< in-sample MAPE of the final fit, in %
};

/// One composite moe_layer measurement against the sum of its parts.
struct LayerValidation {
  std::string label;
  double measured = 0.0;            ///< the layer's stream time
  double predicted_held_out = 0.0;  ///< sum of held-out part predictions
  double predicted_fitted = 0.0;
  std::optional<double> sum_of_measured_parts;  ///< when every part was measured on its own
  int parts_total = 0;
  int parts_measured = 0;
};

/// What the calibration was fitted on (written into the report and the file's source line).
struct Provenance {
  std::string profile_source;
  std::string tool;                 ///< profile "tool"
  std::string device_name;          ///< profile device
  std::string profile_created_utc;  ///< when the profile was measured
  std::string driver_version;
  int measurements = 0;       ///< in the profile
  int measurements_used = 0;  ///< entering a fit
  std::vector<std::string> nccl_sources;
  int nccl_rows = 0;  ///< rows entering the collective fit
  std::string base;   ///< base preset or file
  int folds = 0;
  uint64_t seed = 0;
};

struct CalibrationResult {
  hw::Hardware base;
  std::optional<std::string> base_preset;
  hw::Hardware calibrated;
  double copy_efficiency = 0.0;  ///< reported only (not a hwmodel field)
  std::vector<FittedParam> params;
  std::vector<StageSummary> stages;
  std::vector<PointValidation> kernel_points;
  std::vector<ClassValidation> kernel_classes;
  std::vector<LayerValidation> layers;
  std::vector<PointValidation> collective_points;
  std::vector<ClassValidation> collective_classes;
  std::vector<std::string> notes;
  Provenance provenance;
};

/// Runs the calibration. Errors (nothing is fitted): invalid options; a profile whose device
/// does not match the base (SM count) or that needs an unsupported precision; measurements
/// with bad shapes or non-positive times ("h100.json: field 'measurements[4].time_s.median':
/// expected a positive time, got 0"); too few points for a parameter; a fit that does not
/// converge ("h100.json: fit of stage 'gemm' did not converge: ...").
[[nodiscard]] Result<CalibrationResult> Calibrate(const CalibrationInput& input,
                                                  const CalibrationOptions& options);

/// Relative error summary of `points` grouped by PointValidation::op_class, in first-seen
/// order of the classes.
std::vector<ClassValidation> SummarizeByClass(const std::vector<PointValidation>& points);

/// Shape groups dealt into folds: equal keys share a fold; keys are sorted, shuffled with
/// `seed` (splitmix64, the same on every platform) and dealt round-robin.
std::vector<int> AssignFolds(const std::vector<std::string>& keys, int folds, uint64_t seed);

}  // namespace moeplan::calibration
