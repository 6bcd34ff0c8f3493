//===- cli/profile_command.cc - `moeplan profile` and `moeplan trace` -----===//
/// \file
/// `moeplan profile [--quick|--full] [--ops LIST] [--device N] [--repetitions N] --out FILE`
///   measures the pieces of MoE layers on the GPU with CUPTI (profiler/runner.h) and writes a
///   moeplan-profile file (docs/profile-format.md) atomically: an error or Ctrl-C leaves none.
/// `moeplan trace --out TRACE [--profile FILE] -- <command...>`
///   runs a program under moeplan's CUPTI injection library and writes its moeplan-trace file;
///   --profile also turns the ranges labelled as cases into a profile.
/// Without the CUDA toolkit and CUPTI at build time both print "built without CUDA/CUPTI" and
/// exit with status 2.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"

#ifdef MOEPLAN_WITH_PROFILER
#include "profiler/core/measurement.h"
#include "profiler/core/profile_json.h"
#include "profiler/core/trace_runner.h"
#include "profiler/runner.h"
#endif

namespace moeplan::cli {
namespace {

struct ProfileArgs {
  bool quick = false;
  bool full = false;
  std::string ops = "all";
  std::string out;
  int device = 0;
  int repetitions = 0;
  int warmup = 3;
  double max_spread = 0.05;
  bool quiet = false;
};

struct TraceArgs {
  std::string out;
  std::string profile;
  std::vector<std::string> command;
};

#ifdef MOEPLAN_WITH_PROFILER

int RunProfileCommand(const ProfileArgs& args) {
  Result<std::vector<profiler::OpKind>> ops = profiler::ParseOpList(args.ops);
  if (!ops) return Fail(ops.error());
  profiler::ProfileOptions options;
  options.size = args.full ? profiler::GridSize::kFull : profiler::GridSize::kQuick;
  options.ops = *ops;
  options.device = args.device;
  options.repetitions = args.repetitions;
  options.warmup = args.warmup;
  options.max_relative_spread = args.max_spread;
  if (!args.quiet) options.progress = [](std::string_view line) { std::cerr << line << "\n"; };
  Result<profiler::Profile> profile = profiler::RunProfile(options);
  if (!profile) return Fail(profile.error());
  if (Status s = profiler::WriteProfileFile(args.out, *profile); !s.ok()) return Fail(s.error());
  if (!args.quiet) {
    std::cerr << "moeplan: " << profile->measurements.size() << " measurements ("
              << profile->skipped.size() << " skipped) written to " << args.out << "\n";
  }
  return 0;
}

int RunTraceCommand(const TraceArgs& args) {
  profiler::TraceRunOptions options;
  options.command = args.command;
  options.inject_library = MOEPLAN_INJECT_LIBRARY;
  options.cupti_library = MOEPLAN_CUPTI_LIBRARY;
  options.out = args.out;
  Result<profiler::TraceFile> trace = profiler::RunTraced(options);
  if (!trace) return Fail(trace.error());
  std::cerr << "moeplan: trace of " << trace->trace.kernels.size() << " kernels written to "
            << args.out << "\n";
  if (args.profile.empty()) return 0;
  Result<profiler::Profile> profile = profiler::ProfileFromTrace(*trace, "moeplan 0.1.0");
  if (!profile) return Fail(profile.error());
  if (Status s = profiler::WriteProfileFile(args.profile, *profile); !s.ok()) {
    return Fail(s.error());
  }
  return 0;
}

#else

constexpr const char* kNoProfiler =
    "built without CUDA/CUPTI: rebuild moeplan where the CUDA toolkit with CUPTI is installed "
    "(CMake option MOEPLAN_WITH_CUDA=ON), or build profiler/ on its own";

int RunProfileCommand(const ProfileArgs&) {
  return Fail(std::string("profile: ") + kNoProfiler);
}

int RunTraceCommand(const TraceArgs&) {
  return Fail(std::string("trace: ") + kNoProfiler);
}

#endif

}  // namespace

void RegisterProfileCommand(CLI::App& app, CommandBody& run) {
  auto args = std::make_shared<ProfileArgs>();
  CLI::App* cmd = app.add_subcommand(
      "profile", "Measure MoE-layer kernels on this GPU with CUPTI and write a profile");
  CLI::Option* quick =
      cmd->add_flag("--quick", args->quick, "A few shapes per op (about a minute)");
  CLI::Option* full =
      cmd->add_flag("--full", args->full, "The calibration grid (about five minutes on an H100)");
  quick->excludes(full);
  cmd->add_option("--ops", args->ops,
                  "Comma-separated ops: gemm, grouped_gemm, router, permute, unpermute, swiglu, "
                  "rmsnorm, attention, adam, copy, moe_layer (or all)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "The profile file to write (atomically)")->required();
  cmd->add_option("--device", args->device, "CUDA device ordinal")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--repetitions", args->repetitions,
                  "Measured repetitions per case (0: 10 quick, 20 full)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Unmeasured repetitions before each round")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--max-spread", args->max_spread,
                  "IQR/median above which a case is measured again")
      ->check(CLI::Range(1e-6, 10.0))
      ->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "No progress lines on stderr");
  cmd->callback([args, &run] { run = [args] { return RunProfileCommand(*args); }; });

  auto trace_args = std::make_shared<TraceArgs>();
  CLI::App* trace = app.add_subcommand(
      "trace", "Run a CUDA program under moeplan's CUPTI tracer: trace --out T.json -- CMD...");
  trace->add_option("--out", trace_args->out, "The trace file to write (atomically)")->required();
  trace->add_option("--profile", trace_args->profile,
                    "Also write a profile of the ranges labelled as moeplan cases");
  trace->add_option("command", trace_args->command, "The program and its arguments, after --")
      ->required();
  trace->callback(
      [trace_args, &run] { run = [trace_args] { return RunTraceCommand(*trace_args); }; });
}

}  // namespace moeplan::cli
