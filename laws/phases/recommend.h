//===- laws/phases/recommend.h - A budget to a complete architecture -*- C++ -*-===//
/// \file
/// Maps a compute budget C to a complete training recipe, the last step of the two-phase
/// framework of Wan et al. (arXiv:2603.21862): the allocation laws (laws/phases/allocation.h)
/// give M_opt(C), N_a/M, N/N_a and d_opt(C); the triad solver realises (M, N_a, N) at d as an
/// architecture whose exact triad is within the template's tolerance (trying the neighbouring
/// hidden sizes, d +- k x step, when d itself cannot realise it); depth or expert width laws,
/// when the law file has them, choose among the realising candidates. Tokens are D = C / M of
/// the realised M (the budget is spent exactly; D_opt(C) is reported beside it), learning rate
/// and batch size are eta_opt(C) and B_opt(C).
///
/// With a loss law (target "L"), the loss is predicted at the architecture and tokens, and its
/// band is the delta-method interval from the coefficients' standard errors taken as
/// independent (a coefficient with only a confidence interval uses its half-width / z). The
/// law's variables are read by symbol: D (tokens), C (compute), M (FLOPs per token), N_a
/// (active parameters), N (active or total, `loss_params`), E (routed experts); parameter
/// counts include the embedding and LM head, as in the Chinchilla presets. Pure, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laws/phases/allocation.h"
#include "laws/phases/arch_template.h"
#include "laws/phases/triad_solver.h"

namespace moeplan::phases {

/// Which parameter count a loss law's "N" reads.
enum class LossParams { kActive, kTotal };
Result<LossParams> ParseLossParams(std::string_view text);

struct RecommendOptions {
  double compute = 0;  ///< C, FLOPs (forward + backward)
  AllocationOptions allocation;
  ArchTemplate arch;
  std::string loss_law;  ///< preset or file with a law of target "L"; empty: no loss
  LossParams loss_params = LossParams::kActive;
  double ci_level = 0.95;  ///< of the loss band
  int d_neighbours = 8;    ///< hidden sizes d +- k x step tried, k = 1..d_neighbours
};

struct LossPrediction {
  double value = 0;
  std::optional<double> low, high;  ///< absent when the law has no standard errors
  std::string law;                  ///< preset or file
  std::string note;                 ///< how the band was obtained, or why there is none
};

struct Recommendation {
  Allocation allocation;
  TriadCandidate chosen;  ///< the architecture and its exact triad (default convention)
  /// The triad asked of the solver: M_opt, (N_a/M) M_opt, (N/N_a)(N_a/M) M_opt.
  double target_m = 0, target_na = 0, target_n = 0;
  double tokens = 0;  ///< C / M
  double learning_rate = 0;
  double batch_tokens = 0;
  std::optional<LossPrediction> loss;
  std::vector<std::string> notes;    ///< e.g. "d_opt 1238.7 rounded to 1280; realised at 1152"
  std::vector<std::string> sources;  ///< AllocationModel::Describe()
  std::string convention;            ///< of the triad, in words
};

[[nodiscard]] Result<Recommendation> Recommend(const RecommendOptions& options);

inline constexpr std::string_view kRecommendationFormat = "moeplan-recommendation";

/// {"format": "moeplan-recommendation", "version": 1, "compute", "allocation": {symbol:
/// {"value", "source"}}, "arch": <moeplan-arch>, "triad": {M, N_a, N, targets, errors},
/// "tokens", "learning_rate", "batch_tokens", "loss"?, "notes", "sources", "convention"}.
nlohmann::ordered_json RecommendationToJson(const Recommendation& recommendation);

}  // namespace moeplan::phases
