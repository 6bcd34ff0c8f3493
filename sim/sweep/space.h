//===- sim/sweep/space.h - Search spaces of the planner and sweeps -*- C++ -*-===//
/// \file
/// A `SweepSpace` is the cartesian product of value lists over the architecture dimensions of
/// laws::MoeArch (hidden size d, layers L, routed experts N_e, active experts K, expert width,
/// shared experts, leading dense layers, attention heads / KV heads / head dim or fixed MLA
/// ranks, dense FFN width, vocabulary, sequence length) and over the parallel-layout dimensions
/// of sim::Layout (tp, pp, vpp, ep, etp, cp, mbs, recompute, global batch), plus constraints
/// (maximum total / active parameters, triad targets with tolerances, memory headroom).
///
/// Candidates are never materialised: architecture candidate `i` is decoded from its index in
/// mixed radix (DecodeArch), so a sweep of 10^9 candidates needs no memory for the list.
/// Every architecture candidate is evaluated with its best layout (sim/sweep/evaluator.h).
///
/// JSON form ("format": "moeplan-space", "version": 1; strict, errors name file and path):
///   { "format": "moeplan-space", "version": 1, "name": "my-space",
///     "arch": { "hidden_size": {"min": 2048, "max": 8192, "step": 512},
///               "num_layers": [24, 32, 48], "num_experts": 288, "top_k": 8,
///               "expert_width": {"min": 512, "max": 2048, "step": 256}, ... },
///     "layout": { "tp": [1, 2, 4, 8], "pp": [1, 2, 4, 8], "recompute": ["none", "full"],
///                 "gbs": 2048, ... },
///     "constraints": { "max_total_params": 2e11, "max_active_params": 4e10,
///                      "memory_headroom": 0.1,
///                      "triad": { "M": {"target": 1e10, "tolerance": 0.05}, ... } } }
/// A dimension is a number (fixed), a list of numbers, or {"min", "max", "step"} (arithmetic)
/// or {"min", "max", "factor"} (geometric, e.g. powers of two); "align": A rounds every value
/// of a range to a multiple of A. Heads 0 means d / head_dim; dense_ffn_width 0 means
/// 8d/3 rounded up to a multiple of 128 (the SwiGLU convention of Llama and DeepSeek).
/// Thread-safe (immutable once read).
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/arch.h"
#include "laws/support/result.h"
#include "sim/layout.h"

namespace moeplan::plan {

/// The architecture dimensions, in decoding order (the last one varies fastest).
enum class ArchDim : uint8_t {
  kHiddenSize,
  kNumLayers,
  kNumExperts,
  kTopK,
  kExpertWidth,
  kSharedExperts,
  kFirstDenseLayers,
  kNumHeads,
  kNumKvHeads,
  kHeadDim,
  kDenseFfnWidth,
  kVocabSize,
  kSeqLen,
};
inline constexpr size_t kNumArchDims = 13;
/// JSON / CSV names: "hidden_size", "num_layers", "num_experts", "top_k", "expert_width", ...
const char* ToString(ArchDim dim);

/// MLA ranks when the space uses Multi-head Latent Attention (fixed for the whole space).
struct MlaRanks {
  int64_t q_lora_rank = 1536;
  int64_t kv_lora_rank = 512;
  int64_t qk_nope_head_dim = 128;
  int64_t qk_rope_head_dim = 64;
  int64_t v_head_dim = 128;
};

/// A relative target on one triad quantity: |x / target - 1| <= tolerance.
struct TriadTarget {
  double target = 0;  ///< 0: no target
  double tolerance = 0.05;
};

struct Constraints {
  /// Model-card convention (embedding and LM head included); 0 = no limit.
  double max_total_params = 0;
  double max_active_params = 0;
  /// Triad targets: M (non-embedding fwd+bwd FLOPs/token), N_a and N (non-embedding).
  TriadTarget flops_per_token, active_params, total_params;
  /// Fraction of HBM a layout must leave free (0 = may fill it).
  double memory_headroom = 0.0;
};

struct LayoutDims {
  std::vector<int64_t> tp = {1, 2, 4, 8};
  std::vector<int64_t> pp = {1, 2, 4, 8, 16};
  std::vector<int64_t> vpp = {1, 2};
  std::vector<int64_t> ep = {1, 2, 4, 8, 16, 32, 64};
  /// 0 = etp equal to tp (Megatron-Core's default).
  std::vector<int64_t> etp = {1};
  std::vector<int64_t> cp = {1};
  std::vector<int64_t> mbs = {1, 2};
  std::vector<sim::Recompute> recompute = {sim::Recompute::kNone, sim::Recompute::kSelective,
                                           sim::Recompute::kFull};
  /// What "selective" recomputes (Megatron's --recompute-modules).
  sim::RecomputeModules recompute_modules = sim::kSearchRecomputeModules;
  /// Global batch in sequences; 0 = chosen by the planner (B_opt(C) of DeepSeek LLM).
  int64_t gbs = 0;
  sim::Sharding sharding = sim::Sharding::kOptimizer;
  hw::Precision precision = hw::Precision::kBf16;
};

struct SweepSpace {
  std::string name = "custom";
  std::array<std::vector<int64_t>, kNumArchDims> arch;
  laws::AttentionType attention = laws::AttentionType::kMultiHead;
  MlaRanks mla;
  bool gated = true;  ///< SwiGLU experts and FFNs
  bool tied_embeddings = false;
  LayoutDims layout;
  Constraints constraints;

  const std::vector<int64_t>& values(ArchDim dim) const { return arch[static_cast<size_t>(dim)]; }
  /// Product of the architecture value lists (saturates at INT64_MAX).
  int64_t NumArchCandidates() const;
  /// Layouts tried per architecture (product of the layout lists).
  int64_t NumLayoutsPerArch() const;
  /// Non-empty lists, positive sizes, consistent constraints; errors start with `source`.
  [[nodiscard]] Status Validate(std::string_view source) const;
};

/// The values of candidate `index` (0 <= index < NumArchCandidates()), mixed radix with the
/// last dimension fastest.
std::array<int64_t, kNumArchDims> DecodeArchValues(const SweepSpace& space, int64_t index);

/// Fills `arch` (reused between calls: no allocation once its vectors are empty) from the
/// decoded values. Returns nullptr when valid, else a static reason ("top_k > num_experts").
const char* BuildArch(const SweepSpace& space, const std::array<int64_t, kNumArchDims>& values,
                      laws::MoeArch& arch);

/// Reads a "moeplan-space" document; `source` names it in errors.
[[nodiscard]] Result<SweepSpace> SpaceFromJson(const nlohmann::json& document,
                                               std::string_view source);
[[nodiscard]] Result<SweepSpace> ReadSpaceFile(const std::filesystem::path& path);
/// The space as JSON (value lists written out); SpaceFromJson(SpaceToJson(s)) == s.
nlohmann::ordered_json SpaceToJson(const SweepSpace& space);

/// Built-in spaces: "default" (DeepSeek/Qwen/Mixtral-like GQA shapes), "deepseek" (MLA,
/// fine-grained experts), "dense". `ResolveSpace` takes a built-in name or a file path.
std::vector<std::string> BuiltinSpaceNames();
[[nodiscard]] Result<SweepSpace> BuiltinSpace(std::string_view name);
[[nodiscard]] Result<SweepSpace> ResolveSpace(std::string_view name_or_path);

}  // namespace moeplan::plan
