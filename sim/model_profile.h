//===- sim/model_profile.h - What sim/ needs to know of a model -*- C++ -*-===//
/// \file
/// The layout-independent facts about one architecture that the lowering and the step model use
/// over and over: which decoder layers cost alike (dense or MoE x global, sliding-window or
/// chunked attention: at most 6 kinds), how many layers of each kind lie in any range of layers
/// (prefix counts, O(1) per query), and the model FLOPs per token under the two conventions
/// used to quote MFU. Built once per architecture; read-only afterwards and thread-safe.
///
/// Model FLOPs (laws::CountTriad, forward+backward = 3 x forward, LM head and MTP modules
/// included because they are executed work; embedding lookups cost no FLOPs):
///  - kCausal: causal attention counted halved, the convention of NVIDIA's Megatron-Bridge
///    performance tables;
///  - kFull: every query against every key (Kaplan et al. 2020, DeepSeek LLM).
///
/// Pipeline split rule: the first and last virtual stages also hold the embedding and the LM
/// head, loss and MTP modules, which are worth r_first and r_last decoder layers of time (the
/// lowering rounds their cost to whole layers, sim/lowering.h), or exactly one layer each
/// where Megatron-LM's --account-for-embedding-in-pipeline-split /
/// --account-for-loss-in-pipeline-split are set. Where L divides over S and neither flag is
/// set, r_first = r_last = 0: Megatron-LM's own even split. The L + r_first + r_last layer units
/// are split over the S = pp x vpp virtual stages: every stage gets floor(U / S) units, the U mod S
/// remaining ones go one each to the middle stages 1, 2, ..., S - 2 and only then to stage 0 (never
/// to the last stage); stage 0 then holds r_first units fewer decoder layers and the last stage
/// r_last fewer (each reserve capped at L / (S - 1) so that no stage holds fewer than 0 layers).
/// With no reserves: L = 61, S = 16 gives 61 = 16 x 3 + 13, stages 1-13 hold 4 layers and stages 0,
/// 14, 15 hold
/// 3. With r_last = 4 (DeepSeek-V3's LM head plus MTP module): U = 65, every stage 4 units and
/// stage 1 one more; the last stage holds the head and MTP alone. (Megatron-LM expresses such
/// splits with --decoder-first/last-pipeline-num-layers or --pipeline-model-parallel-layout.)
///
/// More virtual stages than decoder layers (L < S <= L + 2) is what Megatron-LM allows with
/// both --account-for flags: the embedding and the loss (LM head, cross entropy and the MTP
/// modules) then count as exactly one unit each, whatever their cost, and the L + 2 units are
/// split by the same rule. S = L + 2 gives one unit per stage: stage 0 holds the embedding and no
/// decoder layer, stage s the layer s - 1, the last stage the head and loss alone (Llama 3.1
/// 405B, L = 126, on pp = 16 x vpp = 8 in Megatron-Bridge). S = L + 1 gives the one extra unit
/// to stage 1 (two layers). Stages may therefore hold no decoder layer; every stage still holds
/// at least one unit.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "laws/arch.h"
#include "laws/support/result.h"

namespace moeplan::sim {

/// A class of decoder layers that cost the same.
struct LayerKind {
  bool is_moe = false;
  laws::LayerAttention attention = laws::LayerAttention::kGlobal;
  bool operator==(const LayerKind&) const = default;
};
inline constexpr int kMaxLayerKinds = 6;

/// "dense", "moe", "dense/sliding", "moe/chunked", ...
std::string ToString(const LayerKind& kind);

enum class FlopConvention : uint8_t {
  kCausal,  ///< causal attention halved (Megatron-Bridge tables)
  kFull,    ///< attention counted full
};
inline constexpr int kNumFlopConventions = 2;
/// "causal" / "full".
const char* ToString(FlopConvention convention);
/// One line naming what is counted, for reports.
std::string DescribeConvention(FlopConvention convention, int64_t seq_len);

/// Decoder layers [begin, end) of one virtual stage.
struct StageSpan {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

/// Layers of virtual stage `stage` of `stages` under the split rule above (stages <= layers + 2;
/// the span is empty on an end stage that holds only the embedding or the loss);
/// `reserve_first` / `reserve_last` are r_first and r_last in layer units, ignored (one unit
/// each) when stages > layers.
StageSpan StageLayers(int64_t num_layers, int64_t stages, int64_t stage, int64_t reserve_first = 0,
                      int64_t reserve_last = 0);

struct ModelProfile {
  laws::MoeArch arch;  ///< validated copy; arch.seq_len is the simulated sequence length
  int num_kinds = 0;
  std::array<LayerKind, kMaxLayerKinds> kinds{};
  /// prefix[i * num_kinds + k]: layers of kind k among layers [0, i); (L + 1) x num_kinds.
  std::vector<int32_t> prefix;
  /// Kind of each MTP module's decoder layer (index into kinds; added if new).
  std::vector<int> mtp_kind;
  /// Model FLOPs per token, by FlopConvention (LM head and MTP in, forward+backward).
  std::array<double, kNumFlopConventions> model_flops_per_token{};
  int64_t total_params = 0;  ///< N with embedding, LM head and MTP (model-card style)

  int64_t num_layers() const { return arch.num_layers; }
  /// Layers of kind `kind` among decoder layers [begin, end).
  int64_t CountKind(int kind, int64_t begin, int64_t end) const {
    const auto k = static_cast<size_t>(kind);
    const auto n = static_cast<size_t>(num_kinds);
    return prefix[static_cast<size_t>(end) * n + k] - prefix[static_cast<size_t>(begin) * n + k];
  }
};

/// Validates `arch` (laws::Validate) and builds its profile. `seq_len` > 0 overrides the
/// architecture's own training sequence length.
[[nodiscard]] Result<ModelProfile> BuildProfile(const laws::MoeArch& arch, int64_t seq_len = 0);

}  // namespace moeplan::sim
