//===- sim/layout.cc - Parallel layout of a training run ------------------===//
#include "sim/layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <string>

#include "laws/support/json_reader.h"

namespace moeplan::sim {
namespace {

// Largest accepted size of any dimension (GPUs, sequences): hwmodel's fleet limit.
constexpr int64_t kMaxDimension = int64_t{1} << 24;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

Result<bool> ParseOnOff(std::string_view text) {
  const std::string value = Lower(text);
  if (value == "on" || value == "true" || value == "1" || value == "yes") return true;
  if (value == "off" || value == "false" || value == "0" || value == "no") return false;
  return Error{fmt::format("expects on or off, got '{}'", text)};
}

Result<int64_t> ParseSize(std::string_view text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxDimension) {
    return Error{
        fmt::format("expects a positive integer (at most {}), got '{}'", kMaxDimension, text)};
  }
  return value;
}

int64_t* SizeField(Layout& layout, std::string_view key) {
  if (key == "tp") return &layout.tp;
  if (key == "pp") return &layout.pp;
  if (key == "vpp") return &layout.vpp;
  if (key == "ep") return &layout.ep;
  if (key == "etp") return &layout.etp;
  if (key == "cp") return &layout.cp;
  if (key == "dp") return &layout.dp;
  if (key == "mbs") return &layout.mbs;
  if (key == "gbs") return &layout.gbs;
  return nullptr;
}

// Megatron reads --recompute-modules only under selective granularity; a module list with
// another mode would be silently ignored, so it is an error instead.
Status CheckModulesNeedSelective(const Layout& layout) {
  if (layout.recompute != Recompute::kSelective &&
      layout.recompute_modules != kDefaultRecomputeModules) {
    return Error{fmt::format("recompute_modules={} needs recompute=selective, got recompute={}",
                             RecomputeModulesToString(layout.recompute_modules),
                             ToString(layout.recompute))};
  }
  return Status::Ok();
}

// Applies one key=value pair; the error text is completed by the caller.
Status ApplyPair(Layout& layout, std::string_view key, std::string_view value) {
  if (int64_t* field = SizeField(layout, key)) {
    Result<int64_t> size = ParseSize(value);
    if (!size) return size.error();
    *field = *size;
    return Status::Ok();
  }
  if (key == "sp") {
    Result<bool> on = ParseOnOff(value);
    if (!on) return on.error();
    layout.sequence_parallel = *on;
    return Status::Ok();
  }
  if (key == "recompute") {
    Result<Recompute> recompute = ParseRecompute(value);
    if (!recompute) return recompute.error();
    layout.recompute = *recompute;
    return Status::Ok();
  }
  if (key == "recompute_modules") {
    Result<RecomputeModules> modules = ParseRecomputeModules(value);
    if (!modules) return modules.error();
    layout.recompute_modules = *modules;
    return Status::Ok();
  }
  if (key == "sharding") {
    Result<Sharding> sharding = ParseSharding(value);
    if (!sharding) return sharding.error();
    layout.sharding = *sharding;
    return Status::Ok();
  }
  if (key == "precision") {
    Result<hw::Precision> precision = hw::ParsePrecision(value);
    if (!precision) return precision.error();
    if (*precision == hw::Precision::kTf32) {
      return Error{"expects bf16 or fp8 (tf32 is not a training precision here)"};
    }
    layout.precision = *precision;
    return Status::Ok();
  }
  return Error{
      "unknown key (expected tp, sp, pp, vpp, ep, etp, cp, dp, mbs, gbs, recompute, "
      "recompute_modules, sharding or precision)"};
}

Layout ReadLayoutJson(const JsonObject& object) {
  object.RejectUnknownKeys({"format", "version", "tp", "sequence_parallel", "pp", "vpp", "ep",
                            "etp", "cp", "dp", "mbs", "gbs", "recompute", "recompute_modules",
                            "sharding", "precision"});
  if (object.String("format") != kLayoutFormat) {
    object.Fail("format", fmt::format("\"{}\"", kLayoutFormat),
                fmt::format("\"{}\"", object.String("format")));
  }
  object.Int("version", kLayoutFormatVersion, kLayoutFormatVersion);
  Layout layout;
  for (std::string_view key : {"tp", "pp", "vpp", "ep", "cp", "mbs"}) {
    if (auto value = object.OptionalInt(key, 1, kMaxDimension)) *SizeField(layout, key) = *value;
  }
  // 0 keeps "derived" for the fields that have a derived default.
  for (std::string_view key : {"etp", "dp", "gbs"}) {
    if (auto value = object.OptionalInt(key, 0, kMaxDimension)) *SizeField(layout, key) = *value;
  }
  if (auto sp = object.OptionalBool("sequence_parallel")) layout.sequence_parallel = *sp;
  auto parse_enum = [&object](std::string_view key, auto parse, auto& into) {
    if (auto text = object.OptionalString(key)) {
      auto value = parse(*text);
      if (!value) object.FailMessage(key, value.error().message);
      into = *value;
    }
  };
  parse_enum("recompute", ParseRecompute, layout.recompute);
  if (const nlohmann::json* array = object.OptionalArray("recompute_modules")) {
    Result<RecomputeModules> modules = RecomputeModulesFromJson(*array);
    if (!modules) object.FailMessage("recompute_modules", modules.error().message);
    layout.recompute_modules = *modules;
    if (Status status = CheckModulesNeedSelective(layout); !status.ok()) {
      object.FailMessage("recompute_modules", status.message());
    }
  }
  parse_enum("sharding", ParseSharding, layout.sharding);
  parse_enum(
      "precision",
      [](std::string_view text) -> Result<hw::Precision> {
        Result<hw::Precision> p = hw::ParsePrecision(text);
        if (p && *p == hw::Precision::kTf32) return Error{"expected bf16 or fp8, got tf32"};
        return p;
      },
      layout.precision);
  return layout;
}

}  // namespace

const char* ToString(Recompute recompute) {
  switch (recompute) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "none";
}

const char* ToString(Sharding sharding) {
  switch (sharding) {
    case Sharding::kNone:
      return "none";
    case Sharding::kOptimizer:
      return "optimizer";
    case Sharding::kFull:
      return "full";
  }
  return "optimizer";
}

Result<Recompute> ParseRecompute(std::string_view text) {
  const std::string value = Lower(text);
  for (Recompute r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    if (value == ToString(r)) return r;
  }
  return Error{fmt::format("unknown recompute mode '{}' (expected none, selective or full)", text)};
}

const char* ToString(RecomputeModule module) {
  switch (module) {
    case RecomputeModule::kCoreAttn:
      return "core_attn";
    case RecomputeModule::kLayerNorm:
      return "layernorm";
    case RecomputeModule::kMlaUpProj:
      return "mla_up_proj";
    case RecomputeModule::kMoeAct:
      return "moe_act";
    case RecomputeModule::kMlp:
      return "mlp";
    case RecomputeModule::kSharedExperts:
      return "shared_experts";
    case RecomputeModule::kMoe:
      return "moe";
  }
  return "core_attn";
}

std::string RecomputeModulesToString(RecomputeModules modules) {
  std::string out;
  for (int i = 0; i < kNumRecomputeModules; ++i) {
    const auto module = static_cast<RecomputeModule>(i);
    if ((modules & ModuleBit(module)) == 0) continue;
    if (!out.empty()) out += '+';
    out += ToString(module);
  }
  return out;
}

Result<RecomputeModules> ParseRecomputeModules(std::string_view text) {
  RecomputeModules modules = 0;
  std::string name;
  auto flush = [&]() -> Status {
    if (name.empty()) return Status::Ok();
    for (int i = 0; i < kNumRecomputeModules; ++i) {
      const auto module = static_cast<RecomputeModule>(i);
      if (name == ToString(module)) {
        modules |= ModuleBit(module);
        name.clear();
        return Status::Ok();
      }
    }
    return Error{fmt::format(
        "unknown recompute module '{}' (expected core_attn, layernorm, mla_up_proj, moe_act, "
        "mlp, shared_experts or moe, joined by '+')",
        name)};
  };
  for (char ch : text) {
    if (ch == '+' || ch == ',' || std::isspace(static_cast<unsigned char>(ch))) {
      if (Status s = flush(); !s.ok()) return s.error();
    } else {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  if (Status s = flush(); !s.ok()) return s.error();
  if (modules == 0) {
    return Error{fmt::format(
        "expects at least one recompute module (e.g. layernorm+moe_act), got '{}'", text)};
  }
  return modules;
}

nlohmann::ordered_json RecomputeModulesToJson(RecomputeModules modules) {
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (int i = 0; i < kNumRecomputeModules; ++i) {
    const auto module = static_cast<RecomputeModule>(i);
    if ((modules & ModuleBit(module)) != 0) names.push_back(ToString(module));
  }
  return names;
}

Result<RecomputeModules> RecomputeModulesFromJson(const nlohmann::json& array) {
  if (!array.is_array()) {
    return Error{"expected an array of module names, got " + DescribeJsonValue(array)};
  }
  std::string names;
  for (const nlohmann::json& name : array) {
    if (!name.is_string()) {
      return Error{"expected an array of module names, got " + DescribeJsonValue(name)};
    }
    if (!names.empty()) names += '+';
    names += name.get_ref<const std::string&>();
  }
  return ParseRecomputeModules(names);
}

Result<Sharding> ParseSharding(std::string_view text) {
  const std::string value = Lower(text);
  if (value == "none" || value == "ddp") return Sharding::kNone;
  if (value == "optimizer" || value == "dist-opt" || value == "zero1") return Sharding::kOptimizer;
  if (value == "full" || value == "fsdp" || value == "zero3") return Sharding::kFull;
  return Error{fmt::format(
      "unknown sharding '{}' (expected none, optimizer or full; aliases ddp, dist-opt, zero1, "
      "fsdp, zero3)",
      text)};
}

std::string Layout::ToString() const {
  std::string out = fmt::format("tp={},sp={},pp={},vpp={},ep={}", tp,
                                sequence_parallel ? "on" : "off", pp, vpp, ep);
  if (etp > 0) out += fmt::format(",etp={}", etp);
  out += fmt::format(",cp={}", cp);
  if (dp > 0) out += fmt::format(",dp={}", dp);
  out += fmt::format(",mbs={}", mbs);
  if (gbs > 0) out += fmt::format(",gbs={}", gbs);
  out += fmt::format(",recompute={}", sim::ToString(recompute));
  if (recompute == Recompute::kSelective && recompute_modules != kDefaultRecomputeModules) {
    out += fmt::format(",recompute_modules={}", RecomputeModulesToString(recompute_modules));
  }
  out += fmt::format(",sharding={},precision={}", sim::ToString(sharding), hw::ToString(precision));
  return out;
}

Result<Layout> ParseLayout(std::string_view text) {
  Layout layout;
  std::string_view rest = text;
  if (Trim(rest).empty()) return Error{"layout '': expected key=value pairs such as tp=2,pp=4"};
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view pair = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return Error{fmt::format("layout '{}': expected key=value, got '{}'", text, pair)};
    }
    const std::string key = Lower(Trim(pair.substr(0, eq)));
    if (Status status = ApplyPair(layout, key, Trim(pair.substr(eq + 1))); !status.ok()) {
      return Error{fmt::format("layout '{}': '{}' {}", text, key, status.message())};
    }
  }
  if (Status status = CheckModulesNeedSelective(layout); !status.ok()) {
    return Error{fmt::format("layout '{}': {}", text, status.message())};
  }
  return layout;
}

Result<Layout> LayoutFromJson(const nlohmann::json& json, std::string_view source) {
  try {
    return ReadLayoutJson(JsonObject(json, std::string(source)));
  } catch (const InputError& e) {
    return e.ToError();
  }
}

nlohmann::ordered_json LayoutToJson(const Layout& layout) {
  nlohmann::ordered_json json;
  json["format"] = kLayoutFormat;
  json["version"] = kLayoutFormatVersion;
  json["tp"] = layout.tp;
  json["sequence_parallel"] = layout.sequence_parallel;
  json["pp"] = layout.pp;
  json["vpp"] = layout.vpp;
  json["ep"] = layout.ep;
  json["etp"] = layout.etp;
  json["cp"] = layout.cp;
  json["dp"] = layout.dp;
  json["mbs"] = layout.mbs;
  json["gbs"] = layout.gbs;
  json["recompute"] = ToString(layout.recompute);
  json["recompute_modules"] = RecomputeModulesToJson(layout.recompute_modules);
  json["sharding"] = ToString(layout.sharding);
  json["precision"] = hw::ToString(layout.precision);
  return json;
}

Result<Layout> LoadLayout(std::string_view spec) {
  const std::filesystem::path path(spec);
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    Result<nlohmann::json> json = ReadJsonFile(path);
    if (!json) return json.error();
    return LayoutFromJson(*json, path.string());
  }
  return ParseLayout(spec);
}

}  // namespace moeplan::sim
