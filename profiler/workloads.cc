//===- profiler/workloads.cc - One runnable benchmark per case ------------===//
#include "profiler/workloads.h"

#include "profiler/core/op_cost.h"
#include "profiler/gemm.h"
#include "profiler/internal/device_buffer.h"
#include "profiler/internal/workload_parts.h"
#include "profiler/kernels/kernels.h"

namespace moeplan::profiler {
namespace {

using internal::CheckCuda;
using internal::DeviceBuffer;
using kernels::Fill;

size_t Bf16Bytes(int64_t elements) {
  return static_cast<size_t>(elements) * 2;
}

// ---- dense GEMMs (cuBLASLt) ----

class GemmWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    const bool fp8 = c.precision == Precision::kFp8;
    if (fp8 && ctx.compute_major * 10 + ctx.compute_minor < 89) {
      return Error{"fp8 needs compute capability 8.9 or newer"};
    }
    if (c.precision == Precision::kFp32) return Error{"gemm: fp32 is not measured"};
    const GemmDims dims = LinearLayerGemm(c.pass, c.Dim("tokens"), c.Dim("in"), c.Dim("out"));
    GemmShape shape{dims.m, dims.n, dims.k, false, true};
    GemmTypes types = GemmTypes::kBf16;
    if (fp8) {
      // FP8 runs "TN" for every pass (Transformer Engine transposes while casting); the
      // gradient operand of the backward passes is E5M2.
      types = c.pass == Pass::kForward ? GemmTypes::kFp8E4M3 : GemmTypes::kFp8E4M3E5M2;
    } else if (c.pass == Pass::kBackwardData) {
      shape.b_transposed = false;  // dX = dY W
    } else if (c.pass == Pass::kBackwardWeight) {
      shape.a_transposed = true;  // dW = dY^T X
      shape.b_transposed = false;
    }
    auto workload = std::make_unique<GemmWorkload>();
    Result<LtGemm> gemm = LtGemm::Create(ctx.lt, shape, types, ctx.workspace_bytes,
                                         /*fast_accumulation=*/fp8 && c.pass == Pass::kForward);
    if (!gemm) return gemm.error();
    workload->gemm_ = std::make_unique<LtGemm>(std::move(*gemm));
    const Fill a_fill =
        !fp8 ? Fill::kBf16 : (c.pass == Pass::kForward ? Fill::kFp8E4M3 : Fill::kFp8E5M2);
    const Fill b_fill = fp8 ? Fill::kFp8E4M3 : Fill::kBf16;
    const size_t element = fp8 ? 1 : 2;
    const auto bytes = [&](int64_t elements) { return static_cast<size_t>(elements) * element; };
    if (Status s = workload->a_.Allocate(bytes(dims.m * dims.k), a_fill, 1, ctx.stream); !s.ok()) {
      return s.error();
    }
    if (Status s = workload->b_.Allocate(bytes(dims.k * dims.n), b_fill, 2, ctx.stream); !s.ok()) {
      return s.error();
    }
    if (Status s =
            workload->c_.Allocate(Bf16Bytes(dims.m * dims.n), Fill::kInt32Zero, 0, ctx.stream);
        !s.ok()) {
      return s.error();
    }
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    return gemm_->Run(ctx.lt, a_.get(), b_.get(), c_.get(), ctx.workspace, ctx.workspace_bytes,
                      ctx.stream);
  }

 private:
  std::unique_ptr<LtGemm> gemm_;
  DeviceBuffer a_, b_, c_;
};

// ---- grouped expert GEMMs ----

class GroupedGemmWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    if (c.precision != Precision::kBf16) return Error{"grouped_gemm: only bf16 is measured"};
    auto workload = std::make_unique<GroupedGemmWorkload>();
    const int64_t experts = c.Dim("experts");
    const std::vector<int64_t> counts =
        ExpertTokenCounts(experts * c.Dim("tokens_per_expert"), experts, c.Param("distribution"));
    const int64_t in = c.Dim("in");
    const int64_t out = c.Dim("out");
    int64_t rows = 0;
    for (int64_t count : counts) rows += count;
    for (auto [buffer, elements, seed] : {std::tuple{&workload->input_, rows * in, 1u},
                                          std::tuple{&workload->output_, rows * out, 2u},
                                          std::tuple{&workload->weight_, experts * out * in, 3u}}) {
      if (Status s = buffer->Allocate(Bf16Bytes(elements), Fill::kBf16, seed, ctx.stream);
          !s.ok()) {
        return s.error();
      }
    }
    Result<GroupedGemm> gemm = internal::MakeExpertGemm(
        c.pass, counts, in, out, workload->input_.get(), workload->output_.get(),
        workload->weight_.get(), c.implementation == "loop", ctx.stream);
    if (!gemm) return gemm.error();
    workload->gemm_ = std::make_unique<GroupedGemm>(std::move(*gemm));
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override { return gemm_->Run(ctx.cublas, ctx.stream); }

 private:
  std::unique_ptr<GroupedGemm> gemm_;
  DeviceBuffer input_, output_, weight_;
};

// ---- router, permute, unpermute ----

class RouterWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    auto workload = std::make_unique<RouterWorkload>();
    Result<internal::RouterPlan> plan =
        internal::RouterPlan::Make(ctx, c.Dim("tokens"), c.Dim("hidden"), c.Dim("experts"),
                                   c.Dim("top_k"), c.Param("score") == "sigmoid");
    if (!plan) return plan.error();
    workload->plan_ = std::make_unique<internal::RouterPlan>(std::move(*plan));
    workload->backward_ = c.pass == Pass::kBackward;
    if (workload->backward_) {
      // The backward pass needs the forward's scores and choices.
      if (Status s = workload->plan_->Forward(ctx); !s.ok()) return s.error();
    }
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    return backward_ ? plan_->Backward(ctx) : plan_->Forward(ctx);
  }

 private:
  std::unique_ptr<internal::RouterPlan> plan_;
  bool backward_ = false;
};

class PermuteWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx,
                                                bool unpermute) {
    auto workload = std::make_unique<PermuteWorkload>();
    Result<internal::PermutePlan> plan =
        internal::PermutePlan::Make(ctx, c.Dim("tokens"), c.Dim("hidden"), c.Dim("experts"),
                                    c.Dim("top_k"), c.Param("distribution"));
    if (!plan) return plan.error();
    workload->plan_ = std::make_unique<internal::PermutePlan>(std::move(*plan));
    workload->unpermute_ = unpermute;
    workload->backward_ = c.pass == Pass::kBackward;
    // Every pass but permute forward reads the row map that permute forward writes.
    if (Status s = workload->plan_->PermuteForward(ctx); !s.ok()) return s.error();
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    if (!unpermute_) return backward_ ? plan_->PermuteBackward(ctx) : plan_->PermuteForward(ctx);
    return backward_ ? plan_->UnpermuteBackward(ctx) : plan_->UnpermuteForward(ctx);
  }

 private:
  std::unique_ptr<internal::PermutePlan> plan_;
  bool unpermute_ = false;
  bool backward_ = false;
};

// ---- elementwise ----

class SwigluWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    auto workload = std::make_unique<SwigluWorkload>();
    workload->rows_ = c.Dim("tokens");
    workload->width_ = static_cast<int>(c.Dim("width"));
    workload->backward_ = c.pass == Pass::kBackward;
    const int64_t elements = workload->rows_ * workload->width_;
    for (auto [buffer, count, fill] :
         {std::tuple{&workload->h_, 2 * elements, Fill::kBf16},
          std::tuple{&workload->out_, elements, Fill::kBf16},
          std::tuple{&workload->grad_h_, workload->backward_ ? 2 * elements : 0, Fill::kBf16}}) {
      if (Status s = buffer->Allocate(Bf16Bytes(count), fill, 4, ctx.stream); !s.ok()) {
        return s.error();
      }
    }
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    if (backward_) {
      return CheckCuda(
          kernels::SwigluBackward(h_.get(), out_.get(), rows_, width_, grad_h_.get(), ctx.stream),
          "swiglu backward");
    }
    return CheckCuda(kernels::Swiglu(h_.get(), rows_, width_, out_.get(), ctx.stream), "swiglu");
  }

 private:
  int64_t rows_ = 0;
  int width_ = 0;
  bool backward_ = false;
  DeviceBuffer h_, out_, grad_h_;
};

class RmsnormWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    auto workload = std::make_unique<RmsnormWorkload>();
    workload->rows_ = c.Dim("tokens");
    workload->hidden_ = static_cast<int>(c.Dim("hidden"));
    workload->backward_ = c.pass == Pass::kBackward;
    const int64_t elements = workload->rows_ * workload->hidden_;
    for (auto [buffer, bytes, fill] :
         {std::tuple{&workload->x_, Bf16Bytes(elements), Fill::kBf16},
          std::tuple{&workload->weight_, Bf16Bytes(workload->hidden_), Fill::kBf16},
          std::tuple{&workload->y_, Bf16Bytes(elements), Fill::kBf16},
          std::tuple{&workload->rstd_, size_t(workload->rows_) * 4, Fill::kInt32Zero},
          std::tuple{&workload->grad_x_, workload->backward_ ? Bf16Bytes(elements) : 0,
                     Fill::kInt32Zero},
          std::tuple{&workload->grad_weight_, size_t(workload->hidden_) * 4, Fill::kInt32Zero}}) {
      if (Status s = buffer->Allocate(bytes, fill, 5, ctx.stream); !s.ok()) return s.error();
    }
    if (workload->backward_) {
      if (Status s = workload->Forward(ctx); !s.ok()) return s.error();  // rstd for backward
    }
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    if (!backward_) return Forward(ctx);
    if (Status s =
            CheckCuda(cudaMemsetAsync(grad_weight_.get(), 0, grad_weight_.bytes(), ctx.stream),
                      "rmsnorm backward");
        !s.ok()) {
      return s;
    }
    return CheckCuda(
        kernels::RmsNormBackward(x_.get(), weight_.get(), rstd_.get<float>(), y_.get(), rows_,
                                 hidden_, grad_x_.get(), grad_weight_.get<float>(), ctx.stream),
        "rmsnorm backward");
  }

 private:
  Status Forward(WorkloadContext& ctx) {
    return CheckCuda(kernels::RmsNorm(x_.get(), weight_.get(), rows_, hidden_, 1e-6f, y_.get(),
                                      rstd_.get<float>(), ctx.stream),
                     "rmsnorm");
  }

  int64_t rows_ = 0;
  int hidden_ = 0;
  bool backward_ = false;
  DeviceBuffer x_, weight_, y_, rstd_, grad_x_, grad_weight_;
};

class AdamWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    auto workload = std::make_unique<AdamWorkload>();
    workload->count_ = c.Dim("params");
    const size_t fp32 = static_cast<size_t>(workload->count_) * 4;
    for (auto [buffer, bytes, fill] : {std::tuple{&workload->params_, fp32, Fill::kFp32},
                                       std::tuple{&workload->grads_, fp32, Fill::kFp32},
                                       std::tuple{&workload->m_, fp32, Fill::kInt32Zero},
                                       std::tuple{&workload->v_, fp32, Fill::kInt32Zero},
                                       std::tuple{&workload->bf16_, fp32 / 2, Fill::kInt32Zero}}) {
      if (Status s = buffer->Allocate(bytes, fill, 6, ctx.stream, 0.01f); !s.ok()) {
        return s.error();
      }
    }
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    return CheckCuda(kernels::AdamStep(params_.get<float>(), grads_.get<float>(), m_.get<float>(),
                                       v_.get<float>(), bf16_.get(), count_, 1e-4f, 0.9f, 0.95f,
                                       1e-8f, 0.1f, ++step_, ctx.stream),
                     "adam");
  }

 private:
  int64_t count_ = 0;
  int step_ = 0;
  DeviceBuffer params_, grads_, m_, v_, bf16_;
};

class CopyWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    auto workload = std::make_unique<CopyWorkload>();
    const auto bytes = static_cast<size_t>(c.Dim("bytes"));
    if (Status s = workload->source_.Allocate(bytes, Fill::kBf16, 7, ctx.stream); !s.ok()) {
      return s.error();
    }
    if (Status s = workload->target_.Allocate(bytes, Fill::kInt32Zero, 0, ctx.stream); !s.ok()) {
      return s.error();
    }
    workload->bytes_ = bytes;
    return std::unique_ptr<Workload>(std::move(workload));
  }

  Status Run(WorkloadContext& ctx) override {
    return CheckCuda(
        cudaMemcpyAsync(target_.get(), source_.get(), bytes_, cudaMemcpyDeviceToDevice, ctx.stream),
        "cudaMemcpyAsync");
  }

 private:
  size_t bytes_ = 0;
  DeviceBuffer source_, target_;
};

}  // namespace

Result<std::unique_ptr<Workload>> MakeWorkload(const BenchCase& c, WorkloadContext& ctx) {
  Result<std::unique_ptr<Workload>> workload = Error{"unknown op"};
  switch (c.op) {
    case OpKind::kGemm:
      workload = GemmWorkload::Make(c, ctx);
      break;
    case OpKind::kGroupedGemm:
      workload = GroupedGemmWorkload::Make(c, ctx);
      break;
    case OpKind::kRouter:
      workload = RouterWorkload::Make(c, ctx);
      break;
    case OpKind::kPermute:
      workload = PermuteWorkload::Make(c, ctx, false);
      break;
    case OpKind::kUnpermute:
      workload = PermuteWorkload::Make(c, ctx, true);
      break;
    case OpKind::kSwiglu:
      workload = SwigluWorkload::Make(c, ctx);
      break;
    case OpKind::kRmsnorm:
      workload = RmsnormWorkload::Make(c, ctx);
      break;
    case OpKind::kAttention:
      workload = MakeAttentionWorkload(c, ctx);
      break;
    case OpKind::kAdam:
      workload = AdamWorkload::Make(c, ctx);
      break;
    case OpKind::kCopy:
      workload = CopyWorkload::Make(c, ctx);
      break;
    case OpKind::kMoeLayer:
      workload = MakeMoeLayerWorkload(c, ctx);
      break;
  }
  if (!workload) return workload;
  // Setup work (fills, uploads, forward passes) must finish, and must not have failed.
  if (Status s = CheckCuda(cudaStreamSynchronize(ctx.stream), "workload setup"); !s.ok()) {
    return s.error();
  }
  return workload;
}

}  // namespace moeplan::profiler
