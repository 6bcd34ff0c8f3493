//===- profiler/cupti_loader.cc - CUPTI, loaded at run time ---------------===//
#include "profiler/cupti_loader.h"

#include <cuda.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "profiler/core/trace_runner.h"

namespace moeplan::profiler {
namespace {

#ifndef MOEPLAN_CUPTI_DEFAULT_DIR
#define MOEPLAN_CUPTI_DEFAULT_DIR ""
#endif

std::vector<std::string> Candidates() {
  std::vector<std::string> candidates;
  if (const char* path = std::getenv(kCuptiLibraryEnv); path != nullptr && *path != '\0') {
    candidates.emplace_back(path);
    return candidates;  // an explicit choice is not second-guessed
  }
  const std::string soname = "libcupti.so." + std::to_string(CUDA_VERSION / 1000);
  candidates.push_back(soname);
  const std::string toolkit_dir = MOEPLAN_CUPTI_DEFAULT_DIR;
  if (!toolkit_dir.empty()) {
    candidates.push_back(toolkit_dir + "/" + soname);
    candidates.push_back(toolkit_dir + "/libcupti.so");
  }
  candidates.emplace_back("libcupti.so");
  return candidates;
}

template <typename Fn>
bool Resolve(void* handle, const char* name, Fn& fn, std::string& missing) {
  fn = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (fn == nullptr && missing.empty()) missing = name;
  return fn != nullptr;
}

Result<CuptiApi> Open() {
  std::string errors;
  for (const std::string& candidate : Candidates()) {
    void* handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (handle == nullptr) {
      const char* reason = ::dlerror();
      if (!errors.empty()) errors += "; ";
      errors += reason != nullptr ? reason : candidate;
      continue;
    }
    CuptiApi api;
    std::string missing;
    Resolve(handle, "cuptiGetVersion", api.GetVersion, missing);
    Resolve(handle, "cuptiGetResultString", api.GetResultString, missing);
    Resolve(handle, "cuptiActivityEnable", api.ActivityEnable, missing);
    Resolve(handle, "cuptiActivityDisable", api.ActivityDisable, missing);
    Resolve(handle, "cuptiActivityRegisterCallbacks", api.ActivityRegisterCallbacks, missing);
    Resolve(handle, "cuptiActivityFlushAll", api.ActivityFlushAll, missing);
    Resolve(handle, "cuptiActivityGetNextRecord", api.ActivityGetNextRecord, missing);
    Resolve(handle, "cuptiActivityGetNumDroppedRecords", api.ActivityGetNumDroppedRecords, missing);
    Resolve(handle, "cuptiActivityPushExternalCorrelationId", api.PushExternalCorrelationId,
            missing);
    Resolve(handle, "cuptiActivityPopExternalCorrelationId", api.PopExternalCorrelationId, missing);
    Resolve(handle, "cuptiGetTimestamp", api.GetTimestamp, missing);
    if (!missing.empty()) {
      return Error{"CUPTI library '" + candidate + "' lacks " + missing +
                   " (too old? moeplan needs CUPTI from CUDA 12 or newer)"};
    }
    api.path = candidate;
    if (api.GetVersion(&api.version) != CUPTI_SUCCESS) api.version = 0;
    return api;  // the handle stays open for the life of the process
  }
  return Error{"cannot load CUPTI (" + errors + "); install the CUDA toolkit's CUPTI or set " +
               kCuptiLibraryEnv + " to the path of libcupti.so"};
}

}  // namespace

std::string CuptiApi::ErrorText(CUptiResult result) const {
  const char* text = nullptr;
  if (GetResultString != nullptr && GetResultString(result, &text) == CUPTI_SUCCESS &&
      text != nullptr) {
    return text;
  }
  return "CUPTI error " + std::to_string(static_cast<int>(result));
}

Status CuptiApi::Check(CUptiResult result, const char* what) const {
  if (result == CUPTI_SUCCESS) return Status::Ok();
  std::string message = std::string(what) + ": " + ErrorText(result);
  if (result == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES) {
    message += " (GPU performance counters are restricted to admin users on this machine)";
  }
  return Error{message};
}

Result<const CuptiApi*> LoadCupti() {
  static std::once_flag once;
  static Result<CuptiApi>* loaded = nullptr;
  std::call_once(once, [] { loaded = new Result<CuptiApi>(Open()); });  // never freed: process-wide
  if (!*loaded) return loaded->error();
  return &loaded->value();
}

}  // namespace moeplan::profiler
