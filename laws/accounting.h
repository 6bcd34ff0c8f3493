//===- laws/accounting.h - Exact MoE parameter and FLOP counts ---*- C++ -*-===//
/// \file
/// Counts the constraint triad of Wan et al. (arXiv:2603.21862) for a `MoeArch`, layer by layer
/// and exactly: total parameters `N`, active parameters per token `N_a`, and training FLOPs per
/// token `M`, each with a breakdown by component.
///
/// What is counted:
///  - Parameters are every learned tensor: projection matrices, biases, norm weights (and norm
///    biases for LayerNorm), attention sinks, router biases. Counts are exact integers.
///  - FLOPs are those of matrix products, 2 per multiply-accumulate: every weight matrix a token
///    passes through, plus the attention score (Q K^T) and value (P V) products, whose cost grows
///    with the number of keys each query sees. Element-wise work (norms, activations, softmax,
///    biases) is not counted, as in Kaplan et al. 2020, Hoffmann et al. 2022 and DeepSeek LLM 2024.
///    Backward costs twice the forward, so forward+backward = 3 x forward.
///  - Keys per query, by layer kind, for sequence length S, window w, chunk c:
///      full counting:   global S;          sliding min(w, S);                chunked min(c, S)
///      causal counting: global (S + 1)/2;  sliding sum_t min(t, w) / S;      chunked likewise
///    Full counting reproduces DeepSeek LLM's M = 72 L d^2 + 12 L d S (arXiv:2401.02954, Table 3);
///    causal counting is the "halved" convention (exact count of unmasked query-key pairs).
///
/// Conventions are options and `CountingOptions::Describe()` names them for every printed number.
/// The defaults are the scaling-law convention of moeplan (DESIGN.md): non-embedding (no input
/// embedding, no LM head), MTP excluded, forward+backward, full attention counting.
///
/// `CountTriad` is a pure, allocation-free function, cheap enough for sweeps over millions of
/// candidates; `CountLayers` gives the per-layer table for reports. Both are thread-safe.
/// Example: Mixtral-8x7B with embedding and head included gives N = 46,702,792,704 and
/// N_a = 12,879,925,248 (see tests/laws/accounting_test.cc for the hand derivation).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "laws/arch.h"

namespace moeplan::laws {

enum class Component : uint8_t {
  kEmbedding,      ///< input token embedding table
  kAttention,      ///< projections, biases, QK-norm, MLA latent norms, sinks, score/value products
  kRouter,         ///< router projection and its biases
  kRoutedExperts,  ///< all routed experts (N) / the K selected ones (N_a)
  kSharedExperts,  ///< shared experts and their gate
  kDenseFfn,       ///< FFN of dense layers
  kNorms,          ///< per-layer norms and the final norm
  kLmHead,         ///< output projection to the vocabulary
  kMtp,            ///< multi-token-prediction modules (whole blocks, LM-head FLOPs included)
};
inline constexpr size_t kNumComponents = 9;
const char* ToString(Component component);

enum class FlopPass : uint8_t {
  kForward,          ///< inference-style forward pass only
  kForwardBackward,  ///< training step: forward + backward (= 3 x forward)
};
enum class AttentionCounting : uint8_t {
  kFull,    ///< every query against every key of its span (DeepSeek LLM, Kaplan et al.)
  kCausal,  ///< only unmasked query-key pairs ("halved" for global attention)
};
const char* ToString(FlopPass pass);
const char* ToString(AttentionCounting counting);

struct CountingOptions {
  bool include_embedding = false;  ///< input embedding in N and N_a
  bool include_lm_head = false;    ///< LM head in N, N_a and its FLOPs in M
  bool include_mtp = false;        ///< MTP modules in N, N_a and M
  FlopPass pass = FlopPass::kForwardBackward;
  AttentionCounting attention = AttentionCounting::kFull;
  int64_t seq_len = 0;  ///< sequence length for the attention term; 0 = the architecture's own

  /// "non-embedding (no input embedding, no LM head), MTP out, forward+backward, full attention,
  /// S=4096" style one-liner; `seq_len` is the resolved length.
  std::string Describe(int64_t resolved_seq_len) const;
  /// Convention of most model cards: embedding and LM head in, MTP out.
  static CountingOptions ModelCard();
};

struct ComponentCount {
  int64_t params = 0;
  int64_t active_params = 0;
  double flops_per_token = 0;  ///< under the options' pass and attention counting
};

struct Triad {
  int64_t total_params = 0;    ///< N
  int64_t active_params = 0;   ///< N_a
  double flops_per_token = 0;  ///< M
  int64_t seq_len = 0;         ///< the sequence length M was counted at
  std::array<ComponentCount, kNumComponents> by_component{};

  const ComponentCount& operator[](Component c) const {
    return by_component[static_cast<size_t>(c)];
  }
};

/// One decoder layer (or MTP block) of the per-layer table.
struct LayerCount {
  int64_t index = 0;  ///< 0-based; MTP blocks follow the decoder layers
  bool is_moe = false;
  bool is_mtp = false;
  LayerAttention attention = LayerAttention::kGlobal;
  int64_t params = 0;
  int64_t active_params = 0;
  double flops_per_token = 0;
};

/// The triad with its breakdown. Precondition: `Validate(arch)` passed (asserted in debug).
Triad CountTriad(const MoeArch& arch, const CountingOptions& options = {});

/// Per-layer table (decoder layers, then MTP blocks when options.include_mtp). Embedding, final
/// norm and LM head belong to no layer and appear only in the triad's breakdown.
std::vector<LayerCount> CountLayers(const MoeArch& arch, const CountingOptions& options = {});

/// Average number of keys one query attends to in a layer of kind `kind` (see file comment).
double KeysPerQuery(const AttentionSpec& attention, LayerAttention kind, int64_t seq_len,
                    AttentionCounting counting);

}  // namespace moeplan::laws
