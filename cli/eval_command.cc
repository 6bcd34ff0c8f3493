//===- cli/eval_command.cc - `moeplan eval`: the triad of one model -------===//
/// \file
/// `moeplan eval [MODEL] [--seq S] [--embedding in|out] [--lm-head in|out] [--mtp in|out]
///               [--pass forward|training] [--attention full|causal] [--model-card] [--json]
///               [--out FILE] [--save-arch FILE]`
/// MODEL is a preset name, a moeplan-arch file or a Hugging Face config.json; without one the
/// DeepSeek-V3 preset is evaluated. Prints N, N_a and M with the convention in words, the
/// breakdown by component and the per-layer table; --json gives the same for machines.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/text_table.h"
#include "laws/accounting.h"
#include "laws/accounting_report.h"
#include "laws/arch_json.h"
#include "laws/model_source.h"
#include "laws/presets.h"

namespace moeplan::cli {
namespace {

using laws::Component;

struct EvalArgs {
  std::string model = std::string(laws::kDefaultPreset);
  int64_t seq_len = 0;
  std::string embedding = "out";
  std::string lm_head = "out";
  std::string mtp = "out";
  std::string pass = "training";
  std::string attention = "full";
  bool model_card = false;
  bool json = false;
  bool list_presets = false;
  std::string out = "-";
  std::string save_arch;
};

laws::CountingOptions OptionsFrom(const EvalArgs& args) {
  laws::CountingOptions options;
  options.include_embedding = args.model_card || args.embedding == "in";
  options.include_lm_head = args.model_card || args.lm_head == "in";
  options.include_mtp = args.mtp == "in";
  options.pass =
      args.pass == "forward" ? laws::FlopPass::kForward : laws::FlopPass::kForwardBackward;
  options.attention = args.attention == "causal" ? laws::AttentionCounting::kCausal
                                                 : laws::AttentionCounting::kFull;
  options.seq_len = args.seq_len;
  return options;
}

std::string FlopsText(double flops) {
  return fmt::format("{:.4e}", flops);
}

std::string RenderText(const laws::LoadedModel& model, const laws::CountingOptions& options,
                       const laws::Triad& triad, const std::vector<laws::LayerCount>& layers) {
  std::string out = fmt::format("model:      {} ({})\n", model.arch.name, model.origin);
  out += fmt::format("convention: {}\n\n", options.Describe(triad.seq_len));

  TextTable summary({"quantity", "value", "", "meaning"},
                    {Align::kLeft, Align::kRight, Align::kRight, Align::kLeft});
  summary.AddRow({"N", WithThousands(triad.total_params),
                  Human(static_cast<double>(triad.total_params)), "total parameters"});
  summary.AddRow({"N_a", WithThousands(triad.active_params),
                  Human(static_cast<double>(triad.active_params)), "active parameters per token"});
  summary.AddRow(
      {"M", FlopsText(triad.flops_per_token), Human(triad.flops_per_token), "FLOPs per token"});
  summary.AddRow({"N/N_a",
                  fmt::format("{:.3f}", static_cast<double>(triad.total_params) /
                                            static_cast<double>(triad.active_params)),
                  "", "sparsity ratio"});
  out += summary.Render() + "\n";

  TextTable components({"component", "N", "N_a", "M (FLOPs/token)", "share of M"},
                       {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
  for (size_t c = 0; c < laws::kNumComponents; ++c) {
    const laws::ComponentCount& count = triad.by_component[c];
    if (count.params == 0 && count.flops_per_token == 0) continue;
    components.AddRow(
        {laws::ToString(static_cast<Component>(c)), WithThousands(count.params),
         WithThousands(count.active_params), FlopsText(count.flops_per_token),
         fmt::format("{:.1f}%", 100.0 * count.flops_per_token / triad.flops_per_token)});
  }
  components.AddRule();
  components.AddRow({"total", WithThousands(triad.total_params), WithThousands(triad.active_params),
                     FlopsText(triad.flops_per_token), "100.0%"});
  out += components.Render() + "\n";

  TextTable table(
      {"layers", "block", "attention", "N per layer", "N_a per layer", "M per layer"},
      {Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight, Align::kRight, Align::kRight});
  for (const laws::LayerRun& run : laws::MergeLayerRuns(layers)) {
    const std::string range = run.first == run.last ? std::to_string(run.first)
                                                    : fmt::format("{}-{}", run.first, run.last);
    std::string block = run.layer.is_moe ? "moe" : "dense";
    if (run.layer.is_mtp) block = "mtp (" + block + ")";
    table.AddRow({range, block, laws::ToString(run.layer.attention),
                  WithThousands(run.layer.params), WithThousands(run.layer.active_params),
                  FlopsText(run.layer.flops_per_token)});
  }
  out += table.Render();
  if (!model.notes.empty()) {
    out += "\nassumed:\n";
    for (const std::string& note : model.notes) out += "  - " + note + "\n";
  }
  return out;
}

std::string RenderPresets() {
  TextTable table({"preset", "model"});
  for (const laws::Preset& preset : laws::Presets()) {
    table.AddRow({preset.name, preset.description});
  }
  return table.Render();
}

int RunEval(const EvalArgs& args) {
  if (args.list_presets) return WriteOutput(args.out, RenderPresets());
  Result<laws::LoadedModel> model = laws::LoadModel(args.model, {args.seq_len});
  if (!model) return Fail(model.error());
  const laws::CountingOptions options = OptionsFrom(args);
  const laws::Triad triad = laws::CountTriad(model->arch, options);
  const std::vector<laws::LayerCount> layers = laws::CountLayers(model->arch, options);
  if (!args.save_arch.empty()) {
    if (int rc = WriteOutput(args.save_arch, laws::ArchToJson(model->arch).dump(2) + "\n")) {
      return rc;
    }
  }
  if (args.json) {
    return WriteOutput(
        args.out,
        laws::AccountingReportJson(model->arch, options, triad, layers, model->notes).dump(2) +
            "\n");
  }
  return WriteOutput(args.out, RenderText(*model, options, triad, layers));
}

}  // namespace

void RegisterEvalCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Exact total/active parameters and FLOPs per token (the triad N, N_a, M)");
  cmd->add_option("model", args->model,
                  "Preset name, moeplan-arch file or Hugging Face config.json")
      ->capture_default_str();
  cmd->add_option("--seq", args->seq_len,
                  "Sequence length for the attention FLOPs (default: the model's own, 4096 for "
                  "presets and config.json)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  const auto in_out = CLI::IsMember({"in", "out"});
  cmd->add_option("--embedding", args->embedding, "Input embedding in N and N_a")
      ->check(in_out)
      ->capture_default_str();
  cmd->add_option("--lm-head", args->lm_head, "LM head in N, N_a and M")
      ->check(in_out)
      ->capture_default_str();
  cmd->add_option("--mtp", args->mtp, "Multi-token-prediction modules in N, N_a and M")
      ->check(in_out)
      ->capture_default_str();
  cmd->add_option("--pass", args->pass, "FLOPs of a forward pass or a training step (3x)")
      ->check(CLI::IsMember({"forward", "training"}))
      ->capture_default_str();
  cmd->add_option("--attention", args->attention,
                  "Causal attention counted full (every key) or causal (halved)")
      ->check(CLI::IsMember({"full", "causal"}))
      ->capture_default_str();
  cmd->add_flag("--model-card", args->model_card,
                "Model-card convention: embedding and LM head included");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->add_flag("--list-presets", args->list_presets, "List the built-in models and exit");
  cmd->add_option("--out", args->out, "Write the report to FILE (atomically) instead of stdout");
  cmd->add_option("--save-arch", args->save_arch,
                  "Also write the architecture in moeplan's own JSON format to FILE");
  cmd->callback([args, &run] { run = [args] { return RunEval(*args); }; });
}

}  // namespace moeplan::cli
