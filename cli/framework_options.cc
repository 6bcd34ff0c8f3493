//===- cli/framework_options.cc - Framework flags shared by sim, plan, sweep -===//
#include "cli/framework_options.h"

namespace moeplan::cli {

void AddFrameworkOptions(CLI::App* cmd, FrameworkArgs& args) {
  cmd->add_option("--capacity-factor", args.capacity_factor,
                  "Expert capacity factor (tokens beyond it are dropped); 0 = dropless")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--dispatcher", args.dispatcher,
                  "MoE token dispatch: alltoall (Megatron's alltoall dispatcher), deepep or "
                  "hybridep (flex dispatcher: one network crossing per destination node, NVLink "
                  "forwarding)")
      ->check(CLI::IsMember({"alltoall", "deepep", "hybridep"}))
      ->capture_default_str();
  cmd->add_flag("--tp-comm-overlap", args.tp_comm_overlap,
                "Overlap TP communication with GEMMs (Megatron --tp-comm-overlap)");
  cmd->add_flag("--moe-a2a-overlap", args.moe_a2a_overlap,
                "Hide EP all-to-alls behind compute (Megatron --overlap-moe-expert-parallel-comm)");
  cmd->add_flag("--shared-expert-overlap", args.shared_expert_overlap,
                "Run shared experts during the dispatch (Megatron --moe-shared-expert-overlap)");
  cmd->add_flag("--unfused-attention", args.unfused_attention,
                "Attention without a fused kernel (full score matrices; Transformer Engine's "
                "fallback for attention sinks before cuDNN 9.18)");
  cmd->add_flag("--cuda-graphs", args.cuda_graphs,
                "Layers run as captured CUDA graphs (Megatron --cuda-graph-impl): no pass is "
                "bound by per-kernel host launch time");
  cmd->add_option("--states", args.states,
                  "Storage of parameters, gradients and Adam moments: mixed (Megatron: BF16 "
                  "weights, FP32 gradients, master weights and moments), bf16 (the module cast "
                  "to BF16) or fp32 (FP32 states with BF16 compute, FSDP2's mixed precision)")
      ->check(CLI::IsMember({"mixed", "bf16", "fp32"}))
      ->capture_default_str();
  cmd->add_flag("--fsdp-unsharded-grad-accumulation", args.fsdp_unsharded_grad_accumulation,
                "FSDP keeps unsharded FP32 gradients between micro-batches (PyTorch FSDP2 with "
                "set_requires_gradient_sync(False) during accumulation)");
  cmd->add_flag("--fsdp-no-reshard-after-forward", args.fsdp_no_reshard_after_forward,
                "FSDP keeps every gathered parameter from its forward to its backward "
                "(reshard_after_forward=False, NeMo AutoModel's MoE default)");
  cmd->add_flag("--fsdp-skips-unsharded-experts", args.fsdp_skips_unsharded_experts,
                "Experts whose expert-data-parallel group is one GPU stay outside FSDP: plain "
                "parameters, never gathered (NeMo AutoModel's ignored_params)");
  cmd->add_flag("--replicated-logits", args.replicated_logits,
                "No vocab-parallel loss: every TP rank gathers the full logits (DTensor "
                "ColwiseParallel with Replicate output, no loss_parallel)");
  cmd->add_option("--loss", args.loss,
                  "Cross-entropy implementation, which sets the loss's memory per logit: "
                  "megatron (vocab-parallel, in place: 6 bytes peak), megatron-legacy "
                  "(Megatron-Core before 0.7: 10), te (Transformer Engine's fused kernel: 2), "
                  "torch-fp32 (F.cross_entropy on FP32-cast logits: 12), torch-loss-parallel "
                  "(PyTorch loss_parallel on vocab-sharded DTensor logits: 16), torch-bf16 "
                  "(F.cross_entropy on BF16 logits kept through the backward: 8); auto follows "
                  "--states (mixed: megatron, fp32: torch-fp32 or, with TP, "
                  "torch-loss-parallel, bf16: torch-bf16)")
      ->check(CLI::IsMember({"auto", "megatron", "megatron-legacy", "te", "torch-fp32",
                             "torch-loss-parallel", "torch-bf16"}))
      ->capture_default_str();
  // loss_parallel computes on the vocabulary shards; gathered logits are not sharded.
  cmd->parse_complete_callback([&args] {
    if (args.replicated_logits && args.loss == "torch-loss-parallel") {
      throw CLI::ValidationError("--loss torch-loss-parallel",
                                 "runs on vocabulary-sharded logits; it contradicts "
                                 "--replicated-logits (use torch-fp32 or torch-bf16)");
    }
  });
  cmd->add_flag("--grad-reduce-in-bf16", args.grad_reduce_in_bf16,
                "BF16 gradient buffers and reduction (Megatron --grad-reduce-in-bf16): 2 bytes "
                "per gradient instead of 4");
  cmd->add_flag("--bf16-adam-moments", args.bf16_adam_moments,
                "Adam moments in BF16 (Megatron --use-precision-aware-optimizer "
                "--exp-avg-dtype bf16 --exp-avg-sq-dtype bf16)");
  cmd->add_flag("--fp8-param-gather", args.fp8_param_gather,
                "Under FP8, parameters stored as FP8 without a BF16 copy (Megatron "
                "--fp8-param-gather, NeMo fp8_params)");
  cmd->add_option("--offload-activation-layers", args.offload_activation_layers,
                  "Decoder layers per pipeline rank whose activations are offloaded to host "
                  "memory (Megatron --cpu-offloading-num-layers; transfers assumed hidden)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  cmd->add_flag("--account-for-embedding-in-pipeline-split",
                args.account_for_embedding_in_pipeline_split,
                "The embedding counts as one decoder layer in the pipeline split (Megatron flag "
                "of the same name; default: layers that divide over pp x vpp split evenly, "
                "else the embedding's cost is rounded to whole layers)");
  cmd->add_flag("--account-for-loss-in-pipeline-split", args.account_for_loss_in_pipeline_split,
                "The LM head, loss and MTP modules count as one decoder layer in the pipeline "
                "split (Megatron flag of the same name)");
}

void ApplyFrameworkOptions(const FrameworkArgs& args, sim::SimOptions& options) {
  options.capacity_factor = args.capacity_factor;
  // CLI11 has already checked the name against the list above.
  options.dispatcher =
      sim::DispatcherFromString(args.dispatcher).value_or(sim::Dispatcher::kAllToAll);
  options.tp_comm_overlap = args.tp_comm_overlap;
  options.moe_a2a_overlap = args.moe_a2a_overlap;
  options.shared_expert_overlap = args.shared_expert_overlap;
  options.flash_attention = !args.unfused_attention;
  options.cuda_graphs = args.cuda_graphs;
  options.state_precision =
      sim::StatePrecisionFromString(args.states).value_or(sim::StatePrecision::kMixed);
  options.fsdp_unsharded_grad_accumulation = args.fsdp_unsharded_grad_accumulation;
  options.fsdp_reshard_after_forward = !args.fsdp_no_reshard_after_forward;
  options.fsdp_skips_unsharded_experts = args.fsdp_skips_unsharded_experts;
  options.vocab_parallel_loss = !args.replicated_logits;
  // "auto" (the one name CLI11 lets through that is not an implementation) leaves it unset.
  options.loss = sim::LossImplementationFromString(args.loss);
  options.grad_reduce_in_bf16 = args.grad_reduce_in_bf16;
  options.bf16_adam_moments = args.bf16_adam_moments;
  options.fp8_param_gather = args.fp8_param_gather;
  options.offload_activation_layers = args.offload_activation_layers;
  options.account_for_embedding_in_pipeline_split = args.account_for_embedding_in_pipeline_split;
  options.account_for_loss_in_pipeline_split = args.account_for_loss_in_pipeline_split;
}

}  // namespace moeplan::cli
