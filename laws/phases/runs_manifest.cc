//===- laws/phases/runs_manifest.cc - The runs manifest of a design -------===//
#include "laws/phases/runs_manifest.h"

#include <fmt/format.h>

#include "laws/arch_json.h"

namespace moeplan::phases {
namespace {

std::string Real(double x) {
  return fmt::format("{:.17g}", x);
}

int64_t QkHeadDim(const laws::MoeArch& arch) {
  return arch.attention.QkHeadDim();
}

int64_t KvHeads(const laws::MoeArch& arch) {
  return arch.attention.type == laws::AttentionType::kMultiHead ? arch.attention.num_kv_heads : 0;
}

}  // namespace

const std::vector<std::string>& ManifestColumns() {
  static const std::vector<std::string> columns = {"run_id",
                                                   "phase",
                                                   "compute",
                                                   "hidden_size",
                                                   "num_layers",
                                                   "num_experts",
                                                   "top_k",
                                                   "expert_width",
                                                   "shared_experts",
                                                   "first_dense_layers",
                                                   "num_heads",
                                                   "num_kv_heads",
                                                   "head_dim",
                                                   "vocab_size",
                                                   "seq_len",
                                                   "flops_per_token",
                                                   "active_params",
                                                   "total_params",
                                                   "tokens",
                                                   "active_over_flops",
                                                   "total_over_active",
                                                   "learning_rate",
                                                   "batch_tokens"};
  return columns;
}

std::string RunsCsv(const DesignResult& design) {
  std::string out;
  for (size_t i = 0; i < ManifestColumns().size(); ++i) {
    out += (i == 0 ? "" : ",") + ManifestColumns()[i];
  }
  out += "\n";
  for (const PlannedRun& run : design.runs) {
    const laws::MoeArch& a = run.arch;
    const laws::Triad& t = run.triad;
    const double m = t.flops_per_token;
    const double na = static_cast<double>(t.active_params);
    const double n = static_cast<double>(t.total_params);
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                       run.run_id, run.phase, Real(run.compute), a.hidden_size, a.num_layers,
                       a.moe.num_experts, a.moe.top_k, a.moe.expert.intermediate_size,
                       a.moe.num_shared_experts, a.moe.first_dense_layers, a.attention.num_heads,
                       KvHeads(a), QkHeadDim(a), a.vocab_size, a.seq_len, Real(m), t.active_params,
                       t.total_params, Real(run.tokens), Real(na / m), Real(n / na),
                       Real(run.learning_rate), Real(run.batch_tokens));
  }
  return out;
}

nlohmann::ordered_json RunsJson(const DesignResult& design) {
  nlohmann::ordered_json doc;
  doc["format"] = kRunsFormat;
  doc["version"] = kRunsFormatVersion;
  doc["convention"] = design.convention + "; tokens = compute / flops_per_token";
  doc["sources"] = design.sources;
  nlohmann::ordered_json budgets = nlohmann::ordered_json::array();
  for (const BudgetPlan& b : design.budgets) {
    const Allocation& a = b.allocation;
    nlohmann::ordered_json entry;
    entry["compute"] = a.compute;
    entry["proxy_hidden_size"] = b.proxy_hidden_size;
    const auto value = [](const Allocated& x) {
      return nlohmann::ordered_json{{"value", x.value}, {"source", x.source}};
    };
    entry["M_opt"] = value(a.m_opt);
    entry["D_opt"] = value(a.d_opt);
    entry["Na_over_M_opt"] = value(a.na_over_m);
    entry["N_over_Na_opt"] = value(a.n_over_na);
    entry["d_opt"] = value(a.hidden_size);
    entry["eta_opt"] = value(a.learning_rate);
    entry["B_opt"] = value(a.batch_tokens);
    budgets.push_back(entry);
  }
  doc["budgets"] = budgets;
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const PlannedRun& run : design.runs) {
    const laws::Triad& t = run.triad;
    const double na = static_cast<double>(t.active_params);
    nlohmann::ordered_json r;
    r["run_id"] = run.run_id;
    r["phase"] = run.phase;
    r["compute"] = run.compute;
    r["flops_per_token"] = t.flops_per_token;
    r["active_params"] = t.active_params;
    r["total_params"] = t.total_params;
    r["tokens"] = run.tokens;
    r["active_over_flops"] = na / t.flops_per_token;
    r["total_over_active"] = static_cast<double>(t.total_params) / na;
    r["learning_rate"] = run.learning_rate;
    r["batch_tokens"] = run.batch_tokens;
    nlohmann::ordered_json grid;
    grid["M"] = run.grid_m;
    grid["Na_over_M"] = run.grid_na_over_m;
    grid["N_over_Na"] = run.grid_n_over_na;
    grid["hidden_size"] = run.grid_hidden_size;
    if (!run.grid_shape.empty()) grid["shape"] = run.grid_shape;
    grid["worst_error"] = run.worst_error;
    r["grid"] = grid;
    r["arch"] = laws::ArchToJson(run.arch);
    runs.push_back(r);
  }
  doc["runs"] = runs;
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const SkippedPoint& s : design.skipped) {
    skipped.push_back({{"run_id", s.run_id},
                       {"phase", s.phase},
                       {"compute", s.compute},
                       {"grid", s.grid},
                       {"reason", s.reason}});
  }
  doc["skipped"] = skipped;
  return doc;
}

}  // namespace moeplan::phases
