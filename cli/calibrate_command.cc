//===- cli/calibrate_command.cc - `moeplan calibrate`: profile -> hardware file -===//
/// \file
/// `moeplan calibrate PROFILE.json [--nccl LOG...] --base h100 --out my-h100.json
///                    [--name NAME] [--folds 5] [--seed 1] [--loss huber|cauchy|squared]
///                    [--loss-scale 0.1] [--max-iterations 200] [--min-points 3] [--json]`
/// Fits hwmodel's efficiency parameters to a moeplan-profile (and its collective parameters to
/// nccl-tests logs), cross-validates them on held-out shapes and writes the calibrated hardware
/// file (inheriting the base preset) plus <out>.report.{json,txt,kernels.svg,collectives.svg}.
/// The report goes to stdout too. Any error (bad profile or log, too few points, a fit that does
/// not converge) writes nothing. The output works wherever hardware is taken, e.g.
/// `--fleet 64xmy-h100.json`. Logic lives in calibration/ (calibrate.h, output.h).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "calibration/calibrate.h"
#include "calibration/nccl_log.h"
#include "calibration/output.h"
#include "calibration/report.h"
#include "cli/commands.h"
#include "hwmodel/fleet_source.h"
#include "hwmodel/hardware.h"
#include "hwmodel/presets.h"
#include "profiler/core/profile_json.h"

namespace moeplan::cli {
namespace {

struct CalibrateArgs {
  std::string profile;
  std::vector<std::string> nccl;
  std::string base = "h100";
  std::string out;
  std::string name;
  int folds = 5;
  uint64_t seed = 1;
  std::string loss = "huber";
  double loss_scale = 0.1;
  int max_iterations = 200;
  int min_points = 3;
  bool json = false;
};

Result<calibration::CalibrationInput> LoadInput(const CalibrateArgs& args) {
  calibration::CalibrationInput input;
  Result<profiler::Profile> profile = profiler::ReadProfileFile(args.profile);
  if (!profile) return profile.error();
  input.profile = std::move(profile).value();
  input.profile_source = args.profile;
  for (const std::string& log : args.nccl) {
    Result<std::vector<calibration::NcclTest>> tests = calibration::ReadNcclTestsLog(log);
    if (!tests) return tests.error();
    input.nccl.insert(input.nccl.end(), tests->begin(), tests->end());
  }
  if (const hw::HardwarePreset* preset = hw::FindHardwarePreset(args.base)) {
    input.base = preset->hardware;
    input.base_preset = preset->name;
  } else {
    Result<hw::Hardware> base = hw::LoadHardware(args.base);
    if (!base) return Error{fmt::format("--base: {}", base.error().message)};
    input.base = std::move(base).value();
  }
  input.name = args.name;
  return input;
}

int RunCalibrate(const CalibrateArgs& args) {
  Result<calibration::RobustLoss> loss = calibration::ParseRobustLoss(args.loss);
  if (!loss) return Fail(loss.error());
  calibration::CalibrationOptions options;
  options.folds = args.folds;
  options.seed = args.seed;
  options.solver.loss = *loss;
  options.solver.loss_scale = args.loss_scale;
  options.solver.max_iterations = args.max_iterations;
  options.min_points_per_class = args.min_points;
  Result<calibration::CalibrationInput> input = LoadInput(args);
  if (!input) return Fail(input.error());
  Result<calibration::CalibrationResult> result = calibration::Calibrate(*input, options);
  if (!result) return Fail(result.error());
  const calibration::OutputPaths paths = calibration::DefaultOutputPaths(args.out);
  if (Status s = calibration::WriteCalibration(*result, paths); !s.ok()) return Fail(s.error());
  if (args.json) {
    std::cout << calibration::ReportToJson(*result).dump(2) << "\n";
    return 0;
  }
  std::cout << calibration::RenderTextReport(*result) << "\nwrote " << paths.hardware.string()
            << " (use it as --fleet <N>x" << paths.hardware.string() << ")\n      "
            << paths.report_text.string() << ", " << paths.report_json.string() << ", "
            << paths.kernels_svg.string()
            << (result->collective_points.empty() ? "" : ", " + paths.collectives_svg.string())
            << "\n"
            << paths.hardware.string() << " records: " << hw::CalibrationNote(result->calibrated)
            << "\n";
  return 0;
}

}  // namespace

void RegisterCalibrateCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit the hardware model to a measured profile and write a hardware file");
  cmd->add_option("profile", args->profile, "moeplan-profile JSON (from `moeplan profile`)")
      ->required();
  cmd->add_option("--nccl", args->nccl,
                  "nccl-tests output files (all_reduce_perf, all_gather_perf, "
                  "reduce_scatter_perf, alltoall_perf, sendrecv_perf); NCCL_ALGO=Ring preferred");
  cmd->add_option("--base", args->base, "Hardware preset (or hardware file) to start from")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Calibrated hardware file to write (JSON)")->required();
  cmd->add_option("--name", args->name,
                  "Name of the calibrated hardware (default <base>-calibrated)");
  cmd->add_option("--folds", args->folds, "Cross-validation folds (by shape)")
      ->check(CLI::Range(2, 50))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the fold assignment")->capture_default_str();
  cmd->add_option("--loss", args->loss, "Robust loss on log time")
      ->check(CLI::IsMember({"huber", "cauchy", "squared"}))
      ->capture_default_str();
  cmd->add_option("--loss-scale", args->loss_scale,
                  "Log-error where the robust loss turns linear (0.1 ~ 10%)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-iterations", args->max_iterations, "Solver iterations per stage")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--min-points", args->min_points,
                  "Fewest measurements of an op class that may fit its efficiency (a --quick "
                  "profile needs 1)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the JSON report instead of the text report");
  cmd->callback([args, &run] { run = [args] { return RunCalibrate(*args); }; });
}

}  // namespace moeplan::cli
