//===- laws/model_source.h - Load a model from a file or preset --*- C++ -*-===//
/// \file
/// One entry point for every command that takes a model: a built-in preset name
/// (laws/presets.h), a moeplan architecture file (`"format": "moeplan-arch"`), or a Hugging Face
/// config.json (recognised by `model_type` / `architectures`).
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "laws/arch.h"
#include "laws/support/result.h"

namespace moeplan::laws {

struct LoadedModel {
  MoeArch arch;
  std::string origin;              ///< "preset deepseek-v3", "moeplan-arch file x.json", ...
  std::vector<std::string> notes;  ///< defaults assumed while importing
};

struct LoadOptions {
  /// Training sequence length for Hugging Face imports and presets (their files carry none);
  /// moeplan-arch files keep their own unless this is set (> 0).
  int64_t seq_len = 0;
};

/// `spec` is a preset name or a path. Errors name the file and field, or list the presets when
/// `spec` is neither an existing file nor a preset.
[[nodiscard]] Result<LoadedModel> LoadModel(std::string_view spec, const LoadOptions& options = {});

}  // namespace moeplan::laws
