//===- laws/arch_json.cc - moeplan's own JSON format for MoeArch ----------===//
#include "laws/arch_json.h"

#include <fmt/format.h>

#include "laws/support/json_reader.h"

namespace moeplan::laws {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 40;  // far above any real size, well inside int64

template <typename Enum>
Enum ReadEnum(const JsonObject& object, std::string_view key, Enum fallback,
              Result<Enum> (*parse)(std::string_view)) {
  const std::optional<std::string> text = object.OptionalString(key);
  if (!text) return fallback;
  Result<Enum> parsed = parse(*text);
  if (!parsed) object.FailMessage(key, parsed.error().message);
  return *parsed;
}

// `min_width` 0 lets an unused block (shared_expert of a model without shared experts) keep
// whatever the writer wrote, so that the round trip stays lossless; Validate() requires a
// positive width wherever the block is used.
FfnSpec ReadFfn(const JsonObject& object, const FfnSpec& defaults, int64_t min_width = 1) {
  object.RejectUnknownKeys({"intermediate_size", "gated", "bias"});
  FfnSpec ffn = defaults;
  ffn.intermediate_size = object.OptionalInt("intermediate_size", min_width, kMaxDim)
                              .value_or(defaults.intermediate_size);
  if (ffn.intermediate_size < min_width) {
    object.FailWithValue("intermediate_size", "a positive integer");
  }
  ffn.gated = object.OptionalBool("gated").value_or(defaults.gated);
  ffn.bias = object.OptionalBool("bias").value_or(defaults.bias);
  return ffn;
}

AttentionSpec ReadAttention(const JsonObject& object, int64_t hidden_size) {
  object.RejectUnknownKeys({"type", "num_heads", "num_kv_heads", "head_dim", "v_head_dim",
                            "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
                            "qkv_bias", "output_bias", "qk_norm", "sinks", "sliding_window",
                            "chunk_size"});
  AttentionSpec a;
  a.type = ReadEnum(object, "type", AttentionType::kMultiHead, &ParseAttentionType);
  a.num_heads = object.Int("num_heads", 1, kMaxDim);
  if (a.type == AttentionType::kMultiHead) {
    a.num_kv_heads = object.OptionalInt("num_kv_heads", 1, kMaxDim).value_or(a.num_heads);
    if (!object.Has("head_dim") && hidden_size % a.num_heads != 0) {
      object.Fail("head_dim", "an explicit value since num_heads does not divide hidden_size",
                  "nothing (missing)");
    }
    a.head_dim = object.OptionalInt("head_dim", 1, kMaxDim).value_or(hidden_size / a.num_heads);
    a.v_head_dim = object.OptionalInt("v_head_dim", 1, kMaxDim).value_or(a.head_dim);
  } else {
    a.q_lora_rank = object.OptionalInt("q_lora_rank", 0, kMaxDim).value_or(0);
    a.kv_lora_rank = object.Int("kv_lora_rank", 1, kMaxDim);
    a.qk_nope_head_dim = object.Int("qk_nope_head_dim", 1, kMaxDim);
    a.qk_rope_head_dim = object.Int("qk_rope_head_dim", 0, kMaxDim);
    a.v_head_dim = object.Int("v_head_dim", 1, kMaxDim);
  }
  a.qkv_bias = object.OptionalBool("qkv_bias").value_or(false);
  a.output_bias = object.OptionalBool("output_bias").value_or(false);
  a.qk_norm = ReadEnum(object, "qk_norm", QkNorm::kNone, &ParseQkNorm);
  a.sinks = object.OptionalBool("sinks").value_or(false);
  a.sliding_window = object.OptionalInt("sliding_window", 0, kMaxDim).value_or(0);
  a.chunk_size = object.OptionalInt("chunk_size", 0, kMaxDim).value_or(0);
  return a;
}

MoeSpec ReadMoe(const JsonObject& object) {
  object.RejectUnknownKeys({"num_experts", "top_k", "expert", "num_shared_experts", "shared_expert",
                            "shared_expert_gate", "router_bias", "router_score_correction_bias",
                            "first_dense_layers", "layer_period", "layer_offset", "dense_layers"});
  MoeSpec m;
  m.num_experts = object.Int("num_experts", 1, kMaxDim);
  m.top_k = object.Int("top_k", 1, m.num_experts);
  m.expert = ReadFfn(object.Object("expert"), FfnSpec{});
  m.num_shared_experts = object.OptionalInt("num_shared_experts", 0, kMaxDim).value_or(0);
  // Shared experts default to the routed expert's shape.
  if (m.num_shared_experts > 0) m.shared_expert = m.expert;
  if (auto shared = object.OptionalObject("shared_expert")) {
    m.shared_expert = ReadFfn(*shared, m.shared_expert, m.num_shared_experts > 0 ? 1 : 0);
  }
  m.shared_expert_gate = object.OptionalBool("shared_expert_gate").value_or(false);
  m.router_bias = object.OptionalBool("router_bias").value_or(false);
  m.router_score_correction_bias =
      object.OptionalBool("router_score_correction_bias").value_or(false);
  m.first_dense_layers = object.OptionalInt("first_dense_layers", 0, kMaxDim).value_or(0);
  m.layer_period = object.OptionalInt("layer_period", 1, kMaxDim).value_or(1);
  m.layer_offset = object.OptionalInt("layer_offset", 0, kMaxDim).value_or(0);
  if (const nlohmann::json* dense = object.OptionalArray("dense_layers")) {
    for (size_t i = 0; i < dense->size(); ++i) {
      const nlohmann::json& v = (*dense)[i];
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        object.Fail(fmt::format("dense_layers[{}]", i), "a layer index >= 0", DescribeJsonValue(v));
      }
      m.dense_layers.push_back(v.get<int64_t>());
    }
  }
  return m;
}

std::vector<LayerAttention> ReadLayerAttention(const JsonObject& root) {
  std::vector<LayerAttention> kinds;
  const nlohmann::json* list = root.OptionalArray("layer_attention");
  if (list == nullptr) return kinds;
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& v = (*list)[i];
    const std::string key = fmt::format("layer_attention[{}]", i);
    if (!v.is_string()) root.Fail(key, "'global', 'sliding' or 'chunked'", DescribeJsonValue(v));
    Result<LayerAttention> kind = ParseLayerAttention(v.get<std::string>());
    if (!kind) root.Fail(key, "'global', 'sliding' or 'chunked'", DescribeJsonValue(v));
    kinds.push_back(*kind);
  }
  return kinds;
}

NormSpec ReadNorm(const JsonObject& object) {
  object.RejectUnknownKeys({"type", "per_layer", "final_norm"});
  NormSpec n;
  n.type = ReadEnum(object, "type", NormType::kRmsNorm, &ParseNormType);
  n.per_layer = object.OptionalInt("per_layer", 0, 16).value_or(2);
  n.final_norm = object.OptionalBool("final_norm").value_or(true);
  return n;
}

MoeArch ReadArch(const JsonObject& root) {
  root.RejectUnknownKeys({"format", "version", "name", "vocab_size", "seq_len", "hidden_size",
                          "num_layers", "attention", "dense_ffn", "moe", "layer_attention", "norm",
                          "tied_embeddings", "mtp_layers"});
  const std::string format = root.String("format");
  if (format != kArchFormat) root.Fail("format", fmt::format("\"{}\"", kArchFormat), format);
  root.Int("version", kArchFormatVersion, kArchFormatVersion);
  MoeArch arch;
  arch.name = root.OptionalString("name").value_or("");
  arch.vocab_size = root.Int("vocab_size", 1, kMaxDim);
  arch.seq_len = root.OptionalInt("seq_len", 1, kMaxDim).value_or(4096);
  arch.hidden_size = root.Int("hidden_size", 1, kMaxDim);
  arch.num_layers = root.Int("num_layers", 1, 1 << 20);
  arch.attention = ReadAttention(root.Object("attention"), arch.hidden_size);
  if (auto ffn = root.OptionalObject("dense_ffn")) arch.dense_ffn = ReadFfn(*ffn, FfnSpec{});
  if (auto moe = root.OptionalObject("moe")) arch.moe = ReadMoe(*moe);
  arch.layer_attention = ReadLayerAttention(root);
  if (auto norm = root.OptionalObject("norm")) arch.norm = ReadNorm(*norm);
  arch.tied_embeddings = root.OptionalBool("tied_embeddings").value_or(false);
  arch.mtp_layers = root.OptionalInt("mtp_layers", 0, 64).value_or(0);
  return arch;
}

nlohmann::ordered_json FfnToJson(const FfnSpec& ffn) {
  return {{"intermediate_size", ffn.intermediate_size}, {"gated", ffn.gated}, {"bias", ffn.bias}};
}

}  // namespace

Result<MoeArch> ArchFromJson(const nlohmann::json& json, std::string_view source) {
  try {
    MoeArch arch = ReadArch(JsonObject(json, std::string(source)));
    if (Status status = Validate(arch, source); !status.ok()) return status.error();
    return arch;
  } catch (const InputError& e) {
    return e.ToError();
  }
}

nlohmann::ordered_json ArchToJson(const MoeArch& arch) {
  nlohmann::ordered_json j;
  j["format"] = kArchFormat;
  j["version"] = kArchFormatVersion;
  j["name"] = arch.name;
  j["vocab_size"] = arch.vocab_size;
  j["seq_len"] = arch.seq_len;
  j["hidden_size"] = arch.hidden_size;
  j["num_layers"] = arch.num_layers;
  const AttentionSpec& a = arch.attention;
  nlohmann::ordered_json attention = {{"type", ToString(a.type)}, {"num_heads", a.num_heads}};
  if (a.type == AttentionType::kMultiHead) {
    attention["num_kv_heads"] = a.num_kv_heads;
    attention["head_dim"] = a.head_dim;
    attention["v_head_dim"] = a.v_head_dim;
  } else {
    attention["q_lora_rank"] = a.q_lora_rank;
    attention["kv_lora_rank"] = a.kv_lora_rank;
    attention["qk_nope_head_dim"] = a.qk_nope_head_dim;
    attention["qk_rope_head_dim"] = a.qk_rope_head_dim;
    attention["v_head_dim"] = a.v_head_dim;
  }
  attention["qkv_bias"] = a.qkv_bias;
  attention["output_bias"] = a.output_bias;
  attention["qk_norm"] = ToString(a.qk_norm);
  attention["sinks"] = a.sinks;
  attention["sliding_window"] = a.sliding_window;
  attention["chunk_size"] = a.chunk_size;
  j["attention"] = attention;
  if (arch.dense_ffn.intermediate_size > 0) j["dense_ffn"] = FfnToJson(arch.dense_ffn);
  if (arch.IsMoe()) {
    const MoeSpec& m = arch.moe;
    j["moe"] = {{"num_experts", m.num_experts},
                {"top_k", m.top_k},
                {"expert", FfnToJson(m.expert)},
                {"num_shared_experts", m.num_shared_experts},
                {"shared_expert", FfnToJson(m.shared_expert)},
                {"shared_expert_gate", m.shared_expert_gate},
                {"router_bias", m.router_bias},
                {"router_score_correction_bias", m.router_score_correction_bias},
                {"first_dense_layers", m.first_dense_layers},
                {"layer_period", m.layer_period},
                {"layer_offset", m.layer_offset},
                {"dense_layers", m.dense_layers}};
  }
  if (!arch.layer_attention.empty()) {
    nlohmann::ordered_json kinds = nlohmann::ordered_json::array();
    for (LayerAttention kind : arch.layer_attention) kinds.push_back(ToString(kind));
    j["layer_attention"] = kinds;
  }
  j["norm"] = {{"type", ToString(arch.norm.type)},
               {"per_layer", arch.norm.per_layer},
               {"final_norm", arch.norm.final_norm}};
  j["tied_embeddings"] = arch.tied_embeddings;
  j["mtp_layers"] = arch.mtp_layers;
  return j;
}

}  // namespace moeplan::laws
