//===- sim/sweep/config_list.h - User-given lists of architectures -*- C++ -*-===//
/// \file
/// `moeplan sweep --configs FILE` evaluates a list of architectures instead of the product
/// of a space's value lists, with the same pipeline (sim/sweep/evaluator.h) and output. The
/// space still gives what a list does not: layouts, constraints, attention type, MLA ranks,
/// gating, tied embeddings, and the value of every dimension a CSV leaves out. Candidate `i`
/// is the i-th architecture of the file (0-based, in file order), so the sweep's chunking,
/// determinism, --resume and shards apply unchanged. Two formats, chosen by the extension:
///
///  - `.csv`: a header row naming columns by the space's dimension names (`hidden_size`,
///    `num_layers`, `num_experts`, `top_k`, `expert_width`, `shared_experts`,
///    `first_dense_layers`, `num_heads`, `num_kv_heads`, `head_dim`, `dense_ffn_width`,
///    `vocab_size`, `seq_len`) plus an optional free-text `name`; then one architecture per row,
///    integer values with the meanings of sim/sweep/space.h (0 heads = d / head_dim, ...). A
///    missing column takes the space's value when the space fixes that dimension (one value)
///    and is an error when the space lists several. Plain comma separation (no quoting);
///    blank lines and lines starting with '#' are skipped.
///    e.g.  hidden_size,num_layers,num_experts,top_k,expert_width,shared_experts,first_dense_layers
///          2048,24,64,8,1408,2,1
///  - `.jsonl` (or `.ndjson`): one JSON object per line, either a moeplan-arch object
///    (`"format": "moeplan-arch"`, laws/arch_json.h) or a Hugging Face config.json object
///    (`model_type`, laws/hf_import.h; its training sequence length is the space's seq_len).
///
/// Errors name the file, the line (and for CSV the column) and what was expected:
///   "list.csv: line 4, column 2 ('num_layers'): expected an integer >= 1, got 'abc'"
/// Pure functions; thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "laws/arch.h"
#include "laws/support/result.h"
#include "sim/sweep/space.h"

namespace moeplan::plan {

/// Reads a `.csv` or `.jsonl`/`.ndjson` list; other extensions are an error.
[[nodiscard]] Result<std::vector<laws::MoeArch>> ReadConfigList(const std::filesystem::path& file,
                                                                const SweepSpace& space);

/// The CSV form from text; `source` names it in errors.
[[nodiscard]] Result<std::vector<laws::MoeArch>> ParseConfigCsv(std::string_view text,
                                                                std::string_view source,
                                                                const SweepSpace& space);

/// The JSON Lines form from text; `source` names it in errors.
[[nodiscard]] Result<std::vector<laws::MoeArch>> ParseConfigJsonl(std::string_view text,
                                                                  std::string_view source,
                                                                  const SweepSpace& space);

}  // namespace moeplan::plan
