//===- cli/cli_support.h - Shared plumbing of the moeplan commands -*- C++ -*-===//
/// \file
/// Error reporting with the tool name and exit status 2, atomic output files, and number
/// formatting shared by the subcommands. No planning logic lives here.
//===----------------------------------------------------------------------===//
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "laws/support/result.h"

namespace moeplan::cli {

/// Exit status for bad input or usage (the tool never crashes on input).
inline constexpr int kExitBadInput = 2;

/// A subcommand registers its options on `app` and, when chosen, sets `run` to its body.
using CommandBody = std::function<int()>;
using CommandRegistrar = void (*)(CLI::App& app, CommandBody& run);

/// Prints "moeplan: error: <message>" to stderr and returns kExitBadInput.
int Fail(const Error& error);
int Fail(std::string_view message);

/// Writes `content` to `path` atomically ("-" writes to stdout); returns 0 or Fail(...).
int WriteOutput(const std::filesystem::path& path, std::string_view content);

/// 671026419200 -> "671,026,419,200".
std::string WithThousands(int64_t value);
/// 671026419200 -> "671.03B"; 352321536 -> "352.32M" (SI prefixes, 2 decimals).
std::string Human(double value);

}  // namespace moeplan::cli
