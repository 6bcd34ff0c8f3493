//===- sim/internal/emitter.h - Costs one block's operations ----*- C++ -*-===//
/// \file
/// Private to sim/. The lowering (sim/lowering.cc, sim/internal/lower_*.cc) describes each block
/// as a sequence of calls on an `Emitter`, which prices every operation with hwmodel, adds it to
/// the block's `BlockCost` by phase, op class and communication kind, tracks what the backward
/// keeps (for the activation memory of each recompute mode) and, when asked, records the op for
/// reports. `LowerContext` holds the shapes and process groups shared by the blocks.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hwmodel/attention_cost.h"
#include "hwmodel/collective_cost.h"
#include "hwmodel/memory_cost.h"
#include "sim/lowering.h"

namespace moeplan::sim::internal {

/// Shapes and groups of one lowering (one micro-batch on one GPU).
struct LowerContext {
  const ModelProfile* profile = nullptr;
  const laws::MoeArch* arch = nullptr;
  const Layout* layout = nullptr;
  const hw::Hardware* hardware = nullptr;
  const SimOptions* options = nullptr;
  int64_t hidden = 0;     ///< d
  int64_t tp = 1;         ///< tensor-parallel size
  int64_t seq_local = 0;  ///< seq / cp
  int64_t tokens = 0;     ///< T = mbs x seq / cp (the full-width rows of TP GEMMs)
  int64_t tokens_sp = 0;  ///< T / tp under SP, else T (rows of norms and the router)
  bool sp = false;        ///< sequence parallelism in effect
  hw::Precision precision = hw::Precision::kBf16;  ///< GEMM precision
  hw::CollectiveGroup tp_group;
  hw::CollectiveGroup cp_link;  ///< placement of one ring-attention send/recv
  hw::CollectiveGroup ep_group;
  hw::CollectiveGroup etp_group;
  std::vector<int64_t>* scratch = nullptr;  ///< per-expert token counts
};

/// The group of `size` GPUs whose members are `stride` ranks apart (Megatron rank order), on
/// scale-up domains of `domain` GPUs.
hw::CollectiveGroup GroupAt(int64_t size, int64_t stride, int64_t domain);

/// What the backward keeps, by how recomputation treats it.
enum class Saved : uint8_t {
  kLayerInput,     ///< the decoder layer's input: kept under every mode
  kCoreAttention,  ///< inside core attention: dropped by selective and full recompute
  kInternal,       ///< other tensors of a decoder layer: dropped by full recompute
  kAlways,         ///< outside decoder layers (LM head, loss): always kept
};

struct LinearTimes {
  double forward = 0.0;
  double backward_input = 0.0;
  double backward_weight = 0.0;
  double Total() const { return forward + backward_input + backward_weight; }
};

class Emitter {
 public:
  Emitter(const LowerContext& ctx, BlockCost& cost, std::vector<OpRecord>* ops, const char* block);

  /// While on, forward work counts towards full recomputation (decoder layers).
  void set_recomputable(bool on) { recomputable_ = on; }

  /// A linear layer with `m` rows: forward [m, n, k], data gradient [m, k, n], weight gradient
  /// [k, n, m]; FP8 adds the input casts. Returns the three times.
  LinearTimes Linear(const char* name, OpClass op_class, int64_t m, int64_t n, int64_t k,
                     hw::Precision precision);
  /// A grouped (per-expert) linear over `tokens` rows per expert, same three passes.
  LinearTimes GroupedLinear(const char* name, OpClass op_class, std::span<const int64_t> tokens,
                            int64_t n, int64_t k, hw::Precision precision);
  /// One fused-attention pass on 1/`split` of the shape's query-key pairs (context parallel).
  double Attention(const char* name, const hw::AttentionShape& shape, hw::Pass pass, int64_t split);
  /// One memory-bound kernel moving `bytes`.
  double Memory(const char* name, OpClass op_class, Phase phase, hw::MemoryKernel kind,
                double bytes);
  /// `count` collectives of `bytes` each; up to `hide` seconds of it overlap compute. With
  /// `chunks` > 1 the collective is pipelined with a `hide`-second GEMM in that many chunks
  /// (Transformer Engine userbuffers; Wang et al., "Overlap Communication with Dependent
  /// Computation via Decomposition in Large Deep Learning Models", ASPLOS 2023: chunk i computes
  /// while chunk i + 1 moves): the pair takes max(comm, gemm) + min(comm, gemm) / chunks, so
  /// only (chunks - 1) / chunks x min(comm, gemm) of the collective is hidden.
  double Comm(const char* name, CommKind kind, Phase phase, hw::Collective collective, double bytes,
              const hw::CollectiveGroup& group, double hide = 0.0, int count = 1,
              int64_t chunks = 1);
  /// `count` transfers of `seconds` each (costed by the caller), `bytes` each, described by
  /// `what` in the op table; up to `hide` seconds of them overlap compute.
  double CommSeconds(const char* name, CommKind kind, Phase phase, double seconds, double bytes,
                     const char* what, double hide = 0.0, int count = 1);
  /// Tags what is saved and run in the forward while it lives as part of `modules` (added to
  /// the enclosing scope's): selective recomputation of any of them drops those saved bytes and
  /// repeats that forward work (Megatron-Core's --recompute-modules).
  class ModuleScope {
   public:
    ModuleScope(Emitter& e, RecomputeModules modules) : e_(e), saved_(e.module_) {
      e.SetModule(static_cast<RecomputeModules>(e.module_ | modules));
    }
    ~ModuleScope() { e_.SetModule(saved_); }
    ModuleScope(const ModuleScope&) = delete;
    ModuleScope& operator=(const ModuleScope&) = delete;

   private:
    Emitter& e_;
    RecomputeModules saved_;
  };
  /// Marks the operations emitted while it lives as part of graph scope `scope`: when the
  /// options capture that scope (SimOptions::cuda_graph_scope) and no enclosing region is
  /// captured already, the region costs one launch per pass (forward, backward, and the
  /// recomputed forward) and its own kernels none.
  class GraphRegion {
   public:
    GraphRegion(Emitter& e, GraphScope scope) : e_(e), saved_(e.captured_) {
      if (e.captured_ || (e.ctx_.options->cuda_graph_scope & GraphScopeBit(scope)) == 0) return;
      e.CountKernels(Phase::kForward, 1);
      e.CountKernels(Phase::kBackwardInput, 1);
      e.captured_ = true;
    }
    ~GraphRegion() { e_.captured_ = saved_; }
    GraphRegion(const GraphRegion&) = delete;
    GraphRegion& operator=(const GraphRegion&) = delete;

   private:
    Emitter& e_;
    bool saved_;
  };
  /// Tags what is saved while it lives as part of `module` (Megatron's --offload-modules): when
  /// the options offload it, a decoder layer's saved bytes there go to host memory.
  class OffloadScope {
   public:
    OffloadScope(Emitter& e, OffloadModule module) : e_(e), saved_(e.offloading_) {
      e.offloading_ = (e.ctx_.options->offload_modules & OffloadBit(module)) != 0;
    }
    ~OffloadScope() { e_.offloading_ = saved_; }
    OffloadScope(const OffloadScope&) = delete;
    OffloadScope& operator=(const OffloadScope&) = delete;

   private:
    Emitter& e_;
    bool saved_;
  };
  void Save(Saved kind, double bytes) {
    saved_[static_cast<size_t>(kind)] += bytes;
    if (recomputable_ && in_selected_) selected_.saved += bytes;
    if (recomputable_ && offloading_) {
      offloaded_[static_cast<size_t>(kind)] += bytes;
      if (in_selected_) offloaded_selected_ += bytes;
    }
  }
  void Transient(double bytes) { transient_ = bytes > transient_ ? bytes : transient_; }
  void Params(int64_t dense, int64_t expert) {
    cost_.dense_params += dense;
    cost_.expert_params += expert;
  }
  /// The block's seconds so far in `phase` (compute and exposed communication).
  double Elapsed(Phase phase) const {
    return phase == Phase::kForward         ? cost_.forward
           : phase == Phase::kBackwardInput ? cost_.backward_input
                                            : cost_.backward_weight;
  }
  /// Fills the activation and transient bytes of every recompute mode and applies the host
  /// dispatch floor: each pass of the block takes at least its kernels x
  /// hw::HostParams::per_kernel (the excess is reported as OpClass::kHostBound).
  void Finish();

  const LowerContext& ctx() const { return ctx_; }
  const hw::Hardware& hardware() const { return *ctx_.hardware; }

 private:
  void AddCompute(Phase phase, OpClass op_class, double seconds, double flops);
  /// FP8 casts around a linear of `rows` x [n, k]: the input in forward, dY in backward.
  void AddFp8Casts(double rows, int64_t n, int64_t k, LinearTimes& times);
  /// Counts `count` kernel launches in `phase` (and in the recomputed forward when it applies).
  void CountKernels(Phase phase, int64_t count);
  void ApplyHostFloor();
  void AddToPhase(Phase phase, double seconds);
  void Record(const char* name, std::string shape, OpClass op_class, Phase phase, double flops,
              double bytes, double time, double exposed, bool is_comm, CommKind comm);

  const LowerContext& ctx_;
  BlockCost& cost_;
  std::vector<OpRecord>* ops_;
  const char* block_;
  bool recomputable_ = false;
  std::array<double, 4> saved_{};
  std::array<double, 3> kernels_{};  ///< launches by Phase
  std::array<double, kNumRecomputeModes> recompute_kernels_{};
  double transient_ = 0.0;
  void SetModule(RecomputeModules modules) {
    module_ = modules;
    in_selected_ = (modules & ctx_.layout->recompute_modules) != 0;
  }
  /// What was saved and run forward inside any of the layout's selective-recompute modules
  /// (sim/layout.h): selective recomputation drops those bytes and repeats that work.
  struct ModuleTally {
    double saved = 0.0;    ///< bytes
    double seconds = 0.0;  ///< forward seconds
    double flops = 0.0;    ///< forward FLOPs
    double kernels = 0.0;  ///< forward launches
  };
  ModuleTally selected_;
  RecomputeModules module_ = 0;        ///< modules the current operation belongs to
  bool in_selected_ = false;           ///< module_ meets the layout's modules
  bool offloading_ = false;            ///< inside a module the options offload
  bool captured_ = false;              ///< inside a GraphRegion the options capture
  std::array<double, 4> offloaded_{};  ///< saved bytes sent to the host, by Saved kind
  double offloaded_selected_ = 0.0;    ///< of those, bytes selective recomputation also drops
};

}  // namespace moeplan::sim::internal
