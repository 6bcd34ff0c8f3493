//===- laws/phases/allocation.h - Compute-optimal allocation of a budget -*- C++ -*-===//
/// \file
/// What a compute budget C buys under the two-phase framework of Wan et al. (arXiv:2603.21862):
/// the compute-optimal FLOPs per token M_opt and tokens D_opt, the ratios N_a/M and N/N_a, the
/// hidden size d, optionally depth or expert width, and the learning rate and batch size. Each
/// is a power law X = k C^e read from a law file (laws/scaling/law_json.h) by target symbol:
///
///   M_opt, D_opt, Na_over_M_opt, N_over_Na_opt, d_opt, num_layers_opt, expert_width_opt,
///   eta_opt, B_opt
///
/// Sources, first match wins: an explicit override (a constant), the law file given by the user
/// (`--laws`, e.g. the output of `moeplan fit-phases`), then the built-in sources: wan2026 for
/// M_opt and D_opt, deepseek-llm-2024 for eta_opt and B_opt (or the file named by
/// `hyper_laws`), `PhaseDefaults()` for N/N_a, and for d and N_a/M the default shape rule
/// below. Wan et al.'s own ratio and d laws were not available to moeplan (see docs/phases.md):
/// these defaults are moeplan's explicit choices, not published values, and every printed value
/// names its source.
///
/// The default shape rule (not published): a model whose layers hold the attention of the
/// template (per layer A_p(d) parameters and A_m(d) FLOPs per token, projections and score
/// products; multi-head with head width 128: A_p = 4 d^2, A_m = 24 d^2 + 12 d S) and
/// `ffn_ratio` d^2 active FFN parameters (8: a dense SwiGLU FFN of width 8d/3; DeepSeek-V3 has
/// 7.7, Qwen3-30B-A3B 9.0) with aspect ratio d / L = `aspect_ratio` (64; DeepSeek-V3 117,
/// Qwen3-30B-A3B 43) spends per token, forward + backward with attention counted full,
/// M = L (A_m(d) + 6 ffn_ratio d^2). With L = d / aspect_ratio this fixes d at M = M_opt(C), and
/// N_a / M = L (A_p(d) + ffn_ratio d^2) / M follows. N_a / M then rises towards 1/6 as the
/// score products' share shrinks with d, which a constant or power law of C cannot do for
/// long; and an attention that costs more per parameter (MLA) gets a smaller N_a / M.
///
/// Laws whose C or M is forward-only (ling2025) are converted: C_fwd = C / 3, M = 3 M_fwd.
/// Immutable once made, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "laws/scaling/law.h"
#include "laws/support/result.h"

namespace moeplan::phases {

/// One allocated quantity and where it came from ("wan2026", "fit.json", "--hidden-size", ...).
struct Allocated {
  double value = 0;
  std::string source;
};

struct Allocation {
  double compute = 0;  ///< C, FLOPs (forward + backward)
  Allocated m_opt;     ///< FLOPs per token, non-embedding, forward + backward
  Allocated d_opt;     ///< tokens
  Allocated na_over_m;
  Allocated n_over_na;
  Allocated hidden_size;                  ///< d, before rounding to the template's step
  std::optional<Allocated> num_layers;    ///< only when a law gives it
  std::optional<Allocated> expert_width;  ///< only when a law gives it
  Allocated learning_rate;
  Allocated batch_tokens;
};

struct AllocationOptions {
  /// Preset name or law file with any of the targets above; empty: built-in sources only.
  std::string laws;
  /// Source of eta_opt and B_opt when `laws` has none.
  std::string hyper_laws = "deepseek-llm-2024";
  /// Source of M_opt and D_opt when `laws` has none.
  std::string default_allocation = "wan2026";
  /// Constants that override every law.
  std::optional<double> na_over_m, n_over_na, hidden_size;
  /// The default shape rule (used for d and N_a/M when no law gives them).
  double aspect_ratio = 64;  ///< d / L
  double ffn_ratio = 8;      ///< active FFN parameters per layer / d^2
  int64_t seq_len = 4096;    ///< S of the attention products (default attention only)
  /// Attention of one layer at hidden size d: {parameters, FLOPs per token (fwd+bwd)}. Unset:
  /// multi-head attention with heads x head_dim = d, {4 d^2, 24 d^2 + 12 d S}. Design and
  /// recommend set it from their template (ArchTemplate::AttentionCost).
  std::function<std::pair<double, double>(double d)> attention;
  [[nodiscard]] Status Validate() const;
};

/// moeplan's default N/N_a law (not published): N_over_Na_opt = 8 (C^0); its provenance says
/// how it was chosen.
const scaling::LawFile& PhaseDefaults();

/// The default shape rule at M: hidden size d (continuous) and N_a / M (see the file comment).
struct ShapeRule {
  double hidden_size = 0;
  double na_over_m = 0;
};
ShapeRule DefaultShape(double m, const AllocationOptions& options);

class AllocationModel {
 public:
  /// Loads the law files; errors name the file, or the law that is not a power law of C.
  [[nodiscard]] static Result<AllocationModel> Make(const AllocationOptions& options);

  /// The allocation at budget C (> 0); errors when a law predicts a non-positive value.
  [[nodiscard]] Result<Allocation> At(double compute) const;

  /// Describes the sources in one line per quantity, e.g. "M_opt: wan2026 (k = 0.0437, ...)".
  std::vector<std::string> Describe() const;

 private:
  struct Source {
    std::string symbol;
    std::string origin;  // preset name or file path
    scaling::BoundLaw law;
    double c_factor = 1.0;  // C fed to the law = c_factor x C (1/3 for forward-only C)
    double x_factor = 1.0;  // value = x_factor x prediction (3 for forward-only M)
  };
  const Source* Find(const std::string& symbol) const;
  std::string RuleName() const;
  Result<Allocated> Predict(const std::string& symbol, double compute) const;

  AllocationOptions options_;
  std::vector<Source> sources_;  // in priority order
};

}  // namespace moeplan::phases
