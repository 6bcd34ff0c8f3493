//===- cli/validate_command.cc - `moeplan validate`: predicted vs measured -===//
/// \file
/// `moeplan validate [--runs sim/validation/published_runs.json] [--vtrain CSV]
///                   [--out docs/validation.md | --json]`
/// Predicts every published run (and vTrain's measured A100 steps) with sim/ and prints the
/// "## Simulator" section of docs/validation.md, or replaces that section in --out atomically
/// (the rest of the file is kept). The engine lives in sim/validate.h.
///
/// `moeplan validate --fit [--folds 5] [--vtrain CSV] [--out fit.json]` instead fits the global
/// hardware parameters of calibration/end_to_end_fit.h to the same runs and prints them with
/// their in-sample and cross-validated (by model) errors as JSON, with the "calibration" record
/// (hwmodel/hardware.h) a hardware file carrying them should hold.
#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "calibration/end_to_end_fit.h"
#include "cli/commands.h"
#include "hwmodel/hardware_json.h"
#include "laws/support/atomic_file.h"
#include "sim/validate.h"

namespace moeplan::cli {
namespace {

struct ValidateArgs {
  std::string runs = "sim/validation/published_runs.json";
  std::string vtrain;
  std::string out;
  bool json = false;
  bool fit = false;
  int folds = 5;
};

int RunFit(const ValidateArgs& args, const std::vector<sim::PublishedRun>& runs,
           const std::vector<sim::VtrainRun>& vtrain) {
  const std::vector<sim::ValidationCase> cases = sim::PrepareCases(runs, vtrain);
  calibration::EndToEndFitOptions options;
  options.folds = args.folds;
  auto fit = calibration::FitEndToEnd(cases, options);
  if (!fit) return Fail(fit.error());
  nlohmann::ordered_json json = fit->ToJson();
  json["runs_file"] = args.runs;
  json["vtrain_file"] = args.vtrain;
  // What a hardware file carrying these parameters should record as its "calibration".
  json["calibration"] = hw::CalibrationRecordToJson(
      fit->Record(args.vtrain.empty() ? args.runs : args.runs + " + " + args.vtrain));
  return WriteOutput(args.out.empty() ? "-" : args.out, json.dump(1) + "\n");
}

int RunValidate(const ValidateArgs& args) {
  auto runs = sim::LoadPublishedRuns(args.runs);
  if (!runs) return Fail(runs.error());
  std::vector<sim::VtrainRun> vtrain;
  if (!args.vtrain.empty()) {
    auto loaded = sim::LoadVtrainCsv(args.vtrain);
    if (!loaded) return Fail(loaded.error());
    vtrain = std::move(*loaded);
  }
  if (args.fit) return RunFit(args, *runs, vtrain);
  sim::ValidationReport report = sim::Validate(*runs, vtrain);
  report.runs_file = args.runs;
  report.vtrain_file = args.vtrain;
  if (args.json)
    return WriteOutput(args.out.empty() ? "-" : args.out,
                       sim::ValidationJson(report).dump(1) + "\n");
  const std::string section = sim::ValidationMarkdown(report);
  if (args.out.empty() || args.out == "-") return WriteOutput("-", section);
  std::string existing;
  if (std::ifstream in(args.out); in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    existing = buffer.str();
  }
  return WriteOutput(args.out, sim::ReplaceMarkdownSection(existing, "## Simulator", section));
}

}  // namespace

void RegisterValidateCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "validate", "Predicted vs measured throughput and memory of published training runs");
  cmd->add_option("--runs", args->runs, "Published runs (moeplan-validation-runs JSON)")
      ->capture_default_str();
  cmd->add_option("--vtrain", args->vtrain, "vTrain ground_truth_single.csv (8 A100, GPT)");
  cmd->add_option("--out", args->out,
                  "Markdown file whose '## Simulator' section is replaced (atomically); with "
                  "--json, the JSON file");
  cmd->add_flag("--json", args->json, "Machine-readable report");
  cmd->add_flag("--fit", args->fit,
                "Fit the global hardware parameters to the runs (JSON with cross-validated "
                "errors) instead of reporting");
  cmd->add_option("--folds", args->folds, "Cross-validation folds (by model) for --fit")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->callback([args, &run] { run = [args] { return RunValidate(*args); }; });
}

}  // namespace moeplan::cli
