//===- laws/scaling/law_json.h - The moeplan-law file format ----*- C++ -*-===//
/// \file
/// Reads and writes law files: JSON with "format": "moeplan-law" and "version": 1. The reader
/// is strict (unknown fields are errors; every error names the file and the JSON path, e.g.
/// "law.json: field 'laws[0].coefficients.A.value': expected a positive number, got -3"); the
/// writer is lossless (numbers round-trip exactly, every field is kept). Layout:
///
///   { "format": "moeplan-law", "version": 1, "name": ..., "description": ...,
///     "provenance": { "source": ..., "method": ..., "notes": ... },
///     "laws": [ { "target": { "symbol": "L", "meaning": ..., "unit": 1 },
///                 "form": { "type": "chinchilla" },
///                 "variables": { "N": { "meaning": ..., "unit": 1 }, "D": { ... } },
///                 "coefficients": { "A": { "value": 406.4, "std_error": ..., "ci": [lo, hi],
///                                          "note": ... }, ... },
///                 "fitted_range": { "C": [min, max], ... },
///                 "fit": { "method": ..., "num_points": ..., ... }, "note": ... } ] }
///
/// A power_sum form lists its own variables and terms:
///   "form": { "type": "power_sum", "variables": ["N", "D"], "constant": "E",
///             "terms": [ { "coefficient": "A", "exponents": { "N": "alpha" } }, ... ] }
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "laws/scaling/law.h"

namespace moeplan::scaling {

inline constexpr std::string_view kLawFormat = "moeplan-law";
inline constexpr int kLawVersion = 1;

/// Parses a law document; `source` names it in errors.
[[nodiscard]] Result<LawFile> LawFileFromJson(const nlohmann::json& document,
                                              std::string_view source);
nlohmann::json LawFileToJson(const LawFile& file);

[[nodiscard]] Result<LawFile> ReadLawFile(const std::filesystem::path& path);
/// Writes atomically: readers see the old file or the complete new one.
[[nodiscard]] Status WriteLawFile(const std::filesystem::path& path, const LawFile& file);

}  // namespace moeplan::scaling
