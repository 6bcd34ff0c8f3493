//===- sim/expert_load.h - Tokens per expert on the busiest rank -*- C++ -*-===//
/// \file
/// A training step waits for the slowest expert-parallel rank of every MoE layer, so the cost of
/// the grouped expert GEMMs and of the all-to-all is that of the most loaded rank. Three models
/// of how the routed tokens spread over the N_e experts:
///
///  - balanced (default, as in benchmark practice: Megatron's performance tables run with
///    auxiliary-loss or aux-loss-free balancing, often with --moe-router-force-load-balancing):
///    every expert gets exactly the mean, tokens x K / N_e, and the busiest rank is the mean;
///  - skew s: the tokens per expert within one step have coefficient of variation s (std/mean)
///    and are independent across experts. An EP rank holds g = N_e / ep experts, so its load has
///    coefficient of variation s / sqrt(g), and the expected largest of ep rank loads is
///      factor = 1 + z(ep) s / sqrt(g),   z(n) = E[max of n standard normals]
///    with Blom's approximation z(n) = Phi^-1((n - 0.375) / (n + 0.25)) (Blom 1958; z(1) = 0,
///    z(8) = 1.42, z(64) = 2.41). The factor is capped by what one rank can receive
///    (ep min(g, K) / K) and by the capacity factor when tokens are dropped;
///  - histogram: measured tokens per expert (one list, or one per MoE layer), e.g. from a
///    router log. Experts are placed on EP ranks in contiguous blocks as Megatron-Core does
///    (rank r holds experts r g .. r g + g - 1); the busiest rank's own experts give the grouped
///    GEMM's per-expert counts. With several layers, layer i uses histogram i mod count.
///
/// Histogram files: {"format": "moeplan-expert-histogram", "version": 1,
/// "tokens_per_expert": [..N_e numbers..]} or {..., "layers": [[..], [..]]}, or plain text with
/// N_e non-negative numbers per line separated by commas or spaces (one line per layer; '#'
/// starts a comment). Only the shares matter: counts are rescaled to the simulated batch.
///
/// `BusiestRank` is allocation-free and thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::sim {

enum class ExpertLoadKind : uint8_t { kBalanced, kSkew, kHistogram };

struct ExpertLoad {
  ExpertLoadKind kind = ExpertLoadKind::kBalanced;
  /// kSkew: coefficient of variation of tokens per expert within one step (0 = balanced).
  double skew = 0.0;
  /// kHistogram: shares of tokens per expert (each list sums to 1), one list per MoE layer.
  std::vector<std::vector<double>> shares;
  std::string source;  ///< the histogram file, for reports

  /// "balanced", "skew 0.3 (coefficient of variation per expert)", "histogram x.json (58 layers)".
  std::string Describe() const;
  static ExpertLoad Balanced() { return {}; }
  static ExpertLoad Skew(double cv) { return {ExpertLoadKind::kSkew, cv, {}, {}}; }
};

/// Blom's approximation of the expected largest of n independent standard normal variables;
/// 0 for n <= 1.
double ExpectedMaxOfNormals(int64_t n);

/// The busiest expert-parallel rank of MoE layer `moe_layer` (0-based among MoE layers).
/// `mean_tokens_per_expert` is what each expert receives at perfect balance; `local_tokens`
/// (size N_e / ep) receives that rank's tokens per local expert. `capacity_factor` > 0 caps
/// every expert at capacity_factor x mean (token dropping); 0 is dropless.
/// Returns the rank's load over the mean rank load (>= 1 up to rounding).
double BusiestRank(const ExpertLoad& load, int64_t num_experts, int64_t top_k, int64_t ep,
                   double mean_tokens_per_expert, double capacity_factor, int64_t moe_layer,
                   std::span<int64_t> local_tokens);

/// Parses a histogram (JSON or plain text, see the file comment); every list must have
/// `num_experts` entries. `source` names the text in errors.
[[nodiscard]] Result<ExpertLoad> ParseExpertHistogram(std::string_view text,
                                                      std::string_view source, int64_t num_experts);

/// Reads and parses a histogram file.
[[nodiscard]] Result<ExpertLoad> LoadExpertHistogram(const std::filesystem::path& file,
                                                     int64_t num_experts);

}  // namespace moeplan::sim
