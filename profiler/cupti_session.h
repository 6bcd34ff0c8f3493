//===- profiler/cupti_session.h - In-process CUPTI tracing ------*- C++ -*-===//
/// \file
/// A CUPTI Activity API session for moeplan's own benchmarks. Ranges group kernels into op
/// repetitions: `BeginRange` pushes a fresh external correlation id (CUPTI's CUSTOM0 kind for
/// level 0, CUSTOM1 for level 1) and remembers its label, so every API call made inside, and
/// through its correlation id every kernel it launched, is attributed exactly. Ranges are also
/// pushed as NVTX ranges so that Nsight Systems shows the same structure.
///
/// Usage:
///   auto session = CuptiSession::Start();            // before the first kernel
///   session->BeginRange("gemm forward ...", 0); Launch(); session->EndRange(0);
///   cudaDeviceSynchronize(); ActivityTrace trace = session->Collect();
/// One session per process (CUPTI's callbacks are process-wide); not thread-safe: ranges belong
/// to the calling thread.
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>

#include "laws/support/result.h"
#include "profiler/core/activity.h"
#include "profiler/cupti_loader.h"

namespace moeplan::profiler {

class CuptiSession {
 public:
  /// Loads CUPTI and starts collecting. Errors: CUPTI missing, or a second live session.
  [[nodiscard]] static Result<std::unique_ptr<CuptiSession>> Start();
  ~CuptiSession();
  CuptiSession(const CuptiSession&) = delete;
  CuptiSession& operator=(const CuptiSession&) = delete;

  /// Opens a range of `level` (0: op repetition, 1: part) on this thread; returns its id.
  uint64_t BeginRange(const std::string& label, int level);
  void EndRange(int level);

  /// Everything recorded since the last Collect, with the labels of the ranges opened since.
  /// The caller synchronises the device first, so that all its kernels have completed.
  ActivityTrace Collect();

  const CuptiApi& cupti() const { return *cupti_; }

 private:
  explicit CuptiSession(const CuptiApi* cupti) : cupti_(cupti) {}

  const CuptiApi* cupti_;
  uint64_t next_id_ = 1;
  std::vector<RangeLabel> labels_;
};

}  // namespace moeplan::profiler
