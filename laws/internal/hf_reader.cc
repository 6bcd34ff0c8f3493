//===- laws/internal/hf_reader.cc - Helpers for config.json import --------===//
#include "laws/internal/hf_reader.h"

#include <fmt/format.h>

#include <algorithm>

namespace moeplan::laws::internal {

int64_t HfReader::IntOr(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  if (object_.Has(key)) return object_.Int(key, min, max);
  Note(fmt::format("'{}' absent: using {} ({} default)", key, fallback, family_));
  return fallback;
}

bool HfReader::BoolOr(std::string_view key, bool fallback) const {
  if (object_.Has(key)) return object_.Bool(key);
  Note(
      fmt::format("'{}' absent: using {} ({} default)", key, fallback ? "true" : "false", family_));
  return fallback;
}

void ReadCommonDims(const HfReader& reader, MoeArch& arch, int64_t default_head_dim,
                    bool default_tied) {
  const JsonObject& o = reader.object();
  arch.vocab_size = reader.Int("vocab_size");
  arch.hidden_size = reader.Int("hidden_size");
  arch.num_layers = reader.Int("num_hidden_layers", 1, 1 << 20);
  AttentionSpec& a = arch.attention;
  a.type = AttentionType::kMultiHead;
  a.num_heads = reader.Int("num_attention_heads");
  a.num_kv_heads = reader.IntOr("num_key_value_heads", a.num_heads, 1, a.num_heads);
  if (a.num_heads % a.num_kv_heads != 0) {
    o.Fail("num_key_value_heads", fmt::format("a divisor of num_attention_heads ({})", a.num_heads),
           std::to_string(a.num_kv_heads));
  }
  if (o.Has("head_dim")) {
    a.head_dim = reader.Int("head_dim");
  } else if (default_head_dim > 0) {
    a.head_dim = reader.IntOr("head_dim", default_head_dim);
  } else {
    if (arch.hidden_size % a.num_heads != 0) {
      o.Fail("head_dim", "an explicit value since num_attention_heads does not divide hidden_size",
             "nothing (missing)");
    }
    a.head_dim = arch.hidden_size / a.num_heads;  // the transformers rule, not an assumption
  }
  a.v_head_dim = a.head_dim;
  arch.tied_embeddings = reader.BoolOr("tie_word_embeddings", default_tied);
}

bool ReadLayerTypes(const HfReader& reader, MoeArch& arch) {
  const JsonObject& o = reader.object();
  const nlohmann::json* list = o.OptionalArray("layer_types");
  if (list == nullptr) return false;
  if (static_cast<int64_t>(list->size()) != arch.num_layers) {
    o.Fail("layer_types", fmt::format("one entry per layer ({})", arch.num_layers),
           fmt::format("{} entries", list->size()));
  }
  arch.layer_attention.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& v = (*list)[i];
    const std::string text = v.is_string() ? v.get<std::string>() : "";
    LayerAttention kind = LayerAttention::kGlobal;
    if (text == "full_attention") {
      kind = LayerAttention::kGlobal;
    } else if (text == "sliding_attention") {
      kind = LayerAttention::kSlidingWindow;
    } else if (text == "chunked_attention") {
      kind = LayerAttention::kChunked;
    } else {
      o.Fail(fmt::format("layer_types[{}]", i),
             "\"full_attention\", \"sliding_attention\" or \"chunked_attention\"",
             DescribeJsonValue(v));
    }
    arch.layer_attention.push_back(kind);
  }
  // All-global is the same as no list; keep the canonical (empty) form.
  if (std::all_of(arch.layer_attention.begin(), arch.layer_attention.end(),
                  [](LayerAttention k) { return k == LayerAttention::kGlobal; })) {
    arch.layer_attention.clear();
  }
  return true;
}

namespace {

std::vector<int64_t> ReadIndexList(const JsonObject& o, std::string_view key, int64_t num_layers) {
  std::vector<int64_t> indices;
  const nlohmann::json* list = o.OptionalArray(key);
  if (list == nullptr) return indices;
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& v = (*list)[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= num_layers) {
      o.Fail(fmt::format("{}[{}]", key, i), fmt::format("a layer index in 0..{}", num_layers - 1),
             DescribeJsonValue(v));
    }
    indices.push_back(v.get<int64_t>());
  }
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  return indices;
}

}  // namespace

void ReadDenseLayerList(const HfReader& reader, std::string_view list_key, MoeArch& arch) {
  arch.moe.dense_layers = ReadIndexList(reader.object(), list_key, arch.num_layers);
}

void SetMoeLayersExplicitly(const HfReader& reader, std::string_view list_key, MoeArch& arch) {
  const std::vector<int64_t> moe_layers = ReadIndexList(reader.object(), list_key, arch.num_layers);
  arch.moe.first_dense_layers = 0;
  arch.moe.layer_period = 1;
  arch.moe.layer_offset = 0;
  arch.moe.dense_layers.clear();
  for (int64_t layer = 0; layer < arch.num_layers; ++layer) {
    if (!std::binary_search(moe_layers.begin(), moe_layers.end(), layer)) {
      arch.moe.dense_layers.push_back(layer);
    }
  }
}

}  // namespace moeplan::laws::internal
