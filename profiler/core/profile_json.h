//===- profiler/core/profile_json.h - moeplan-profile files -----*- C++ -*-===//
/// \file
/// Writes and reads `moeplan-profile` version 1 (docs/profile-format.md). The reader is strict
/// (unknown fields, wrong types, impossible statistics are errors naming the file and the JSON
/// path) because calibration trusts what it reads:
///   "h100.json: field 'measurements[3].time_s.median': expected a number in 1e-12..1e6, got 0"
/// Key order is kept on a round trip (shapes are written in their dimension order).
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "laws/support/result.h"
#include "profiler/core/profile.h"

namespace moeplan::profiler {

inline constexpr std::string_view kProfileFormat = "moeplan-profile";
inline constexpr int kProfileVersion = 1;

nlohmann::ordered_json ProfileToJson(const Profile& profile);
nlohmann::ordered_json StatsToJson(const SampleStats& stats);

/// Validates and converts; `source` names the file in errors.
[[nodiscard]] Result<Profile> ProfileFromJson(const nlohmann::ordered_json& json,
                                              std::string_view source);

/// Reads, parses and validates a profile file.
[[nodiscard]] Result<Profile> ReadProfileFile(const std::filesystem::path& path);

/// Writes the profile atomically (pretty-printed, trailing newline).
[[nodiscard]] Status WriteProfileFile(const std::filesystem::path& path, const Profile& profile);

/// Parses JSON text; errors name `source`, the line and the column.
[[nodiscard]] Result<nlohmann::ordered_json> ParseJson(std::string_view text,
                                                       std::string_view source);

/// Reads a whole file; error "<path>: cannot open file for reading".
[[nodiscard]] Result<std::string> ReadTextFile(const std::filesystem::path& path);

}  // namespace moeplan::profiler
