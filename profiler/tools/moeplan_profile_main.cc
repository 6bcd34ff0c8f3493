//===- profiler/tools/moeplan_profile_main.cc - Stand-alone profiler driver ===//
/// \file
/// `moeplan-profile`, built when profiler/ is configured on its own (a bare GPU machine with
/// only the CUDA toolkit and nlohmann's headers). Same behaviour as `moeplan profile` and
/// `moeplan trace`, with a hand-rolled argument parser so that it needs no CLI11:
///   moeplan-profile [--quick|--full] [--ops LIST] [--device N] [--repetitions N]
///                   [--warmup N] --out FILE
///   moeplan-profile trace --out TRACE [--profile FILE] -- <command...>
/// Errors: "moeplan-profile: error: ..." on stderr, exit status 2; nothing partial is written.
//===----------------------------------------------------------------------===//
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "profiler/core/measurement.h"
#include "profiler/core/profile_json.h"
#include "profiler/core/trace_runner.h"
#include "profiler/runner.h"

namespace {

using namespace moeplan::profiler;

constexpr int kExitBadInput = 2;
constexpr const char* kUsage =
    "usage: moeplan-profile [--quick|--full] [--ops LIST] [--device N] [--repetitions N]\n"
    "                       [--warmup N] --out FILE\n"
    "       moeplan-profile trace --out TRACE [--profile FILE] -- <command...>\n";

int Fail(std::string_view message) {
  std::cerr << "moeplan-profile: error: " << message << "\n";
  return kExitBadInput;
}

bool ParseInt(std::string_view text, int& value) {
  try {
    size_t used = 0;
    value = std::stoi(std::string(text), &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

int RunTrace(const std::vector<std::string>& args) {
  TraceRunOptions options;
  std::string profile_out;
  size_t arg_idx = 0;
  for (; arg_idx < args.size() && args[arg_idx] != "--"; ++arg_idx) {
    const bool has_value = arg_idx + 1 < args.size();
    if (args[arg_idx] == "--out" && has_value) {
      options.out = args[++arg_idx];
    } else if (args[arg_idx] == "--profile" && has_value) {
      profile_out = args[++arg_idx];
    } else {
      return Fail("trace: unexpected argument '" + args[arg_idx] + "'\n" + kUsage);
    }
  }
  if (options.out.empty()) return Fail("trace: --out is required");
  options.command.assign(args.begin() + static_cast<long>(std::min(arg_idx + 1, args.size())),
                         args.end());
  options.inject_library = MOEPLAN_INJECT_LIBRARY;
  options.cupti_library = MOEPLAN_CUPTI_LIBRARY;
  moeplan::Result<TraceFile> trace = RunTraced(options);
  if (!trace) return Fail(trace.error().message);
  std::cerr << "moeplan-profile: trace of " << trace->trace.kernels.size() << " kernels written to "
            << options.out.string() << "\n";
  if (profile_out.empty()) return 0;
  moeplan::Result<Profile> profile = ProfileFromTrace(*trace, "moeplan-profile 0.1.0");
  if (!profile) return Fail(profile.error().message);
  if (moeplan::Status s = WriteProfileFile(profile_out, *profile); !s.ok())
    return Fail(s.message());
  return 0;
}

int RunMeasure(const std::vector<std::string>& args) {
  ProfileOptions options;
  std::string out;
  for (size_t arg_idx = 0; arg_idx < args.size(); ++arg_idx) {
    const std::string& arg = args[arg_idx];
    const bool has_value = arg_idx + 1 < args.size();
    if (arg == "--quick") {
      options.size = GridSize::kQuick;
    } else if (arg == "--full") {
      options.size = GridSize::kFull;
    } else if (arg == "--out" && has_value) {
      out = args[++arg_idx];
    } else if (arg == "--ops" && has_value) {
      moeplan::Result<std::vector<OpKind>> ops = ParseOpList(args[++arg_idx]);
      if (!ops) return Fail(ops.error().message);
      options.ops = *ops;
    } else if ((arg == "--device" || arg == "--repetitions" || arg == "--warmup") && has_value) {
      int value = 0;
      if (!ParseInt(args[++arg_idx], value)) return Fail(arg + ": expected an integer");
      (arg == "--device"        ? options.device
       : arg == "--repetitions" ? options.repetitions
                                : options.warmup) = value;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      return Fail("unexpected argument '" + arg + "'\n" + kUsage);
    }
  }
  if (out.empty()) return Fail(std::string("--out is required\n") + kUsage);
  options.tool = "moeplan-profile 0.1.0";
  options.progress = [](std::string_view line) { std::cerr << line << "\n"; };
  moeplan::Result<Profile> profile = RunProfile(options);
  if (!profile) return Fail(profile.error().message);
  if (moeplan::Status s = WriteProfileFile(out, *profile); !s.ok()) return Fail(s.message());
  std::cerr << "moeplan-profile: " << profile->measurements.size() << " measurements written to "
            << out << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args.front() == "trace") return RunTrace({args.begin() + 1, args.end()});
    return RunMeasure(args);
  } catch (const std::exception& e) {
    std::cerr << "moeplan-profile: internal error: " << e.what() << "\n";
    return 70;
  }
}
