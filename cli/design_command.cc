//===- cli/design_command.cc - `moeplan design`: the two-phase runs -------===//
/// \file
/// `moeplan design --compute 1e19,3e19,1e20 | FROM:TO:COUNT [--phases 1,2] [--laws FILE]
///                 [grid options] [template options] [--csv FILE] [--manifest FILE]
///                 [--hf-dir DIR] [--json]`
/// Generates phase 1 and phase 2 of the two-phase experiment of Wan et al. (arXiv:2603.21862)
/// with laws/phases/design.h: every run a complete architecture realising its grid point's
/// triad, with tokens, learning rate and batch size. Prints a summary table (or the JSON
/// manifest with --json), writes the runs manifest as CSV and JSON, and one Hugging Face
/// config.json per run under DIR/<run_id>/. Grid points no architecture realises are listed
/// with the reason. Every output is computed before any is written, and each file is written
/// atomically.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/phases_cli.h"
#include "cli/text_table.h"
#include "laws/phases/design.h"
#include "laws/phases/hf_export.h"
#include "laws/phases/runs_manifest.h"

namespace moeplan::cli {
namespace {

namespace fs = std::filesystem;

struct DesignArgs {
  std::string compute;
  std::string phases = "1,2";
  TemplateArgs arch;
  AllocationArgs allocation;
  int m_points = 5, na_over_m_points = 3, n_over_na_points = 3, d_points = 5, shape_points = 3;
  double m_span = 3.0, na_over_m_span = 1.15, n_over_na_span = 2.0, d_span = 2.0, shape_span = 2.0;
  std::string shape = "granularity";
  std::string csv, manifest, hf_dir;
  bool json = false;
};

Result<phases::DesignOptions> Options(const DesignArgs& args) {
  phases::DesignOptions o;
  Result<std::vector<double>> budgets = phases::ParseBudgets(args.compute);
  if (!budgets) return Error{fmt::format("--compute: {}", budgets.error().message)};
  o.budgets = *budgets;
  Result<phases::ArchTemplate> arch = MakeTemplate(args.arch);
  if (!arch) return arch.error();
  o.arch = *arch;
  Result<phases::AllocationOptions> allocation = MakeAllocation(args.allocation);
  if (!allocation) return allocation.error();
  o.allocation = *allocation;
  if (args.phases == "1") {
    o.phase2 = false;
  } else if (args.phases == "2") {
    o.phase1 = false;
  } else if (args.phases != "1,2" && args.phases != "2,1") {
    return Error{fmt::format("--phases '{}': expected 1, 2 or 1,2", args.phases)};
  }
  o.m_axis = {args.m_points, args.m_span};
  o.na_over_m_axis = {args.na_over_m_points, args.na_over_m_span};
  o.n_over_na_axis = {args.n_over_na_points, args.n_over_na_span};
  o.d_axis = {args.d_points, args.d_span};
  o.shape_axis = {args.shape_points, args.shape_span};
  Result<phases::Phase2Shape> shape = phases::ParsePhase2Shape(args.shape);
  if (!shape) return Error{fmt::format("--shape: {}", shape.error().message)};
  o.shape = *shape;
  if (Status s = o.Validate(); !s.ok()) return s.error();
  return o;
}

std::string Summary(const phases::DesignResult& d) {
  std::string out = fmt::format("convention: {}\n", d.convention);
  out += "allocation sources:\n";
  for (const std::string& line : d.sources) out += "  " + line + "\n";
  out += "\n";
  TextTable budgets(
      {"budget C", "M_opt", "D_opt", "N_a/M", "N/N_a", "d_opt", "proxy d", "lr", "batch tokens",
       "runs", "skipped"},
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
       Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight});
  for (const phases::BudgetPlan& b : d.budgets) {
    const phases::Allocation& a = b.allocation;
    const auto same = [&](double c) { return std::fabs(c / a.compute - 1) < 1e-12; };
    size_t runs = 0, skipped = 0;
    for (const phases::PlannedRun& r : d.runs) runs += same(r.compute) ? 1 : 0;
    for (const phases::SkippedPoint& s : d.skipped) skipped += same(s.compute) ? 1 : 0;
    budgets.AddRow({fmt::format("{:.3e}", a.compute), fmt::format("{:.4g}", a.m_opt.value),
                    fmt::format("{:.4g}", a.d_opt.value), fmt::format("{:.4g}", a.na_over_m.value),
                    fmt::format("{:.4g}", a.n_over_na.value),
                    fmt::format("{:.0f}", a.hidden_size.value), std::to_string(b.proxy_hidden_size),
                    fmt::format("{:.3e}", a.learning_rate.value),
                    fmt::format("{:.4g}", a.batch_tokens.value), std::to_string(runs),
                    std::to_string(skipped)});
  }
  out += budgets.Render() + "\n";
  TextTable runs(
      {"run", "d", "L", "heads", "N_e", "K", "width", "s", "M", "N_a", "N", "tokens", "off grid"},
      {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
       Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
       Align::kRight});
  for (const phases::PlannedRun& r : d.runs) {
    const laws::MoeArch& a = r.arch;
    runs.AddRow({r.run_id, std::to_string(a.hidden_size), std::to_string(a.num_layers),
                 std::to_string(a.attention.num_heads), std::to_string(a.moe.num_experts),
                 std::to_string(a.moe.top_k), std::to_string(a.moe.expert.intermediate_size),
                 std::to_string(a.moe.num_shared_experts), Human(r.triad.flops_per_token),
                 Human(static_cast<double>(r.triad.active_params)),
                 Human(static_cast<double>(r.triad.total_params)), Human(r.tokens),
                 fmt::format("{:.2f}%", 100 * r.worst_error)});
  }
  out += runs.Render();
  if (!d.skipped.empty()) {
    out += fmt::format("\nskipped grid points ({}): no architecture realises them\n",
                       d.skipped.size());
    for (const phases::SkippedPoint& s : d.skipped) {
      out += fmt::format("  {} [{}]: {}\n", s.run_id, s.grid, s.reason);
    }
  }
  return out;
}

int RunDesign(const DesignArgs& args) {
  Result<phases::DesignOptions> options = Options(args);
  if (!options) return Fail(options.error());
  Result<phases::DesignResult> design = phases::Design(*options);
  if (!design) return Fail(design.error());
  // Everything is computed (and every config checked) before anything is written.
  std::vector<std::pair<fs::path, std::string>> hf_files;
  if (!args.hf_dir.empty()) {
    for (const phases::PlannedRun& run : design->runs) {
      Result<nlohmann::ordered_json> config = phases::HfConfig(run.arch);
      if (!config) return Fail(config.error());
      hf_files.emplace_back(fs::path(args.hf_dir) / run.run_id / "config.json",
                            config->dump(2) + "\n");
    }
  }
  const nlohmann::ordered_json manifest = phases::RunsJson(*design);
  if (!args.csv.empty()) {
    if (int rc = WriteOutput(args.csv, phases::RunsCsv(*design)); rc != 0) return rc;
  }
  if (!args.manifest.empty()) {
    if (int rc = WriteOutput(args.manifest, manifest.dump(2) + "\n"); rc != 0) return rc;
  }
  for (const auto& [path, content] : hf_files) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return Fail(fmt::format("--hf-dir: cannot create '{}': {}", path.parent_path().string(),
                              ec.message()));
    }
    if (int rc = WriteOutput(path, content); rc != 0) return rc;
  }
  std::cout << (args.json ? manifest.dump(2) + "\n" : Summary(*design));
  return 0;
}

}  // namespace

void RegisterDesignCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<DesignArgs>();
  CLI::App* cmd = app.add_subcommand(
      "design",
      "The runs of the two-phase experiment (phase 1: M, N_a/M, N/N_a at a proxy d; "
      "phase 2: d and granularity or depth at the optimum)");
  cmd->add_option("--compute", args->compute,
                  "budgets C in FLOPs: 1e19,3e19,1e20 or FROM:TO:COUNT (geometric)")
      ->required();
  cmd->add_option("--phases", args->phases, "1, 2 or 1,2")->capture_default_str();
  cmd->add_option("--m-points", args->m_points, "phase 1: points over M")->capture_default_str();
  cmd->add_option("--m-span", args->m_span, "phase 1: M from M_opt/span to M_opt x span")
      ->capture_default_str();
  cmd->add_option("--na-over-m-points", args->na_over_m_points, "phase 1: points over N_a/M")
      ->capture_default_str();
  cmd->add_option("--na-over-m-span", args->na_over_m_span, "phase 1: span of N_a/M")
      ->capture_default_str();
  cmd->add_option("--n-over-na-points", args->n_over_na_points, "phase 1: points over N/N_a")
      ->capture_default_str();
  cmd->add_option("--n-over-na-span", args->n_over_na_span, "phase 1: span of N/N_a")
      ->capture_default_str();
  cmd->add_option("--d-points", args->d_points, "phase 2: points over d")->capture_default_str();
  cmd->add_option("--d-span", args->d_span, "phase 2: d from d_opt/span to d_opt x span")
      ->capture_default_str();
  cmd->add_option("--shape", args->shape,
                  "phase 2 second variable: granularity (K, with width and N_e re-solved) or "
                  "layers (depth, with the heads re-solved)")
      ->capture_default_str();
  cmd->add_option("--shape-points", args->shape_points, "phase 2: points of the shape variable")
      ->capture_default_str();
  cmd->add_option("--shape-span", args->shape_span, "phase 2: span of the shape variable")
      ->capture_default_str();
  AddTemplateOptions(cmd, args->arch);
  AddAllocationOptions(cmd, args->allocation);
  cmd->add_option("--csv", args->csv, "write the runs manifest CSV here");
  cmd->add_option("--manifest", args->manifest,
                  "write the JSON manifest (moeplan-runs, with each run's moeplan-arch) here");
  cmd->add_option("--hf-dir", args->hf_dir,
                  "write one Hugging Face config.json per run as DIR/<run_id>/config.json");
  cmd->add_flag("--json", args->json, "print the JSON manifest instead of the tables");
  cmd->callback([args, &run] { run = [args] { return RunDesign(*args); }; });
}

}  // namespace moeplan::cli
