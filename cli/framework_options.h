//===- cli/framework_options.h - Framework flags shared by sim, plan, sweep -*- C++ -*-===//
/// \file
/// The training framework's switches that are not part of a layout (Megatron-LM flags): MoE
/// token dispatcher, communication overlaps and expert capacity, and how the framework stores
/// training state (Megatron's mixed precision by default; PyTorch FSDP2 conventions otherwise).
/// `sim` takes them for one run; `plan` and `sweep` take the same flags so that every candidate is
/// judged with the framework the user will train with (DeepEP and all-to-all overlap change which
/// expert-parallel layouts win). Parsed here once into sim::SimOptions.
//===----------------------------------------------------------------------===//
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "sim/sim_options.h"

namespace moeplan::cli {

struct FrameworkArgs {
  double capacity_factor = 0.0;  ///< 0: dropless
  std::string dispatcher = "alltoall";
  bool tp_comm_overlap = false;
  bool moe_a2a_overlap = false;
  bool shared_expert_overlap = false;
  bool unfused_attention = false;
  bool cuda_graphs = false;
  std::string states = "mixed";
  bool fsdp_unsharded_grad_accumulation = false;
  bool fsdp_no_reshard_after_forward = false;
  bool fsdp_skips_unsharded_experts = false;
  bool replicated_logits = false;
  std::string loss = "auto";
  bool grad_reduce_in_bf16 = false;
  bool bf16_adam_moments = false;
  bool fp8_param_gather = false;
  int64_t offload_activation_layers = 0;
  bool account_for_embedding_in_pipeline_split = false;
  bool account_for_loss_in_pipeline_split = false;
};

/// Registers --capacity-factor, --dispatcher, --tp-comm-overlap, --moe-a2a-overlap,
/// --shared-expert-overlap, --unfused-attention, --cuda-graphs and the memory conventions
/// --states, --fsdp-unsharded-grad-accumulation, --fsdp-no-reshard-after-forward,
/// --fsdp-skips-unsharded-experts, --replicated-logits, --loss,
/// --grad-reduce-in-bf16, --bf16-adam-moments, --fp8-param-gather and
/// --offload-activation-layers, and Megatron's pipeline split flags
/// --account-for-embedding/loss-in-pipeline-split on `cmd`, writing into `args` (which must
/// outlive parsing). A contradiction between them (--loss
/// torch-loss-parallel with --replicated-logits) fails the parse with a message naming both.
void AddFrameworkOptions(CLI::App* cmd, FrameworkArgs& args);

/// Copies the parsed flags into `options` (the other fields of `options` are kept).
void ApplyFrameworkOptions(const FrameworkArgs& args, sim::SimOptions& options);

}  // namespace moeplan::cli
