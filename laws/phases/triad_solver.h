//===- laws/phases/triad_solver.h - Architectures meeting a triad -*- C++ -*-===//
/// \file
/// The triad solver of the two-phase framework of Wan et al. (arXiv:2603.21862): given targets
/// for the constraint triad (FLOPs per token `M`, active parameters `N_a`, total parameters
/// `N`, each with a relative tolerance), a hidden size `d` and the fixed dimensions (vocabulary,
/// sequence length, attention, gating, leading dense layers, ...), it finds the architectures
/// (`laws::MoeArch`) whose exact accounting (`laws::CountTriad`) meets all three targets, or says
/// why none exists.
///
/// Free dimensions: depth `L`, routed-expert width `w` (a multiple of `width_align`, 64 by
/// default), shared experts `s`, and routed experts `N_e`, active experts `K` and attention
/// heads when their ranges are not fixed. Why it is fast: for fixed (heads, K, s) the counts are
/// bilinear in (L, w) and in (w, N_e) — each layer adds attention + norms + router + (K + s)
/// experts of 3 d w (gated) weights, and N adds (N_e + s) of them — so four exact probes of
/// `CountTriad` give the coefficients. A scan over L finds the depths whose window of widths
/// keeps M and N_a (and N, with N_e fixed) within tolerance; at the best few, the continuous
/// solution follows in closed form and only its integer/aligned neighbours are counted
/// exactly (explanations: triad_explain.cc; checks of the problem: triad_problem.cc):
///
///   M - 6 N_a  ~= L x (attention score products per layer)   -> L    (the attention share)
///   N_a        ~= L_moe (K + s) 3 d w + rest                 -> w
///   N          ~= L_moe (N_e + s) 3 d w + rest               -> N_e
///
/// Every returned candidate was counted exactly with `counting`; candidates are sorted by their
/// worst relative error (ties broken by the dimensions, so the order is deterministic). When no
/// candidate meets the tolerances, `TriadSolution::explanation` says which constraint cannot be
/// met and by how much (e.g. "N/N_a = 40 needs (N_e + s)/(K + s) >= 45.1 ..., but N_e = 64,
/// K = 8, s = 0 gives at most 8"), and `nearest` holds the closest architecture found.
///
/// Limits: every layer must use global attention (no per-layer kinds) and `moe.dense_layers`
/// must be empty; with `layer_period` > 1 the L-model is approximate but the verification is
/// still exact. Measured cost (tests/bench/phases_bench.cc): 7-18 us with the model's own
/// dimensions fixed, 0.3-0.7 ms with N_e in 1..1024, K in 1..16 and s in 0..2 free. Pure
/// function of its input, thread-safe.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "laws/accounting.h"
#include "laws/arch.h"
#include "laws/support/result.h"

namespace moeplan::phases {

/// A relative target: met when |x / target - 1| <= tolerance.
struct TriadGoal {
  double target = 0;        ///< > 0
  double tolerance = 0.02;  ///< relative, in [0, 1)
};

/// Allowed values {min, min + step, ..., <= max} of one integer dimension.
struct IntRange {
  int64_t min = 0;
  int64_t max = 0;
  int64_t step = 1;
  static IntRange Fixed(int64_t value) { return {value, value, 1}; }
  bool IsFixed() const { return min == max; }
};

struct TriadProblem {
  TriadGoal flops_per_token;  ///< M under `counting` (default: non-embedding, fwd+bwd)
  TriadGoal active_params;    ///< N_a under `counting`
  TriadGoal total_params;     ///< N under `counting`

  /// The fixed dimensions: everything except the free ones below is kept as is (vocabulary,
  /// sequence length, hidden size, attention, norms, router flags, expert gating and bias,
  /// first_dense_layers, dense FFN width unless `dense_width_tied`, MTP layers).
  laws::MoeArch base;

  IntRange num_layers{1, 1024};  ///< L, decoder layers (at least first_dense_layers + 1)
  /// Routed experts N_e; nullopt keeps base.moe.num_experts.
  std::optional<IntRange> num_experts;
  /// Active experts K; nullopt keeps base.moe.top_k.
  std::optional<IntRange> top_k;
  /// Shared experts s; nullopt keeps base.moe.num_shared_experts.
  std::optional<IntRange> shared_experts;
  /// Attention heads; nullopt keeps base's. Multi-head attention keeps the base's heads per
  /// KV head, so only multiples of that group size are tried.
  std::optional<IntRange> num_heads;

  int64_t width_align = 64;  ///< routed expert width is a multiple of this (64 or 128 typical)
  int64_t max_expert_width = int64_t{1} << 20;
  /// Shared experts have the routed experts' width (DeepSeek style); false keeps base's.
  bool shared_width_tied = true;
  /// Dense FFN width = (K + s) w, i.e. a dense layer costs what an MoE layer's active FFN costs
  /// (DeepSeek-V3: 18432 = 9 x 2048); false keeps base.dense_ffn.
  bool dense_width_tied = false;
  size_t max_candidates = 8;         ///< candidates returned (best first)
  laws::CountingOptions counting{};  ///< the convention of the targets

  /// Errors name the field and the broken constraint (non-positive target, tolerance outside
  /// [0, 1), empty range, base with per-layer attention kinds, ...).
  [[nodiscard]] Status Validate() const;
};

/// One architecture and how far its exact triad is from the targets.
struct TriadCandidate {
  laws::MoeArch arch;
  laws::Triad triad;    ///< exact, under TriadProblem::counting
  double error_m = 0;   ///< M / target - 1
  double error_na = 0;  ///< N_a / target - 1
  double error_n = 0;   ///< N / target - 1
  double worst = 0;     ///< max of the absolute errors
  bool within = false;  ///< every error within its tolerance
};

struct TriadSolution {
  std::vector<TriadCandidate> candidates;  ///< within tolerance, best first
  /// The closest architecture found (also when candidates is not empty: candidates[0]).
  std::optional<TriadCandidate> nearest;
  /// Empty when candidates exist; otherwise one line saying why none does.
  std::string explanation;
  size_t evaluated = 0;  ///< exact CountTriad calls (probes included)
};

/// Solves `problem`; bad problems are errors, infeasible ones a solution with an explanation.
[[nodiscard]] Result<TriadSolution> SolveTriad(const TriadProblem& problem);

/// "M +0.31%, N_a -1.20%, N +0.05%": the signed errors of a candidate.
std::string DescribeErrors(const TriadCandidate& candidate);

}  // namespace moeplan::phases
