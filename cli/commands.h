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

/// `moeplan profile ...` and `moeplan trace -- CMD`: CUPTI measurements (cli/profile_command.cc).
void RegisterProfileCommand(CLI::App& app, CommandBody& run);

/// `moeplan calibrate PROFILE --base h100 --out FILE`: fit the hardware model to a profile
/// and nccl-tests logs, write a calibrated hardware file and its report (calibrate_command.cc).
void RegisterCalibrateCommand(CLI::App& app, CommandBody& run);

/// `moeplan sim [MODEL] --fleet F --layout L | --best-layout`: step time, throughput, MFU and
/// memory per GPU of a training run, or the best layouts (cli/sim_command.cc).
void RegisterSimCommand(CLI::App& app, CommandBody& run);

/// `moeplan plan --fleet F --days D | --compute C | --target-loss L`: the best MoE, its recipe,
/// layout and near-optimal band (cli/plan_command.cc).
void RegisterPlanCommand(CLI::App& app, CommandBody& run);

/// `moeplan sweep SPACE ...` and `moeplan sweep-merge`: parallel, resumable sweeps
/// (cli/sweep_command.cc).
void RegisterSweepCommand(CLI::App& app, CommandBody& run);

/// `moeplan validate [--runs FILE] [--vtrain CSV] [--out docs/validation.md | --json]`:
/// predicted vs measured published runs (cli/validate_command.cc).
void RegisterValidateCommand(CLI::App& app, CommandBody& run);

}  // namespace moeplan::cli
