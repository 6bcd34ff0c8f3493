//===- profiler/workloads_moe.cc - A whole MoE layer from its pieces ------===//
//
// Forward: router -> permute -> FC1 (grouped, d -> 2f) -> SwiGLU -> FC2 (grouped, f -> d) ->
// unpermute with the router's combine weights; backward runs the pieces' backward passes in
// reverse, each grouped GEMM as dgrad then wgrad. Buffers are chained (each piece reads what the
// previous wrote) except the router, which reads its own copy of the input and whose choices
// are replaced by the fixed synthetic routing (so that the grouped GEMMs have the case's exact
// per-expert row counts). Each piece runs inside a level-1 range labelled with its case label,
// so the profile shows the parts measured inside the layer next to the layer's total.
//
//===----------------------------------------------------------------------===//
#include "profiler/core/op_cost.h"
#include "profiler/internal/workload_parts.h"
#include "profiler/kernels/kernels.h"
#include "profiler/workloads.h"

namespace moeplan::profiler {
namespace {

using internal::CheckCuda;
using internal::DeviceBuffer;
using kernels::Fill;

class MoeLayerWorkload : public Workload {
 public:
  static Result<std::unique_ptr<Workload>> Make(const BenchCase& c, WorkloadContext& ctx) {
    auto layer = std::make_unique<MoeLayerWorkload>();
    Status status = layer->Setup(c, ctx);
    if (!status.ok()) return status.error();
    return std::unique_ptr<Workload>(std::move(layer));
  }

  Status Run(WorkloadContext& ctx) override { return backward_ ? Backward(ctx) : Forward(ctx); }

 private:
  Status Setup(const BenchCase& c, WorkloadContext& ctx) {
    tokens_ = c.Dim("tokens");
    hidden_ = static_cast<int>(c.Dim("hidden"));
    width_ = static_cast<int>(c.Dim("width"));
    experts_ = static_cast<int>(c.Dim("experts"));
    top_k_ = static_cast<int>(c.Dim("top_k"));
    backward_ = c.pass == Pass::kBackward;
    for (const BenchCase& part : MoeLayerParts(c)) labels_.push_back(part.Label());
    const std::vector<int64_t> counts =
        ExpertTokenCounts(tokens_ * top_k_, experts_, c.Param("distribution"));
    const auto t = static_cast<size_t>(tokens_);
    const auto r = t * static_cast<size_t>(top_k_);
    const auto d = static_cast<size_t>(hidden_);
    const auto f = static_cast<size_t>(width_);
    const auto e = static_cast<size_t>(experts_);
    constexpr size_t kBf16 = 2;
    const size_t backward = backward_ ? 1 : 0;  // gradient buffers only for the backward pass
    uint32_t seed = 31;
    for (auto [buffer, bytes, fill] :
         {std::tuple{&x_, t * d * kBf16, Fill::kBf16},
          std::tuple{&counts_, e * 4, Fill::kInt32Zero},
          std::tuple{&cursor_, e * 4, Fill::kInt32Zero},
          std::tuple{&row_of_, r * 4, Fill::kInt32Zero},
          std::tuple{&xp_, r * d * kBf16, Fill::kInt32Zero},
          std::tuple{&h_, r * 2 * f * kBf16, Fill::kInt32Zero},
          std::tuple{&a_, r * f * kBf16, Fill::kInt32Zero},
          std::tuple{&y_, r * d * kBf16, Fill::kInt32Zero},
          std::tuple{&out_, t * d * kBf16, Fill::kInt32Zero},
          std::tuple{&w1_, e * 2 * f * d * kBf16, Fill::kBf16},
          std::tuple{&w2_, e * d * f * kBf16, Fill::kBf16},
          std::tuple{&grad_out_, backward * t * d * kBf16, Fill::kBf16},
          std::tuple{&grad_y_, backward * r * d * kBf16, Fill::kInt32Zero},
          std::tuple{&grad_a_, backward * r * f * kBf16, Fill::kInt32Zero},
          std::tuple{&grad_h_, backward * r * 2 * f * kBf16, Fill::kInt32Zero},
          std::tuple{&grad_xp_, backward * r * d * kBf16, Fill::kInt32Zero},
          std::tuple{&grad_x_, backward * t * d * kBf16, Fill::kInt32Zero},
          std::tuple{&grad_w1_, backward * e * 2 * f * d * kBf16, Fill::kInt32Zero},
          std::tuple{&grad_w2_, backward * e * d * f * kBf16, Fill::kInt32Zero}}) {
      // Small weights keep activations finite through the chained pieces.
      if (Status s = buffer->Allocate(bytes, fill, seed++, ctx.stream, 0.05f); !s.ok()) return s;
    }
    if (Status s = internal::Upload(SyntheticRouting(counts), expert_of_, ctx.stream); !s.ok()) {
      return s;
    }
    Result<internal::RouterPlan> router = internal::RouterPlan::Make(
        ctx, tokens_, hidden_, experts_, top_k_, c.Param("score") == "sigmoid");
    if (!router) return router.error();
    router_ = std::make_unique<internal::RouterPlan>(std::move(*router));
    const bool loop = c.implementation == "loop";
    struct GemmSpec {
      std::unique_ptr<GroupedGemm>* slot;
      Pass pass;
      int64_t in, out;
      DeviceBuffer *input, *output, *weight;
    };
    std::vector<GemmSpec> specs = {{&fc1_, Pass::kForward, hidden_, 2 * width_, &xp_, &h_, &w1_},
                                   {&fc2_, Pass::kForward, width_, hidden_, &a_, &y_, &w2_}};
    if (backward_) {
      specs.push_back(
          {&fc2_dgrad_, Pass::kBackwardData, width_, hidden_, &grad_a_, &grad_y_, &w2_});
      specs.push_back(
          {&fc2_wgrad_, Pass::kBackwardWeight, width_, hidden_, &a_, &grad_y_, &grad_w2_});
      specs.push_back(
          {&fc1_dgrad_, Pass::kBackwardData, hidden_, 2 * width_, &grad_xp_, &grad_h_, &w1_});
      specs.push_back(
          {&fc1_wgrad_, Pass::kBackwardWeight, hidden_, 2 * width_, &xp_, &grad_h_, &grad_w1_});
    }
    for (const GemmSpec& spec : specs) {
      Result<GroupedGemm> gemm =
          internal::MakeExpertGemm(spec.pass, counts, spec.in, spec.out, spec.input->get(),
                                   spec.output->get(), spec.weight->get(), loop, ctx.stream);
      if (!gemm) return gemm.error();
      *spec.slot = std::make_unique<GroupedGemm>(std::move(*gemm));
    }
    if (backward_) return Forward(ctx);  // the state the backward pass reads
    return Status::Ok();
  }

  // Runs `body` as part `index` of the layer (a level-1 range when the runner asks for parts).
  template <typename Body>
  Status Part(WorkloadContext& ctx, size_t index, Body body) {
    if (ctx.begin_part) ctx.begin_part(labels_.at(index));
    Status status = body();
    if (ctx.end_part) ctx.end_part();
    return status;
  }

  Status Forward(WorkloadContext& ctx) {
    const int64_t t = tokens_;
    std::vector<std::function<Status()>> steps = {
        [&] { return router_->Forward(ctx); },
        [&] {
          return CheckCuda(
              kernels::Permute(x_.get(), expert_of_.get<int32_t>(), t, hidden_, top_k_, experts_,
                               counts_.get<int32_t>(), cursor_.get<int32_t>(),
                               row_of_.get<int32_t>(), xp_.get(), ctx.stream),
              "permute");
        },
        [&] { return fc1_->Run(ctx.cublas, ctx.stream); },
        [&] {
          return CheckCuda(kernels::Swiglu(h_.get(), t * top_k_, width_, a_.get(), ctx.stream),
                           "swiglu");
        },
        [&] { return fc2_->Run(ctx.cublas, ctx.stream); },
        [&] {
          return CheckCuda(kernels::Unpermute(y_.get(), row_of_.get<int32_t>(), router_->weights(),
                                              t, hidden_, top_k_, out_.get(), ctx.stream),
                           "unpermute");
        }};
    return RunSteps(ctx, steps);
  }

  Status Backward(WorkloadContext& ctx) {
    const int64_t t = tokens_;
    std::vector<std::function<Status()>> steps = {
        [&] {
          return CheckCuda(
              kernels::UnpermuteBackward(grad_out_.get(), y_.get(), row_of_.get<int32_t>(),
                                         router_->weights(), t, hidden_, top_k_, grad_y_.get(),
                                         router_->grad_weights(), ctx.stream),
              "unpermute backward");
        },
        [&] { return fc2_dgrad_->Run(ctx.cublas, ctx.stream); },
        [&] { return fc2_wgrad_->Run(ctx.cublas, ctx.stream); },
        [&] {
          return CheckCuda(kernels::SwigluBackward(h_.get(), grad_a_.get(), t * top_k_, width_,
                                                   grad_h_.get(), ctx.stream),
                           "swiglu backward");
        },
        [&] { return fc1_dgrad_->Run(ctx.cublas, ctx.stream); },
        [&] { return fc1_wgrad_->Run(ctx.cublas, ctx.stream); },
        [&] {
          return CheckCuda(kernels::Unpermute(grad_xp_.get(), row_of_.get<int32_t>(), nullptr, t,
                                              hidden_, top_k_, grad_x_.get(), ctx.stream),
                           "permute backward");
        },
        [&] { return router_->Backward(ctx); }};
    return RunSteps(ctx, steps);
  }

  Status RunSteps(WorkloadContext& ctx, const std::vector<std::function<Status()>>& steps) {
    for (size_t step_idx = 0; step_idx < steps.size(); ++step_idx) {
      if (Status s = Part(ctx, step_idx, steps[step_idx]); !s.ok()) return s;
    }
    return Status::Ok();
  }

  int64_t tokens_ = 0;
  int hidden_ = 0;
  int width_ = 0;
  int experts_ = 0;
  int top_k_ = 0;
  bool backward_ = false;
  std::vector<std::string> labels_;
  std::unique_ptr<internal::RouterPlan> router_;
  std::unique_ptr<GroupedGemm> fc1_, fc2_, fc2_dgrad_, fc2_wgrad_, fc1_dgrad_, fc1_wgrad_;
  DeviceBuffer x_, expert_of_, counts_, cursor_, row_of_, xp_, h_, a_, y_, out_, w1_, w2_,
      grad_out_, grad_y_, grad_a_, grad_h_, grad_xp_, grad_x_, grad_w1_, grad_w2_;
};

}  // namespace

Result<std::unique_ptr<Workload>> MakeMoeLayerWorkload(const BenchCase& bench_case,
                                                       WorkloadContext& ctx) {
  return MoeLayerWorkload::Make(bench_case, ctx);
}

}  // namespace moeplan::profiler
