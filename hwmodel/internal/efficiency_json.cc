//===- hwmodel/internal/efficiency_json.cc - "efficiency" object ----------===//
#include "hwmodel/internal/efficiency_json.h"

#include "hwmodel/internal/json_fields.h"

namespace moeplan::hw::internal {
namespace {

constexpr NumberRange kFraction = NumberRange::kFraction;
constexpr NumberRange kNonNegative = NumberRange::kNonNegative;

GemmParams ReadGemm(const JsonObject& o) {
  o.RejectUnknownKeys({"tile_m", "tile_n", "compute_efficiency", "grouped_compute_efficiency",
                       "k_half", "memory_efficiency", "fp8_efficiency_scale"});
  GemmParams p;
  p.tile_m = o.OptionalInt("tile_m", 1, 4096).value_or(p.tile_m);
  p.tile_n = o.OptionalInt("tile_n", 1, 4096).value_or(p.tile_n);
  p.compute_efficiency = ReadNumberOr(o, "compute_efficiency", kFraction, p.compute_efficiency);
  p.grouped_compute_efficiency =
      ReadNumberOr(o, "grouped_compute_efficiency", kFraction, p.grouped_compute_efficiency);
  p.k_half = ReadNumberOr(o, "k_half", kNonNegative, p.k_half);
  p.memory_efficiency = ReadNumberOr(o, "memory_efficiency", kFraction, p.memory_efficiency);
  p.fp8_efficiency_scale =
      ReadNumberOr(o, "fp8_efficiency_scale", kFraction, p.fp8_efficiency_scale);
  return p;
}

HostParams ReadHost(const JsonObject& o) {
  o.RejectUnknownKeys({"per_kernel", "per_step"});
  HostParams p;
  p.per_kernel = ReadNumberOr(o, "per_kernel", kNonNegative, p.per_kernel);
  p.per_step = ReadNumberOr(o, "per_step", kNonNegative, p.per_step);
  return p;
}

AttentionParams ReadAttention(const JsonObject& o) {
  o.RejectUnknownKeys(
      {"forward_efficiency", "backward_efficiency", "seq_half", "memory_efficiency"});
  AttentionParams p;
  p.forward_efficiency = ReadNumberOr(o, "forward_efficiency", kFraction, p.forward_efficiency);
  p.backward_efficiency = ReadNumberOr(o, "backward_efficiency", kFraction, p.backward_efficiency);
  p.seq_half = ReadNumberOr(o, "seq_half", kNonNegative, p.seq_half);
  p.memory_efficiency = ReadNumberOr(o, "memory_efficiency", kFraction, p.memory_efficiency);
  return p;
}

MemoryParams ReadMemory(const JsonObject& o) {
  o.RejectUnknownKeys(
      {"elementwise", "norm", "router", "permute", "optimizer", "half_bandwidth_bytes"});
  MemoryParams p;
  p.elementwise = ReadNumberOr(o, "elementwise", kFraction, p.elementwise);
  p.norm = ReadNumberOr(o, "norm", kFraction, p.norm);
  p.router = ReadNumberOr(o, "router", kFraction, p.router);
  p.permute = ReadNumberOr(o, "permute", kFraction, p.permute);
  p.optimizer = ReadNumberOr(o, "optimizer", kFraction, p.optimizer);
  p.half_bandwidth_bytes =
      ReadNumberOr(o, "half_bandwidth_bytes", kNonNegative, p.half_bandwidth_bytes);
  return p;
}

LinkEfficiency ReadLink(const JsonObject& o, const LinkEfficiency& defaults) {
  o.RejectUnknownKeys({"max_efficiency", "half_efficiency_bytes"});
  LinkEfficiency p = defaults;
  p.max_efficiency = ReadNumberOr(o, "max_efficiency", kFraction, p.max_efficiency);
  p.half_efficiency_bytes =
      ReadNumberOr(o, "half_efficiency_bytes", kNonNegative, p.half_efficiency_bytes);
  return p;
}

CollectiveParams ReadCollective(const JsonObject& o) {
  o.RejectUnknownKeys({"call_overhead", "scale_up", "scale_out", "ep_overlap_cost"});
  CollectiveParams p;
  p.call_overhead = ReadNumberOr(o, "call_overhead", kNonNegative, p.call_overhead);
  p.ep_overlap_cost =
      ReadNumberOr(o, "ep_overlap_cost", NumberRange::kUnitInterval, p.ep_overlap_cost);
  if (auto up = o.OptionalObject("scale_up")) p.scale_up = ReadLink(*up, p.scale_up);
  if (auto out = o.OptionalObject("scale_out")) p.scale_out = ReadLink(*out, p.scale_out);
  return p;
}

nlohmann::ordered_json LinkToJson(const LinkEfficiency& link) {
  return {{"max_efficiency", link.max_efficiency},
          {"half_efficiency_bytes", link.half_efficiency_bytes}};
}

}  // namespace

EfficiencyParams ReadEfficiency(const JsonObject& o) {
  o.RejectUnknownKeys(
      {"source", "launch_overhead", "gemm", "attention", "memory", "collective", "host"});
  EfficiencyParams e;
  e.source = o.OptionalString("source").value_or(e.source);
  e.launch_overhead = ReadNumberOr(o, "launch_overhead", kNonNegative, e.launch_overhead);
  if (auto gemm = o.OptionalObject("gemm")) e.gemm = ReadGemm(*gemm);
  if (auto attention = o.OptionalObject("attention")) e.attention = ReadAttention(*attention);
  if (auto memory = o.OptionalObject("memory")) e.memory = ReadMemory(*memory);
  if (auto collective = o.OptionalObject("collective")) {
    e.collective = ReadCollective(*collective);
  }
  if (auto host = o.OptionalObject("host")) e.host = ReadHost(*host);
  return e;
}

nlohmann::ordered_json EfficiencyToJson(const EfficiencyParams& e) {
  nlohmann::ordered_json j;
  j["source"] = e.source;
  j["launch_overhead"] = e.launch_overhead;
  const GemmParams& g = e.gemm;
  j["gemm"] = {{"tile_m", g.tile_m},
               {"tile_n", g.tile_n},
               {"compute_efficiency", g.compute_efficiency},
               {"grouped_compute_efficiency", g.grouped_compute_efficiency},
               {"k_half", g.k_half},
               {"memory_efficiency", g.memory_efficiency},
               {"fp8_efficiency_scale", g.fp8_efficiency_scale}};
  const AttentionParams& a = e.attention;
  j["attention"] = {{"forward_efficiency", a.forward_efficiency},
                    {"backward_efficiency", a.backward_efficiency},
                    {"seq_half", a.seq_half},
                    {"memory_efficiency", a.memory_efficiency}};
  const MemoryParams& m = e.memory;
  j["memory"] = {{"elementwise", m.elementwise}, {"norm", m.norm},
                 {"router", m.router},           {"permute", m.permute},
                 {"optimizer", m.optimizer},     {"half_bandwidth_bytes", m.half_bandwidth_bytes}};
  const CollectiveParams& c = e.collective;
  j["collective"] = {{"call_overhead", c.call_overhead},
                     {"scale_up", LinkToJson(c.scale_up)},
                     {"scale_out", LinkToJson(c.scale_out)},
                     {"ep_overlap_cost", c.ep_overlap_cost}};
  j["host"] = {{"per_kernel", e.host.per_kernel}, {"per_step", e.host.per_step}};
  return j;
}

}  // namespace moeplan::hw::internal
