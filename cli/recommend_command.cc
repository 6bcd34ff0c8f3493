//===- cli/recommend_command.cc - `moeplan recommend`: budget to model ----===//
/// \file
/// `moeplan recommend --compute C [--laws FILE] [--hyper-laws F] [--loss-law F]
///                    [--loss-params active|total] [template and override options] [--json]
///                    [--out ARCH.json] [--hf-config config.json]`
/// Maps a compute budget to a complete architecture, tokens, learning rate and batch size with
/// laws/phases/recommend.h: the allocation laws give M_opt, N_a/M, N/N_a and d, the triad solver
/// realises them, and the printed triad is the exact accounting of the printed architecture.
/// With a loss law, the predicted loss and its band. Output files are written atomically, after
/// everything has been computed.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/phases_cli.h"
#include "cli/text_table.h"
#include "laws/arch_json.h"
#include "laws/phases/hf_export.h"
#include "laws/phases/recommend.h"

namespace moeplan::cli {
namespace {

struct RecommendArgs {
  double compute = 0;
  TemplateArgs arch;
  AllocationArgs allocation;
  std::string loss_law;
  std::string loss_params = "active";
  double ci_level = 0.95;
  bool json = false;
  std::string out, hf_config;
};

std::string ArchText(const laws::MoeArch& a) {
  const laws::AttentionSpec& at = a.attention;
  std::string attention =
      at.type == laws::AttentionType::kMultiHead
          ? fmt::format("{} heads x {} (KV heads {}), QK-norm {}", at.num_heads, at.head_dim,
                        at.num_kv_heads, laws::ToString(at.qk_norm))
          : fmt::format("MLA, {} heads, q_lora {}, kv_lora {}, qk {}+{}, v {}", at.num_heads,
                        at.q_lora_rank, at.kv_lora_rank, at.qk_nope_head_dim, at.qk_rope_head_dim,
                        at.v_head_dim);
  TextTable t({"dimension", "value"}, {Align::kLeft, Align::kRight});
  t.AddRow({"hidden size d", std::to_string(a.hidden_size)});
  t.AddRow({"layers L", std::to_string(a.num_layers)});
  t.AddRow({"leading dense layers", std::to_string(a.moe.first_dense_layers)});
  t.AddRow({"attention", attention});
  t.AddRow({"routed experts N_e", std::to_string(a.moe.num_experts)});
  t.AddRow({"active experts K", std::to_string(a.moe.top_k)});
  t.AddRow({"expert width", std::to_string(a.moe.expert.intermediate_size)});
  t.AddRow({"shared experts", std::to_string(a.moe.num_shared_experts)});
  if (a.moe.first_dense_layers > 0) {
    t.AddRow({"dense FFN width", std::to_string(a.dense_ffn.intermediate_size)});
  }
  t.AddRow({"vocabulary", std::to_string(a.vocab_size)});
  t.AddRow({"sequence length S", std::to_string(a.seq_len)});
  return t.Render("  ");
}

std::string Text(const phases::Recommendation& r) {
  const phases::Allocation& a = r.allocation;
  std::string out = fmt::format("budget:     C = {:.4e} FLOPs (forward + backward)\n", a.compute);
  out += fmt::format("convention: {}\n\nallocation (laws at C):\n", r.convention);
  TextTable alloc({"quantity", "value", "source"}, {Align::kLeft, Align::kRight, Align::kLeft});
  const auto row = [&](const char* name, const phases::Allocated& x) {
    alloc.AddRow({name, fmt::format("{:.6g}", x.value), x.source});
  };
  row("M_opt (FLOPs/token)", a.m_opt);
  row("D_opt (tokens)", a.d_opt);
  row("N_a/M", a.na_over_m);
  row("N/N_a", a.n_over_na);
  row("d_opt", a.hidden_size);
  if (a.num_layers) row("num_layers_opt", *a.num_layers);
  if (a.expert_width) row("expert_width_opt", *a.expert_width);
  row("eta_opt (learning rate)", a.learning_rate);
  row("B_opt (batch, tokens)", a.batch_tokens);
  out += alloc.Render("  ") + "\narchitecture:\n" + ArchText(r.chosen.arch);

  const laws::Triad& t = r.chosen.triad;
  TextTable triad({"triad", "exact", "target", "error"},
                  {Align::kLeft, Align::kRight, Align::kRight, Align::kRight});
  triad.AddRow({"M (FLOPs/token)", fmt::format("{:.6e}", t.flops_per_token),
                fmt::format("{:.6e}", r.target_m),
                fmt::format("{:+.2f}%", 100 * r.chosen.error_m)});
  triad.AddRow({"N_a", WithThousands(t.active_params), fmt::format("{:.6e}", r.target_na),
                fmt::format("{:+.2f}%", 100 * r.chosen.error_na)});
  triad.AddRow({"N", WithThousands(t.total_params), fmt::format("{:.6e}", r.target_n),
                fmt::format("{:+.2f}%", 100 * r.chosen.error_n)});
  out += "\ntriad (exact accounting of the architecture above):\n" + triad.Render("  ");

  out += fmt::format(
      "\ntraining:\n  tokens D = C / M   {:.6e} (D_opt {:.6e})\n  learning rate      {:.6g}\n"
      "  batch              {:.6g} tokens ({:.1f} sequences of {})\n",
      r.tokens, a.d_opt.value, r.learning_rate, r.batch_tokens,
      r.batch_tokens / static_cast<double>(r.chosen.arch.seq_len), r.chosen.arch.seq_len);
  if (r.loss) {
    out += fmt::format("\nloss ({}):\n  L = {:.6g}", r.loss->law, r.loss->value);
    if (r.loss->low && r.loss->high) {
      out += fmt::format("  [{:.6g}, {:.6g}]", *r.loss->low, *r.loss->high);
    }
    out += fmt::format("\n  {}\n", r.loss->note);
  }
  out += "\nnotes:\n";
  for (const std::string& n : r.notes) out += "  " + n + "\n";
  return out;
}

int RunRecommend(const RecommendArgs& args) {
  phases::RecommendOptions o;
  o.compute = args.compute;
  Result<phases::ArchTemplate> arch = MakeTemplate(args.arch);
  if (!arch) return Fail(arch.error());
  o.arch = *arch;
  Result<phases::AllocationOptions> allocation = MakeAllocation(args.allocation);
  if (!allocation) return Fail(allocation.error());
  o.allocation = *allocation;
  o.loss_law = args.loss_law;
  Result<phases::LossParams> params = phases::ParseLossParams(args.loss_params);
  if (!params) return Fail(fmt::format("--loss-params: {}", params.error().message));
  o.loss_params = *params;
  o.ci_level = args.ci_level;
  Result<phases::Recommendation> rec = phases::Recommend(o);
  if (!rec) return Fail(rec.error());
  std::string hf;
  if (!args.hf_config.empty()) {
    Result<nlohmann::ordered_json> config = phases::HfConfig(rec->chosen.arch);
    if (!config) return Fail(config.error());
    hf = config->dump(2) + "\n";
  }
  if (!args.out.empty()) {
    if (int rc = WriteOutput(args.out, laws::ArchToJson(rec->chosen.arch).dump(2) + "\n");
        rc != 0) {
      return rc;
    }
  }
  if (!hf.empty()) {
    if (int rc = WriteOutput(args.hf_config, hf); rc != 0) return rc;
  }
  std::cout << (args.json ? phases::RecommendationToJson(*rec).dump(2) + "\n" : Text(*rec));
  return 0;
}

}  // namespace

void RegisterRecommendCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<RecommendArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recommend",
      "A compute budget to a complete MoE architecture, tokens, learning rate and "
      "batch size (allocation laws + triad solver)");
  cmd->add_option("--compute", args->compute, "compute budget C in FLOPs (forward + backward)")
      ->required();
  AddAllocationOptions(cmd, args->allocation);
  AddTemplateOptions(cmd, args->arch);
  cmd->add_option("--loss-law", args->loss_law,
                  "a loss law (target L) preset or file: predict the loss and its band");
  cmd->add_option("--loss-params", args->loss_params,
                  "what the loss law's N counts: active (default) or total parameters, "
                  "embedding and LM head included");
  cmd->add_option("--ci-level", args->ci_level, "confidence level of the loss band")
      ->check(CLI::Range(0.5, 0.9999))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print the recommendation as JSON");
  cmd->add_option("--out", args->out, "write the architecture (moeplan-arch) here");
  cmd->add_option("--hf-config", args->hf_config, "write a Hugging Face config.json here");
  cmd->callback([args, &run] { run = [args] { return RunRecommend(*args); }; });
}

}  // namespace moeplan::cli
