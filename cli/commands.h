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

/// `moeplan fit-phases RESULTS.csv [--out LAWS.json] [--report R.json|--json]`: optima, power
/// laws, rank tests of d and near-optimal bands of two-phase experiments
/// (cli/fit_phases_command.cc).
void RegisterFitPhasesCommand(CLI::App& app, CommandBody& run);

/// `moeplan design --compute C1,C2,...`: the runs of the two-phase experiment as a runs manifest
/// (CSV, JSON) and Hugging Face configs (cli/design_command.cc).
void RegisterDesignCommand(CLI::App& app, CommandBody& run);

/// `moeplan recommend --compute C [--laws FILE]`: a budget to a complete architecture, tokens,
/// learning rate and batch size (cli/recommend_command.cc).
void RegisterRecommendCommand(CLI::App& app, CommandBody& run);

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
