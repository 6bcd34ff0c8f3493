//===- sim/sweep/sweep_report.cc - The summary of a finished sweep --------===//
#include "sim/sweep/sweep_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace moeplan::plan {
namespace {

double Rate(const SweepResult& r) {
  return static_cast<double>(r.stats.candidates) / std::max(r.seconds, 1e-9);
}

nlohmann::ordered_json Rows(const std::vector<Entry>& entries) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Entry& e : entries) out.push_back(CsvRowToJson(e.row));
  return out;
}

// "d 2048  L 24  N_e 64  K 8 ..." from a row object: the dimensions a reader compares.
std::string Brief(const nlohmann::ordered_json& row) {
  auto field = [&](const char* key) {
    const auto it = row.find(key);
    if (it == row.end() || it->is_null()) return std::string("-");
    return it->is_number_float() ? fmt::format("{:.6g}", it->get<double>()) : it->dump();
  };
  std::string layout = "no layout";
  if (!row.value("tp", nlohmann::ordered_json()).is_null()) {
    layout = fmt::format("tp {} pp {} ep {} dp {} mbs {} {}", field("tp"), field("pp"), field("ep"),
                         field("dp"), field("mbs"), row.value("recompute", std::string("?")));
  }
  return fmt::format(
      "#{:<8} objective {}  loss {}  d {}  L {}  N_e {}  K {}  expert_width {}  N {}  N_a {}  "
      "{}  MFU {}  days {}",
      field("index"), field("objective"), field("loss"), field("hidden_size"), field("num_layers"),
      field("num_experts"), field("top_k"), field("expert_width"), field("N"), field("N_a"), layout,
      field("mfu"), field("days"));
}

}  // namespace

nlohmann::ordered_json SweepReportToJson(const SweepResult& r, const SweepReportInfo& info) {
  nlohmann::ordered_json j;
  j["format"] = "moeplan-sweep-summary";
  j["version"] = 1;
  j["space"] = info.space;
  j["configs"] =
      info.configs.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(info.configs);
  j["objective"] = ToString(info.objective);
  j["fleet"] = info.fleet;
  j["law"] = info.law;
  j["ranks"] = info.ranks;
  j["range"] = {{"begin", r.begin}, {"end", r.end}, {"of", info.candidates_total}};
  j["seconds"] = r.seconds;
  j["candidates_per_second"] = Rate(r);
  j["stats"] = r.stats.ToJson();
  nlohmann::ordered_json eliminated = nlohmann::ordered_json::array();
  for (size_t i = 1; i < kNumRejects; ++i) {
    if (r.stats.rejects[i] == 0) continue;
    const auto reason = static_cast<Reject>(i);
    eliminated.push_back({{"reason", ToString(reason)},
                          {"count", r.stats.rejects[i]},
                          {"meaning", Describe(reason)}});
  }
  j["eliminated"] = eliminated;
  j["top"] = Rows(r.reducer.top());
  if (info.reduce.pareto) j["front"] = Rows(r.reducer.front());
  if (info.reduce.band_eps >= 0) {
    j["band"] = {{"eps", info.reduce.band_eps},
                 {"size", r.reducer.Band().size()},
                 {"truncated", r.reducer.band_truncated()}};
  }
  j["out"] = info.out.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(info.out);
  return j;
}

std::string SweepReportText(const SweepResult& r, const SweepReportInfo& info, size_t max_rows) {
  std::string s = fmt::format(
      "swept {} [{}, {}) of {} in {:.2f} s ({:.3g} candidates/s{}, {} layout estimates)\n",
      info.configs.empty() ? "candidates" : "configs of " + info.configs, r.begin, r.end,
      info.candidates_total, r.seconds, Rate(r),
      info.ranks > 1 ? fmt::format(", {} ranks", info.ranks) : "", r.stats.layouts_estimated);
  s += ExplainRejects(r.stats) + "\n";
  const std::vector<Entry>& top = r.reducer.top();
  if (!top.empty()) {
    s += fmt::format("best {} by {} (of {} kept):\n", std::min(max_rows, top.size()),
                     ToString(info.objective), top.size());
    for (size_t i = 0; i < top.size() && i < max_rows; ++i) {
      s += "  " + Brief(CsvRowToJson(top[i].row)) + "\n";
    }
  }
  if (info.reduce.pareto) s += fmt::format("Pareto front: {} entries\n", r.reducer.front().size());
  if (info.reduce.band_eps >= 0) {
    s += fmt::format("band within {:.3g}% of the best: {} entries{}\n", 100 * info.reduce.band_eps,
                     r.reducer.Band().size(), r.reducer.band_truncated() ? " (truncated)" : "");
  }
  if (!info.out.empty()) s += "wrote " + info.out + "\n";
  return s;
}

}  // namespace moeplan::plan
