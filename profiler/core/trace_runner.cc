//===- profiler/core/trace_runner.cc - Run a program under the tracer -----===//
#include "profiler/core/trace_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "profiler/core/atomic_output.h"

namespace moeplan::profiler {
namespace {

namespace fs = std::filesystem;

// Child side: environment for the injection library, then exec. Never returns.
[[noreturn]] void ExecTraced(const TraceRunOptions& options, const fs::path& staging) {
  ::setenv("CUDA_INJECTION64_PATH", options.inject_library.c_str(), 1);
  ::setenv(kTraceOutEnv, staging.c_str(), 1);
  if (!options.cupti_library.empty()) {
    ::setenv(kCuptiLibraryEnv, options.cupti_library.c_str(), 0);
    if (options.nvtx) ::setenv("NVTX_INJECTION64_PATH", options.cupti_library.c_str(), 0);
  }
  std::vector<char*> argv;
  for (const std::string& word : options.command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  ::signal(SIGINT, SIG_DFL);
  ::execvp(argv[0], argv.data());
  _exit(127);  // exec failed; the parent reports it
}

void RemoveQuietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

Result<TraceFile> RunTraced(const TraceRunOptions& options) {
  if (options.command.empty()) return Error{"trace: no command given (usage: trace -- <command>)"};
  std::error_code error;
  if (!fs::is_regular_file(options.inject_library, error)) {
    return Error{"trace: injection library '" + options.inject_library.string() +
                 "' not found (build the moeplan_cupti_inject target)"};
  }
  const fs::path staging = StagingPath(options.out);
  RemoveQuietly(staging);
  // The terminal's Ctrl-C reaches the child too; the parent waits for it and cleans up.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &previous);
  const pid_t child = ::fork();
  if (child < 0) {
    ::sigaction(SIGINT, &previous, nullptr);
    return Error{std::string("trace: cannot start the command: ") + std::strerror(errno)};
  }
  if (child == 0) ExecTraced(options, staging);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGINT, &previous, nullptr);
  const std::string program = options.command.front();
  if (WIFSIGNALED(status)) {
    RemoveQuietly(staging);
    const int signal = WTERMSIG(status);
    return Error{"trace: '" + program + "' was " +
                 (signal == SIGINT ? std::string("interrupted")
                                   : "killed by signal " + std::to_string(signal)) +
                 "; no trace written"};
  }
  const int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (exit_status == 127 && !fs::exists(staging)) {
    return Error{"trace: cannot run '" + program + "' (not found or not executable)"};
  }
  if (exit_status != 0) {
    RemoveQuietly(staging);
    return Error{"trace: '" + program + "' exited with status " + std::to_string(exit_status) +
                 "; no trace written"};
  }
  if (!fs::exists(staging)) {
    return Error{"trace: '" + program +
                 "' wrote no trace: it made no CUDA call, or the CUDA driver did not load the "
                 "injection library (CUDA_INJECTION64_PATH=" +
                 options.inject_library.string() + ")"};
  }
  Result<TraceFile> trace = ReadTraceFile(staging);
  if (!trace) {
    RemoveQuietly(staging);
    return trace.error();
  }
  fs::rename(staging, options.out, error);
  if (error) {
    RemoveQuietly(staging);
    return Error{options.out.string() + ": cannot write: " + error.message()};
  }
  return trace;
}

}  // namespace moeplan::profiler
