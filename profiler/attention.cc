//===- profiler/attention.cc - Attention: traced, not benchmarked here ----===//
//
// Fused attention (FlashAttention-2/3, cuDNN SDPA) is measured by tracing a framework's SDPA
// through the injection library (profiler/scripts/trace_torch_attention.py, which labels each
// repetition with a case label so that `moeplan trace --profile` turns it into measurements).
// A native cuDNN-graph SDPA benchmark needs cudnn-frontend's graph builder or several hundred
// lines of backend descriptors that could not be tested on a GPU yet; until then the runner
// lists attention as skipped with the reason below.
//
//===----------------------------------------------------------------------===//
#include "profiler/workloads.h"

namespace moeplan::profiler {

bool HaveFusedAttention() {
  return false;
}

Result<std::unique_ptr<Workload>> MakeAttentionWorkload(const BenchCase&, WorkloadContext&) {
  return Error{
      "attention is not benchmarked natively yet: trace PyTorch's SDPA with `moeplan trace "
      "--profile attention.json -- python3 profiler/scripts/trace_torch_attention.py`"};
}

}  // namespace moeplan::profiler
