//===- profiler/internal/workload_parts.cc - Pieces shared by workloads ---===//
#include "profiler/internal/workload_parts.h"

#include "profiler/core/op_cost.h"
#include "profiler/kernels/kernels.h"

namespace moeplan::profiler::internal {
namespace {

using kernels::Fill;

constexpr size_t kBf16 = 2;

void* Offset(void* base, int64_t elements) {
  return static_cast<char*>(base) + elements * static_cast<int64_t>(kBf16);
}

Status AllocateAll(std::initializer_list<std::tuple<DeviceBuffer*, size_t, Fill>> buffers,
                   uint32_t seed, cudaStream_t stream) {
  for (const auto& [buffer, bytes, fill] : buffers) {
    if (Status s = buffer->Allocate(bytes, fill, seed++, stream); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<GroupedGemm> MakeExpertGemm(Pass pass, const std::vector<int64_t>& counts, int64_t in,
                                   int64_t out, void* input, void* output, void* weight, bool loop,
                                   cudaStream_t stream) {
#if CUBLAS_VERSION < 120500
  if (!loop) return Error{"cublasGemmGroupedBatchedEx needs cuBLAS 12.5 or newer"};
#endif
  std::vector<ExpertGemm> problems;
  int64_t row = 0;
  for (size_t expert_idx = 0; expert_idx < counts.size(); ++expert_idx) {
    const int64_t rows = counts[expert_idx];
    void* x = Offset(input, row * in);
    void* y = Offset(output, row * out);
    void* w = Offset(weight, static_cast<int64_t>(expert_idx) * out * in);
    switch (pass) {
      case Pass::kBackwardData:
        problems.push_back({{rows, in, out, false, false}, y, w, x});
        break;
      case Pass::kBackwardWeight:
        problems.push_back({{out, in, rows, true, false}, y, x, w});
        break;
      default:
        problems.push_back({{rows, out, in, false, true}, x, w, y});
        break;
    }
    row += rows;
  }
  return GroupedGemm::Create(
      std::move(problems), loop ? GroupedGemm::Method::kLoop : GroupedGemm::Method::kGroupedBatched,
      stream);
}

// ---- RouterPlan ----

Result<RouterPlan> RouterPlan::Make(WorkloadContext& ctx, int64_t tokens, int64_t hidden,
                                    int64_t experts, int64_t top_k, bool sigmoid) {
  RouterPlan plan;
  plan.tokens_ = tokens;
  plan.experts_ = experts;
  plan.top_k_ = top_k;
  plan.sigmoid_ = sigmoid;
  if (experts > 512 || top_k > 16 || top_k > experts) {
    return Error{"router: needs experts <= 512 and top_k <= min(16, experts)"};
  }
  const auto t = static_cast<size_t>(tokens);
  const auto e = static_cast<size_t>(experts);
  const auto d = static_cast<size_t>(hidden);
  const auto k = static_cast<size_t>(top_k);
  if (Status s = AllocateAll({{&plan.x_, t * d * kBf16, Fill::kBf16},
                              {&plan.w_, e * d * kBf16, Fill::kBf16},
                              {&plan.logits_, t * e * 4, Fill::kInt32Zero},
                              {&plan.scores_, t * e * 4, Fill::kInt32Zero},
                              {&plan.weights_, t * k * 4, Fill::kInt32Zero},
                              {&plan.indices_, t * k * 4, Fill::kInt32Zero},
                              {&plan.grad_weights_, t * k * 4, Fill::kFp32},
                              {&plan.grad_logits_, t * e * kBf16, Fill::kInt32Zero},
                              {&plan.grad_x_, t * d * kBf16, Fill::kInt32Zero},
                              {&plan.grad_w_, e * d * kBf16, Fill::kInt32Zero}},
                             11, ctx.stream);
      !s.ok()) {
    return s.error();
  }
  // logits[T,E] = x[T,d] W[E,d]^T; dX[T,d] = dlogits[T,E] W[E,d]; dW[E,d] = dlogits^T x.
  Result<LtGemm> logits = LtGemm::Create(ctx.lt, {tokens, experts, hidden, false, true},
                                         GemmTypes::kBf16ToFp32, ctx.workspace_bytes);
  if (!logits) return logits.error();
  Result<LtGemm> dgrad = LtGemm::Create(ctx.lt, {tokens, hidden, experts, false, false},
                                        GemmTypes::kBf16, ctx.workspace_bytes);
  if (!dgrad) return dgrad.error();
  Result<LtGemm> wgrad = LtGemm::Create(ctx.lt, {experts, hidden, tokens, true, false},
                                        GemmTypes::kBf16, ctx.workspace_bytes);
  if (!wgrad) return wgrad.error();
  plan.logits_gemm_ = std::make_unique<LtGemm>(std::move(*logits));
  plan.dgrad_gemm_ = std::make_unique<LtGemm>(std::move(*dgrad));
  plan.wgrad_gemm_ = std::make_unique<LtGemm>(std::move(*wgrad));
  return plan;
}

Status RouterPlan::Forward(WorkloadContext& ctx) {
  if (Status s = logits_gemm_->Run(ctx.lt, x_.get(), w_.get(), logits_.get(), ctx.workspace,
                                   ctx.workspace_bytes, ctx.stream);
      !s.ok()) {
    return s;
  }
  return CheckCuda(kernels::RouterTopK(logits_.get<float>(), tokens_, static_cast<int>(experts_),
                                       static_cast<int>(top_k_), sigmoid_, scores_.get<float>(),
                                       weights_.get<float>(), indices_.get<int32_t>(), ctx.stream),
                   "router top-k");
}

Status RouterPlan::Backward(WorkloadContext& ctx) {
  if (Status s = CheckCuda(kernels::RouterTopKBackward(
                               scores_.get<float>(), indices_.get<int32_t>(),
                               grad_weights_.get<float>(), tokens_, static_cast<int>(experts_),
                               static_cast<int>(top_k_), sigmoid_, grad_logits_.get(), ctx.stream),
                           "router top-k backward");
      !s.ok()) {
    return s;
  }
  if (Status s = dgrad_gemm_->Run(ctx.lt, grad_logits_.get(), w_.get(), grad_x_.get(),
                                  ctx.workspace, ctx.workspace_bytes, ctx.stream);
      !s.ok()) {
    return s;
  }
  return wgrad_gemm_->Run(ctx.lt, grad_logits_.get(), x_.get(), grad_w_.get(), ctx.workspace,
                          ctx.workspace_bytes, ctx.stream);
}

// ---- PermutePlan ----

Result<PermutePlan> PermutePlan::Make(WorkloadContext& ctx, int64_t tokens, int64_t hidden,
                                      int64_t experts, int64_t top_k,
                                      const std::string& distribution) {
  PermutePlan plan;
  plan.tokens_ = tokens;
  plan.hidden_ = static_cast<int>(hidden);
  plan.top_k_ = static_cast<int>(top_k);
  plan.experts_ = static_cast<int>(experts);
  const auto t = static_cast<size_t>(tokens);
  const auto d = static_cast<size_t>(hidden);
  const auto k = static_cast<size_t>(top_k);
  const auto e = static_cast<size_t>(experts);
  if (Status s = AllocateAll({{&plan.x_, t * d * kBf16, Fill::kBf16},
                              {&plan.counts_, e * 4, Fill::kInt32Zero},
                              {&plan.cursor_, e * 4, Fill::kInt32Zero},
                              {&plan.row_of_, t * k * 4, Fill::kInt32Zero},
                              {&plan.permuted_, t * k * d * kBf16, Fill::kBf16},
                              {&plan.grad_permuted_, t * k * d * kBf16, Fill::kBf16},
                              {&plan.out_, t * d * kBf16, Fill::kBf16},
                              {&plan.weights_, t * k * 4, Fill::kFp32},
                              {&plan.grad_weights_, t * k * 4, Fill::kInt32Zero}},
                             21, ctx.stream);
      !s.ok()) {
    return s.error();
  }
  const std::vector<int32_t> expert_of =
      SyntheticRouting(ExpertTokenCounts(tokens * top_k, experts, distribution));
  if (Status s = Upload(expert_of, plan.expert_of_, ctx.stream); !s.ok()) return s.error();
  return plan;
}

Status PermutePlan::PermuteForward(WorkloadContext& ctx) {
  return CheckCuda(kernels::Permute(x_.get(), expert_of_.get<int32_t>(), tokens_, hidden_, top_k_,
                                    experts_, counts_.get<int32_t>(), cursor_.get<int32_t>(),
                                    row_of_.get<int32_t>(), permuted_.get(), ctx.stream),
                   "permute");
}

Status PermutePlan::PermuteBackward(WorkloadContext& ctx) {
  return CheckCuda(kernels::Unpermute(grad_permuted_.get(), row_of_.get<int32_t>(), nullptr,
                                      tokens_, hidden_, top_k_, x_.get(), ctx.stream),
                   "permute backward");
}

Status PermutePlan::UnpermuteForward(WorkloadContext& ctx) {
  return CheckCuda(
      kernels::Unpermute(permuted_.get(), row_of_.get<int32_t>(), weights_.get<float>(), tokens_,
                         hidden_, top_k_, out_.get(), ctx.stream),
      "unpermute");
}

Status PermutePlan::UnpermuteBackward(WorkloadContext& ctx) {
  return CheckCuda(
      kernels::UnpermuteBackward(out_.get(), permuted_.get(), row_of_.get<int32_t>(),
                                 weights_.get<float>(), tokens_, hidden_, top_k_,
                                 grad_permuted_.get(), grad_weights_.get<float>(), ctx.stream),
      "unpermute backward");
}

}  // namespace moeplan::profiler::internal
