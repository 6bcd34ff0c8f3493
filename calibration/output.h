//===- calibration/output.h - Write a calibrated hardware file and its report -*- C++ -*-===//
/// \file
/// Writes what `Calibrate` produced:
///   <out>                     the calibrated moeplan-hardware file: {"format", "version",
///                             "base": "<preset>", then only the fields that differ from the
///                             preset (name, description, efficiency.*, scale_up.latency, ...)},
///                             the values written by hwmodel's own writer (HardwareToJson);
///                             without a preset base, every field. Read back with hwmodel's
///                             reader before writing, and must equal the calibrated hardware.
///   <prefix>.json             the moeplan-calibration-report (report.h)
///   <prefix>.txt              the text report
///   <prefix>.kernels.svg      held-out predicted vs measured kernel times
///   <prefix>.collectives.svg  the same for nccl-tests rows (only when there were logs)
/// with <prefix> = <out> minus ".json" plus ".report". The hardware file records what it was
/// fitted on and its validation errors in its "calibration" object (hw::CalibrationRecord:
/// tool, base, profile, device, driver, date, measurement and nccl-tests counts, folds, and
/// the held-out MAPE, worst error and point count of every op class, "moe_layer" being the
/// layer-level error); efficiency.source says the same in one line. The report holds the
/// per-point detail and the plots.
///
/// Every file is written atomically (temporary + rename); the hardware file is written last.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "calibration/calibrate.h"
#include "laws/support/result.h"

namespace moeplan::calibration {

struct OutputPaths {
  std::filesystem::path hardware;
  std::filesystem::path report_json;
  std::filesystem::path report_text;
  std::filesystem::path kernels_svg;
  std::filesystem::path collectives_svg;
};

/// The report paths next to `hardware_file` (see the file comment).
OutputPaths DefaultOutputPaths(const std::filesystem::path& hardware_file);

/// The hardware document: "base" + the fields of `result.calibrated` that differ from the
/// preset, or the full document without a preset base. Error when hwmodel's reader does not
/// read it back as exactly `result.calibrated` (a bug).
[[nodiscard]] Result<nlohmann::ordered_json> CalibratedHardwareJson(
    const CalibrationResult& result);

/// Writes every file (see the file comment).
[[nodiscard]] Status WriteCalibration(const CalibrationResult& result, const OutputPaths& paths);

}  // namespace moeplan::calibration
