//===- laws/support/atomic_file.h - All-or-nothing file output --*- C++ -*-===//
/// \file
/// Writes an output file so that readers see either the old file or the complete new one, never
/// a partial one: the content goes to a temporary file beside the target, is flushed, and is then
/// renamed over it (rename is atomic within one file system). A failure removes the temporary.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

#include "laws/support/result.h"

namespace moeplan {

/// Writes `content` to `path` atomically.
[[nodiscard]] Status WriteFileAtomically(const std::filesystem::path& path,
                                         std::string_view content);

/// Streams into `path` atomically; `write` fills the stream and may return an error to abort
/// (then the target is left untouched).
[[nodiscard]] Status WriteFileAtomically(const std::filesystem::path& path,
                                         const std::function<Status(std::ostream&)>& write);

}  // namespace moeplan
