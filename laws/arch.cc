//===- laws/arch.cc - The MoE architecture description --------------------===//
#include "laws/arch.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace moeplan::laws {
namespace {

// One table per enum keeps ToString and Parse in sync.
template <typename Enum, size_t N>
using NameTable = std::array<std::pair<Enum, const char*>, N>;

constexpr NameTable<AttentionType, 2> kAttentionTypeNames{
    {{AttentionType::kMultiHead, "mha"}, {AttentionType::kMultiLatent, "mla"}}};
constexpr NameTable<LayerAttention, 3> kLayerAttentionNames{
    {{LayerAttention::kGlobal, "global"},
     {LayerAttention::kSlidingWindow, "sliding"},
     {LayerAttention::kChunked, "chunked"}}};
constexpr NameTable<QkNorm, 3> kQkNormNames{
    {{QkNorm::kNone, "none"}, {QkNorm::kPerHead, "per_head"}, {QkNorm::kFull, "full"}}};
constexpr NameTable<NormType, 2> kNormTypeNames{
    {{NormType::kRmsNorm, "rmsnorm"}, {NormType::kLayerNorm, "layernorm"}}};

template <typename Enum, size_t N>
const char* NameOf(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename Enum, size_t N>
Result<Enum> Lookup(const NameTable<Enum, N>& table, std::string_view text) {
  std::string choices;
  for (const auto& [v, name] : table) {
    if (text == name) return v;
    choices += fmt::format("{}'{}'", choices.empty() ? "" : ", ", name);
  }
  return Error{fmt::format("expected one of {}, got '{}'", choices, text)};
}

}  // namespace

const char* ToString(AttentionType type) {
  return NameOf(kAttentionTypeNames, type);
}
const char* ToString(LayerAttention type) {
  return NameOf(kLayerAttentionNames, type);
}
const char* ToString(QkNorm type) {
  return NameOf(kQkNormNames, type);
}
const char* ToString(NormType type) {
  return NameOf(kNormTypeNames, type);
}
Result<AttentionType> ParseAttentionType(std::string_view text) {
  return Lookup(kAttentionTypeNames, text);
}
Result<LayerAttention> ParseLayerAttention(std::string_view text) {
  return Lookup(kLayerAttentionNames, text);
}
Result<QkNorm> ParseQkNorm(std::string_view text) {
  return Lookup(kQkNormNames, text);
}
Result<NormType> ParseNormType(std::string_view text) {
  return Lookup(kNormTypeNames, text);
}

bool MoeArch::IsMoeLayer(int64_t layer) const {
  if (moe.num_experts <= 0 || layer < moe.first_dense_layers) return false;
  if (layer % moe.layer_period != moe.layer_offset) return false;
  return std::find(moe.dense_layers.begin(), moe.dense_layers.end(), layer) ==
         moe.dense_layers.end();
}

namespace {

// Collects the first violated constraint as "<source>: field '<path>': <what>".
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}

  void Positive(std::string_view field, int64_t value) {
    Require(value > 0, field, fmt::format("expected a positive integer, got {}", value));
  }
  void NonNegative(std::string_view field, int64_t value) {
    Require(value >= 0, field, fmt::format("expected an integer >= 0, got {}", value));
  }
  void Require(bool ok, std::string_view field, std::string message) {
    if (!ok && status_.ok()) {
      status_ = Error{fmt::format("{}: field '{}': {}", source_, field, message)};
    }
  }
  Status status() const { return status_; }

 private:
  std::string_view source_;
  Status status_;
};

void CheckAttention(const MoeArch& arch, Checker& check) {
  const AttentionSpec& a = arch.attention;
  check.Positive("attention.num_heads", a.num_heads);
  check.Positive("attention.v_head_dim", a.v_head_dim);
  if (a.type == AttentionType::kMultiHead) {
    check.Positive("attention.num_kv_heads", a.num_kv_heads);
    check.Positive("attention.head_dim", a.head_dim);
    check.Require(
        a.num_kv_heads <= 0 || a.num_heads % a.num_kv_heads == 0, "attention.num_kv_heads",
        fmt::format("expected a divisor of num_heads ({}), got {}", a.num_heads, a.num_kv_heads));
    check.Require(a.q_lora_rank == 0 && a.kv_lora_rank == 0 && a.qk_nope_head_dim == 0 &&
                      a.qk_rope_head_dim == 0,
                  "attention.type",
                  "MLA ranks (q_lora_rank, kv_lora_rank, qk_*_head_dim) are set but type is "
                  "'mha'; expected type 'mla'");
  } else {
    check.NonNegative("attention.q_lora_rank", a.q_lora_rank);
    check.Positive("attention.kv_lora_rank", a.kv_lora_rank);
    check.Positive("attention.qk_nope_head_dim", a.qk_nope_head_dim);
    check.NonNegative("attention.qk_rope_head_dim", a.qk_rope_head_dim);
    check.Require(a.qk_norm == QkNorm::kNone, "attention.qk_norm",
                  "expected 'none' for MLA (its latent norms are implied)");
  }
  const bool any_sliding = std::find(arch.layer_attention.begin(), arch.layer_attention.end(),
                                     LayerAttention::kSlidingWindow) != arch.layer_attention.end();
  const bool any_chunked = std::find(arch.layer_attention.begin(), arch.layer_attention.end(),
                                     LayerAttention::kChunked) != arch.layer_attention.end();
  check.NonNegative("attention.sliding_window", a.sliding_window);
  check.NonNegative("attention.chunk_size", a.chunk_size);
  check.Require(!any_sliding || a.sliding_window > 0, "attention.sliding_window",
                "expected a positive window since some layers are 'sliding'");
  check.Require(!any_chunked || a.chunk_size > 0, "attention.chunk_size",
                "expected a positive chunk size since some layers are 'chunked'");
}

void CheckMoe(const MoeArch& arch, Checker& check) {
  const MoeSpec& m = arch.moe;
  check.NonNegative("moe.num_experts", m.num_experts);
  if (m.num_experts == 0) {
    check.Require(m.top_k == 0 && m.num_shared_experts == 0, "moe.num_experts",
                  "expected routed experts > 0 since top_k or shared experts are set");
    return;
  }
  check.Require(
      m.top_k >= 1 && m.top_k <= m.num_experts, "moe.top_k",
      fmt::format("expected an integer in 1..num_experts ({}), got {}", m.num_experts, m.top_k));
  check.Positive("moe.expert.intermediate_size", m.expert.intermediate_size);
  check.NonNegative("moe.num_shared_experts", m.num_shared_experts);
  if (m.num_shared_experts > 0) {
    check.Positive("moe.shared_expert.intermediate_size", m.shared_expert.intermediate_size);
  }
  check.Require(!m.shared_expert_gate || m.num_shared_experts > 0, "moe.shared_expert_gate",
                "expected false since there are no shared experts");
  check.Require(m.first_dense_layers >= 0 && m.first_dense_layers <= arch.num_layers,
                "moe.first_dense_layers",
                fmt::format("expected an integer in 0..num_layers ({}), got {}", arch.num_layers,
                            m.first_dense_layers));
  check.Positive("moe.layer_period", m.layer_period);
  check.Require(m.layer_offset >= 0 && m.layer_offset < std::max<int64_t>(m.layer_period, 1),
                "moe.layer_offset",
                fmt::format("expected an integer in 0..layer_period-1 ({}), got {}",
                            m.layer_period - 1, m.layer_offset));
  for (size_t i = 0; i < m.dense_layers.size(); ++i) {
    const int64_t layer = m.dense_layers[i];
    check.Require(
        layer >= 0 && layer < arch.num_layers, "moe.dense_layers",
        fmt::format("expected layer indices in 0..{}, got {}", arch.num_layers - 1, layer));
    check.Require(i == 0 || m.dense_layers[i - 1] < layer, "moe.dense_layers",
                  fmt::format("expected strictly increasing layer indices, got {} after {}", layer,
                              i == 0 ? 0 : m.dense_layers[i - 1]));
  }
}

}  // namespace

Status Validate(const MoeArch& arch, std::string_view source) {
  Checker check(source);
  check.Positive("vocab_size", arch.vocab_size);
  check.Positive("seq_len", arch.seq_len);
  check.Positive("hidden_size", arch.hidden_size);
  check.Positive("num_layers", arch.num_layers);
  check.NonNegative("mtp_layers", arch.mtp_layers);
  check.NonNegative("norm.per_layer", arch.norm.per_layer);
  check.NonNegative("dense_ffn.intermediate_size", arch.dense_ffn.intermediate_size);
  check.Require(arch.layer_attention.empty() ||
                    static_cast<int64_t>(arch.layer_attention.size()) == arch.num_layers,
                "layer_attention",
                fmt::format("expected one entry per layer ({}), got {}", arch.num_layers,
                            arch.layer_attention.size()));
  if (!check.status().ok()) return check.status();
  CheckAttention(arch, check);
  CheckMoe(arch, check);
  if (!check.status().ok()) return check.status();
  // Every dense layer (including an MTP block that falls on a dense index) needs an FFN width.
  for (int64_t layer = 0; layer < arch.num_layers + arch.mtp_layers; ++layer) {
    if (!arch.IsMoeLayer(layer)) {
      check.Require(arch.dense_ffn.intermediate_size > 0, "dense_ffn.intermediate_size",
                    fmt::format("expected a positive width since layer {} is dense", layer));
      break;
    }
  }
  return check.status();
}

}  // namespace moeplan::laws
