//===- cli/framework_options.h - Framework flags shared by sim, plan, sweep -*- C++ -*-===//
/// \file
/// The training framework's switches that are not part of a layout (Megatron-LM flags): MoE
/// token dispatcher, communication overlaps and expert capacity, and how the framework stores
/// training state (Megatron's mixed precision by default; PyTorch FSDP2 conventions otherwise).
/// `sim` takes them for one run; `plan` and `sweep` take the same flags so that every candidate is
/// judged with the framework the user will train with (DeepEP and all-to-all overlap change which
/// expert-parallel layouts win). The flags come from sim/framework_option_table.h, the one list
/// of switches, and parse straight into sim::SimOptions.
//===----------------------------------------------------------------------===//
#pragma once

#include <CLI/CLI.hpp>

#include "sim/sim_options.h"

namespace moeplan::cli {

/// Registers one flag per sim::FrameworkOptions() entry on `cmd`, each writing into `options`
/// (which must outlive parsing; its other fields are kept). Contradicting flags (--loss
/// torch-loss-parallel with --replicated-logits) fail the parse with a message naming both.
void AddFrameworkOptions(CLI::App* cmd, sim::SimOptions& options);

}  // namespace moeplan::cli
