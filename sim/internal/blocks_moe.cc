//===- sim/internal/blocks_moe.cc - MoE, embedding, LM head and MTP blocks ===//
#include <algorithm>
#include <cmath>
#include <optional>

#include "sim/internal/blocks.h"

namespace moeplan::sim::internal {
namespace {

using hw::Collective;
using hw::MemoryKernel;

double D(int64_t value) {
  return static_cast<double>(value);
}

int64_t NormParams(const laws::MoeArch& arch, int64_t width) {
  return arch.norm.type == laws::NormType::kLayerNorm ? 2 * width : width;
}

// Fills the scratch with the busiest rank's tokens per local expert; with several histogram
// lists (one per MoE layer), the average over the lists. Returns the load factor.
double BusiestRankTokens(const LowerContext& c, const ExpertLoad& load, double mean_per_expert) {
  const laws::MoeSpec& moe = c.arch->moe;
  const int64_t ep = c.layout->ep;
  const auto local = static_cast<size_t>(moe.num_experts / ep);
  std::vector<int64_t>& tokens = *c.scratch;
  tokens.assign(2 * local, 0);
  const std::span<int64_t> out(tokens.data(), local);
  const size_t lists = load.kind == ExpertLoadKind::kHistogram ? load.shares.size() : 1;
  if (lists <= 1) {
    return BusiestRank(load, moe.num_experts, moe.top_k, ep, mean_per_expert,
                       c.options->capacity_factor, 0, out);
  }
  const std::span<int64_t> one(tokens.data() + local, local);
  std::vector<double> sum(local, 0.0);
  double factor = 0.0;
  for (size_t layer = 0; layer < lists; ++layer) {
    factor += BusiestRank(load, moe.num_experts, moe.top_k, ep, mean_per_expert,
                          c.options->capacity_factor, static_cast<int64_t>(layer), one);
    for (size_t e = 0; e < local; ++e) sum[e] += static_cast<double>(one[e]);
  }
  for (size_t e = 0; e < local; ++e) out[e] = std::llround(sum[e] / static_cast<double>(lists));
  return factor / static_cast<double>(lists);
}

void RoutedExperts(Emitter& e, std::span<const int64_t> tokens, double gathered) {
  const LowerContext& c = e.ctx();
  const laws::FfnSpec& expert = c.arch->moe.expert;
  const int64_t etp = c.layout->etp;
  const int64_t width = expert.intermediate_size / etp;
  const int64_t up = expert.gated ? 2 * width : width;
  e.GroupedLinear("expert_fc1", OpClass::kExperts, tokens, up, c.hidden, c.precision);
  const double act = kActivationBytes * gathered * D(width);
  const double linear_bytes = LinearInputElementBytes(c);
  {
    // Megatron's moe_act recomputes the activation and drops its output, the fc2 input.
    const Emitter::ModuleScope moe_act(e, kModMoeAct);
    e.Memory("expert_activation", OpClass::kExperts, Phase::kForward, MemoryKernel::kElementwise,
             (expert.gated ? 3.0 : 2.0) * act);
    e.Save(Saved::kInternal, linear_bytes * gathered * D(width));  // fc2 input
  }
  e.Memory("expert_activation", OpClass::kExperts, Phase::kBackwardInput,
           MemoryKernel::kElementwise, (expert.gated ? 5.0 : 3.0) * act);
  e.GroupedLinear("expert_fc2", OpClass::kExperts, tokens, c.hidden, width, c.precision);
  {
    const Emitter::OffloadScope fc1(e, OffloadModule::kExpertFc1);
    e.Save(Saved::kInternal, linear_bytes * gathered * D(c.hidden));  // fc1 input
  }
  {
    const Emitter::OffloadScope moe_act(e, OffloadModule::kMoeAct);
    e.Save(Saved::kInternal, kActivationBytes * gathered * D(up));  // activation input
  }
  const int64_t local = c.arch->moe.num_experts / c.layout->ep;
  const int64_t biases = expert.bias ? up + c.hidden : 0;
  e.Params(0, local * (up * c.hidden + width * c.hidden + biases));
}

// Probability that a token's top-K experts (distinct, uniform among E) include one of the
// E / D experts of a given scale-up domain (hypergeometric: 1 - C(E - E/D, K) / C(E, K)).
double DomainHitProbability(int64_t experts, int64_t top_k, int64_t domains) {
  const double e = static_cast<double>(experts);
  const double outside = e - e / static_cast<double>(domains);
  double miss = 1.0;
  for (int64_t i = 0; i < top_k; ++i) {
    miss *= std::max(0.0, outside - static_cast<double>(i)) / (e - static_cast<double>(i));
  }
  return 1.0 - miss;
}

// Seconds of one dispatch (or combine) when the busiest GPU receives `received` of the `routed`
// copies a GPU sends on average, `row_bytes` each.
double DispatchSeconds(const LowerContext& c, double routed, double received, double row_bytes) {
  const hw::CollectiveGroup& ep = c.ep_group;
  const double copies = std::max(received, routed);
  const int64_t per_domain = ep.RanksPerDomain();
  const hw::Hardware& hardware = *c.hardware;
  if (c.options->dispatcher == Dispatcher::kAllToAll || per_domain >= ep.size) {
    return hw::CollectiveTime(Collective::kAllToAll, row_bytes * copies, ep, hardware);
  }
  // DeepEP and HybridEP: each token crosses the network once per remote domain holding one of
  // its experts, then its copies are forwarded inside the domain over NVLink; the phases overlap.
  const laws::MoeSpec& moe = c.arch->moe;
  const int64_t domains = ep.size / per_domain;
  const double remote =
      static_cast<double>(domains - 1) * DomainHitProbability(moe.num_experts, moe.top_k, domains);
  const double load = copies / routed;  // the busiest rank's share over the mean
  const double tokens = routed / static_cast<double>(moe.top_k);
  const double out_wire = tokens * remote * row_bytes * load;
  const double d = static_cast<double>(domains);
  const double out = hw::CollectiveTime(Collective::kAllToAll, out_wire * d / (d - 1.0),
                                        {domains, hw::Placement::kScaleOut, 0}, hardware);
  double up = 0.0;
  if (per_domain > 1) {
    up = hw::CollectiveTime(Collective::kAllToAll, row_bytes * copies,
                            {per_domain, hw::Placement::kScaleUp, 0}, hardware);
  }
  return std::max(out, up);
}

// Permute / unpermute kernels around the all-to-alls, forward and backward.
void PermuteKernel(Emitter& e, const char* name, double bytes) {
  e.Memory(name, OpClass::kPermute, Phase::kForward, MemoryKernel::kPermute, bytes);
  e.Memory(name, OpClass::kPermute, Phase::kBackwardInput, MemoryKernel::kPermute, bytes);
}

}  // namespace

int64_t VocabPerRank(int64_t vocab, int64_t tp) {
  const int64_t multiple = 128 * tp;
  return (vocab + multiple - 1) / multiple * multiple / tp;
}

double EmitMoe(Emitter& e, const ExpertLoad& load) {
  const LowerContext& c = e.ctx();
  const laws::MoeSpec& moe = c.arch->moe;
  const int64_t h = c.hidden, rows = c.tokens_sp;
  const int64_t ep = c.layout->ep, etp = c.layout->etp;
  const double row_bytes = kActivationBytes * D(h);
  const Emitter::GraphRegion moe_graph(e, GraphScope::kMoe);
  // Megatron's moe_router graph runs from the pre-FFN norm through the top-k.
  std::optional<Emitter::GraphRegion> router_graph;
  router_graph.emplace(e, GraphScope::kMoeRouter);
  {
    const Emitter::OffloadScope mlp_norm(e, OffloadModule::kMlpNorm);
    e.Save(Saved::kInternal, row_bytes * D(rows));  // norm input
  }
  {
    const Emitter::ModuleScope norm(e, kModLayerNorm);
    Norm(e, "moe_norm", OpClass::kNormsElementwise);
    // The norm's output: the BF16 router GEMM's input, the checkpoint input of Megatron's moe
    // and shared_experts modules and the source of the permutation.
    e.Save(Saved::kInternal, row_bytes * D(rows));
  }
  // Everything from the router to the combine is Megatron's moe module (checkpointed whole).
  std::optional<Emitter::ModuleScope> moe_module;
  moe_module.emplace(e, kModMoe);
  e.Linear("router", OpClass::kRouter, rows, moe.num_experts, h, hw::Precision::kBf16);
  e.Params(h * moe.num_experts + (moe.router_bias ? moe.num_experts : 0) +
               (moe.router_score_correction_bias ? moe.num_experts : 0),
           0);
  const double scores = D(rows) * D(moe.num_experts);
  e.Memory("router_topk", OpClass::kRouter, Phase::kForward, MemoryKernel::kRouter,
           8.0 * scores + 12.0 * D(rows) * D(moe.top_k));
  e.Memory("router_topk", OpClass::kRouter, Phase::kBackwardInput, MemoryKernel::kRouter,
           12.0 * scores);
  e.Save(Saved::kInternal, 4.0 * scores);  // FP32 routing probabilities
  router_graph.reset();

  const double routed = D(rows) * D(moe.top_k);  // token copies this GPU sends
  const double mean_per_expert = routed * D(ep) * D(etp) / D(moe.num_experts);
  const double factor = BusiestRankTokens(c, load, mean_per_expert);
  const double received = routed * factor;    // rows after the dispatch all-to-all
  const double gathered = received * D(etp);  // rows after the expert-TP all-gather
  {
    // The dispatcher's preprocess: routing metadata and the local permutation, whose shapes
    // are fixed (rows x K copies), so Megatron can capture them; the all-to-all is not.
    const Emitter::GraphRegion preprocess_graph(e, GraphScope::kMoePreprocess);
    PermuteKernel(e, "permute", row_bytes * (D(rows) + routed));
  }

  const double shared_start_f = e.Elapsed(Phase::kForward);
  const double shared_start_b =
      e.Elapsed(Phase::kBackwardInput) + e.Elapsed(Phase::kBackwardWeight);
  if (moe.num_shared_experts > 0) {
    EmitFfn(e, moe.shared_expert, moe.num_shared_experts, OpClass::kSharedExperts, "shared_fc1",
            "shared_fc2", kModSharedExperts, /*input_shared=*/true);
    if (moe.shared_expert_gate) e.Params(h, 0);
  }
  const double shared_f = e.Elapsed(Phase::kForward) - shared_start_f;
  const double shared_b =
      e.Elapsed(Phase::kBackwardInput) + e.Elapsed(Phase::kBackwardWeight) - shared_start_b;

  const std::span<const int64_t> tokens(c.scratch->data(),
                                        static_cast<size_t>(moe.num_experts / ep));
  PermuteKernel(e, "sort_by_expert", 2.0 * row_bytes * gathered);
  RoutedExperts(e, tokens, gathered);
  PermuteKernel(e, "unsort_by_expert", 2.0 * row_bytes * gathered);
  PermuteKernel(e, "unpermute", row_bytes * (routed + D(rows)));

  // Dispatch and combine: the busiest rank receives `received` rows (and sends `routed`).
  double hide_f = c.options->shared_expert_overlap ? shared_f : 0.0;
  double hide_b = c.options->shared_expert_overlap ? shared_b : 0.0;
  if (c.options->moe_a2a_overlap) {
    hide_f = e.Elapsed(Phase::kForward);
    hide_b = e.Elapsed(Phase::kBackwardInput) + e.Elapsed(Phase::kBackwardWeight);
  }
  if (ep > 1) {
    const double a2a_bytes = row_bytes * std::max(received, routed);
    const double seconds = DispatchSeconds(c, routed, received, row_bytes);
    // An overlapped all-to-all is not free: each second of it hidden behind compute still
    // costs ep_overlap_cost seconds (contention for SMs and HBM; unpaired micro-batches), so
    // the exposed time is a2a - (1 - cost) x min(a2a, compute beside it).
    const double a2a = 2.0 * seconds;  // dispatch + combine
    const double keep = 1.0 - c.hardware->efficiency.collective.ep_overlap_cost;
    hide_f = keep * std::min(a2a, hide_f);
    hide_b = keep * std::min(a2a, hide_b);
    const char* what =
        c.options->dispatcher == Dispatcher::kAllToAll
            ? "all_to_all"
            : (c.options->dispatcher == Dispatcher::kDeepEp ? "deepep dispatch/combine"
                                                            : "hybridep dispatch/combine");
    e.CommSeconds("dispatch+combine_a2a", CommKind::kExpertAllToAll, Phase::kForward, seconds,
                  a2a_bytes, what, hide_f, 2);
    e.CommSeconds("dispatch+combine_a2a", CommKind::kExpertAllToAll, Phase::kBackwardInput, seconds,
                  a2a_bytes, what, hide_b, 2);
  }
  if (etp > 1) {
    const double bytes = row_bytes * gathered;
    e.Comm("etp_all_gather", CommKind::kExpertTensorParallel, Phase::kForward,
           Collective::kAllGather, bytes, c.etp_group);
    e.Comm("etp_reduce_scatter", CommKind::kExpertTensorParallel, Phase::kForward,
           Collective::kReduceScatter, bytes, c.etp_group);
    e.Comm("etp_all_gather", CommKind::kExpertTensorParallel, Phase::kBackwardInput,
           Collective::kAllGather, bytes, c.etp_group);
    e.Comm("etp_reduce_scatter", CommKind::kExpertTensorParallel, Phase::kBackwardInput,
           Collective::kReduceScatter, bytes, c.etp_group);
  }
  e.Transient(row_bytes * (routed + received + gathered));
  moe_module.reset();
  ResidualAdd(e);
  return factor;
}

namespace {

// Bytes per logit the cross entropy keeps from its forward to its backward, and the most it
// holds on top of those while either pass runs. Read from each implementation's code.
struct LossBytes {
  double saved;
  double peak_extra;
};
LossBytes LossBytesPerLogit(LossImplementation loss) {
  switch (loss) {
    case LossImplementation::kMegatron:
      // VocabParallelCrossEntropy: the BF16 logits (2, referenced by GPTModel.forward until it
      // returns) and their FP32 copy (4), which becomes exp() and then the softmax in place and
      // is saved. The backward writes the gradient over the saved softmax and casts it to a
      // BF16 gradient (2). Saved 4, peak 6 in both passes.
      return {4.0, 2.0};
    case LossImplementation::kMegatronLegacy:
      // Before the in-place subtraction: BF16 logits (2) + the caller's FP32 copy (4) + the
      // shifted logits (4, exp() and the softmax in place, saved) = 10 in the forward; the
      // backward as above (6).
      return {4.0, 6.0};
    case LossImplementation::kTorchFp32:
      // cross_entropy(pred.float()): forward BF16 pred (2) + FP32 copy (4) + the fused
      // log-softmax output (4, saved; the copy is not) = 10. Backward, pred deleted: the saved
      // output (4) + nll_loss_backward's scattered gradient (4) + log_softmax_backward's
      // output (4) = 12.
      return {4.0, 8.0};
    case LossImplementation::kTorchLossParallel:
      // loss_parallel's _log_softmax: pred (2) + FP32 copy (4) + shifted (4) + exp(shifted)
      // (4) = 14 in the forward; the result (4) is saved. _nll_loss_and_log_softmax_backward:
      // the saved result (4) + zeros_like (4) + exp(x) (4) + their sum (4) = 16.
      return {4.0, 12.0};
    case LossImplementation::kTorchBf16:
      // cross_entropy on BF16 logits still referenced by the caller: the logits (2) and the
      // log-softmax output (2) live through the backward, which adds the NLL gradient (2) and
      // the log-softmax gradient (2): 8.
      return {4.0, 4.0};
    case LossImplementation::kTransformerEngine:
      // transformer_engine/pytorch/cross_entropy.py: the forward writes the gradient into the
      // BF16 logits in place and saves them (2); the backward scales them in place.
      return {2.0, 0.0};
  }
  return {4.0, 2.0};
}

}  // namespace

void EmitEmbedding(Emitter& e) {
  const LowerContext& c = e.ctx();
  const double bytes = kActivationBytes * D(c.tokens) * D(c.hidden);
  e.Memory("embedding_lookup", OpClass::kEmbeddingHead, Phase::kForward, MemoryKernel::kPermute,
           2.0 * bytes);
  if (c.tp > 1) {
    // Partial sums of a vocabulary-split table are reduced; a replicated table's output is
    // already whole, and under SP each rank just keeps its sequence slice.
    const bool split = c.options->vocab_parallel_embedding;
    if (c.sp) {
      if (split) {
        e.Comm("embedding_reduce_scatter", CommKind::kTensorParallel, Phase::kForward,
               Collective::kReduceScatter, bytes, c.tp_group);
      }
      e.Comm("embedding_all_gather", CommKind::kTensorParallel, Phase::kBackwardInput,
             Collective::kAllGather, bytes, c.tp_group);
    } else if (split) {
      e.Comm("embedding_all_reduce", CommKind::kTensorParallel, Phase::kForward,
             Collective::kAllReduce, bytes, c.tp_group);
    }
  }
  // Scatter-add of dY into the FP32 gradient rows (read-modify-write).
  e.Memory("embedding_grad", OpClass::kEmbeddingHead, Phase::kBackwardWeight,
           MemoryKernel::kPermute, 5.0 * bytes);
}

void EmitHead(Emitter& e, bool head_params) {
  const LowerContext& c = e.ctx();
  const double rows_sp = D(c.tokens_sp) * D(c.hidden);
  e.Save(Saved::kAlways, kActivationBytes * rows_sp);
  Norm(e, "final_norm", OpClass::kNormsElementwise);
  e.Params(NormParams(*c.arch, c.hidden), 0);
  const int64_t vocab = VocabPerRank(c.arch->vocab_size, c.tp);
  const LinearTimes head =
      e.Linear("lm_head", OpClass::kEmbeddingHead, c.tokens, vocab, c.hidden, hw::Precision::kBf16);
  ColumnInputComm(e, "lm_head_input", head, kActivationBytes * D(c.tokens) * D(c.hidden));
  e.Save(Saved::kAlways, kActivationBytes * D(c.sp ? c.tokens_sp : c.tokens) * D(c.hidden));
  // Without a vocab-parallel loss every TP rank gathers the full logits (BF16) for the loss
  // (their gradient is the rank's own slice again, no communication): an all-gather, and all
  // logits' memory on every rank.
  const bool gather_logits = !c.options->vocab_parallel_loss && c.tp > 1;
  if (gather_logits) {
    e.Comm("lm_head_logits_all_gather", CommKind::kTensorParallel, Phase::kForward,
           Collective::kAllGather, kActivationBytes * D(c.tokens) * D(vocab * c.tp), c.tp_group);
  }
  const double logits = D(c.tokens) * D(gather_logits ? vocab * c.tp : vocab);
  const LossBytes loss = LossBytesPerLogit(EffectiveLoss(*c.options, c.tp));
  e.Save(Saved::kAlways, loss.saved * logits);
  e.Memory("cross_entropy", OpClass::kEmbeddingHead, Phase::kForward, MemoryKernel::kElementwise,
           10.0 * logits);
  e.Memory("cross_entropy", OpClass::kEmbeddingHead, Phase::kBackwardInput,
           MemoryKernel::kElementwise, 6.0 * logits);
  if (!gather_logits) {  // the vocab-parallel loss's max, sum and target-logit reductions
    e.Comm("cross_entropy_all_reduce", CommKind::kTensorParallel, Phase::kForward,
           Collective::kAllReduce, 4.0 * D(c.tokens), c.tp_group, 0.0, 3);
  }
  e.Transient(loss.peak_extra * logits);
  if (head_params) e.Params(vocab * c.hidden, 0);
}

void EmitMtp(Emitter& e, const ModelProfile& profile, const ExpertLoad& load) {
  const LowerContext& c = e.ctx();
  const int64_t h = c.hidden;
  for (int kind : profile.mtp_kind) {
    Norm(e, "mtp_enorm", OpClass::kNormsElementwise);
    Norm(e, "mtp_hnorm", OpClass::kNormsElementwise);
    e.Save(Saved::kAlways, 2.0 * kActivationBytes * D(c.tokens_sp) * D(h));
    e.Params(2 * NormParams(*c.arch, h), 0);
    EmitEmbedding(e);
    const LinearTimes eh =
        e.Linear("mtp_eh_proj", OpClass::kEmbeddingHead, c.tokens, h, 2 * h / c.tp, c.precision);
    RowOutputComm(e, "mtp_eh_proj_output", eh, kActivationBytes * D(c.tokens) * D(h));
    e.Save(Saved::kAlways, kActivationBytes * D(c.tokens) * D(2 * h / c.tp));
    e.Params(2 * h * h / c.tp, 0);
    e.set_recomputable(true);
    EmitDecoderLayer(e, profile.kinds[static_cast<size_t>(kind)], load);
    e.set_recomputable(false);
    EmitHead(e, false);
  }
}

}  // namespace moeplan::sim::internal
