//===- laws/accounting.cc - Exact MoE parameter and FLOP counts -----------===//
#include "laws/accounting.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "laws/internal/layer_terms.h"

namespace moeplan::laws {

using internal::Weights;

const char* ToString(Component component) {
  switch (component) {
    case Component::kEmbedding:
      return "embedding";
    case Component::kAttention:
      return "attention";
    case Component::kRouter:
      return "router";
    case Component::kRoutedExperts:
      return "routed experts";
    case Component::kSharedExperts:
      return "shared experts";
    case Component::kDenseFfn:
      return "dense FFN";
    case Component::kNorms:
      return "norms";
    case Component::kLmHead:
      return "LM head";
    case Component::kMtp:
      return "MTP";
  }
  return "?";
}

const char* ToString(FlopPass pass) {
  return pass == FlopPass::kForward ? "forward only" : "forward+backward (3x forward)";
}

const char* ToString(AttentionCounting counting) {
  return counting == AttentionCounting::kFull ? "attention counted full"
                                              : "attention counted causal (halved)";
}

std::string CountingOptions::Describe(int64_t resolved_seq_len) const {
  std::string embedding;
  if (include_embedding && include_lm_head) {
    embedding = "embedding and LM head included";
  } else if (include_embedding) {
    embedding = "embedding included, LM head excluded";
  } else if (include_lm_head) {
    embedding = "embedding excluded, LM head included";
  } else {
    embedding = "non-embedding (embedding and LM head excluded)";
  }
  return fmt::format("{}; MTP {}; FLOPs {}, {}, S={}", embedding,
                     include_mtp ? "included" : "excluded", ToString(pass), ToString(attention),
                     resolved_seq_len);
}

CountingOptions CountingOptions::ModelCard() {
  CountingOptions options;
  options.include_embedding = true;
  options.include_lm_head = true;
  return options;
}

double KeysPerQuery(const AttentionSpec& attention, LayerAttention kind, int64_t seq_len,
                    AttentionCounting counting) {
  int64_t span = seq_len;  // how far back a query can see (global: the whole sequence)
  if (kind == LayerAttention::kSlidingWindow) span = std::min(attention.sliding_window, seq_len);
  if (kind == LayerAttention::kChunked) span = std::min(attention.chunk_size, seq_len);
  if (counting == AttentionCounting::kFull) return static_cast<double>(span);

  const double s = static_cast<double>(seq_len);
  const double w = static_cast<double>(span);
  if (kind == LayerAttention::kChunked) {
    // Full blocks of c tokens see 1..c keys; the last partial block of r tokens sees 1..r.
    const double full_blocks = static_cast<double>(seq_len / span);
    const double r = static_cast<double>(seq_len % span);
    return (full_blocks * w * (w + 1) / 2 + r * (r + 1) / 2) / s;
  }
  // Token t (1-based) sees min(t, w) keys: 1..w for the first w tokens, then w each.
  return (w * (w + 1) / 2 + (s - w) * w) / s;
}

namespace {

constexpr size_t Index(Component c) {
  return static_cast<size_t>(c);
}

// Layer kinds: dense/MoE x global/sliding/chunked attention.
constexpr size_t kNumLayerKinds = 6;
constexpr size_t KindIndex(bool is_moe, LayerAttention attention) {
  return (is_moe ? 3 : 0) + static_cast<size_t>(attention);
}

using Breakdown = std::array<ComponentCount, kNumComponents>;

// The per-token cost of one decoder layer, split into attention, router, experts, FFN, norms.
Breakdown DecoderLayerCost(const MoeArch& arch, bool is_moe, LayerAttention attention_kind,
                           int64_t seq_len, const CountingOptions& options) {
  const int64_t d = arch.hidden_size;
  const double pass = options.pass == FlopPass::kForwardBackward ? 3.0 : 1.0;
  // 2 FLOPs per multiply-accumulate through `n` matmul weights.
  auto matmul_flops = [pass](int64_t n) { return 2.0 * static_cast<double>(n) * pass; };
  Breakdown cost{};

  const AttentionSpec& a = arch.attention;
  const Weights attention = internal::AttentionWeights(d, a);
  const double keys = KeysPerQuery(a, attention_kind, seq_len, options.attention);
  const double score_flops = 2.0 * static_cast<double>(a.num_heads) *
                             static_cast<double>(a.QkHeadDim() + a.v_head_dim) * keys * pass;
  cost[Index(Component::kAttention)] = {attention.params, attention.params,
                                        matmul_flops(attention.matmul_params) + score_flops};

  const int64_t norms = arch.norm.per_layer * internal::NormParams(arch.norm.type, d);
  cost[Index(Component::kNorms)] = {norms, norms, 0.0};

  if (!is_moe) {
    const Weights ffn = internal::FfnWeights(d, arch.dense_ffn);
    cost[Index(Component::kDenseFfn)] = {ffn.params, ffn.params, matmul_flops(ffn.matmul_params)};
    return cost;
  }
  const MoeSpec& moe = arch.moe;
  const Weights router = internal::RouterWeights(d, moe);
  cost[Index(Component::kRouter)] = {router.params, router.params,
                                     matmul_flops(router.matmul_params)};
  const Weights expert = internal::FfnWeights(d, moe.expert);
  cost[Index(Component::kRoutedExperts)] = {expert.params * moe.num_experts,
                                            expert.params * moe.top_k,
                                            matmul_flops(expert.matmul_params * moe.top_k)};
  const Weights shared = internal::SharedExpertWeights(d, moe);
  cost[Index(Component::kSharedExperts)] = {shared.params, shared.params,
                                            matmul_flops(shared.matmul_params)};
  return cost;
}

ComponentCount Sum(const Breakdown& parts) {
  ComponentCount total;
  for (const ComponentCount& part : parts) {
    total.params += part.params;
    total.active_params += part.active_params;
    total.flops_per_token += part.flops_per_token;
  }
  return total;
}

ComponentCount Scaled(const ComponentCount& c, int64_t n) {
  return {c.params * n, c.active_params * n, c.flops_per_token * static_cast<double>(n)};
}

void Add(ComponentCount& into, const ComponentCount& c) {
  into.params += c.params;
  into.active_params += c.active_params;
  into.flops_per_token += c.flops_per_token;
}

// One MTP module: enorm + hnorm + Linear(2d, d) + a decoder layer + the shared head's norm, and
// the LM-head product it computes (when the LM head is counted).
ComponentCount MtpModuleCost(const MoeArch& arch, int64_t mtp_index, int64_t seq_len,
                             const CountingOptions& options) {
  const int64_t d = arch.hidden_size;
  const double pass = options.pass == FlopPass::kForwardBackward ? 3.0 : 1.0;
  const int64_t layer = arch.num_layers + mtp_index;
  ComponentCount cost = Sum(
      DecoderLayerCost(arch, arch.IsMoeLayer(layer), LayerAttention::kGlobal, seq_len, options));
  const Weights projection = internal::Linear(2 * d, d, false);
  const int64_t norms = 3 * internal::NormParams(arch.norm.type, d);
  cost.params += projection.params + norms;
  cost.active_params += projection.params + norms;
  cost.flops_per_token += 2.0 * static_cast<double>(projection.matmul_params) * pass;
  if (options.include_lm_head) {
    cost.flops_per_token +=
        2.0 * static_cast<double>(d) * static_cast<double>(arch.vocab_size) * pass;
  }
  return cost;
}

// Number of i in [begin, end) with i % period == offset.
int64_t CountCongruent(int64_t begin, int64_t end, int64_t offset, int64_t period) {
  if (begin >= end) return 0;
  // First such i >= begin, then every period-th.
  const int64_t first = begin + ((offset - begin % period) % period + period) % period;
  return first >= end ? 0 : (end - 1 - first) / period + 1;
}

// How many decoder layers of each kind. Closed form when every layer is global (the common
// case in sweeps: no per-layer loop), a loop over the layers otherwise.
std::array<int64_t, kNumLayerKinds> CountLayerKinds(const MoeArch& arch) {
  std::array<int64_t, kNumLayerKinds> kinds{};
  if (!arch.layer_attention.empty()) {
    for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
      ++kinds[KindIndex(arch.IsMoeLayer(layer), arch.AttentionOfLayer(layer))];
    }
    return kinds;
  }
  int64_t moe_layers = 0;
  if (arch.IsMoe()) {
    moe_layers = CountCongruent(arch.moe.first_dense_layers, arch.num_layers, arch.moe.layer_offset,
                                arch.moe.layer_period);
    // Validate() guarantees dense_layers is strictly increasing: no index is subtracted twice.
    for (int64_t layer : arch.moe.dense_layers) {
      const bool moe_by_rule = layer >= arch.moe.first_dense_layers &&
                               layer % arch.moe.layer_period == arch.moe.layer_offset;
      moe_layers -= moe_by_rule ? 1 : 0;
    }
  }
  kinds[KindIndex(true, LayerAttention::kGlobal)] = moe_layers;
  kinds[KindIndex(false, LayerAttention::kGlobal)] = arch.num_layers - moe_layers;
  return kinds;
}

int64_t ResolvedSeqLen(const MoeArch& arch, const CountingOptions& options) {
  return options.seq_len > 0 ? options.seq_len : arch.seq_len;
}

}  // namespace

Triad CountTriad(const MoeArch& arch, const CountingOptions& options) {
  assert(Validate(arch, "CountTriad").ok() && "CountTriad needs a validated architecture");
  const int64_t seq_len = ResolvedSeqLen(arch, options);
  const int64_t d = arch.hidden_size;
  const double pass = options.pass == FlopPass::kForwardBackward ? 3.0 : 1.0;

  const std::array<int64_t, kNumLayerKinds> layers_of_kind = CountLayerKinds(arch);
  Triad triad;
  triad.seq_len = seq_len;
  Breakdown& parts = triad.by_component;
  for (bool is_moe : {false, true}) {
    for (LayerAttention kind :
         {LayerAttention::kGlobal, LayerAttention::kSlidingWindow, LayerAttention::kChunked}) {
      const int64_t count = layers_of_kind[KindIndex(is_moe, kind)];
      if (count == 0) continue;
      const Breakdown layer = DecoderLayerCost(arch, is_moe, kind, seq_len, options);
      for (size_t c = 0; c < kNumComponents; ++c) Add(parts[c], Scaled(layer[c], count));
    }
  }
  if (arch.norm.final_norm) {
    const int64_t final_norm = internal::NormParams(arch.norm.type, d);
    Add(parts[Index(Component::kNorms)], {final_norm, final_norm, 0.0});
  }

  // Embedding and LM head. A tied head has no parameters of its own unless the embedding is
  // left out, in which case the shared matrix is counted once, as the head.
  const int64_t table = arch.vocab_size * d;
  if (options.include_embedding) parts[Index(Component::kEmbedding)] = {table, table, 0.0};
  if (options.include_lm_head) {
    const int64_t head = (arch.tied_embeddings && options.include_embedding) ? 0 : table;
    parts[Index(Component::kLmHead)] = {head, head, 2.0 * static_cast<double>(table) * pass};
  }
  if (options.include_mtp) {
    for (int64_t m = 0; m < arch.mtp_layers; ++m) {
      Add(parts[Index(Component::kMtp)], MtpModuleCost(arch, m, seq_len, options));
    }
  }

  const ComponentCount total = Sum(parts);
  triad.total_params = total.params;
  triad.active_params = total.active_params;
  triad.flops_per_token = total.flops_per_token;
  return triad;
}

std::vector<LayerCount> CountLayers(const MoeArch& arch, const CountingOptions& options) {
  const int64_t seq_len = ResolvedSeqLen(arch, options);
  std::vector<LayerCount> layers;
  layers.reserve(static_cast<size_t>(arch.num_layers + arch.mtp_layers));
  for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
    const bool is_moe = arch.IsMoeLayer(layer);
    const LayerAttention kind = arch.AttentionOfLayer(layer);
    const ComponentCount cost = Sum(DecoderLayerCost(arch, is_moe, kind, seq_len, options));
    layers.push_back(
        {layer, is_moe, false, kind, cost.params, cost.active_params, cost.flops_per_token});
  }
  if (options.include_mtp) {
    for (int64_t m = 0; m < arch.mtp_layers; ++m) {
      const ComponentCount cost = MtpModuleCost(arch, m, seq_len, options);
      layers.push_back({arch.num_layers + m, arch.IsMoeLayer(arch.num_layers + m), true,
                        LayerAttention::kGlobal, cost.params, cost.active_params,
                        cost.flops_per_token});
    }
  }
  return layers;
}

}  // namespace moeplan::laws
