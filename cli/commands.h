//===- cli/commands.h - The moeplan subcommands -----------------*- C++ -*-===//
/// \file
/// Each subcommand lives in its own file and exposes one registrar; main.cc lists them.
//===----------------------------------------------------------------------===//
#pragma once

#include "cli/cli_support.h"

namespace moeplan::cli {

/// `moeplan eval [MODEL]`: the triad N, N_a, M with its breakdown (cli/eval_command.cc).
void RegisterEvalCommand(CLI::App& app, CommandBody& run);

/// `moeplan fit RUNS.csv --law FORM ...`: robust fit of a scaling law (cli/fit_command.cc).
void RegisterFitCommand(CLI::App& app, CommandBody& run);

}  // namespace moeplan::cli
