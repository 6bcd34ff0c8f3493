//===- laws/presets.h - Built-in architectures of public models --*- C++ -*-===//
/// \file
/// Architectures of public models, written in moeplan's terms from their published config.json
/// files (model cards on Hugging Face), so that `moeplan eval mixtral-8x7b` works without files.
/// tests/laws/presets_test.cc checks each against the imported original config where available.
//===----------------------------------------------------------------------===//
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/arch.h"

namespace moeplan::laws {

struct Preset {
  std::string name;         ///< e.g. "mixtral-8x7b"
  std::string description;  ///< model and source, one line
  MoeArch arch;
};

/// All presets, in a fixed order.
const std::vector<Preset>& Presets();

/// The preset named `name` (case-sensitive), or nullptr.
const Preset* FindPreset(std::string_view name);

/// The preset the main command evaluates when given nothing.
inline constexpr std::string_view kDefaultPreset = "deepseek-v3";

}  // namespace moeplan::laws
