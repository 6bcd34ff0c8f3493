//===- sim/lowering.cc - One layer as primitive operations ----------------===//
#include "sim/lowering.h"

#include <cassert>
#include <cmath>

#include "sim/internal/blocks.h"
#include "sim/internal/emitter.h"
#include "sim/internal/enum_names.h"

namespace moeplan::sim {
namespace {

using internal::Emitter;
using internal::LowerContext;

LowerContext MakeContext(const ModelProfile& profile, const Layout& layout,
                         const hw::Hardware& hardware, const SimOptions& options,
                         std::vector<int64_t>* scratch) {
  LowerContext c;
  c.profile = &profile;
  c.arch = &profile.arch;
  c.layout = &layout;
  c.hardware = &hardware;
  c.options = &options;
  c.hidden = profile.arch.hidden_size;
  c.tp = layout.tp;
  c.seq_local = profile.arch.seq_len / layout.cp;
  c.tokens = layout.mbs * c.seq_local;
  c.sp = layout.SequenceParallel();
  c.tokens_sp = c.sp ? c.tokens / layout.tp : c.tokens;
  c.precision = layout.precision;
  const int64_t domain = hardware.scale_up.domain_size;
  c.tp_group = internal::GroupAt(layout.tp, 1, domain);
  const hw::CollectiveGroup cp_group = internal::GroupAt(layout.cp, layout.tp, domain);
  c.cp_link = {2,
               cp_group.placement == hw::Placement::kScaleUp ? hw::Placement::kScaleUp
                                                             : hw::Placement::kScaleOut,
               0};
  c.ep_group = internal::GroupAt(layout.ep, layout.etp, domain);
  c.etp_group = internal::GroupAt(layout.etp, 1, domain);
  c.scratch = scratch;
  return c;
}

// Lowers one decoder layer kind; returns its imbalance factor.
double LowerLayer(const LowerContext& c, const LayerKind& kind, const ExpertLoad& load,
                  BlockCost& cost, std::vector<OpRecord>* ops, const char* name) {
  Emitter e(c, cost, ops, name);
  e.set_recomputable(true);
  const double factor = internal::EmitDecoderLayer(e, kind, load);
  e.Finish();
  return factor;
}

// Fills `cost.imbalance` with what the busiest rank adds over balanced routing.
void AddImbalance(const LowerContext& c, const LayerKind& kind, BlockCost& cost) {
  BlockCost balanced;
  LowerLayer(c, kind, ExpertLoad::Balanced(), balanced, nullptr, "");
  for (int mode = 0; mode < kNumRecomputeModes; ++mode) {
    const auto r = static_cast<Recompute>(mode);
    cost.imbalance[static_cast<size_t>(mode)] = cost.Time(r) - balanced.Time(r);
  }
}

// The first and last stages' extra blocks in whole decoder layers of (balanced, no-recompute)
// time: the pipeline split rule of sim/model_profile.h; one layer each where the framework is
// told to count them so (SimOptions::account_for_*_in_pipeline_split).
void SetReserves(const ModelProfile& profile, const Layout& layout, const SimOptions& options,
                 LoweredModel& lowered) {
  if (options.account_for_embedding_in_pipeline_split) lowered.reserve_first = 1;
  if (options.account_for_loss_in_pipeline_split) lowered.reserve_last = 1;
  // Megatron-LM's own default: layers that divide evenly over the virtual stages are split
  // evenly, the embedding and the head riding on top of their stages.
  if (profile.num_layers() % (layout.pp * layout.vpp) == 0) return;
  double layers = 0.0;
  for (int k = 0; k < profile.num_kinds; ++k) {
    layers += static_cast<double>(profile.CountKind(k, 0, profile.num_layers())) *
              lowered.layers[static_cast<size_t>(k)].Time(Recompute::kNone);
  }
  const double layer = layers / static_cast<double>(profile.num_layers());
  if (!(layer > 0.0)) return;
  if (!options.account_for_embedding_in_pipeline_split) {
    lowered.reserve_first = std::llround(lowered.embedding.Time(Recompute::kNone) / layer);
  }
  if (!options.account_for_loss_in_pipeline_split) {
    lowered.reserve_last = std::llround(
        (lowered.head.Time(Recompute::kNone) + lowered.mtp.Time(Recompute::kNone)) / layer);
  }
}

}  // namespace

const char* ToString(Dispatcher dispatcher) {
  switch (dispatcher) {
    case Dispatcher::kAllToAll:
      return "alltoall";
    case Dispatcher::kDeepEp:
      return "deepep";
    case Dispatcher::kHybridEp:
      return "hybridep";
  }
  return "alltoall";
}

std::optional<Dispatcher> DispatcherFromString(std::string_view name) {
  constexpr Dispatcher kAll[] = {Dispatcher::kAllToAll, Dispatcher::kDeepEp, Dispatcher::kHybridEp};
  return internal::EnumFromName(name, kAll);
}

const char* ToString(StatePrecision precision) {
  switch (precision) {
    case StatePrecision::kMixed:
      return "mixed";
    case StatePrecision::kBf16:
      return "bf16";
    case StatePrecision::kFp32:
      return "fp32";
  }
  return "?";
}

std::optional<StatePrecision> StatePrecisionFromString(std::string_view name) {
  constexpr StatePrecision kAll[] = {StatePrecision::kMixed, StatePrecision::kBf16,
                                     StatePrecision::kFp32};
  return internal::EnumFromName(name, kAll);
}

const char* ToString(GraphScope scope) {
  switch (scope) {
    case GraphScope::kAttn:
      return "attn";
    case GraphScope::kMlp:
      return "mlp";
    case GraphScope::kMoe:
      return "moe";
    case GraphScope::kMoeRouter:
      return "moe_router";
    case GraphScope::kMoePreprocess:
      return "moe_preprocess";
  }
  return "attn";
}

const char* ToString(OffloadModule module) {
  switch (module) {
    case OffloadModule::kAttnNorm:
      return "attn_norm";
    case OffloadModule::kQkvLinear:
      return "qkv_linear";
    case OffloadModule::kCoreAttn:
      return "core_attn";
    case OffloadModule::kAttnProj:
      return "attn_proj";
    case OffloadModule::kMlpNorm:
      return "mlp_norm";
    case OffloadModule::kExpertFc1:
      return "expert_fc1";
    case OffloadModule::kMoeAct:
      return "moe_act";
  }
  return "?";
}

const char* ToString(LossImplementation loss) {
  switch (loss) {
    case LossImplementation::kMegatron:
      return "megatron";
    case LossImplementation::kMegatronLegacy:
      return "megatron-legacy";
    case LossImplementation::kTorchFp32:
      return "torch-fp32";
    case LossImplementation::kTorchLossParallel:
      return "torch-loss-parallel";
    case LossImplementation::kTorchBf16:
      return "torch-bf16";
    case LossImplementation::kTransformerEngine:
      return "te";
  }
  return "?";
}

std::optional<LossImplementation> LossImplementationFromString(std::string_view name) {
  constexpr LossImplementation kAll[] = {
      LossImplementation::kMegatron,  LossImplementation::kMegatronLegacy,
      LossImplementation::kTorchFp32, LossImplementation::kTorchLossParallel,
      LossImplementation::kTorchBf16, LossImplementation::kTransformerEngine};
  return internal::EnumFromName(name, kAll);
}

LossImplementation EffectiveLoss(const SimOptions& options, int64_t tp) {
  if (options.loss) return *options.loss;
  switch (options.state_precision) {
    case StatePrecision::kMixed:
      return LossImplementation::kMegatron;
    case StatePrecision::kFp32:
      return options.vocab_parallel_loss && tp > 1 ? LossImplementation::kTorchLossParallel
                                                   : LossImplementation::kTorchFp32;
    case StatePrecision::kBf16:
      return LossImplementation::kTorchBf16;
  }
  return LossImplementation::kMegatron;
}

const char* ToString(OpClass op_class) {
  switch (op_class) {
    case OpClass::kAttentionProj:
      return "attention projections";
    case OpClass::kAttentionCore:
      return "attention core";
    case OpClass::kRouter:
      return "router";
    case OpClass::kPermute:
      return "token permute";
    case OpClass::kExperts:
      return "routed experts";
    case OpClass::kSharedExperts:
      return "shared experts";
    case OpClass::kDenseFfn:
      return "dense FFN";
    case OpClass::kNormsElementwise:
      return "norms & elementwise";
    case OpClass::kEmbeddingHead:
      return "embedding, LM head, loss";
    case OpClass::kRecompute:
      return "recompute";
    case OpClass::kOptimizer:
      return "optimizer";
    case OpClass::kHostBound:
      return "host-bound (kernel dispatch)";
  }
  return "?";
}

const char* ToString(CommKind kind) {
  switch (kind) {
    case CommKind::kTensorParallel:
      return "TP/SP";
    case CommKind::kContextParallel:
      return "CP ring";
    case CommKind::kExpertAllToAll:
      return "EP all-to-all";
    case CommKind::kExpertTensorParallel:
      return "expert TP";
    case CommKind::kPipelineP2p:
      return "PP send/recv";
    case CommKind::kDataParallelGrad:
      return "DP grad reduce";
    case CommKind::kDataParallelParam:
      return "DP param gather";
  }
  return "?";
}

const char* ToString(Phase phase) {
  switch (phase) {
    case Phase::kForward:
      return "fwd";
    case Phase::kBackwardInput:
      return "bwd";
    case Phase::kBackwardWeight:
      return "wgrad";
  }
  return "?";
}

LoweredModel LowerModel(const ModelProfile& profile, const Layout& layout,
                        const hw::Hardware& hardware, const SimOptions& options,
                        std::vector<OpRecord>* ops) {
  assert(layout.etp > 0 && layout.dp > 0 && "LowerModel needs a resolved layout");
  std::vector<int64_t> scratch;
  const LowerContext c = MakeContext(profile, layout, hardware, options, &scratch);
  LoweredModel lowered;
  lowered.num_kinds = profile.num_kinds;
  lowered.tokens_per_microbatch = layout.mbs * profile.arch.seq_len;
  lowered.p2p_bytes =
      internal::kActivationBytes * static_cast<double>(c.tokens_sp) * static_cast<double>(c.hidden);
  const ExpertLoad& load = options.expert_load;
  const bool balanced = load.kind == ExpertLoadKind::kBalanced ||
                        (load.kind == ExpertLoadKind::kSkew && load.skew == 0.0);
  for (int k = 0; k < profile.num_kinds; ++k) {
    const LayerKind& kind = profile.kinds[static_cast<size_t>(k)];
    const std::string name = ToString(kind);
    BlockCost& cost = lowered.layers[static_cast<size_t>(k)];
    const double factor = LowerLayer(c, kind, load, cost, ops, name.c_str());
    if (kind.is_moe) {
      lowered.imbalance_factor = factor;
      if (!balanced) AddImbalance(c, kind, cost);
    }
  }
  {
    Emitter e(c, lowered.embedding, ops, "embedding");
    internal::EmitEmbedding(e);
    // A replicated table keeps the model's own vocabulary: Megatron pads it only to split it.
    lowered.embedding_params = (options.vocab_parallel_embedding
                                    ? internal::VocabPerRank(profile.arch.vocab_size, layout.tp)
                                    : profile.arch.vocab_size) *
                               c.hidden;
    e.Params(lowered.embedding_params, 0);
    e.Finish();
  }
  {
    Emitter e(c, lowered.head, ops, "head");
    internal::EmitHead(e, !profile.arch.tied_embeddings);
    e.Finish();
  }
  if (profile.arch.mtp_layers > 0) {
    Emitter e(c, lowered.mtp, ops, "mtp");
    internal::EmitMtp(e, profile, load);
    e.Finish();
  }
  SetReserves(profile, layout, options, lowered);
  return lowered;
}

}  // namespace moeplan::sim
