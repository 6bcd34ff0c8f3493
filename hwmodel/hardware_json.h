//===- hwmodel/hardware_json.h - The moeplan-hardware format ----*- C++ -*-===//
/// \file
/// Reads and writes hardware and fleets as JSON:
///
///   {"format": "moeplan-hardware", "version": 1,
///    "base": "h100",                     // optional: start from a preset, override below
///    "name": "h100-sxm", "description": "...",
///    "device": {"name": "...", "peak_flops": {"bf16": 9.894e14, "fp8": 1.9789e15,
///               "tf32": 4.947e14}, "hbm_bytes": 85899345920, "hbm_bandwidth": 3.35e12,
///               "num_sms": 132, "l2_bytes": 52428800},
///    "node": {"gpus_per_node": 8},
///    "scale_up": {"technology": "...", "bandwidth": 4.5e11, "latency": 3.4e-6,
///                 "domain_size": 8},
///    "scale_out": {"technology": "...", "bandwidth": 5e10, "latency": 1.4e-5},
///    "efficiency": {...},                // hwmodel/efficiency.h; every field optional
///    "calibration": {                    // optional: written by calibrations (CalibrationRecord)
///      "tool": "moeplan 0.1.0 calibrate", "base": "h100-sxm", "source": "h100.json",
///      "device": "NVIDIA H100 80GB HBM3", "driver": "550.54.15",
///      "measured_utc": "2026-11-02T10:00:00Z", "measurements": {"used": 412, "total": 420},
///      "nccl": {"logs": ["ar.log"], "rows": 40}, "folds": 5,
///      "errors": [{"class": "gemm", "points": 96, "mape_held_out": 1.7, "worst_error": 6.2},
///                 {"class": "moe_layer", ...}]},   // errors in %; median_error optional
///    "fleet": {"num_gpus": 1024}}        // optional here; required by FleetFromJson
///
/// SI units: FLOP/s, bytes, bytes/s (per GPU, per direction), seconds. An absent or null
/// "peak_flops.fp8" means FP8 is unsupported.
///
/// The reader is strict: unknown fields are errors, every value is range-checked, and errors
/// name the source and the JSON path ("h.json: field 'scale_out.bandwidth': expected a positive
/// number, got -5"). With "base", the named preset is written out as JSON and the file's fields
/// are merged over it (objects field by field, values replaced; null removes an optional
/// field), so a calibrated file need only hold what it changes. The writer spells out every
/// field of the resolved hardware (no "base"): writing then reading gives back an equal value.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::hw {

inline constexpr std::string_view kHardwareFormat = "moeplan-hardware";
inline constexpr int kHardwareFormatVersion = 1;

/// Parses and validates hardware; `source` names it in errors. A "fleet" object, if present,
/// is checked for shape but otherwise ignored.
[[nodiscard]] Result<Hardware> HardwareFromJson(const nlohmann::json& json,
                                                std::string_view source);

/// Parses hardware plus the required "fleet" object, and checks the fleet sizing rule.
[[nodiscard]] Result<Fleet> FleetFromJson(const nlohmann::json& json, std::string_view source);

/// Every field, no "base" (lossless round trip through HardwareFromJson).
nlohmann::ordered_json HardwareToJson(const Hardware& hardware);

/// The "calibration" object alone (as HardwareToJson writes it), for reports that quote it.
nlohmann::ordered_json CalibrationRecordToJson(const CalibrationRecord& record);

/// HardwareToJson plus {"fleet": {"num_gpus": N}}.
nlohmann::ordered_json FleetToJson(const Fleet& fleet);

/// Reads a hardware file (errors name the file).
[[nodiscard]] Result<Hardware> LoadHardwareFile(const std::filesystem::path& file);

/// Reads a hardware file that has a "fleet" object.
[[nodiscard]] Result<Fleet> LoadFleetFile(const std::filesystem::path& file);

/// Writes HardwareToJson / FleetToJson atomically (hwmodel never leaves a partial file).
[[nodiscard]] Status WriteHardwareFile(const std::filesystem::path& file, const Hardware& hardware);
[[nodiscard]] Status WriteFleetFile(const std::filesystem::path& file, const Fleet& fleet);

}  // namespace moeplan::hw
