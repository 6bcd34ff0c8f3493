//===- hwmodel/internal/calibration_json.h - "calibration" object -*- C++ -*-===//
/// \file
/// Reads and writes the optional "calibration" object of a hardware file (hw::CalibrationRecord,
/// hwmodel/hardware.h): what a calibration was fitted on and its held-out errors. Strict like
/// every other object: unknown fields, wrong types and negative counts or errors are errors
/// naming the source and the JSON path, e.g.
///   "my-h100.json: field 'calibration.errors[1].mape_held_out': expected a number >= 0, got -2"
/// The writer leaves out absent optional errors, so a written record reads back equal.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>

#include "hwmodel/hardware.h"
#include "laws/support/json_reader.h"

namespace moeplan::hw::internal {

/// Throws InputError (with source and JSON path) on unknown fields and out-of-range values.
CalibrationRecord ReadCalibrationRecord(const JsonObject& object);

nlohmann::ordered_json CalibrationRecordJson(const CalibrationRecord& record);

}  // namespace moeplan::hw::internal
