//===- profiler/core/atomic_output.h - All-or-nothing output files -*- C++ -*-===//
/// \file
/// Writes a file so that readers see the old file or the complete new one, never a partial one:
/// the text goes to "<path>.tmp.<pid>" beside the target, is flushed and then renamed over it.
/// The same contract as laws/support/atomic_file.h, kept here so that the profiler builds
/// without moeplan_laws. An interrupted profile run never reaches this point, so it leaves no
/// file at all.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <string_view>

#include "laws/support/result.h"

namespace moeplan::profiler {

/// Writes `content` to `path` atomically. Error: "<path>: cannot open for writing", ...
[[nodiscard]] Status WriteTextAtomically(const std::filesystem::path& path,
                                         std::string_view content);

/// "<path>.tmp.<pid>": where `WriteTextAtomically` stages its output (exposed for tests and for
/// tools that hand a staging path to a child process).
std::filesystem::path StagingPath(const std::filesystem::path& path);

}  // namespace moeplan::profiler
