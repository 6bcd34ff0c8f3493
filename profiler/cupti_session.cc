//===- profiler/cupti_session.cc - In-process CUPTI tracing ---------------===//
#include "profiler/cupti_session.h"

#include <nvtx3/nvToolsExt.h>

#include <atomic>

#include "profiler/cupti_records.h"

namespace moeplan::profiler {
namespace {

std::atomic<bool> g_session_live{false};

CUpti_ExternalCorrelationKind KindOf(int level) {
  return level == 0 ? CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0
                    : CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM1;
}

}  // namespace

Result<std::unique_ptr<CuptiSession>> CuptiSession::Start() {
  Result<const CuptiApi*> cupti = LoadCupti();
  if (!cupti) return cupti.error();
  if (g_session_live.exchange(true)) return Error{"a CUPTI session is already running"};
  CollectorOptions options;
  options.markers = false;  // our ranges are exact; NVTX records are for traced programs
  if (Status status = StartCollecting(**cupti, options); !status.ok()) {
    g_session_live = false;
    return status.error();
  }
  return std::unique_ptr<CuptiSession>(new CuptiSession(*cupti));
}

CuptiSession::~CuptiSession() {
  (void)FlushAndTake(*cupti_);
  StopCollecting(*cupti_);
  g_session_live = false;
}

uint64_t CuptiSession::BeginRange(const std::string& label, int level) {
  const uint64_t id = next_id_++;
  labels_.push_back({id, label});
  nvtxRangePushA(label.c_str());
  cupti_->PushExternalCorrelationId(KindOf(level), id);
  return id;
}

void CuptiSession::EndRange(int level) {
  uint64_t last = 0;
  cupti_->PopExternalCorrelationId(KindOf(level), &last);
  nvtxRangePop();
}

ActivityTrace CuptiSession::Collect() {
  ActivityTrace trace = FlushAndTake(*cupti_);
  trace.range_labels = std::move(labels_);
  labels_.clear();
  return trace;
}

}  // namespace moeplan::profiler
