//===- profiler/cupti_loader.h - CUPTI, loaded at run time ------*- C++ -*-===//
/// \file
/// Loads libcupti with dlopen and resolves the Activity API functions moeplan uses, so that a
/// missing or unloadable CUPTI is a clear error ("cannot load CUPTI: ...; set
/// MOEPLAN_CUPTI_LIBRARY") rather than a dynamic-loader failure before main, and so that the
/// injection library can pick the CUPTI that matches the traced process's driver. The library is
/// opened with RTLD_DEEPBIND so that another CUPTI already in the process (PyTorch ships one)
/// does not interpose its symbols.
///
/// Search order: $MOEPLAN_CUPTI_LIBRARY; libcupti.so.<CUDA major> on the loader's path; the
/// toolkit's directory found at build time. Loaded once per process; thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cupti.h>

#include <string>

#include "laws/support/result.h"

namespace moeplan::profiler {

struct CuptiApi {
  decltype(&cuptiGetVersion) GetVersion = nullptr;
  decltype(&cuptiGetResultString) GetResultString = nullptr;
  decltype(&cuptiActivityEnable) ActivityEnable = nullptr;
  decltype(&cuptiActivityDisable) ActivityDisable = nullptr;
  decltype(&cuptiActivityRegisterCallbacks) ActivityRegisterCallbacks = nullptr;
  decltype(&cuptiActivityFlushAll) ActivityFlushAll = nullptr;
  decltype(&cuptiActivityGetNextRecord) ActivityGetNextRecord = nullptr;
  decltype(&cuptiActivityGetNumDroppedRecords) ActivityGetNumDroppedRecords = nullptr;
  decltype(&cuptiActivityPushExternalCorrelationId) PushExternalCorrelationId = nullptr;
  decltype(&cuptiActivityPopExternalCorrelationId) PopExternalCorrelationId = nullptr;
  decltype(&cuptiGetTimestamp) GetTimestamp = nullptr;

  std::string path;      ///< the file that was loaded
  uint32_t version = 0;  ///< cuptiGetVersion()

  /// "CUPTI_ERROR_NOT_INITIALIZED" style text for a result code.
  std::string ErrorText(CUptiResult result) const;
  /// Error{"<what>: <CUPTI error text>"} unless result is CUPTI_SUCCESS.
  Status Check(CUptiResult result, const char* what) const;
};

/// The process-wide CUPTI (loaded on first call).
[[nodiscard]] Result<const CuptiApi*> LoadCupti();

}  // namespace moeplan::profiler
