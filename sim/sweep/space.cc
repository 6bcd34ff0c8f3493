//===- sim/sweep/space.cc - Search spaces of the planner and sweeps -------===//
#include "sim/sweep/space.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "laws/support/json_reader.h"

namespace moeplan::plan {
namespace {

constexpr std::array<const char*, kNumArchDims> kArchNames = {
    "hidden_size",     "num_layers",         "num_experts", "top_k",        "expert_width",
    "shared_experts",  "first_dense_layers", "num_heads",   "num_kv_heads", "head_dim",
    "dense_ffn_width", "vocab_size",         "seq_len"};
constexpr int64_t kMaxListValues = 1 << 20;

int64_t SaturatingProduct(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > std::numeric_limits<int64_t>::max() / b) return std::numeric_limits<int64_t>::max();
  return a * b;
}

// A dimension: number, list of numbers, or {"min","max","step"|"factor","align"}.
std::vector<int64_t> ReadDim(const JsonObject& parent, std::string_view key, int64_t min_value) {
  const nlohmann::json& node = parent.node().at(std::string(key));
  const std::string path = parent.PathOf(key);
  auto fail = [&](std::string_view message) -> void {
    throw InputError(fmt::format("{}: field '{}': {}", parent.source(), path, message));
  };
  auto number = [&](const nlohmann::json& v) -> int64_t {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float()) {
      const double x = v.get<double>();
      if (x == static_cast<double>(static_cast<int64_t>(x))) return static_cast<int64_t>(x);
    }
    fail(fmt::format("expected an integer, got {}", DescribeJsonValue(v)));
    return 0;
  };
  std::vector<int64_t> values;
  if (node.is_number()) {
    values.push_back(number(node));
  } else if (node.is_array()) {
    if (node.empty()) fail("empty list: give at least one value");
    for (const auto& v : node) values.push_back(number(v));
  } else if (node.is_object()) {
    JsonObject range(node, parent.source(), path);
    range.RejectUnknownKeys({"min", "max", "step", "factor", "align"});
    const int64_t lo = range.Int("min", 0);
    const int64_t hi = range.Int("max", 0);
    if (hi < lo) fail(fmt::format("empty range: max {} < min {}", hi, lo));
    const int64_t align = range.OptionalInt("align", 1).value_or(1);
    if (range.Has("step") == range.Has("factor")) fail("give exactly one of 'step' or 'factor'");
    if (range.Has("step")) {
      const int64_t step = range.Int("step", 1);
      for (int64_t v = lo; v <= hi; v += step) {
        values.push_back(v);
        if (static_cast<int64_t>(values.size()) > kMaxListValues) fail("more than 2^20 values");
      }
    } else {
      const double factor = range.Double("factor", 1.0 + 1e-9, 1e6);
      for (double v = static_cast<double>(lo); v <= static_cast<double>(hi) * (1 + 1e-12);
           v *= factor) {
        values.push_back(static_cast<int64_t>(v + 0.5));
        if (lo == 0) break;
      }
    }
    if (align > 1) {
      for (int64_t& v : values) v = (v + align - 1) / align * align;
      values.erase(std::remove_if(values.begin(), values.end(), [&](int64_t v) { return v > hi; }),
                   values.end());
      if (values.empty()) {
        fail(fmt::format("empty range: no multiple of {} lies in [{}, {}]", align, lo, hi));
      }
    }
  } else {
    fail(fmt::format("expected a number, a list or a range object, got {}",
                     DescribeJsonValue(node)));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (int64_t v : values) {
    if (v < min_value) fail(fmt::format("expected values >= {}, got {}", min_value, v));
  }
  return values;
}

TriadTarget ReadTarget(const JsonObject& triad, std::string_view key) {
  TriadTarget t;
  if (!triad.Has(key)) return t;
  JsonObject o = triad.Object(key);
  o.RejectUnknownKeys({"target", "tolerance"});
  t.target = o.Double("target", 1.0, 1e30);
  t.tolerance = o.OptionalDouble("tolerance", 0.0, 10.0).value_or(0.05);
  return t;
}

void ReadArch(const JsonObject& a, SweepSpace& space) {
  std::vector<std::string_view> known(kArchNames.begin(), kArchNames.end());
  known.insert(known.end(), {"attention", "mla", "gated", "tied_embeddings"});
  for (const auto& [key, value] : a.node().items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      a.FailMessage(key,
                    "unknown field (known: hidden_size, num_layers, num_experts, top_k, "
                    "expert_width, shared_experts, first_dense_layers, num_heads, "
                    "num_kv_heads, head_dim, dense_ffn_width, vocab_size, seq_len, "
                    "attention, mla, gated, tied_embeddings)");
    }
  }
  for (size_t i = 0; i < kNumArchDims; ++i) {
    if (!a.Has(kArchNames[i])) continue;
    const auto dim = static_cast<ArchDim>(i);
    const bool zero_ok = dim == ArchDim::kNumExperts || dim == ArchDim::kTopK ||
                         dim == ArchDim::kSharedExperts || dim == ArchDim::kFirstDenseLayers ||
                         dim == ArchDim::kNumHeads || dim == ArchDim::kNumKvHeads ||
                         dim == ArchDim::kDenseFfnWidth || dim == ArchDim::kExpertWidth;
    space.arch[i] = ReadDim(a, kArchNames[i], zero_ok ? 0 : 1);
  }
  if (auto type = a.OptionalString("attention")) {
    if (*type == "gqa" || *type == "mha") {
      space.attention = laws::AttentionType::kMultiHead;
    } else if (*type == "mla") {
      space.attention = laws::AttentionType::kMultiLatent;
    } else {
      a.Fail("attention", "\"gqa\", \"mha\" or \"mla\"", fmt::format("\"{}\"", *type));
    }
  }
  if (auto mla = a.OptionalObject("mla")) {
    mla->RejectUnknownKeys(
        {"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"});
    MlaRanks& r = space.mla;
    r.q_lora_rank = mla->OptionalInt("q_lora_rank", 0, 65536).value_or(r.q_lora_rank);
    r.kv_lora_rank = mla->OptionalInt("kv_lora_rank", 1, 65536).value_or(r.kv_lora_rank);
    r.qk_nope_head_dim = mla->OptionalInt("qk_nope_head_dim", 1, 4096).value_or(r.qk_nope_head_dim);
    r.qk_rope_head_dim = mla->OptionalInt("qk_rope_head_dim", 0, 4096).value_or(r.qk_rope_head_dim);
    r.v_head_dim = mla->OptionalInt("v_head_dim", 1, 4096).value_or(r.v_head_dim);
  }
  space.gated = a.OptionalBool("gated").value_or(space.gated);
  space.tied_embeddings = a.OptionalBool("tied_embeddings").value_or(space.tied_embeddings);
}

void ReadLayout(const JsonObject& l, LayoutDims& dims) {
  l.RejectUnknownKeys({"tp", "pp", "vpp", "ep", "etp", "cp", "mbs", "recompute",
                       "recompute_modules", "gbs", "sharding", "precision"});
  auto maybe = [&](std::string_view key, std::vector<int64_t>& out, int64_t min_value) {
    if (l.Has(key)) out = ReadDim(l, key, min_value);
  };
  maybe("tp", dims.tp, 1);
  maybe("pp", dims.pp, 1);
  maybe("vpp", dims.vpp, 1);
  maybe("ep", dims.ep, 1);
  maybe("etp", dims.etp, 0);
  maybe("cp", dims.cp, 1);
  maybe("mbs", dims.mbs, 1);
  dims.gbs = l.OptionalInt("gbs", 0, int64_t{1} << 30).value_or(dims.gbs);
  if (const nlohmann::json* list = l.OptionalArray("recompute")) {
    dims.recompute.clear();
    for (size_t i = 0; i < list->size(); ++i) {
      const auto& v = (*list)[i];
      Result<sim::Recompute> r = v.is_string() ? sim::ParseRecompute(v.get<std::string>())
                                               : Result<sim::Recompute>(Error{"not a string"});
      if (!r) {
        l.Fail(fmt::format("recompute[{}]", i), "\"none\", \"selective\" or \"full\"",
               DescribeJsonValue(v));
      }
      dims.recompute.push_back(*r);
    }
    if (dims.recompute.empty()) l.FailMessage("recompute", "empty list: give at least one value");
  }
  if (const nlohmann::json* list = l.OptionalArray("recompute_modules")) {
    Result<sim::RecomputeModules> modules = sim::RecomputeModulesFromJson(*list);
    if (!modules) l.FailMessage("recompute_modules", modules.error().message);
    dims.recompute_modules = *modules;
  }
  if (auto s = l.OptionalString("sharding")) {
    Result<sim::Sharding> r = sim::ParseSharding(*s);
    if (!r) l.FailMessage("sharding", r.error().message);
    dims.sharding = *r;
  }
  if (auto p = l.OptionalString("precision")) {
    if (*p == "bf16") {
      dims.precision = hw::Precision::kBf16;
    } else if (*p == "fp8") {
      dims.precision = hw::Precision::kFp8;
    } else {
      l.Fail("precision", "\"bf16\" or \"fp8\"", fmt::format("\"{}\"", *p));
    }
  }
}

void ReadConstraints(const JsonObject& c, Constraints& out) {
  c.RejectUnknownKeys({"max_total_params", "max_active_params", "memory_headroom", "triad"});
  out.max_total_params = c.OptionalDouble("max_total_params", 1.0, 1e16).value_or(0);
  out.max_active_params = c.OptionalDouble("max_active_params", 1.0, 1e16).value_or(0);
  out.memory_headroom = c.OptionalDouble("memory_headroom", 0.0, 0.95).value_or(0);
  if (auto triad = c.OptionalObject("triad")) {
    triad->RejectUnknownKeys({"M", "N_a", "N"});
    out.flops_per_token = ReadTarget(*triad, "M");
    out.active_params = ReadTarget(*triad, "N_a");
    out.total_params = ReadTarget(*triad, "N");
  }
}

std::vector<int64_t> Range(int64_t lo, int64_t hi, int64_t step) {
  std::vector<int64_t> out;
  for (int64_t v = lo; v <= hi; v += step) out.push_back(v);
  return out;
}

SweepSpace DefaultSpace() {
  SweepSpace s;
  s.name = "default";
  auto set = [&](ArchDim dim, std::vector<int64_t> values) {
    s.arch[static_cast<size_t>(dim)] = std::move(values);
  };
  set(ArchDim::kHiddenSize, Range(1024, 8192, 512));
  set(ArchDim::kNumLayers, Range(12, 96, 4));
  set(ArchDim::kNumExperts, {8, 16, 32, 64, 128, 256});
  set(ArchDim::kTopK, {1, 2, 4, 6, 8});
  set(ArchDim::kExpertWidth, {512, 768, 1024, 1536, 2048, 3072, 4096, 8192, 14336});
  set(ArchDim::kSharedExperts, {0, 1});
  set(ArchDim::kFirstDenseLayers, {0, 1, 3});
  set(ArchDim::kNumHeads, {0});
  set(ArchDim::kNumKvHeads, {8});
  set(ArchDim::kHeadDim, {128});
  set(ArchDim::kDenseFfnWidth, {0});
  set(ArchDim::kVocabSize, {129280});
  set(ArchDim::kSeqLen, {4096});
  return s;
}

SweepSpace DeepseekSpace() {
  SweepSpace s = DefaultSpace();
  s.name = "deepseek";
  s.attention = laws::AttentionType::kMultiLatent;
  s.arch[static_cast<size_t>(ArchDim::kNumExperts)] = {64, 128, 160, 256, 288};
  s.arch[static_cast<size_t>(ArchDim::kTopK)] = {6, 8};
  s.arch[static_cast<size_t>(ArchDim::kExpertWidth)] = {512, 768, 1024, 1536, 2048, 2560};
  s.arch[static_cast<size_t>(ArchDim::kSharedExperts)] = {1, 2};
  s.arch[static_cast<size_t>(ArchDim::kNumKvHeads)] = {0};
  s.arch[static_cast<size_t>(ArchDim::kFirstDenseLayers)] = {1, 3};
  return s;
}

SweepSpace DenseSpace() {
  SweepSpace s = DefaultSpace();
  s.name = "dense";
  s.arch[static_cast<size_t>(ArchDim::kNumExperts)] = {0};
  s.arch[static_cast<size_t>(ArchDim::kTopK)] = {0};
  s.arch[static_cast<size_t>(ArchDim::kExpertWidth)] = {0};
  s.arch[static_cast<size_t>(ArchDim::kSharedExperts)] = {0};
  s.arch[static_cast<size_t>(ArchDim::kFirstDenseLayers)] = {0};
  s.layout.ep = {1};
  return s;
}

}  // namespace

const char* ToString(ArchDim dim) {
  return kArchNames[static_cast<size_t>(dim)];
}

int64_t SweepSpace::NumArchCandidates() const {
  int64_t n = 1;
  for (const auto& list : arch) n = SaturatingProduct(n, static_cast<int64_t>(list.size()));
  return n;
}

int64_t SweepSpace::NumLayoutsPerArch() const {
  const LayoutDims& l = layout;
  int64_t n = 1;
  for (size_t size : {l.tp.size(), l.pp.size(), l.vpp.size(), l.ep.size(), l.etp.size(),
                      l.cp.size(), l.mbs.size(), l.recompute.size()}) {
    n = SaturatingProduct(n, static_cast<int64_t>(size));
  }
  return n;
}

Status SweepSpace::Validate(std::string_view source) const {
  for (size_t i = 0; i < kNumArchDims; ++i) {
    if (arch[i].empty()) {
      return Error{fmt::format("{}: field 'arch.{}': empty: give at least one value", source,
                               kArchNames[i])};
    }
  }
  const LayoutDims& l = layout;
  const std::pair<const char*, const std::vector<int64_t>*> lists[] = {
      {"tp", &l.tp},   {"pp", &l.pp}, {"vpp", &l.vpp}, {"ep", &l.ep},
      {"etp", &l.etp}, {"cp", &l.cp}, {"mbs", &l.mbs}};
  for (const auto& [dim_name, list] : lists) {
    if (list->empty()) {
      return Error{
          fmt::format("{}: field 'layout.{}': empty: give at least one value", source, dim_name)};
    }
  }
  if (l.recompute.empty()) {
    return Error{
        fmt::format("{}: field 'layout.recompute': empty: give at least one value", source)};
  }
  const Constraints& c = constraints;
  const double max_k = static_cast<double>(values(ArchDim::kTopK).front());
  if (c.max_total_params > 0 && c.max_active_params > c.max_total_params) {
    return Error{fmt::format(
        "{}: constraints contradict: max_active_params {:.4g} > max_total_params {:.4g}", source,
        c.max_active_params, c.max_total_params)};
  }
  if (c.active_params.target > 0 && c.total_params.target > 0 &&
      c.active_params.target * (1 - c.active_params.tolerance) >
          c.total_params.target * (1 + c.total_params.tolerance)) {
    return Error{
        fmt::format("{}: constraints contradict: triad target N_a {:.4g} (-{:.0f}%) "
                    "exceeds N {:.4g} (+{:.0f}%)",
                    source, c.active_params.target, 100 * c.active_params.tolerance,
                    c.total_params.target, 100 * c.total_params.tolerance)};
  }
  if (c.max_total_params > 0 && c.total_params.target > 0 &&
      c.total_params.target * (1 - c.total_params.tolerance) > c.max_total_params) {
    return Error{
        fmt::format("{}: constraints contradict: triad target N {:.4g} exceeds "
                    "max_total_params {:.4g}",
                    source, c.total_params.target, c.max_total_params)};
  }
  (void)max_k;
  return Status::Ok();
}

std::array<int64_t, kNumArchDims> DecodeArchValues(const SweepSpace& space, int64_t index) {
  std::array<int64_t, kNumArchDims> out{};
  for (size_t i = kNumArchDims; i-- > 0;) {
    const auto& list = space.arch[i];
    const auto n = static_cast<int64_t>(list.size());
    out[i] = list[static_cast<size_t>(index % n)];
    index /= n;
  }
  return out;
}

const char* BuildArch(const SweepSpace& space, const std::array<int64_t, kNumArchDims>& v,
                      laws::MoeArch& arch) {
  auto at = [&](ArchDim dim) { return v[static_cast<size_t>(dim)]; };
  const int64_t d = at(ArchDim::kHiddenSize);
  arch.vocab_size = at(ArchDim::kVocabSize);
  arch.seq_len = at(ArchDim::kSeqLen);
  arch.hidden_size = d;
  arch.num_layers = at(ArchDim::kNumLayers);
  arch.tied_embeddings = space.tied_embeddings;
  laws::AttentionSpec& a = arch.attention;
  a = laws::AttentionSpec{};
  a.type = space.attention;
  const int64_t head_dim = at(ArchDim::kHeadDim);
  int64_t heads = at(ArchDim::kNumHeads);
  if (heads == 0) {
    if (d % head_dim != 0) return "hidden_size not a multiple of head_dim (num_heads = 0)";
    heads = d / head_dim;
  }
  a.num_heads = heads;
  if (space.attention == laws::AttentionType::kMultiHead) {
    const int64_t kv = at(ArchDim::kNumKvHeads) == 0 ? heads : at(ArchDim::kNumKvHeads);
    if (kv > heads || heads % kv != 0) return "num_kv_heads does not divide num_heads";
    a.num_kv_heads = kv;
    a.head_dim = head_dim;
    a.v_head_dim = head_dim;
  } else {
    a.q_lora_rank = space.mla.q_lora_rank;
    a.kv_lora_rank = space.mla.kv_lora_rank;
    a.qk_nope_head_dim = space.mla.qk_nope_head_dim;
    a.qk_rope_head_dim = space.mla.qk_rope_head_dim;
    a.v_head_dim = space.mla.v_head_dim;
  }
  const int64_t experts = at(ArchDim::kNumExperts);
  const int64_t top_k = at(ArchDim::kTopK);
  const int64_t first_dense = at(ArchDim::kFirstDenseLayers);
  int64_t dense_width = at(ArchDim::kDenseFfnWidth);
  if (dense_width == 0) dense_width = (8 * d / 3 + 127) / 128 * 128;
  arch.dense_ffn = {dense_width, space.gated, false};
  arch.moe = laws::MoeSpec{};
  if (experts > 0) {
    if (top_k < 1) return "top_k = 0 with routed experts";
    if (top_k > experts) return "top_k > num_experts";
    if (at(ArchDim::kExpertWidth) < 1) return "expert_width = 0 with routed experts";
    if (first_dense >= arch.num_layers) return "first_dense_layers >= num_layers";
    arch.moe.num_experts = experts;
    arch.moe.top_k = top_k;
    arch.moe.expert = {at(ArchDim::kExpertWidth), space.gated, false};
    arch.moe.num_shared_experts = at(ArchDim::kSharedExperts);
    arch.moe.shared_expert = arch.moe.expert;  // as the HF importers record it
    arch.moe.first_dense_layers = first_dense;
    // DeepSeek-V3 / GLM-4.5 routers: auxiliary-loss-free balancing bias (N_e values per layer).
    arch.moe.router_score_correction_bias = true;
    if (first_dense == 0) arch.dense_ffn.intermediate_size = 0;
  } else if (top_k != 0 || at(ArchDim::kSharedExperts) != 0 || first_dense != 0) {
    // A dense model: the MoE-only dimensions must be 0 (avoids duplicate candidates).
    return "dense model (num_experts = 0) with non-zero MoE dimensions";
  }
  return nullptr;
}

Result<SweepSpace> SpaceFromJson(const nlohmann::json& document, std::string_view source) {
  try {
    JsonObject root(document, std::string(source));
    root.RejectUnknownKeys({"format", "version", "name", "base", "arch", "layout", "constraints"});
    if (root.String("format") != "moeplan-space") {
      root.Fail("format", "\"moeplan-space\"", DescribeJsonValue(document.at("format")));
    }
    root.Int("version", 1, 1);
    SweepSpace space = DefaultSpace();
    if (auto base = root.OptionalString("base")) {
      Result<SweepSpace> b = BuiltinSpace(*base);
      if (!b) root.FailMessage("base", b.error().message);
      space = *b;
    }
    space.name = root.OptionalString("name").value_or(std::string(source));
    if (auto arch = root.OptionalObject("arch")) ReadArch(*arch, space);
    if (auto layout = root.OptionalObject("layout")) ReadLayout(*layout, space.layout);
    if (auto c = root.OptionalObject("constraints")) ReadConstraints(*c, space.constraints);
    if (Status status = space.Validate(source); !status.ok()) return status.error();
    return space;
  } catch (const InputError& e) {
    return e.ToError();
  } catch (const nlohmann::json::exception& e) {
    return Error{fmt::format("{}: {}", source, e.what())};
  }
}

Result<SweepSpace> ReadSpaceFile(const std::filesystem::path& path) {
  Result<nlohmann::json> json = ReadJsonFile(path);
  if (!json) return json.error();
  return SpaceFromJson(*json, path.string());
}

nlohmann::ordered_json SpaceToJson(const SweepSpace& space) {
  nlohmann::ordered_json j;
  j["format"] = "moeplan-space";
  j["version"] = 1;
  j["name"] = space.name;
  nlohmann::ordered_json arch;
  for (size_t i = 0; i < kNumArchDims; ++i) arch[kArchNames[i]] = space.arch[i];
  arch["attention"] = space.attention == laws::AttentionType::kMultiLatent ? "mla" : "gqa";
  arch["mla"] = {{"q_lora_rank", space.mla.q_lora_rank},
                 {"kv_lora_rank", space.mla.kv_lora_rank},
                 {"qk_nope_head_dim", space.mla.qk_nope_head_dim},
                 {"qk_rope_head_dim", space.mla.qk_rope_head_dim},
                 {"v_head_dim", space.mla.v_head_dim}};
  arch["gated"] = space.gated;
  arch["tied_embeddings"] = space.tied_embeddings;
  j["arch"] = arch;
  const LayoutDims& l = space.layout;
  nlohmann::ordered_json layout = {{"tp", l.tp},   {"pp", l.pp}, {"vpp", l.vpp}, {"ep", l.ep},
                                   {"etp", l.etp}, {"cp", l.cp}, {"mbs", l.mbs}};
  std::vector<std::string> recompute;
  for (sim::Recompute r : l.recompute) recompute.emplace_back(sim::ToString(r));
  layout["recompute"] = recompute;
  layout["recompute_modules"] = sim::RecomputeModulesToJson(l.recompute_modules);
  layout["gbs"] = l.gbs;
  layout["sharding"] = sim::ToString(l.sharding);
  layout["precision"] = l.precision == hw::Precision::kFp8 ? "fp8" : "bf16";
  j["layout"] = layout;
  const Constraints& c = space.constraints;
  nlohmann::ordered_json cons;
  if (c.max_total_params > 0) cons["max_total_params"] = c.max_total_params;
  if (c.max_active_params > 0) cons["max_active_params"] = c.max_active_params;
  cons["memory_headroom"] = c.memory_headroom;
  nlohmann::ordered_json triad = nlohmann::ordered_json::object();
  auto target = [&](const char* key, const TriadTarget& t) {
    if (t.target > 0) triad[key] = {{"target", t.target}, {"tolerance", t.tolerance}};
  };
  target("M", c.flops_per_token);
  target("N_a", c.active_params);
  target("N", c.total_params);
  if (!triad.empty()) cons["triad"] = triad;
  j["constraints"] = cons;
  return j;
}

std::vector<std::string> BuiltinSpaceNames() {
  return {"default", "deepseek", "dense"};
}

Result<SweepSpace> BuiltinSpace(std::string_view name) {
  if (name == "default") return DefaultSpace();
  if (name == "deepseek") return DeepseekSpace();
  if (name == "dense") return DenseSpace();
  return Error{
      fmt::format("unknown built-in space '{}' (built-in: default, deepseek, dense)", name)};
}

Result<SweepSpace> ResolveSpace(std::string_view name_or_path) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(name_or_path), ec)) {
    return ReadSpaceFile(std::filesystem::path(name_or_path));
  }
  Result<SweepSpace> builtin = BuiltinSpace(name_or_path);
  if (!builtin) {
    return Error{
        fmt::format("'{}' is neither a space file nor a built-in space (default, "
                    "deepseek, dense)",
                    name_or_path)};
  }
  return builtin;
}

}  // namespace moeplan::plan
