//===- sim/internal/emitter.cc - Costs one block's operations -------------===//
#include "sim/internal/emitter.h"

#include <fmt/format.h>

#include <algorithm>

#include "hwmodel/gemm_cost.h"

namespace moeplan::sim::internal {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

size_t Index(auto value) {
  return static_cast<size_t>(value);
}

}  // namespace

hw::CollectiveGroup GroupAt(int64_t size, int64_t stride, int64_t domain) {
  if (size <= 1) return {1, hw::Placement::kScaleUp, 0};
  int64_t per_domain = stride >= domain ? 1 : std::min(size, std::max<int64_t>(domain / stride, 1));
  while (per_domain > 1 && size % per_domain != 0) --per_domain;
  return hw::PlaceGroup(size, per_domain);
}

Emitter::Emitter(const LowerContext& ctx, BlockCost& cost, std::vector<OpRecord>* ops,
                 const char* block)
    : ctx_(ctx), cost_(cost), ops_(ops), block_(block) {}

void Emitter::AddToPhase(Phase phase, double seconds) {
  switch (phase) {
    case Phase::kForward:
      cost_.forward += seconds;
      if (recomputable_) {
        if (in_selected_) selected_.seconds += seconds;
        cost_.recompute[Index(Recompute::kFull)] += seconds;
      }
      return;
    case Phase::kBackwardInput:
      cost_.backward_input += seconds;
      return;
    case Phase::kBackwardWeight:
      cost_.backward_weight += seconds;
      return;
  }
}

void Emitter::CountKernels(Phase phase, int64_t count) {
  if (captured_) return;  // replayed by its region's graph launch
  const double n = static_cast<double>(count);
  kernels_[Index(phase)] += n;
  if (phase == Phase::kForward && recomputable_) {
    if (in_selected_) selected_.kernels += n;
    recompute_kernels_[Index(Recompute::kFull)] += n;
  }
}

void Emitter::AddCompute(Phase phase, OpClass op_class, double seconds, double flops) {
  CountKernels(phase, 1);
  cost_.compute[Index(op_class)] += seconds;
  cost_.flops += flops;
  if (phase == Phase::kForward && recomputable_) {
    if (in_selected_) selected_.flops += flops;
    cost_.recompute_flops[Index(Recompute::kFull)] += flops;
  }
  AddToPhase(phase, seconds);
}

void Emitter::Record(const char* name, std::string shape, OpClass op_class, Phase phase,
                     double flops, double bytes, double time, double exposed, bool is_comm,
                     CommKind comm) {
  ops_->push_back({block_, name, std::move(shape), op_class, phase, is_comm, comm, flops, bytes,
                   time, exposed});
}

LinearTimes Emitter::Linear(const char* name, OpClass op_class, int64_t m, int64_t n, int64_t k,
                            hw::Precision precision) {
  const hw::Hardware& hw = hardware();
  const hw::GemmCost fwd = hw::EstimateGemm({m, n, k, precision}, hw);
  const hw::GemmCost dgrad = hw::EstimateGemm({m, k, n, precision}, hw);
  const hw::GemmCost wgrad = hw::EstimateGemm({k, n, m, precision}, hw);
  AddCompute(Phase::kForward, op_class, fwd.time, fwd.flops);
  AddCompute(Phase::kBackwardInput, op_class, dgrad.time, dgrad.flops);
  AddCompute(Phase::kBackwardWeight, op_class, wgrad.time, wgrad.flops);
  if (ops_ != nullptr) {
    const char* p = hw::ToString(precision);
    Record(name, fmt::format("[{} x {} x {}] {}", m, n, k, p), op_class, Phase::kForward, fwd.flops,
           fwd.bytes, fwd.time, fwd.time, false, {});
    Record(name, fmt::format("dgrad [{} x {} x {}] {}", m, k, n, p), op_class,
           Phase::kBackwardInput, dgrad.flops, dgrad.bytes, dgrad.time, dgrad.time, false, {});
    Record(name, fmt::format("wgrad [{} x {} x {}] {}", k, n, m, p), op_class,
           Phase::kBackwardWeight, wgrad.flops, wgrad.bytes, wgrad.time, wgrad.time, false, {});
  }
  LinearTimes times{fwd.time, dgrad.time, wgrad.time};
  if (precision == hw::Precision::kFp8) AddFp8Casts(static_cast<double>(m), n, k, times);
  return times;
}

void Emitter::AddFp8Casts(double rows, int64_t n, int64_t k, LinearTimes& times) {
  // Quantise the input (bf16 read, fp8 and its transpose written) and, in backward, dY.
  times.forward += Memory("fp8_cast", OpClass::kNormsElementwise, Phase::kForward,
                          hw::MemoryKernel::kElementwise, 4.0 * rows * static_cast<double>(k));
  times.backward_input +=
      Memory("fp8_cast", OpClass::kNormsElementwise, Phase::kBackwardInput,
             hw::MemoryKernel::kElementwise, 4.0 * rows * static_cast<double>(n));
}

LinearTimes Emitter::GroupedLinear(const char* name, OpClass op_class,
                                   std::span<const int64_t> tokens, int64_t n, int64_t k,
                                   hw::Precision precision) {
  const hw::Hardware& hw = hardware();
  const hw::GemmCost fwd = hw::EstimateGroupedGemm(tokens, n, k, precision, hw);
  const hw::GemmCost dgrad = hw::EstimateGroupedGemm(tokens, k, n, precision, hw);
  // The weight gradient of expert e is [k, n] reduced over its tokens; costed with the forward
  // shape (same FLOPs and tiles; hwmodel's grouped GEMM takes a per-expert M only).
  const hw::GemmCost wgrad = fwd;
  AddCompute(Phase::kForward, op_class, fwd.time, fwd.flops);
  AddCompute(Phase::kBackwardInput, op_class, dgrad.time, dgrad.flops);
  AddCompute(Phase::kBackwardWeight, op_class, wgrad.time, wgrad.flops);
  // Transformer Engine's GroupedLinear launches one GEMM per local expert (a loop of cuBLAS
  // calls), so the host dispatches tokens.size() kernels per pass, not one.
  const auto extra = static_cast<int64_t>(tokens.size()) - 1;
  if (extra > 0) {
    for (Phase phase : {Phase::kForward, Phase::kBackwardInput, Phase::kBackwardWeight}) {
      CountKernels(phase, extra);
    }
  }
  int64_t rows = 0;
  for (int64_t t : tokens) rows += t;
  if (ops_ != nullptr) {
    const char* p = hw::ToString(precision);
    const std::string experts = fmt::format("{} experts, {} rows:", tokens.size(), rows);
    Record(name, fmt::format("{} [rows x {} x {}] {}", experts, n, k, p), op_class, Phase::kForward,
           fwd.flops, fwd.bytes, fwd.time, fwd.time, false, {});
    Record(name, fmt::format("dgrad {} [rows x {} x {}] {}", experts, k, n, p), op_class,
           Phase::kBackwardInput, dgrad.flops, dgrad.bytes, dgrad.time, dgrad.time, false, {});
    Record(name, fmt::format("wgrad {} [{} x {} x rows] {}", experts, k, n, p), op_class,
           Phase::kBackwardWeight, wgrad.flops, wgrad.bytes, wgrad.time, wgrad.time, false, {});
  }
  LinearTimes times{fwd.time, dgrad.time, wgrad.time};
  if (precision == hw::Precision::kFp8) AddFp8Casts(static_cast<double>(rows), n, k, times);
  return times;
}

double Emitter::Attention(const char* name, const hw::AttentionShape& shape, hw::Pass pass,
                          int64_t split) {
  const hw::AttentionCost cost = hw::EstimateAttention(shape, pass, hardware());
  if (cost.time <= 0.0) return 0.0;
  const double launch = hardware().efficiency.launch_overhead;
  const double parts = static_cast<double>(split);
  const double time = launch + (cost.time - launch) / parts;
  const double flops = cost.flops / parts;
  const Phase phase = pass == hw::Pass::kForward ? Phase::kForward : Phase::kBackwardInput;
  AddCompute(phase, OpClass::kAttentionCore, time, flops);
  if (ops_ != nullptr) {
    Record(name,
           fmt::format("b={} heads={} kv_heads={} s_q={} s_kv={} d_qk={} d_v={}{}{}", shape.batch,
                       shape.num_heads, shape.num_kv_heads, shape.seq_q, shape.seq_kv,
                       shape.head_dim_qk, shape.head_dim_v, shape.causal ? " causal" : "",
                       split > 1 ? fmt::format(" /cp={}", split) : ""),
           OpClass::kAttentionCore, phase, flops, cost.bytes / parts, time, time, false, {});
  }
  return time;
}

double Emitter::Memory(const char* name, OpClass op_class, Phase phase, hw::MemoryKernel kind,
                       double bytes) {
  const double time = hw::MemoryBoundTime(kind, bytes, hardware());
  if (time <= 0.0) return 0.0;
  AddCompute(phase, op_class, time, 0.0);
  if (ops_ != nullptr) {
    Record(name, fmt::format("{} {:.2f} MiB", hw::ToString(kind), bytes / kMiB), op_class, phase,
           0.0, bytes, time, time, false, {});
  }
  return time;
}

double Emitter::Comm(const char* name, CommKind kind, Phase phase, hw::Collective collective,
                     double bytes, const hw::CollectiveGroup& group, double hide, int count,
                     int64_t chunks) {
  if (collective != hw::Collective::kSendRecv && group.size <= 1) return 0.0;
  const double one = hw::CollectiveTime(collective, bytes, group, hardware());
  if (chunks > 1) {
    const double n = static_cast<double>(chunks);
    hide = (n - 1.0) / n * std::min(one * static_cast<double>(count), hide);
  }
  if (ops_ == nullptr) return CommSeconds(name, kind, phase, one, bytes, "", hide, count);
  const std::string what = fmt::format("{} over {} ({})", hw::ToString(collective), group.size,
                                       hw::ToString(group.placement));
  return CommSeconds(name, kind, phase, one, bytes, what.c_str(), hide, count);
}

double Emitter::CommSeconds(const char* name, CommKind kind, Phase phase, double seconds,
                            double bytes, const char* what, double hide, int count) {
  const double time = seconds * static_cast<double>(count);
  if (time <= 0.0) return 0.0;
  const double exposed = std::max(0.0, time - hide);
  CountKernels(phase, count);
  cost_.comm[Index(kind)] += time;
  cost_.exposed[Index(kind)] += exposed;
  AddToPhase(phase, exposed);
  if (ops_ != nullptr) {
    Record(name,
           fmt::format("{}{:.2f} MiB {}", count > 1 ? fmt::format("{} x ", count) : "",
                       bytes / kMiB, what),
           OpClass::kAttentionProj, phase, 0.0, bytes * count, time, exposed, true, kind);
  }
  return exposed;
}

void Emitter::ApplyHostFloor() {
  const double per_kernel = hardware().efficiency.host.per_kernel;
  // Captured CUDA graphs replay a whole pass with one launch: the host no longer paces it.
  if (per_kernel <= 0.0 || ctx().options->cuda_graphs) return;
  const auto host_bound = Index(OpClass::kHostBound);
  // Forward: the pass takes max(GPU seconds, kernels x per_kernel).
  const double forward_floor = kernels_[Index(Phase::kForward)] * per_kernel;
  const double forward_extra = std::max(0.0, forward_floor - cost_.forward);
  cost_.forward += forward_extra;
  cost_.compute[host_bound] += forward_extra;
  // Backward: data and weight gradients interleave in one pass, so they share one floor.
  const double backward_kernels =
      kernels_[Index(Phase::kBackwardInput)] + kernels_[Index(Phase::kBackwardWeight)];
  const double backward_gpu = cost_.backward_input + cost_.backward_weight;
  const double backward_extra = std::max(0.0, backward_kernels * per_kernel - backward_gpu);
  cost_.backward_input += backward_extra;
  cost_.compute[host_bound] += backward_extra;
  // A recomputed forward runs inside the backward pass: the pass with it takes
  // max(GPU + recompute, (kernels + recomputed kernels) x per_kernel); what that adds over the
  // floored backward is the recompute cost of the mode (>= 0 since both terms grew).
  const double floored_backward = backward_gpu + backward_extra;
  for (size_t mode = 0; mode < kNumRecomputeModes; ++mode) {
    const double gpu = backward_gpu + cost_.recompute[mode];
    const double host = (backward_kernels + recompute_kernels_[mode]) * per_kernel;
    // Clamped: with no recompute work the two sides differ only by rounding.
    cost_.recompute[mode] = std::max(0.0, std::max(gpu, host) - floored_backward);
  }
}

void Emitter::Finish() {
  // Selective recomputation: everything tagged with one of the layout's modules is dropped and
  // its forward repeated in the backward (before the host floor, which prices those kernels).
  const double dropped = selected_.saved;
  const auto sel = Index(Recompute::kSelective);
  cost_.recompute[sel] += selected_.seconds;
  cost_.recompute_flops[sel] += selected_.flops;
  recompute_kernels_[sel] += selected_.kernels;
  ApplyHostFloor();
  const double input = saved_[Index(Saved::kLayerInput)];
  const double core = saved_[Index(Saved::kCoreAttention)];
  const double internal = saved_[Index(Saved::kInternal)];
  const double always = saved_[Index(Saved::kAlways)];
  // Offloaded bytes wait in host memory; a tensor both offloaded and recomputed leaves once.
  const double offloaded = offloaded_[Index(Saved::kLayerInput)] +
                           offloaded_[Index(Saved::kCoreAttention)] +
                           offloaded_[Index(Saved::kInternal)];
  auto& act = cost_.activation_bytes;
  act[Index(Recompute::kNone)] = input + core + internal + always - offloaded;
  act[Index(Recompute::kSelective)] =
      act[Index(Recompute::kNone)] - (dropped - offloaded_selected_);
  // Full recomputation keeps only the layer input, a checkpoint the offloading leaves alone.
  act[Index(Recompute::kFull)] = input + always;
  auto& transient = cost_.transient_bytes;
  // The layer in its backward has its offloaded tensors back (the next layer's prefetch
  // overlaps their release) and, under recomputation, what was dropped, once.
  transient[Index(Recompute::kNone)] = transient_ + offloaded;
  transient[Index(Recompute::kSelective)] = transient_ + dropped + offloaded - offloaded_selected_;
  transient[Index(Recompute::kFull)] = transient_ + core + internal;
}

}  // namespace moeplan::sim::internal
