//===- profiler/inject/cupti_inject.cc - moeplan's tracer as an injection library ===//
/// \file
/// Built as libmoeplan_cupti_inject.so. With CUDA_INJECTION64_PATH pointing at it, the CUDA
/// driver loads it into any CUDA program during cuInit and calls `InitializeInjection` (the
/// mechanism of CUPTI's cupti_trace_injection sample). It starts moeplan's activity collector
/// (kernels, copies, memsets, synchronisation, overhead, API, external correlation, device and,
/// when NVTX_INJECTION64_PATH points at CUPTI, NVTX marker records) and, when the program
/// exits, flushes CUPTI and writes a moeplan-trace file to $MOEPLAN_TRACE_OUT, atomically.
/// `moeplan trace -- <command>` sets both variables. Errors go to stderr with a "moeplan
/// trace:" prefix; the traced program itself is never stopped.
///
/// Limits: one CUDA process per trace file (a later process overwrites an earlier one's file);
/// a program killed by a signal writes no trace.
//===----------------------------------------------------------------------===//
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "profiler/core/trace_json.h"
#include "profiler/core/trace_runner.h"
#include "profiler/cupti_loader.h"
#include "profiler/cupti_records.h"

namespace {

using namespace moeplan::profiler;

const CuptiApi* g_cupti = nullptr;
std::string* g_out = nullptr;

void Report(const std::string& message) {
  std::fprintf(stderr, "moeplan trace: %s\n", message.c_str());
}

std::vector<std::string> OwnCommandLine() {
  std::vector<std::string> words;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string word;
  while (std::getline(in, word, '\0')) words.push_back(word);
  return words;
}

void WriteTraceAtExit() {
  if (g_cupti == nullptr || g_out == nullptr) return;
  try {
    ActivityTrace trace = FlushAndTake(*g_cupti);
    TraceMeta meta;
    meta.tool = "moeplan-cupti-inject 0.1.0";
    meta.created_utc = UtcNow();
    meta.command = OwnCommandLine();
    meta.cupti_version = static_cast<int>(g_cupti->version);
    if (trace.dropped_records > 0) {
      Report(std::to_string(trace.dropped_records) + " activity records were dropped");
    }
    if (moeplan::Status status = WriteTraceFile(*g_out, trace, meta); !status.ok()) {
      Report(status.message());
    }
  } catch (const std::exception& e) {
    Report(std::string("cannot write the trace: ") + e.what());
  }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  static std::atomic<bool> initialized{false};
  if (initialized.exchange(true)) return 1;
  const char* out = std::getenv(kTraceOutEnv);
  if (out == nullptr || *out == '\0') {
    Report(std::string(kTraceOutEnv) + " is not set; not tracing");
    return 1;
  }
  moeplan::Result<const CuptiApi*> cupti = LoadCupti();
  if (!cupti) {
    Report(cupti.error().message);
    return 1;
  }
  CollectorOptions options;
  options.markers = std::getenv("NVTX_INJECTION64_PATH") != nullptr;
  if (moeplan::Status status = StartCollecting(**cupti, options); !status.ok()) {
    Report(status.message());
    return 1;
  }
  g_cupti = *cupti;
  g_out = new std::string(out);  // read at exit; never freed
  std::atexit(&WriteTraceAtExit);
  return 1;
}
