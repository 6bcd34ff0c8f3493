//===- profiler/core/trace_runner.h - Run a program under the tracer -*- C++ -*-===//
/// \file
/// `moeplan trace -- <command>`: runs a program with moeplan's CUPTI injection library loaded
/// by the CUDA driver (environment CUDA_INJECTION64_PATH, see the CUDA driver's "injection"
/// mechanism used by CUPTI's cupti_trace_injection sample), which writes the program's activity
/// to the staging file named by MOEPLAN_TRACE_OUT when the program exits. Only a complete,
/// valid trace of a program that exited with status 0 is moved to the output path; otherwise
/// the staging file is removed and the error says why. POSIX only (fork/exec); no CUDA here.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "laws/support/result.h"
#include "profiler/core/trace_json.h"

namespace moeplan::profiler {

/// Environment variable that tells the injection library where to write its trace.
inline constexpr const char* kTraceOutEnv = "MOEPLAN_TRACE_OUT";
/// Optional: the CUPTI library the injection library should load (default libcupti.so.<major>).
inline constexpr const char* kCuptiLibraryEnv = "MOEPLAN_CUPTI_LIBRARY";

struct TraceRunOptions {
  std::vector<std::string> command;      ///< argv of the program (searched in PATH)
  std::filesystem::path inject_library;  ///< libmoeplan_cupti_inject.so
  std::filesystem::path out;             ///< final trace file
  std::filesystem::path cupti_library;   ///< optional; also used for NVTX_INJECTION64_PATH
  bool nvtx = true;  ///< record NVTX ranges (sets NVTX_INJECTION64_PATH to CUPTI if unset)
};

/// Runs the command and returns the validated trace (already written to `out`).
/// Errors: missing library, command not found, non-zero exit, no trace written, invalid trace.
[[nodiscard]] Result<TraceFile> RunTraced(const TraceRunOptions& options);

}  // namespace moeplan::profiler
