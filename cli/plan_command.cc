//===- cli/plan_command.cc - `moeplan plan`: the best MoE for a fleet and budget ---===//
/// \file
/// `moeplan plan --fleet 1024xH100 (--days 30 | --compute 3e23 | --target-loss 2.1)
///               [--law ludziejewski2025] [--space default|deepseek|dense|FILE]
///               [--max-total-params N] [--max-active-params N] [--memory-headroom F]
///               [--band EPS] [--threads N] [--fixed-mfu X] [--json]
///               [--export-hf config.json] [--export-megatron args.txt]`
/// Prints the recommended architecture, recipe, loss interval, layout, time and memory, the
/// near-optimal band and the FLOPs-only comparison (sim/plan/planner.h does the work).
/// The default law is the joint MoE law of Ludziejewski et al. 2025 (ludziejewski2025), read at
/// each candidate's E_eff (sim/sweep/joint_moe_loss.h), so that the expert count matters to
/// the loss; `--law epoch2024` gives the dense Chinchilla law on active parameters.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/framework_options.h"
#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"
#include "sim/plan/planner.h"

namespace moeplan::cli {
namespace {

struct PlanArgs {
  std::string fleet = "1024xH100";
  double days = 0, compute = 0, target_loss = 0;
  std::string law = "ludziejewski2025";
  std::string hyper_law = "deepseek-llm-2024";
  std::string space = "default";
  std::string law_params = "active";
  double max_total = 0, max_active = 0, headroom = -1;
  double band = 0.0025;
  int threads = 0;
  double fixed_mfu = 0;
  bool json = false;
  std::string export_hf, export_megatron;
  sim::SimOptions framework;  ///< the framework flags (cli/framework_options.h)
};

std::string Dims(const std::array<int64_t, plan::kNumArchDims>& v) {
  using plan::ArchDim;
  auto at = [&](ArchDim d) { return v[static_cast<size_t>(d)]; };
  return fmt::format("d={} L={} N_e={} K={} expert_width={} shared={} first_dense={}",
                     at(ArchDim::kHiddenSize), at(ArchDim::kNumLayers), at(ArchDim::kNumExperts),
                     at(ArchDim::kTopK), at(ArchDim::kExpertWidth), at(ArchDim::kSharedExperts),
                     at(ArchDim::kFirstDenseLayers));
}

// "warning: extrapolation: ..." lines naming each variable outside the law's fitted range.
std::string Extrapolation(const plan::PlanResult& p) {
  if (p.extrapolation.empty()) return {};
  std::string s = "  warning: extrapolation: the plan lies outside the law's fitted range:\n";
  for (const plan::Extrapolation& e : p.extrapolation) {
    s += fmt::format("    {} = {:.4g} outside the fitted {:.4g} .. {:.4g}\n", e.variable, e.value,
                     e.min, e.max);
  }
  return s;
}

std::string Text(const plan::PlanResult& p, const plan::PlanRequest& r) {
  const plan::CandidateResult& b = p.best;
  const laws::MoeArch& a = p.arch;
  std::string s;
  s += fmt::format("objective: {} on {} x {} (law {}, N = {} params incl. embedding)\n",
                   plan::ToString(r.objective), r.fleet.num_gpus, r.fleet.hardware.name, r.law.name,
                   r.law_params == plan::LawParams::kActive ? "active" : "total");
  if (std::string note = hw::CalibrationNote(r.fleet.hardware); !note.empty()) {
    s += fmt::format("hardware: {}\n", note);
  }
  s += "architecture:\n";
  s += fmt::format("  hidden_size {}  layers {}  vocab {}  seq_len {}  tied_embeddings {}\n",
                   a.hidden_size, a.num_layers, a.vocab_size, a.seq_len, a.tied_embeddings);
  if (a.attention.type == laws::AttentionType::kMultiLatent) {
    s += fmt::format(
        "  attention MLA: heads {}  q_lora {}  kv_lora {}  qk_nope {}  qk_rope {}  "
        "v_head {}\n",
        a.attention.num_heads, a.attention.q_lora_rank, a.attention.kv_lora_rank,
        a.attention.qk_nope_head_dim, a.attention.qk_rope_head_dim, a.attention.v_head_dim);
  } else {
    s += fmt::format("  attention GQA: heads {}  kv_heads {}  head_dim {}\n", a.attention.num_heads,
                     a.attention.num_kv_heads, a.attention.head_dim);
  }
  s += fmt::format(
      "  experts: routed {}  active {}  expert_width {}  shared {}  first dense "
      "layers {} (dense FFN {})  SwiGLU\n",
      a.moe.num_experts, a.moe.top_k, a.moe.expert.intermediate_size, a.moe.num_shared_experts,
      a.moe.first_dense_layers, a.dense_ffn.intermediate_size);
  s += fmt::format(
      "  params: total {} / active {} (embedding + head incl.); non-embedding {} / "
      "{}\n",
      Human(static_cast<double>(b.total_params)), Human(static_cast<double>(b.active_params)),
      Human(static_cast<double>(b.total_params_nonemb)),
      Human(static_cast<double>(b.active_params_nonemb)));
  s += fmt::format("  M = {:.4g} FLOPs/token (non-embedding, fwd+bwd, attention full)\n",
                   b.flops_per_token);
  s += fmt::format("  E_eff = {:.4g} (total / active FFN params: routed + shared + dense FFN)\n",
                   b.effective_experts);
  s += "recipe:\n";
  s += fmt::format("  tokens D = {:.4g}   compute C = M D = {:.4g} FLOPs\n", b.tokens, b.compute);
  s += fmt::format(
      "  learning rate eta_opt(C) = {:.4g}   batch B_opt(C) = {:.4g} tokens ({}; "
      "layouts use {} sequences)\n",
      p.learning_rate, p.batch_tokens, r.hyper_law.name, p.global_batch);
  if (p.has_interval) {
    s += fmt::format("  predicted loss {:.4f}  [{:.4f}, {:.4f}]  ({})\n", b.loss, p.loss_low,
                     p.loss_high, p.interval_note);
  } else {
    s += fmt::format("  predicted loss {:.4f}  ({})\n", b.loss, p.interval_note);
  }
  s += Extrapolation(p);
  s += "on the fleet:\n";
  if (b.has_layout) {
    s += fmt::format("  layout {}\n", b.layout.ToString());
    s += fmt::format("  step time {:.3f} s   memory per GPU {:.1f} GiB of {:.1f}\n", b.step_time,
                     b.memory_bytes / (1 << 30),
                     static_cast<double>(r.fleet.hardware.device.hbm_bytes) / (1 << 30));
  } else {
    s += fmt::format("  fixed MFU model (no layout, no memory check)\n");
  }
  s += fmt::format(
      "  MFU {:.1f}% (model FLOPs, attention full, of dense BF16 peak)   "
      "{:.4g} tokens/s   {:.2f} days   {:.4g} GPU-hours\n",
      100 * b.mfu, b.tokens_per_second, b.seconds / 86400,
      b.seconds / 3600 * static_cast<double>(r.fleet.num_gpus));
  s += fmt::format("near-optimal band (objective within {:.3g}% of the best): {} candidates{}\n",
                   100 * r.band_eps, p.band_size, p.band_truncated ? " (truncated)" : "");
  for (size_t i = 0; i < plan::kNumArchDims; ++i) {
    const plan::DimRange& range = p.band_ranges[i];
    if (range.min == range.max) continue;
    s += fmt::format("  {:<20} {} .. {}\n", plan::ToString(static_cast<plan::ArchDim>(i)),
                     range.min, range.max);
  }
  if (p.has_flops_only) {
    const plan::CandidateResult& f = p.flops_only;
    s += fmt::format("FLOPs-only optimum (every candidate at MFU {:.1f}%, memory ignored):\n",
                     100 * p.flops_only_fixed_mfu);
    s += "  " + Dims(f.values) + "\n";
    if (f.reject == plan::Reject::kNone) {
      s += fmt::format(
          "  on this fleet: MFU {:.1f}%, objective {:.5g} vs the plan's {:.5g} "
          "({:+.2f}%)\n",
          100 * f.mfu, f.objective, b.objective, 100 * (f.objective / b.objective - 1));
    } else {
      s += fmt::format("  on this fleet: infeasible ({})\n", plan::Describe(f.reject));
    }
  }
  s += fmt::format("searched {} architectures ({} layout estimates) in {:.2f} s\n",
                   p.stats.candidates, p.stats.layouts_estimated, p.seconds);
  return s;
}

int RunPlan(const PlanArgs& args) {
  plan::PlanRequest r;
  Result<hw::Fleet> fleet = hw::LoadFleet(args.fleet);
  if (!fleet) return Fail(fleet.error());
  r.fleet = *fleet;
  r.sim = args.framework;
  const int budgets = (args.compute > 0) + (args.days > 0) + (args.target_loss > 0);
  if (budgets != 1) return Fail("give exactly one of --days, --compute, --target-loss");
  r.objective = args.compute > 0 ? plan::Objective::kLossAtCompute
                : args.days > 0  ? plan::Objective::kLossInTime
                                 : plan::Objective::kTimeToLoss;
  r.compute = args.compute;
  r.seconds = args.days * 86400.0;
  r.target_loss = args.target_loss;
  Result<scaling::LawFile> law = scaling::LoadLaw(args.law);
  if (!law) return Fail(law.error());
  r.law = *law;
  Result<scaling::LawFile> hyper = scaling::LoadLaw(args.hyper_law);
  if (!hyper) return Fail(hyper.error());
  r.hyper_law = *hyper;
  if (args.law_params != "active" && args.law_params != "total") {
    return Fail(fmt::format("--law-params: expected active or total, got '{}'", args.law_params));
  }
  r.law_params = args.law_params == "active" ? plan::LawParams::kActive : plan::LawParams::kTotal;
  Result<plan::SweepSpace> space = plan::ResolveSpace(args.space);
  if (!space) return Fail(space.error());
  r.space = *space;
  if (args.max_total > 0) r.space.constraints.max_total_params = args.max_total;
  if (args.max_active > 0) r.space.constraints.max_active_params = args.max_active;
  if (args.headroom >= 0) r.space.constraints.memory_headroom = args.headroom;
  if (Status s = r.space.Validate(args.space); !s.ok()) return Fail(s.error());
  r.band_eps = args.band;
  r.threads = args.threads;
  r.fixed_mfu = args.fixed_mfu;
  Result<plan::PlanResult> p = plan::Plan(r);
  if (!p) return Fail(p.error());
  if (!args.export_hf.empty()) {
    Result<nlohmann::ordered_json> hf = plan::ExportHfConfig(p->arch);
    if (!hf) return Fail(hf.error());
    if (int rc = WriteOutput(args.export_hf, hf->dump(2) + "\n"); rc != 0) return rc;
  }
  if (!args.export_megatron.empty()) {
    if (int rc = WriteOutput(args.export_megatron, plan::ExportMegatronArgs(*p)); rc != 0) {
      return rc;
    }
  }
  std::cout << (args.json ? plan::PlanToJson(*p, r).dump(2) + "\n" : Text(*p, r));
  return 0;
}

}  // namespace

void RegisterPlanCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "The compute-optimal, hardware-feasible MoE for a fleet and a budget");
  cmd->add_option("--fleet", args->fleet, "fleet: 1024xH100, or a fleet/hardware file");
  cmd->add_option("--days", args->days, "wall-clock budget: min loss within this many days");
  cmd->add_option("--compute", args->compute, "compute budget C (FLOPs): min loss at C");
  cmd->add_option("--target-loss", args->target_loss, "min time to reach this loss");
  cmd->add_option("--law", args->law, "loss law preset or file (default ludziejewski2025)");
  cmd->add_option("--law-params", args->law_params, "N of the loss law: active (default), total");
  cmd->add_option("--space", args->space, "built-in space (default, deepseek, dense) or file");
  cmd->add_option("--max-total-params", args->max_total, "constraint on N (model card)");
  cmd->add_option("--max-active-params", args->max_active, "constraint on N_a (model card)");
  cmd->add_option("--memory-headroom", args->headroom, "fraction of HBM to keep free");
  cmd->add_option("--band", args->band, "near-optimal band width (relative, default 0.0025)");
  cmd->add_option("--threads", args->threads, "worker threads (0: all cores)");
  cmd->add_option("--fixed-mfu", args->fixed_mfu, "skip the simulator: fleet at this MFU");
  cmd->add_flag("--json", args->json, "print the plan as JSON");
  cmd->add_option("--export-hf", args->export_hf, "write the model as HF config.json");
  cmd->add_option("--export-megatron", args->export_megatron, "write Megatron-LM arguments");
  AddFrameworkOptions(cmd, args->framework);
  cmd->callback([args, &run] { run = [args] { return RunPlan(*args); }; });
}

}  // namespace moeplan::cli
