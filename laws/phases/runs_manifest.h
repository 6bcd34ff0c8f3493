//===- laws/phases/runs_manifest.h - The runs manifest of a design -*- C++ -*-===//
/// \file
/// Writes the runs of `Design` (laws/phases/design.h) as the runs manifest that `moeplan
/// fit-phases` reads back (docs/phases.md):
///
///  - CSV, one run per row, these columns in this order:
///      run_id,phase,compute,hidden_size,num_layers,num_experts,top_k,expert_width,
///      shared_experts,first_dense_layers,num_heads,num_kv_heads,head_dim,vocab_size,seq_len,
///      flops_per_token,active_params,total_params,tokens,active_over_flops,total_over_active,
///      learning_rate,batch_tokens
///    flops_per_token = M, active_params = N_a, total_params = N: the exact triad in moeplan's
///    default convention (non-embedding, forward+backward, attention counted full); tokens =
///    C / M; active_over_flops = N_a / M; total_over_active = N / N_a. Reals are written with
///    17 significant digits (they read back exactly), counts as integers. For MLA models
///    head_dim is the query/key head width (qk_nope + qk_rope) and num_kv_heads is 0.
///  - JSON {"format": "moeplan-runs", "version": 1, "convention", "sources", "budgets",
///    "runs": [{..the CSV fields.., "grid": {...}, "arch": <moeplan-arch>}], "skipped": [...]}.
/// Pure functions, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "laws/phases/design.h"

namespace moeplan::phases {

inline constexpr std::string_view kRunsFormat = "moeplan-runs";
inline constexpr int kRunsFormatVersion = 1;

/// The manifest columns, in order.
const std::vector<std::string>& ManifestColumns();

/// Header row and one row per run, "\n"-terminated.
std::string RunsCsv(const DesignResult& design);

/// The JSON manifest, every run with its full moeplan-arch object.
nlohmann::ordered_json RunsJson(const DesignResult& design);

}  // namespace moeplan::phases
