//===- profiler/internal/workload_parts.h - Pieces shared by workloads -*- C++ -*-===//
/// \file
/// Private to profiler/. The router and the per-expert GEMMs as reusable plans, used both by
/// the stand-alone workloads and by the whole MoE layer (workloads_moe.cc), so that a part
/// inside the layer runs exactly the code its stand-alone measurement runs.
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "profiler/core/bench_case.h"
#include "profiler/gemm.h"
#include "profiler/internal/device_buffer.h"
#include "profiler/workloads.h"

namespace moeplan::profiler::internal {

/// Per-expert GEMMs of a linear layer's `pass` over expert-contiguous rows (counts[e] rows of
/// expert e): forward output = input W_e^T; backward_data input = output W_e (dX from dY);
/// backward_weight W_e = output^T input (dW from dY and X). input [rows, in], output
/// [rows, out], weight [experts, out, in], all bf16.
[[nodiscard]] Result<GroupedGemm> MakeExpertGemm(Pass pass, const std::vector<int64_t>& counts,
                                                 int64_t in, int64_t out, void* input, void* output,
                                                 void* weight, bool loop, cudaStream_t stream);

/// Router GEMM (bf16 x bf16 -> fp32 logits) + scores + top-k, and its backward (top-k backward,
/// then the GEMMs for dX and dW of the router weight).
class RouterPlan {
 public:
  [[nodiscard]] static Result<RouterPlan> Make(WorkloadContext& ctx, int64_t tokens, int64_t hidden,
                                               int64_t experts, int64_t top_k, bool sigmoid);
  [[nodiscard]] Status Forward(WorkloadContext& ctx);
  [[nodiscard]] Status Backward(WorkloadContext& ctx);

  const float* weights() const { return weights_.get<float>(); }
  float* grad_weights() { return grad_weights_.get<float>(); }

 private:
  int64_t tokens_ = 0;
  int64_t experts_ = 0;
  int64_t top_k_ = 0;
  bool sigmoid_ = false;
  std::unique_ptr<LtGemm> logits_gemm_, dgrad_gemm_, wgrad_gemm_;
  DeviceBuffer x_, w_, logits_, scores_, weights_, indices_, grad_weights_, grad_logits_, grad_x_,
      grad_w_;
};

/// Token permutation and combination with a fixed synthetic routing of `distribution`.
class PermutePlan {
 public:
  [[nodiscard]] static Result<PermutePlan> Make(WorkloadContext& ctx, int64_t tokens,
                                                int64_t hidden, int64_t experts, int64_t top_k,
                                                const std::string& distribution);
  [[nodiscard]] Status PermuteForward(WorkloadContext& ctx);
  [[nodiscard]] Status PermuteBackward(WorkloadContext& ctx);
  [[nodiscard]] Status UnpermuteForward(WorkloadContext& ctx);
  [[nodiscard]] Status UnpermuteBackward(WorkloadContext& ctx);

 private:
  int64_t tokens_ = 0;
  int hidden_ = 0;
  int top_k_ = 0;
  int experts_ = 0;
  DeviceBuffer x_, expert_of_, counts_, cursor_, row_of_, permuted_, grad_permuted_, out_, weights_,
      grad_weights_;
};

}  // namespace moeplan::profiler::internal
