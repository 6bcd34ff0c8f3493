//===- laws/arch_json.h - moeplan's own JSON format for MoeArch -*- C++ -*-===//
/// \file
/// Reads and writes architectures as `{"format": "moeplan-arch", "version": 1, ...}`. Writing
/// then reading gives back an equal `MoeArch` (the writer spells out every field). The reader is
/// strict: unknown fields are errors (a misspelt field must not fall back to a default), and
/// every error names the source and the JSON path. Documented defaults for optional fields:
///   seq_len 4096; attention.num_kv_heads = num_heads; attention.head_dim = hidden_size/num_heads
///   (which must divide); attention.v_head_dim = head_dim; flags false; qk_norm "none";
///   dense_ffn.gated true; no "moe" object = dense model; moe.layer_period 1, layer_offset 0;
///   moe.shared_expert = moe.expert's shape; norm {"rmsnorm", per_layer 2, final_norm true};
///   no "layer_attention" = every layer global.
/// See docs/formats.md for the full field list.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "laws/arch.h"
#include "laws/support/result.h"

namespace moeplan::laws {

inline constexpr std::string_view kArchFormat = "moeplan-arch";
inline constexpr int kArchFormatVersion = 1;

/// Parses and validates an architecture in moeplan's format; `source` names it in errors.
[[nodiscard]] Result<MoeArch> ArchFromJson(const nlohmann::json& json, std::string_view source);

/// Serialises every field (lossless round trip through ArchFromJson).
nlohmann::ordered_json ArchToJson(const MoeArch& arch);

}  // namespace moeplan::laws
